"""Schemathesis against the API's schema (the committed one, which test_schema.py keeps equal to
the generated one), in process (WSGI), as an applicant with a filed renewal and as a verified
agent: every operation, generated inputs; no answer is a server error and every answer conforms
to the schema (status code, content type, body)."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.throttling import IPThrottle, UserThrottle
from tests.api.conftest import token_for
from tests.api.test_filing import test_a_renewal_filed_end_to_end as file_renewal
from tests.api.test_schema import SCHEMA_FILE
from tests.factories import StaffFactory, UserFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: Generated examples per operation, each sent as the applicant, as the agent, and again as the
#: applicant on their own objects: about 25 operations x 3 x this many requests, about a minute
#: of CPU on the project's 2-core machine (API_FUZZ_EXAMPLES=50 for a longer hunt).
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))

_django = get_wsgi_application()


def application(environ, start_response):
    """The portal's WSGI application, as Django's test client runs it: the end of a request does not
    close the test's database connection (its transaction holds the test's data)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        return _django(environ, start_response)
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


schema = schemathesis.openapi.from_path(SCHEMA_FILE)
schema.app = application


@pytest.fixture
def keys(db, monkeypatch):
    # The fuzzer sends far more requests than a person: the limits are tested elsewhere.
    monkeypatch.setattr(UserThrottle, "rate", "100000/min", raising=False)
    monkeypatch.setattr(IPThrottle, "rate", "100000/min", raising=False)
    applicant = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(applicant)}")
    file_renewal(applicant, client)  # something to list, read and act on
    dossier = applicant.dossiers.get()
    return {
        "tokens": {"applicant": token_for(applicant), "agent": token_for(StaffFactory(with_totp=True))},
        # The applicant's own objects, put in the generated paths (random ids mostly reach nothing).
        "ids": {"/api/v1/dossiers/": {"id": dossier.pk, "attachment_pk": dossier.attachments.first().pk},
                "/api/v1/documents/": {"id": applicant.issued_documents.first().pk}},
    }


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_conforms(case, keys):
    for key in keys["tokens"].values():
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
    # The same inputs on the applicant's own objects, without the (random) mandate header.
    ids = next((ids for prefix, ids in keys["ids"].items() if case.path.startswith(prefix)), None)
    if ids is None and not case.headers:
        return
    if ids and case.path_parameters:
        case.path_parameters = {**case.path_parameters,
                                **{name: value for name, value in ids.items() if name in case.path_parameters}}
    case.headers = {name: value for name, value in (case.headers or {}).items() if name.lower() != "x-anef-mandate"}
    case.call_and_validate(headers={"Authorization": f"Bearer {keys['tokens']['applicant']}"}, checks=CHECKS)
