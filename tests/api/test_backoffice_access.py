"""Who reaches the agents' endpoints: instructing staff of the file's prefecture, second factor
verified. An agent of another prefecture never sees or acts on a file (404, nothing changed); an
applicant, a mediator, a support agent and staff without a verified second factor get nothing."""

import pytest
from django.utils import timezone

from applications.models import Dossier, DossierEvent
from tests.api.conftest import client_for, token_for
from tests.backoffice.conftest import queued
from tests.factories import DossierFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/api/v1/backoffice/dossiers/"

#: Every action, with a body it would accept on a file in the right state.
ACTIONS = {
    "take": {},
    "complete": {},
    "complements": {"message": "Votre dernier bulletin de salaire.",
                    "due_on": (timezone.localdate() + timezone.timedelta(days=20)).isoformat()},
    "convocation": {},
    "decision": {"outcome": "decided_unfavourable", "reasons": "Ressources insuffisantes.",
                 "appeal_routes": "Recours gracieux sous deux mois."},
    "card": {"to": "card_in_production"},
}


def file_url(dossier, action=None) -> str:
    return f"{QUEUE}{dossier.pk}/" + (f"{action}/" if action else "")


def state(dossier) -> tuple:
    row = Dossier.objects.values_list("status", "assigned_to", "prefecture", "reference").get(pk=dossier.pk)
    return (*row, DossierEvent.objects.filter(dossier=dossier).count())


@pytest.fixture
def lyon_file(db):
    return queued(name="Blanc Anne", status="under_review")


def test_an_agent_of_another_prefecture_never_sees_nor_acts_on_a_file(lyon_file):
    bordeaux = StaffFactory(role__code="33", with_totp=True)
    own = queued(name="Noir Marc", department="33")
    api = client_for(token_for(bordeaux))
    assert [row["reference"] for row in api.get(QUEUE).json()["results"]] == [own.reference]
    assert api.get(QUEUE, {"q": lyon_file.reference}).json()["results"] == []
    assert api.get(file_url(lyon_file)).status_code == 404
    before = state(lyon_file)
    for action, body in ACTIONS.items():
        response = api.post(file_url(lyon_file, action), body, format="json")
        assert response.status_code == 404, action
        assert response.json()["code"] == "not_found"
    assert state(lyon_file) == before
    assert api.get(file_url(own)).status_code == 200  # the same agent, their own file


def test_a_draft_is_not_a_file_of_the_back_office(agent_api):
    draft = DossierFactory(status="draft")
    assert agent_api.get(file_url(draft)).status_code == 404
    assert agent_api.post(file_url(draft, "take")).status_code == 404


@pytest.mark.parametrize("who, code", [
    ("applicant", "staff_only"),
    ("mediator", "instructing_staff_only"),
    ("support", "instructing_staff_only"),
])
def test_an_applicant_a_mediator_and_a_support_agent_get_nothing(lyon_file, who, code):
    person = UserFactory() if who == "applicant" else StaffFactory(**{who: True}, with_totp=True)
    if who == "applicant":  # even the person the file is about
        Dossier.objects.filter(pk=lyon_file.pk).update(applicant=person)
    api = client_for(token_for(person))
    before = state(lyon_file)
    for response in [api.get(QUEUE), api.get(file_url(lyon_file)),
                     *(api.post(file_url(lyon_file, action), body, format="json") for action, body in ACTIONS.items())]:
        assert response.status_code == 403
        assert response.json()["code"] == code
        assert "results" not in response.json() and "reference" not in response.json()
    assert state(lyon_file) == before


def test_staff_without_a_verified_second_factor_get_nothing(lyon_file, session_api):
    agent = StaffFactory(with_totp=True, verified=False)
    api = session_api(agent, second_factor=False)  # a password-only session
    api.handler.enforce_csrf_checks = False  # the refusal is the second factor's, not the CSRF token's
    before = state(lyon_file)
    for response in [api.get(QUEUE), api.get(file_url(lyon_file)),
                     *(api.post(file_url(lyon_file, action), body, format="json") for action, body in ACTIONS.items())]:
        assert response.status_code == 403
        assert response.json()["code"] == "second_factor_required"
    assert state(lyon_file) == before


def test_without_credentials_nothing_but_a_401(lyon_file):
    api = client_for()
    assert api.get(QUEUE).status_code == 401
    assert api.post(file_url(lyon_file, "take")).status_code == 401
    assert Dossier.objects.get(pk=lyon_file.pk).assigned_to is None


def test_an_agent_signed_in_with_the_second_factor_uses_the_session_with_its_csrf_token(
        agent, lyon_file, session_api):
    api = session_api(agent)
    assert [row["reference"] for row in api.get(QUEUE).json()["results"]] == [lyon_file.reference]
    refused = api.post(file_url(lyon_file, "take"))
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    api.get("/")  # the portal's page sets the CSRF cookie
    taken = api.post(file_url(lyon_file, "take"), HTTP_X_CSRFTOKEN=api.cookies["csrftoken"].value)
    assert taken.status_code == 200
    assert taken.json()["assigned_to"]["id"] == agent.pk
