"""Who sees and changes what through the API: read-only fields stay the system's, nobody reaches
another person's objects, a mediator acts only under a mandate that holds (and it is recorded),
lists cost the same number of queries whatever their length, errors are JSON with stable codes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Mandate
from accounts.services import mandate_consent_code_issue, mandate_grant_by_code, mandate_revoke
from applications.models import Dossier, DossierEvent, Status
from tests.api.conftest import client_for, token_for
from tests.applications.helpers import IDENTITY, pdf_file
from tests.backoffice.conftest import file_renewal
from tests.factories import PASSWORD, DossierFactory, StaffFactory, UserFactory, prefecture

pytestmark = pytest.mark.django_db

RENEWAL = "renouvellement-salarie"
READ_ONLY = {
    "status": Status.DECIDED_FAVOURABLE, "reference": "ANEF-69-2026-999999", "prefecture": "Préfecture de la Gironde",
    "applicant": 1, "owner": 1, "created_at": "2020-01-01T00:00:00Z", "submitted_at": "2020-01-01T00:00:00Z",
    "updated_at": "2020-01-01T00:00:00Z", "decided_at": "2020-01-01T00:00:00Z", "legal_deadline": "2020-02-01",
    "filed_on_time": True, "channel": "paper", "current_step": "review", "id": 999999,
}


# --- Mass assignment -------------------------------------------------------------------------------

def test_starting_a_draft_ignores_every_read_only_field(applicant, api):
    other = UserFactory()
    response = api.post("/api/v1/dossiers/", {"procedure": RENEWAL, **READ_ONLY, "applicant": other.pk,
                                              "owner": other.pk}, format="json")
    assert response.status_code == 201
    dossier = Dossier.objects.get(pk=response.json()["id"])
    assert dossier.pk != READ_ONLY["id"]
    assert (dossier.status, dossier.reference, dossier.applicant, dossier.channel) == (
        Status.DRAFT, None, applicant, "online")
    assert dossier.submitted_at is None and dossier.decided_at is None and dossier.legal_deadline is None
    assert dossier.created_at > timezone.now() - timedelta(minutes=1)
    assert dossier.current_step == "eligibility"


@pytest.mark.parametrize("field", sorted(READ_ONLY))
def test_a_step_writes_answers_only(applicant, api, field):
    pk = api.post("/api/v1/dossiers/", {"procedure": RENEWAL}, format="json").json()["id"]
    before = Dossier.objects.get(pk=pk)
    body = {"answers": {**IDENTITY, field: READ_ONLY[field]}, field: READ_ONLY[field]}
    assert api.put(f"/api/v1/dossiers/{pk}/steps/identity/", body, format="json").status_code == 200
    after = Dossier.objects.get(pk=pk)
    for name in ("status", "reference", "applicant_id", "prefecture_id", "created_at", "submitted_at", "channel",
                 "decided_at", "legal_deadline", "filed_on_time"):
        assert getattr(after, name) == getattr(before, name), name
    assert field not in after.answers["identity"]


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_dossier_cannot_be_written_directly(applicant, api, method):
    pk = api.post("/api/v1/dossiers/", {"procedure": RENEWAL}, format="json").json()["id"]
    response = getattr(api, method)(f"/api/v1/dossiers/{pk}/", READ_ONLY, format="json")
    assert response.status_code == 405
    assert Dossier.objects.get(pk=pk).status == Status.DRAFT


# --- Another person's objects ---------------------------------------------------------------------

def test_lists_and_details_never_show_another_persons_objects(applicant, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        theirs = file_renewal(applicant=UserFactory())
    document = theirs.applicant.issued_documents.get()
    assert api.get("/api/v1/dossiers/").json()["results"] == []
    assert api.get("/api/v1/documents/").json()["results"] == []
    assert api.get("/api/v1/messages/").json()["results"] == []
    assert api.get("/api/v1/appointments/").json()["results"] == []
    attachment = theirs.attachments.first()
    for method, path in [
        ("get", f"/api/v1/dossiers/{theirs.pk}/"), ("get", f"/api/v1/dossiers/{theirs.pk}/timeline/"),
        ("put", f"/api/v1/dossiers/{theirs.pk}/steps/identity/"), ("post", f"/api/v1/dossiers/{theirs.pk}/submit/"),
        ("post", f"/api/v1/dossiers/{theirs.pk}/complements/"),
        ("post", f"/api/v1/dossiers/{theirs.pk}/attachments/"),
        ("delete", f"/api/v1/dossiers/{theirs.pk}/attachments/{attachment.pk}/"),
        ("get", f"/api/v1/documents/{document.pk}/pdf/"),
    ]:
        response = getattr(api, method)(path, {}, format="json")
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.attachments.count() >= 1


def test_an_agent_sees_no_dossier_of_their_prefecture_through_the_applicant_endpoints(agent_api):
    dossier = DossierFactory(filed=True, prefecture=prefecture("69"))
    assert agent_api.get("/api/v1/dossiers/").json()["results"] == []
    assert agent_api.get(f"/api/v1/dossiers/{dossier.pk}/").status_code == 404


# --- Mediators -----------------------------------------------------------------------------------

@pytest.fixture
def site():
    return prefecture("69").sites.first()


@pytest.fixture
def mediator(site):
    return StaffFactory(mediator=True, role__site=site, with_totp=True)


@pytest.fixture
def person():
    user = UserFactory(first_name="Amina", last_name="Diallo")
    user.set_password(PASSWORD)
    user.save()
    return user


def grant(person, mediator, site, **options):
    code = mandate_consent_code_issue(person=person)
    return mandate_grant_by_code(by=mediator, site=site, login_id=person.login_id, code=code, **options)


def test_a_mediator_acts_for_a_person_under_their_mandate_and_it_is_recorded(mediator, person, site):
    mandate = grant(person, mediator, site)
    api = client_for(token_for(mediator))
    api.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"], HTTP_X_ANEF_MANDATE=str(mandate.pk))
    assert api.get("/api/v1/me/").json()["id"] == person.pk
    created = api.post("/api/v1/dossiers/", {"procedure": RENEWAL}, format="json")
    assert created.status_code == 201
    dossier = Dossier.objects.get(pk=created.json()["id"])
    assert dossier.applicant == person
    event = dossier.events.get(kind=DossierEvent.Kind.CREATED)
    assert (event.actor, event.on_behalf_of) == (mediator, person)
    assert api.get(f"/api/v1/dossiers/{dossier.pk}/timeline/").json()[0]["on_behalf"] is True


@pytest.mark.parametrize("situation", ["none", "someone_elses", "revoked", "expired", "unknown"])
def test_a_mediator_without_a_mandate_that_holds_gets_nothing(mediator, person, site, situation):
    dossier = file_renewal(applicant=person)
    if situation == "none":
        header = None
    elif situation == "unknown":
        header = "999999"
    else:
        other = StaffFactory(mediator=True, role__site=site, with_totp=True)
        mandate = grant(person, other if situation == "someone_elses" else mediator, site)
        if situation == "revoked":
            mandate_revoke(mandate=mandate, by=person)
        elif situation == "expired":
            Mandate.objects.filter(pk=mandate.pk).update(created_at=timezone.now() - timedelta(days=40),
                                                         expires_at=timezone.now() - timedelta(days=1))
        header = str(mandate.pk)
    api = client_for(token_for(mediator))
    extra = {"HTTP_X_ANEF_MANDATE": header} if header else {}
    listed = api.get("/api/v1/dossiers/", **extra)
    detail = api.get(f"/api/v1/dossiers/{dossier.pk}/", **extra)
    created = api.post("/api/v1/dossiers/", {"procedure": RENEWAL}, format="json", **extra)
    if header:
        assert listed.status_code == detail.status_code == created.status_code == 403
        assert listed.json()["code"] == "mandate_not_held"
    else:  # acting as themselves: they have nothing of their own
        assert listed.json()["results"] == [] and detail.status_code == 404
    assert not Dossier.objects.filter(applicant=person, status=Status.DRAFT).exists()


def test_a_mandate_for_one_dossier_reaches_that_dossier_only(mediator, person, site):
    mine = file_renewal(applicant=person)
    other = DossierFactory(filed=True, applicant=person)
    mandate = grant(person, mediator, site, scope=Mandate.Scope.DOSSIER, dossier_reference=mine.reference)
    api = client_for(token_for(mediator))
    extra = {"HTTP_X_ANEF_MANDATE": str(mandate.pk)}
    assert [d["id"] for d in api.get("/api/v1/dossiers/", **extra).json()["results"]] == [mine.pk]
    assert api.get(f"/api/v1/dossiers/{other.pk}/", **extra).status_code == 404
    assert api.post("/api/v1/dossiers/", {"procedure": RENEWAL}, format="json", **extra).status_code == 404


# --- Query counts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/dossiers/", "/api/v1/documents/", "/api/v1/messages/",
                                  "/api/v1/appointments/", "/api/v1/permits/"])
def test_a_list_costs_the_same_queries_for_one_row_or_many(applicant, api, path, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_capture_on_commit_callbacks(execute=True):
        file_renewal(applicant=applicant)
    api.get(path)  # the key's last use is written at most once a minute: not in what is compared
    with CaptureQueriesContext(connection) as one:
        assert api.get(path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            file_renewal(applicant=applicant)
    with CaptureQueriesContext(connection) as many:
        assert api.get(path).status_code == 200
    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]
    assert len(one) <= 6


# --- Errors ----------------------------------------------------------------------------------------

def test_a_refused_transition_has_a_stable_code_in_french_and_in_english(applicant, api):
    pk = api.post("/api/v1/dossiers/", {"procedure": RENEWAL}, format="json").json()["id"]
    fr = api.post(f"/api/v1/dossiers/{pk}/complements/", {"message": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    en = api.post(f"/api/v1/dossiers/{pk}/complements/", {"message": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert fr.status_code == en.status_code == 409
    assert fr.json()["code"] == en.json()["code"] == "transition_not_allowed"
    assert "dossier" in fr.json()["message"]
    assert fr.json()["message"] != en.json()["message"]


def test_a_piece_of_the_wrong_type_is_refused_with_its_code(applicant, api):
    pk = api.post("/api/v1/dossiers/", {"procedure": RENEWAL}, format="json").json()["id"]
    response = api.post(f"/api/v1/dossiers/{pk}/attachments/", {"document_type": "acte-de-naissance-inconnu",
                                                                "file": pdf_file()}, format="multipart")
    assert response.status_code == 400
    assert response.json()["fields"]["document_type"][0]["code"] == "document_type_not_asked"


def test_not_found_is_json_in_both_languages(api):
    fr = api.get("/api/v1/dossiers/abc/", HTTP_ACCEPT_LANGUAGE="fr")
    en = api.get("/api/v1/dossiers/0/", HTTP_ACCEPT_LANGUAGE="en")
    assert fr.status_code == en.status_code == 404
    assert fr.json()["code"] == en.json()["code"] == "not_found"
    assert fr["Content-Language"] == "fr" and en["Content-Language"] == "en"


def test_a_browser_assisted_session_does_not_carry_over_to_the_api(mediator, person, site, session_api):
    mandate = grant(person, mediator, site)
    client = session_api(mediator)
    client.handler.enforce_csrf_checks = False
    from django.urls import reverse

    assert client.post(reverse("backoffice:assisted_session_start", args=[mandate.pk])).status_code == 302
    assert client.get("/api/v1/me/").json()["id"] == mediator.pk  # no header: the mediator themselves
    assert client.get("/api/v1/me/", HTTP_X_ANEF_MANDATE=str(mandate.pk)).json()["id"] == person.pk
    mandate_revoke(mandate=mandate, by=person)
    response = client.get("/api/v1/me/")  # no redirection to the mediator's pages: a JSON answer
    assert response.status_code == 200 and response.json()["id"] == mediator.pk
