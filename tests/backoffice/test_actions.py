"""Every action of the file page through HTTP: its happy path, its guards (wrong state, required
reasons), errors shown next to their field with what was typed kept, and PermissionDenied as 403."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from applications.models import Attachment, ComplementRequest, Dossier, DossierEvent, Status
from applications.services import dossier_assign, dossier_decide, dossier_mark_complete
from appointments.models import Booking
from tests.backoffice.conftest import file_renewal, sign_in
from tests.factories import StaffFactory, biometrics_taken

pytestmark = pytest.mark.django_db


def url(name, dossier, *args):
    return reverse(f"backoffice_instruction:{name}", args=[dossier.pk, *args])


def html(response) -> str:
    return unescape(response.content.decode())


def under_review(agent, **kwargs):
    dossier = file_renewal(**kwargs)
    return dossier_mark_complete(dossier=dossier, by=agent)


def status_of(dossier) -> str:
    return Dossier.objects.values_list("status", flat=True).get(pk=dossier.pk)


# --- Attribution ----------------------------------------------------------------------------------

def test_an_agent_takes_an_unassigned_file_but_not_a_colleagues(agent_client, instructor):
    dossier = file_renewal()
    response = agent_client.post(url("take", dossier), follow=True)
    assert response.redirect_chain[-1][0] == url("dossier", dossier)
    assert "Le dossier vous est attribué." in html(response)
    dossier.refresh_from_db()
    assert dossier.assigned_to == instructor

    colleague_file = file_renewal(last_name="Roux")
    dossier_assign(dossier=colleague_file, agent=colleague_file_owner(), by=supervisor_of_lyon())
    page = html(agent_client.get(url("dossier", colleague_file)))
    assert "Prendre le dossier" not in page
    assert agent_client.post(url("take", colleague_file)).status_code == 403
    assert agent_client.post(url("assign", colleague_file), {"assign-agent": instructor.pk}).status_code == 403


def colleague_file_owner():
    return StaffFactory(first_name="Luc", last_name="Moreau")


def supervisor_of_lyon():
    return StaffFactory(supervisor=True)


def test_a_supervisor_assigns_to_an_agent_of_the_prefecture_only(client, supervisor, instructor):
    sign_in(client, supervisor)
    dossier = file_renewal()
    page = html(client.get(url("dossier", dossier)))
    assert 'name="assign-agent"' in page and instructor.get_full_name() in page

    response = client.post(url("assign", dossier), {"assign-agent": instructor.pk})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.assigned_to == instructor
    assert DossierEvent.objects.filter(dossier=dossier, kind="assigned", actor=supervisor).exists()

    bordeaux_agent = StaffFactory(role__code="33")
    response = client.post(url("assign", dossier), {"assign-agent": bordeaux_agent.pk})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in html(response)
    dossier.refresh_from_db()
    assert dossier.assigned_to == instructor

    response = client.post(url("assign", dossier), {"assign-agent": ""})  # unassign
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.assigned_to is None


# --- Completeness and complements -----------------------------------------------------------------

def test_mark_complete_only_once(agent_client):
    dossier = file_renewal()
    response = agent_client.post(url("complete", dossier), follow=True)
    assert "l'instruction commence" in html(response)
    assert status_of(dossier) == Status.UNDER_REVIEW

    response = agent_client.post(url("complete", dossier))
    assert response.status_code == 200
    assert "Cette action n'est pas possible : le dossier est « En cours d'instruction »." in html(response)
    assert status_of(dossier) == Status.UNDER_REVIEW


def test_complements_need_a_piece_or_a_message_and_a_future_date(agent_client):
    dossier = file_renewal()
    response = agent_client.post(url("complements", dossier), {
        "complements-message": "", "complements-due_on": (timezone.localdate() + timedelta(days=15)).isoformat(),
    })
    assert response.status_code == 200
    page = html(response)
    assert 'id="id_complements-document_types_error"' in page
    assert "Choisissez au moins une pièce ou précisez ce qui manque." in page
    assert 'id="error-summary"' in page

    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = agent_client.post(url("complements", dossier), {
        "complements-message": "Le justificatif de domicile date de plus de trois mois.",
        "complements-due_on": past,
    })
    page = html(response)
    assert 'id="id_complements-due_on_error"' in page
    assert "La date limite doit être dans le futur." in page
    # Nothing typed is lost.
    assert "Le justificatif de domicile date de plus de trois mois.</textarea>" in page
    assert f'value="{past}"' in page
    assert status_of(dossier) == Status.SUBMITTED


def test_complements_request_pauses_the_clock(agent_client, instructor):
    dossier = file_renewal()
    address = dossier.procedure.requirements.get(document_type__code="justificatif-domicile").document_type
    due = timezone.localdate() + timedelta(days=15)
    response = agent_client.post(url("complements", dossier), {
        "complements-document_types": [address.pk], "complements-message": "Moins de trois mois, s'il vous plaît.",
        "complements-due_on": due.isoformat(),
    }, follow=True)
    assert "La demande de compléments est envoyée" in html(response)
    dossier.refresh_from_db()
    assert dossier.status == Status.COMPLEMENTS_REQUESTED
    assert dossier.clock_paused_on == timezone.localdate()
    request = ComplementRequest.objects.get(dossier=dossier)
    assert list(request.document_types.all()) == [address] and request.due_on == due
    assert request.requested_by == instructor
    page = html(response)
    assert "Suspendu" in page and "Compléments demandés, attendus avant le" in page
    # No second request while one is open.
    response = agent_client.post(url("complements", dossier), {
        "complements-message": "Encore", "complements-due_on": due.isoformat()})
    assert response.status_code == 200
    assert "Cette action n'est pas possible" in html(response)


# --- Attachments ----------------------------------------------------------------------------------

def test_rejecting_a_piece_needs_a_reason(agent_client):
    dossier = file_renewal()
    attachment = dossier.attachments.filter(is_current=True).first()
    prefix = f"att{attachment.pk}"
    response = agent_client.post(url("attachment_review", dossier, attachment.pk), {f"{prefix}-decision": "reject"})
    assert response.status_code == 200
    page = html(response)
    assert f'id="id_{prefix}-reason_error"' in page
    assert "Indiquez pourquoi la pièce est refusée" in page
    assert f'aria-expanded="true" aria-controls="piece-{attachment.pk}"' in page  # its panel is open
    assert Attachment.objects.get(pk=attachment.pk).review == Attachment.Review.PENDING

    response = agent_client.post(url("attachment_review", dossier, attachment.pk), {
        f"{prefix}-decision": "reject", f"{prefix}-reason": "Page illisible."})
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert (attachment.review, attachment.review_reason) == (Attachment.Review.REJECTED, "Page illisible.")

    response = agent_client.post(url("attachment_review", dossier, attachment.pk), {f"{prefix}-decision": "accept"})
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert (attachment.review, attachment.review_reason) == (Attachment.Review.ACCEPTED, "")


def test_pieces_are_not_reviewed_after_the_decision(agent_client, instructor):
    dossier = under_review(instructor)
    dossier_decide(dossier=dossier, by=instructor, outcome=Status.CLOSED_WITHOUT_ACTION, reasons="Doublon.")
    attachment = dossier.attachments.first()
    response = agent_client.post(url("attachment_review", dossier, attachment.pk),
                                 {f"att{attachment.pk}-decision": "accept"})
    assert response.status_code == 200
    assert "Les pièces ne se vérifient que pendant l'instruction." in html(response)
    assert f'name="att{attachment.pk}-decision"' not in html(response)


# --- Biometrics -----------------------------------------------------------------------------------

def test_biometrics_are_requested_during_the_review_only(agent_client, instructor):
    dossier = file_renewal()
    response = agent_client.post(url("biometrics", dossier))
    assert response.status_code == 200
    assert "Le relevé d'empreintes se demande pendant l'instruction." in html(response)

    dossier_mark_complete(dossier=dossier, by=instructor)
    response = agent_client.post(url("biometrics", dossier))  # no slot open at the prefecture
    assert response.status_code == 200
    assert "Aucun créneau libre pour le relevé d'empreintes" in html(response)

    starts = biometrics_slot(dossier)
    response = agent_client.post(url("biometrics", dossier), follow=True)
    assert response.redirect_chain
    assert DossierEvent.objects.filter(dossier=dossier, kind="biometrics_requested").exists()
    # The convocation appears with the file's appointments.
    assert timezone.localtime(starts).strftime("%H:%M") in html(response)
    assert "Convocation" in html(response)


def test_the_fingerprints_convocation_is_movable_for_the_configured_days(agent_client, instructor, settings):
    settings.CONVOCATION_MOVABLE_DAYS = 12
    dossier = file_renewal()
    dossier_mark_complete(dossier=dossier, by=instructor)
    biometrics_slot(dossier)
    agent_client.post(url("biometrics", dossier))
    booking = Booking.objects.get(subject_id=str(dossier.pk), kind=Booking.Kind.CONVOCATION)
    assert booking.movable_until == timezone.localdate() + timedelta(days=12)


def biometrics_slot(dossier):
    from appointments.models import Desk, Motive, Slot

    motive = Motive.objects.get(code=Motive.Code.BIOMETRICS)
    desk = Desk.objects.create(site=dossier.prefecture.sites.first(), name="Guichet 3")
    desk.motives.add(motive)
    # Ten days ahead: beyond the minimum notice of an automatic convocation (3 working days).
    starts = (timezone.now() + timedelta(days=10)).replace(hour=9, minute=30, second=0, microsecond=0)
    Slot.objects.create(desk=desk, motive=motive, starts_at=starts, ends_at=starts + timedelta(minutes=15),
                        capacity=1)
    return starts


# --- Decision -------------------------------------------------------------------------------------

def test_an_unfavourable_decision_needs_reasons_and_appeal_routes(agent_client, instructor):
    dossier = under_review(instructor)
    response = agent_client.post(url("decide", dossier), {"decision-outcome": "decided_unfavourable"})
    assert response.status_code == 200
    page = html(response)
    assert 'id="id_decision-reasons_error"' in page and "Une décision défavorable doit être motivée." in page
    assert 'id="id_decision-appeal_routes_error"' in page and "Indiquez les voies et délais de recours." in page
    assert status_of(dossier) == Status.UNDER_REVIEW

    response = agent_client.post(url("decide", dossier), {
        "decision-outcome": "decided_unfavourable", "decision-reasons": "Contrat de travail non produit.",
        "decision-appeal_routes": "Recours contentieux devant le tribunal administratif dans les deux mois.",
        "confirm": "1",
    })
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.DECIDED_UNFAVOURABLE
    assert dossier.decision_reasons == "Contrat de travail non produit."
    assert dossier.appeal_routes.startswith("Recours contentieux")


def test_closing_without_action_needs_a_reason(agent_client):
    dossier = file_renewal()
    response = agent_client.post(url("decide", dossier), {
        "decision-outcome": "closed_without_action", "decision-appeal_routes": "gardé"})
    assert response.status_code == 200
    assert "Indiquez pourquoi le dossier est classé sans suite." in html(response)
    assert "gardé</textarea>" in html(response)
    response = agent_client.post(url("decide", dossier), {
        "decision-outcome": "closed_without_action", "decision-reasons": "Demande en double.", "confirm": "1"})
    assert response.status_code == 302
    assert status_of(dossier) == Status.CLOSED_WITHOUT_ACTION


def test_no_decision_before_the_file_is_complete(agent_client):
    dossier = file_renewal()
    page = html(agent_client.get(url("dossier", dossier)))
    assert 'value="closed_without_action"' in page and 'value="decided_favourable"' not in page
    response = agent_client.post(url("decide", dossier), {"decision-outcome": "decided_favourable"})
    assert response.status_code == 200
    assert "Cette action n'est pas possible : le dossier est « Déposé »." in html(response)
    response = agent_client.post(url("decide", dossier), {})
    assert "Choisissez une décision." in html(response)
    assert status_of(dossier) == Status.SUBMITTED


def test_a_favourable_decision_is_confirmed_then_issues_the_certificate(agent_client, instructor):
    dossier = under_review(instructor)
    biometrics_taken(dossier)
    response = agent_client.post(url("decide", dossier), {"decision-outcome": "decided_favourable"})
    page = html(response)
    assert response.status_code == 200
    assert f"Confirmer la décision – dossier {dossier.reference}" in page
    assert "Décision : Favorable" in page
    assert "une attestation de décision favorable au nom de Amina DIALLO" in page
    assert "titre accordé : « Salarié »" in page
    assert "Le titulaire est autorisé à travailler." in page
    assert status_of(dossier) == Status.UNDER_REVIEW  # nothing recorded before the confirmation

    response = agent_client.post(url("decide", dossier), {"decision-outcome": "decided_favourable", "confirm": "1"},
                                 follow=True)
    assert "La décision est enregistrée. L'attestation de décision favorable est en cours de préparation" in html(
        response)
    assert status_of(dossier) == Status.DECIDED_FAVOURABLE
    assert "Attestation de décision favorable" in html(response)
    # Its PDF is rendered after the commit, by the worker, not in this request: the page says so.
    assert "PDF en cours de préparation" in html(response)


def test_changing_the_decision_on_the_confirmation_page_keeps_what_was_typed(agent_client, instructor):
    dossier = under_review(instructor)
    typed = {"decision-outcome": "decided_unfavourable", "decision-reasons": "Ressources insuffisantes.",
             "decision-appeal_routes": "Recours gracieux sous deux mois."}
    page = html(agent_client.post(url("decide", dossier), typed))
    assert "Ressources insuffisantes." in page and "Recours gracieux sous deux mois." in page
    assert "Décision : Défavorable (refus motivé)" in page
    assert 'name="confirm"' in page
    page = html(agent_client.post(url("decide", dossier), {**typed, "edit": "1"}))
    assert "Ressources insuffisantes.</textarea>" in page
    assert "Recours gracieux sous deux mois.</textarea>" in page
    assert 'value="decided_unfavourable"' in page and "checked" in page
    assert status_of(dossier) == Status.UNDER_REVIEW


def test_favourable_is_not_offered_before_the_fingerprints_are_taken(agent_client, instructor):
    """Regression: "Favorable" was offered as soon as the file was complete, before fingerprints."""
    dossier = under_review(instructor)
    page = html(agent_client.get(url("dossier", dossier)))
    assert 'value="decided_favourable"' not in page
    assert 'value="decided_unfavourable"' in page  # a refusal needs no fingerprints
    assert "Décision favorable possible après le relevé des empreintes." in page
    assert "Demander le relevé d'empreintes" in page

    # Even posted by hand, it is refused, next to the choice, on the first step already.
    response = agent_client.post(url("decide", dossier), {"decision-outcome": "decided_favourable"})
    assert "Une décision favorable n'est possible qu'une fois les empreintes du demandeur relevées au guichet." in (
        html(response))
    response = agent_client.post(url("decide", dossier), {"decision-outcome": "decided_favourable", "confirm": "1"})
    assert "Une décision favorable n'est possible qu'une fois les empreintes" in html(response)
    assert status_of(dossier) == Status.UNDER_REVIEW

    convocation = biometrics_taken(dossier, status="booked")  # convoked, not yet received
    page = html(agent_client.get(url("dossier", dossier)))
    assert 'value="decided_favourable"' not in page
    assert "Demander le relevé d'empreintes" not in page
    assert "Le demandeur est convoqué" in page

    type(convocation).objects.filter(pk=convocation.pk).update(status="done")  # the desk received them
    page = html(agent_client.get(url("dossier", dossier)))
    assert 'value="decided_favourable"' in page
    assert "Empreintes relevées au guichet." in page
    assert "Décision favorable possible après" not in page


def test_favourable_is_offered_at_once_when_the_procedure_needs_no_fingerprints(agent_client, instructor):
    dossier = under_review(instructor)
    dossier.procedure.needs_biometrics = False
    dossier.procedure.save(update_fields=["needs_biometrics"])
    page = html(agent_client.get(url("dossier", dossier)))
    assert 'value="decided_favourable"' in page
    assert "Demander le relevé d'empreintes" not in page
    assert agent_client.post(url("biometrics", dossier)).status_code == 200
    assert not DossierEvent.objects.filter(dossier=dossier, kind="biometrics_requested").exists()
    response = agent_client.post(url("decide", dossier), {"decision-outcome": "decided_favourable", "confirm": "1"})
    assert response.status_code == 302
    assert status_of(dossier) == Status.DECIDED_FAVOURABLE


# --- The card -------------------------------------------------------------------------------------

def test_the_card_goes_through_production_ready_delivered_in_order(agent_client, instructor):
    dossier = under_review(instructor)
    response = agent_client.post(url("card", dossier), {"to": "card_in_production"})
    assert response.status_code == 200
    assert "Cette action n'est pas possible" in html(response)

    biometrics_taken(dossier)
    dossier_decide(dossier=dossier, by=instructor, outcome=Status.DECIDED_FAVOURABLE)
    response = agent_client.post(url("card", dossier), {"to": "card_ready"})
    assert response.status_code == 200  # production comes first
    for step in ("card_in_production", "card_ready", "card_delivered"):
        page = html(agent_client.get(url("dossier", dossier)))
        assert f'name="to" value="{step}"' in page
        # At delivery, what the card says (issue 9: it becomes the holder's permit).
        facts = {}
        if step == "card_delivered":
            facts = {"number": "R0000000001", "valid_from": timezone.localdate().isoformat(),
                     "valid_until": (timezone.localdate() + timedelta(days=365)).isoformat()}
        assert agent_client.post(url("card", dossier), {"to": step, **facts}).status_code == 302
        assert status_of(dossier) == step
    assert "Aucune action possible" in html(agent_client.get(url("dossier", dossier)))


# --- Extension certificates for a late renewal ----------------------------------------------------

def test_an_extension_is_granted_to_a_late_renewal_with_a_reason(agent_client):
    dossier = file_renewal(days_left=30)  # filed late
    assert dossier.filed_on_time is False
    response = agent_client.post(url("extension", dossier), {"extension-reason": ""})
    assert response.status_code == 200
    assert "Indiquez pourquoi l'attestation est accordée." in html(response)
    response = agent_client.post(url("extension", dossier), {"extension-reason": "Hospitalisation attestée."})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.extension_granted is True
    assert "Accorder les attestations" not in html(agent_client.get(url("dossier", dossier)))


def test_an_on_time_renewal_is_not_offered_an_extension(agent_client):
    dossier = file_renewal()
    assert "Accorder les attestations" not in html(agent_client.get(url("dossier", dossier)))


# --- The record -----------------------------------------------------------------------------------

def test_each_action_is_in_the_timeline_and_the_audit_journal(agent_client, instructor):
    dossier = file_renewal()
    agent_client.post(url("take", dossier))
    agent_client.post(url("complete", dossier))
    page = html(agent_client.get(url("dossier", dossier)))
    assert "Dossier attribué" in page and "Déposé → En cours d'instruction" in page

    journal = agent_client.get(url("journal", dossier))
    assert journal.status_code == 200
    rows = [(event.action, event.actor) for event, *_ in journal.context["rows"]]
    assert rows[0] == ("dossier.status_changed", instructor)  # newest first
    assert ("dossier.assigned", instructor) in rows
    assert AuditEvent.objects.filter(object_type="applications.dossier", object_id=str(dossier.pk)).count() == len(rows)


def test_the_journal_is_paginated(agent_client, instructor):
    dossier = file_renewal()
    for _ in range(30):
        AuditEvent.objects.create(actor=instructor, action="dossier.viewed", object_type="applications.dossier",
                                  object_id=str(dossier.pk))
    first = agent_client.get(url("journal", dossier))
    assert len(first.context["rows"]) == 25
    assert "Page suivante" in html(first)
    second = agent_client.get(url("journal", dossier), {"page": 2})
    assert len(second.context["rows"]) == first.context["page"].paginator.count - 25


def test_an_amendment_by_the_applicant_is_highlighted_with_before_and_after(agent_client):
    from applications.services import dossier_amend

    dossier = file_renewal()
    dossier_amend(dossier=dossier, by=dossier.applicant, step="situation", field="phone", value="06 01 02 03 04")
    page = html(agent_client.get(url("dossier", dossier)))
    assert "anef-timeline__amended" in page and "Modification par le demandeur" in page
    assert "Téléphone mobile (facultatif) : « – » → « 06 01 02 03 04 »" in page


# --- Accessibility of the file page ---------------------------------------------------------------

def test_the_file_page_tables_can_be_scrolled_with_the_keyboard(agent_client, instructor):
    """Regression: axe's scrollable-region-focusable on the appointments table of the file page."""
    dossier = under_review(instructor)
    biometrics_taken(dossier, status="booked")
    page = html(agent_client.get(url("dossier", dossier)))
    table = '<div class="fr-table__container" tabindex="0" role="region" aria-label="Rendez-vous liés au dossier">'
    assert table in page
    assert '<div class="fr-table__container" tabindex="0" role="region" aria-label="Identité">' in page
    assert page.count('class="fr-table__container"') == page.count('class="fr-table__container" tabindex="0"')


def test_the_file_page_does_not_claim_there_are_no_blocking_reports(agent_client, instructor):
    """Regression: a "Signalements: none so far" block stood on every file while blocking reports
    could not be made at all (the substitution app has no models yet)."""
    page = html(agent_client.get(url("dossier", under_review(instructor))))
    # The main menu now links to the prefecture's reports (issue 11); the file itself claims nothing.
    assert "Signalements" not in page.split("<main", 1)[1]
