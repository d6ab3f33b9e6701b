"""Fixtures for the back-office instruction tests: staff signed in through the real login and code
pages, and dossiers filed through the services (or set up directly when only the queue matters)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.clock import priorities_refresh
from applications.services import attachment_add, dossier_submit, draft_save_step, draft_start
from tests.applications.helpers import IDENTITY, pdf_file, renewable_permit, situation
from tests.factories import (
    PASSWORD,
    DossierFactory,
    StaffFactory,
    UserFactory,
    prefecture,
    procedure,
    tax_stamp,
    totp_code,
)

RENEWAL = "renouvellement-salarie"
STAMP = "1234567890123456"
EPHOTO = "ABCDEFGHJK2345678901XY"
CITIES = {"69": ("69002", "Lyon"), "33": ("33000", "Bordeaux"), "75": ("75011", "Paris")}


def sign_in(client, user):
    """Password, then the authenticator code, as a person does; returns the client."""
    # django-otp refuses a code already used on this device (replay): allow a second sign-in.
    TOTPDevice.objects.filter(user=user).update(last_t=-1, throttling_failure_count=0,
                                                throttling_failure_timestamp=None)
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, "the password step failed"
    response = client.post(reverse("accounts:totp_verify"), {"code": totp_code()})
    assert response.status_code == 302, "the code step failed"
    return client


@pytest.fixture
def staff_login(client):
    """``staff_login(user)``: signs the test client in as this staff member (second factor verified)."""

    def login(user, on=None):
        return sign_in(on or client, user)

    return login


@pytest.fixture
def instructor(db):
    return StaffFactory(with_totp=True, first_name="Jeanne", last_name="Martin")


@pytest.fixture
def supervisor(db):
    return StaffFactory(supervisor=True, with_totp=True, first_name="Paul", last_name="Bernard")


@pytest.fixture
def agent_client(client, instructor):
    return sign_in(client, instructor)


def file_renewal(*, department="69", days_left=90, last_name="Diallo", first_name="Amina",
                 foreigner_number="", applicant=None):
    """A renewal filed through the services, as the applicant would (receipt issued, clock set)."""
    user = applicant or UserFactory(first_name=first_name, last_name=last_name)
    permit = renewable_permit(user, days_left)
    dossier, _ = draft_start(applicant=user, procedure=procedure(RENEWAL))
    draft_save_step(dossier=dossier, step="eligibility", data={"titre_meme_motif": "yes"}, by=user)
    identity = {**IDENTITY, "last_name": last_name, "first_name": first_name, "foreigner_number": foreigner_number}
    draft_save_step(dossier=dossier, step="identity", data=identity, by=user)
    postal_code, city = CITIES[department]
    draft_save_step(dossier=dossier, step="situation", by=user,
                    data={**situation(permit), "department": department, "postal_code": postal_code, "city": city})
    draft_save_step(dossier=dossier, step="questions", data={"employeur": "ACME", "type_contrat": "CDI"}, by=user)
    for requirement in dossier.procedure.requirements.select_related("document_type"):
        attachment_add(dossier=dossier, document_type=requirement.document_type, uploaded_file=pdf_file(), by=user)
    dossier.refresh_from_db()
    dossier = dossier_submit(dossier=dossier, by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO,
                             accept_late=days_left < 60)
    dossier.refresh_from_db()
    return dossier


def queued(*, department="69", status="submitted", filed_days_ago=1, deadline_in=None, permit_in=None,
           name="Martin Alice", foreigner_number="", kind=RENEWAL, **fields):
    """A dossier set up directly in the queue (fast): filed ``filed_days_ago``, legal deadline in
    ``deadline_in`` days (default: 30 days after filing), permit ending in ``permit_in`` days."""
    today = timezone.localdate()
    submitted_at = timezone.now() - timedelta(days=filed_days_ago)
    last, first = name.split(" ", 1)
    dossier = DossierFactory(
        status=status, prefecture=prefecture(department), procedure=procedure(kind), submitted_at=submitted_at,
        legal_deadline=today + timedelta(days=deadline_in if deadline_in is not None else 30 - filed_days_ago),
        permit_expires_on=today + timedelta(days=permit_in) if permit_in is not None else None,
        search_name=_normalised(name), search_foreigner_number=foreigner_number,
        answers={"identity": {"last_name": last, "first_name": first}}, **fields,
    )
    priorities_refresh(today=today, queryset=type(dossier).objects.filter(pk=dossier.pk))
    dossier.refresh_from_db()
    return dossier


def listed(response) -> list[str]:
    """The references in the queue table of a response, in the order shown."""
    assert response.status_code == 200
    return [row["reference"] for row in response.context["rows"]]


def _normalised(name: str) -> str:
    from applications.models import search_name

    return search_name(name)


@pytest.fixture(autouse=True)
def queue_with_its_values(monkeypatch):
    """The queue's tests read the view's values (``response.context``: rows, tabs, URLs), which the
    engine's page carries and the kept one (core.layout) does not: the queue is rendered by the
    engine here, as with a message waiting. That its kept page is the engine's, byte for byte, is
    tests/core/test_layout.py's."""
    from applications.backoffice.views import instruction

    monkeypatch.setattr(instruction, "as_usual", lambda request: True)
