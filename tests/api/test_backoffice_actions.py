"""The file and its actions through the API: what an agent sees, each action's effect on the file
and in its timeline, the services' refusals with their stable codes in French and in English, and
read-only fields that no body can write."""

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import ComplementRequest, DocumentType, Dossier, Permit, Status
from appointments.models import Booking
from tests.api.conftest import client_for, token_for
from tests.backoffice.conftest import file_renewal
from tests.factories import DossierFactory, StaffFactory, biometrics_taken, procedure

pytestmark = pytest.mark.django_db

BASE = "/api/v1/backoffice/dossiers/"
FR, EN = {"HTTP_ACCEPT_LANGUAGE": "fr"}, {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(dossier, action=None) -> str:
    return f"{BASE}{dossier.pk}/" + (f"{action}/" if action else "")


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def biometrics_slot(dossier, *, days: int = 10):
    """A free seat for fingerprints at the file's prefecture, ``days`` ahead (beyond the minimum
    notice of a convocation); returns when it starts."""
    from appointments.models import Desk, Motive, Slot

    motive = Motive.objects.get(code=Motive.Code.BIOMETRICS)
    desk, _ = Desk.objects.get_or_create(site=dossier.prefecture.sites.first(), name="Guichet biométrie")
    desk.motives.add(motive)
    starts = (timezone.now() + timedelta(days=days)).replace(hour=9, minute=30, second=0, microsecond=0)
    Slot.objects.create(desk=desk, motive=motive, starts_at=starts, ends_at=starts + timedelta(minutes=15),
                        capacity=1)
    return starts


def kinds(body) -> list[str]:
    return [event["kind"] for event in body["timeline"]]


def refused_in_both_languages(api, path, body, *, status, code, fr, en):
    """The same refusal asked in French then in English: same status and code, each message in its language."""
    answers = [api.post(path, body, format="json", **headers) for headers in (FR, EN)]
    for response in answers:
        assert response.status_code == status, response.content
        assert response.json()["code"] == code
    assert fr in answers[0].json()["message"]
    assert en in answers[1].json()["message"]
    return answers


# --- The file --------------------------------------------------------------------------------

def test_the_file_shows_the_applicant_the_pieces_the_timeline_and_the_actions_allowed_now(agent, agent_api):
    dossier = file_renewal(last_name="Diallo", first_name="Amina", foreigner_number="1234567890")
    body = agent_api.get(url(dossier)).json()
    assert body["reference"] == dossier.reference and body["status"] == "submitted"
    assert body["applicant"] == {"name": "Amina DIALLO", "birth_date": "1990-03-02", "foreigner_number": "1234567890"}
    assert body["applicant_name"] == "Amina DIALLO"
    pieces = {piece["document_type"]["code"] for piece in body["attachments"]}
    assert pieces == set(dossier.procedure.requirements.values_list("document_type__code", flat=True))
    assert all(piece["review"] == "pending" for piece in body["attachments"])
    assert "submitted" in kinds(body)
    assert any(section["items"] for section in body["answers"])
    assert body["actions"]["take"] is True and body["actions"]["complete"] is True
    assert body["actions"]["decide"] == ["closed_without_action"] and body["actions"]["card_next"] is None


# --- Take ------------------------------------------------------------------------------------

def test_taking_a_file_assigns_it_and_says_so_in_the_timeline_once(agent, agent_api):
    dossier = DossierFactory(filed=True)
    body = agent_api.post(url(dossier, "take")).json()
    assert body["assigned_to"] == {"id": agent.pk, "name": agent.get_full_name()}
    assert body["timeline"][-1]["kind"] == "assigned" and body["timeline"][-1]["actor"] == agent.get_full_name()
    assert body["actions"]["take"] is False

    again = agent_api.post(url(dossier, "take"))  # already mine: nothing more happens
    assert again.status_code == 200
    assert again.json()["assigned_to"]["id"] == agent.pk
    assert kinds(again.json()).count("assigned") == 1


def test_a_colleagues_file_is_not_taken(agent_api):
    colleague = StaffFactory(first_name="Luc", last_name="Moreau")
    dossier = DossierFactory(filed=True, assigned_to=colleague)
    refused_in_both_languages(agent_api, url(dossier, "take"), {}, status=403, code="permission_denied",
                              fr="Seul un chef de bureau peut attribuer un dossier à un autre agent.",
                              en="Only a supervisor can assign an application to another officer.")
    assert Dossier.objects.get(pk=dossier.pk).assigned_to == colleague


# --- Complete --------------------------------------------------------------------------------

def test_declaring_a_file_complete_starts_the_review_once(agent_api):
    dossier = DossierFactory(filed=True)
    body = agent_api.post(url(dossier, "complete")).json()
    assert body["status"] == "under_review"
    last = body["timeline"][-1]
    assert (last["kind"], last["from_status"], last["to_status"]) == ("status_changed", "submitted", "under_review")
    refused_in_both_languages(agent_api, url(dossier, "complete"), {}, status=409, code="transition_not_allowed",
                              fr="Cette action n'est pas possible : le dossier est « En cours d'instruction ».",
                              en="This action is not possible")


# --- Complements -----------------------------------------------------------------------------

def test_asking_for_complements_pauses_the_file_and_tells_what_is_asked(agent_api):
    dossier = DossierFactory(under_review=True)
    payslips = DocumentType.objects.get(code="bulletins-salaire")
    body = agent_api.post(url(dossier, "complements"), {
        "document_types": [payslips.pk], "message": "Les trois derniers.", "due_on": in_days(20)}, format="json").json()
    assert body["status"] == "complements_requested"
    assert body["clock"]["paused"] is True
    last = body["timeline"][-1]
    assert last["kind"] == "complements_requested"
    assert last["data"]["due_on"] == in_days(20) and last["data"]["documents"] == [payslips.name]
    [request] = body["complement_requests"]
    assert request["document_types"][0]["code"] == "bulletins-salaire" and request["answered_at"] is None


def test_complements_refused_in_french_and_english(agent_api):
    dossier = DossierFactory(under_review=True)
    [fr, _en] = refused_in_both_languages(
        agent_api, url(dossier, "complements"), {"message": "Le bulletin.", "due_on": in_days(-1)},
        status=400, code="invalid", fr="La date limite doit être dans le futur.",
        en="The deadline must be in the future.")
    assert list(fr.json()["fields"]) == ["due_on"]
    nothing = agent_api.post(url(dossier, "complements"), {"due_on": in_days(10)}, format="json")
    assert nothing.status_code == 400 and list(nothing.json()["fields"]) == ["document_types"]
    # A piece the procedure does not ask for cannot be chosen.
    other = DocumentType.objects.exclude(procedures=dossier.procedure).first()
    foreign = agent_api.post(url(dossier, "complements"), {"document_types": [other.pk], "due_on": in_days(10)},
                             format="json")
    assert foreign.status_code == 400 and list(foreign.json()["fields"]) == ["document_types"]
    assert not ComplementRequest.objects.filter(dossier=dossier).exists()
    assert Dossier.objects.get(pk=dossier.pk).status == "under_review"


# --- Convocation -----------------------------------------------------------------------------

def test_the_convocation_books_a_slot_and_is_in_the_timeline(agent_api):
    dossier = DossierFactory(under_review=True)
    refused_in_both_languages(agent_api, url(dossier, "convocation"), {}, status=400, code="no_free_slot",
                              fr="Aucun créneau libre pour le relevé d'empreintes",
                              en="No free fingerprinting slot at this prefecture")
    starts = biometrics_slot(dossier)
    body = agent_api.post(url(dossier, "convocation")).json()
    last = body["timeline"][-1]
    assert last["kind"] == "biometrics_requested"
    assert last["data"]["at"] == timezone.localtime(starts).isoformat()
    assert body["actions"]["biometrics"] is False and body["actions"]["biometrics_state"] == "convoked"
    assert Booking.objects.filter(subject_id=str(dossier.pk), kind=Booking.Kind.CONVOCATION).count() == 1
    biometrics_slot(dossier, days=11)  # another free slot: the refusal is the convocation already made
    refused_in_both_languages(agent_api, url(dossier, "convocation"), {}, status=400, code="already_convoked",
                              fr="Le demandeur est déjà convoqué pour le relevé d'empreintes.",
                              en="The applicant has already been invited for fingerprinting.")


def test_no_convocation_before_the_review(agent_api):
    dossier = DossierFactory(filed=True)
    refused_in_both_languages(agent_api, url(dossier, "convocation"), {}, status=400, code="not_under_review",
                              fr="Le relevé d'empreintes se demande pendant l'instruction.",
                              en="Fingerprinting can only be requested while the application is being")


# --- Decision --------------------------------------------------------------------------------

def test_an_unfavourable_decision_needs_reasons_and_appeal_routes_then_is_recorded(agent_api):
    dossier = DossierFactory(under_review=True)
    [fr, _en] = refused_in_both_languages(
        agent_api, url(dossier, "decision"), {"outcome": "decided_unfavourable"}, status=400, code="invalid",
        fr="Une décision défavorable doit être motivée.", en="An unfavourable decision must give its reasons.")
    assert set(fr.json()["fields"]) == {"reasons", "appeal_routes"}
    assert Dossier.objects.get(pk=dossier.pk).status == "under_review"

    body = agent_api.post(url(dossier, "decision"), {
        "outcome": "decided_unfavourable", "reasons": "Ressources insuffisantes.",
        "appeal_routes": "Recours gracieux sous deux mois."}, format="json").json()
    assert body["status"] == "decided_unfavourable" and body["decision_reasons"] == "Ressources insuffisantes."
    last = body["timeline"][-1]
    assert last["kind"] == "decided" and last["data"]["outcome"] == "decided_unfavourable"
    assert body["decided_at"] is not None


def test_a_favourable_decision_waits_for_the_fingerprints(agent_api):
    dossier = DossierFactory(under_review=True)
    refused_in_both_languages(
        agent_api, url(dossier, "decision"), {"outcome": "decided_favourable"}, status=400, code="biometrics_missing",
        fr="Une décision favorable n'est possible qu'une fois les empreintes",
        en="A favourable decision is only possible once")
    biometrics_taken(dossier)
    body = agent_api.post(url(dossier, "decision"), {"outcome": "decided_favourable"}, format="json").json()
    assert body["status"] == "decided_favourable"
    assert body["actions"]["card_next"] == "card_in_production"


def test_no_decision_on_a_file_not_under_review(agent_api):
    dossier = DossierFactory(filed=True)
    refused_in_both_languages(agent_api, url(dossier, "decision"), {
        "outcome": "decided_unfavourable", "reasons": "Ressources insuffisantes.", "appeal_routes": "Deux mois."},
                              status=409, code="transition_not_allowed",
                              fr="Cette action n'est pas possible : le dossier est « Déposé ».",
                              en="This action is not possible")


def test_an_unknown_outcome_is_refused_by_its_field(agent_api):
    dossier = DossierFactory(under_review=True)
    response = agent_api.post(url(dossier, "decision"), {"outcome": "card_delivered"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["outcome"][0]["code"] == "invalid_choice"
    assert Dossier.objects.get(pk=dossier.pk).status == "under_review"


# --- The card --------------------------------------------------------------------------------

def test_the_card_goes_through_its_steps_in_order_and_is_recorded_at_delivery(agent_api):
    dossier = DossierFactory(decided=True)
    refused_in_both_languages(agent_api, url(dossier, "card"), {"to": "card_ready"}, status=409,
                              code="transition_not_allowed",
                              fr="Cette action n'est pas possible : le dossier est « Décision favorable ».",
                              en="This action is not possible")
    for step in ("card_in_production", "card_ready"):
        body = agent_api.post(url(dossier, "card"), {"to": step}, format="json").json()
        assert body["status"] == step and body["timeline"][-1]["to_status"] == step

    refused_in_both_languages(agent_api, url(dossier, "card"), {"to": "card_delivered", "number": "x"},
                              status=400, code="invalid", fr="Indiquez le numéro imprimé sur le titre",
                              en="Enter the number printed on the permit")
    body = agent_api.post(url(dossier, "card"), {
        "to": "card_delivered", "number": "ab 1234 5678", "valid_from": in_days(0), "valid_until": in_days(3650),
    }, format="json").json()
    assert body["status"] == "card_delivered"
    last = body["timeline"][-1]
    assert last["to_status"] == "card_delivered" and last["data"]["permit"] == "AB12345678"
    permit = Permit.objects.get(number="AB12345678")
    assert permit.holder == dossier.applicant and permit.dossier_id == dossier.pk
    assert body["actions"]["card_next"] is None


# --- Read-only fields ------------------------------------------------------------------------

FORGED = {"status": "card_delivered", "reference": "HACK-0000001", "prefecture": None, "assigned_to": None,
          "assignee": None, "applicant": None, "submitted_at": "2000-01-01T00:00:00Z", "decided_at": None,
          "priority": 0, "legal_deadline": "2000-01-01", "id": 1}


@pytest.mark.parametrize("action, situation, body, effect", [
    ("take", {"filed": True}, {}, {"assigned_to": "me"}),
    ("complete", {"filed": True}, {}, {"status": "under_review"}),
    ("complements", {"under_review": True}, {"message": "Le bulletin.", "due_on": in_days(10)},
     {"status": "complements_requested"}),
    ("convocation", {"under_review": True}, {}, {}),
    ("decision", {"under_review": True}, {"outcome": "closed_without_action", "reasons": "Doublon."},
     {"status": "closed_without_action"}),
    ("card", {"decided": True}, {"to": "card_in_production"}, {"status": "card_in_production"}),
])
def test_no_action_writes_the_status_the_owner_the_prefecture_the_reference_or_the_assignee(
        agent, agent_api, action, situation, body, effect):
    colleague = StaffFactory(first_name="Luc", last_name="Moreau")
    bordeaux = StaffFactory(role__code="33")
    dossier = DossierFactory(**situation)
    if action == "convocation":
        biometrics_slot(dossier)
    before = Dossier.objects.filter(pk=dossier.pk).values(
        "status", "reference", "prefecture", "assigned_to", "applicant", "submitted_at", "priority",
        "legal_deadline").get()
    forged = {**FORGED, "prefecture": bordeaux.memberships.get().prefecture_id, "assigned_to": colleague.pk,
              "assignee": colleague.pk, "applicant": agent.pk, "id": dossier.pk + 1}
    response = agent_api.post(url(dossier, action), {**forged, **body}, format="json")
    assert response.status_code == 200, response.content
    after = Dossier.objects.filter(pk=dossier.pk).values(*before).get()
    expected = {**before, **{key: (agent.pk if value == "me" else value) for key, value in effect.items()}}
    if action != "take" and "status" in effect:
        expected["priority"] = after["priority"]  # the service recomputes it with the status
    assert after == expected
    assert response.json()["id"] == dossier.pk


def test_the_file_endpoint_writes_nothing(agent_api):
    dossier = DossierFactory(filed=True)
    for method in ("put", "patch", "delete"):
        response = getattr(agent_api, method)(url(dossier), FORGED, format="json")
        assert response.status_code == 405
    assert Dossier.objects.get(pk=dossier.pk).status == Status.SUBMITTED


def test_a_supervisor_takes_a_colleagues_file(agent):
    supervisor = StaffFactory(supervisor=True, with_totp=True)
    dossier = DossierFactory(filed=True, assigned_to=agent)
    body = client_for(token_for(supervisor)).post(url(dossier, "take")).json()
    assert body["assigned_to"]["id"] == supervisor.pk
    assert body["timeline"][-1]["data"] == {"to": supervisor.get_full_name(), "from": agent.get_full_name()}


def test_a_procedure_without_fingerprints_is_not_convoked(agent_api):
    no_biometrics = DossierFactory(under_review=True, procedure=procedure("premiere-demande-salarie"))
    if no_biometrics.procedure.needs_biometrics:
        no_biometrics.procedure.__class__.objects.filter(pk=no_biometrics.procedure_id).update(needs_biometrics=False)
    refused_in_both_languages(agent_api, url(no_biometrics, "convocation"), {}, status=400, code="not_needed",
                              fr="Cette démarche ne demande pas de relevé d'empreintes.",
                              en="This procedure does not require fingerprints.")


def test_the_files_query_count_does_not_grow_with_its_timeline_and_pieces(agent, agent_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from applications.services import attachment_review, dossier_assign

    dossier = file_renewal()
    agent_api.get(url(dossier))  # warm-up: per-process caches
    with CaptureQueriesContext(connection) as few:
        assert agent_api.get(url(dossier)).status_code == 200
    supervisor = StaffFactory(supervisor=True)
    for attachment in dossier.attachments.all():  # a line per piece, each by an agent
        attachment_review(attachment=attachment, by=agent, accepted=False, reason="Illisible.")
    dossier_assign(dossier=dossier, agent=agent, by=supervisor)
    with CaptureQueriesContext(connection) as many:
        body = agent_api.get(url(dossier)).json()
    assert len(body["timeline"]) > 5 and all(piece["review"] == "rejected" for piece in body["attachments"])
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 11, [q["sql"] for q in few.captured_queries]


def test_the_schemas_examples_have_the_shape_of_real_answers(agent_api):
    """The examples of /api/docs/ are written by hand: they keep the fields real answers have."""
    from api.v1.backoffice import FILE_VALUE, ROW_VALUE

    dossier = file_renewal()
    row = agent_api.get(BASE).json()["results"][0]
    body = agent_api.get(url(dossier)).json()
    assert set(ROW_VALUE) == set(row)
    assert set(FILE_VALUE) == set(body)
    for key in ("clock", "actions", "applicant", "procedure", "prefecture"):
        assert set(FILE_VALUE[key]) == set(body[key]), key
    for key in ("attachments", "timeline"):
        assert set(FILE_VALUE[key][0]) == set(body[key][0]), key
