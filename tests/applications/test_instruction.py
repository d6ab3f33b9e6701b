"""Back-office actions through the services: rights, state guards and required reasons."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications.models import Attachment, ComplementRequest, Dossier, DossierEvent, Status
from applications.services import (
    attachment_add,
    attachment_review,
    biometrics_request,
    card_mark,
    complements_request,
    dossier_assign,
    dossier_decide,
    dossier_mark_complete,
    extension_grant,
)
from applications.workflow import TransitionNotAllowed
from tests.applications.helpers import pdf_file
from tests.factories import DossierFactory, StaffFactory, biometrics_taken, prefecture, procedure

pytestmark = pytest.mark.django_db


def test_an_agent_of_another_prefecture_can_do_nothing():
    dossier = DossierFactory(status="submitted", prefecture=prefecture("33"))
    agent = StaffFactory()  # Rhône
    for action in (
        lambda: dossier_mark_complete(dossier=dossier, by=agent),
        lambda: dossier_assign(dossier=dossier, agent=agent, by=agent),
        lambda: biometrics_request(dossier=dossier, by=agent),
        lambda: dossier_decide(dossier=dossier, by=agent, outcome="decided_favourable"),
        lambda: complements_request(dossier=dossier, by=agent, document_types=[], message="x",
                                    due_on=timezone.localdate() + timedelta(days=5)),
    ):
        with pytest.raises(PermissionDenied):
            action()
    assert DossierEvent.objects.filter(dossier=dossier).count() == 0


def test_an_agent_takes_a_file_but_only_a_supervisor_assigns_it_to_someone_else():
    dossier = DossierFactory(status="submitted")
    agent, colleague = StaffFactory(), StaffFactory()
    supervisor = StaffFactory(supervisor=True)
    dossier_assign(dossier=dossier, agent=agent, by=agent)
    with pytest.raises(PermissionDenied):
        dossier_assign(dossier=dossier, agent=colleague, by=agent)
    with pytest.raises(PermissionDenied):
        dossier_assign(dossier=dossier, agent=colleague, by=colleague)  # taken already
    dossier_assign(dossier=dossier, agent=colleague, by=supervisor)
    dossier.refresh_from_db()
    assert dossier.assigned_to == colleague
    with pytest.raises(ValidationError):
        dossier_assign(dossier=dossier, agent=StaffFactory(role__code="33"), by=supervisor)


def test_wrong_states_are_refused():
    agent = StaffFactory()
    with pytest.raises(TransitionNotAllowed):
        dossier_mark_complete(dossier=DossierFactory(status="under_review"), by=agent)
    with pytest.raises(TransitionNotAllowed):
        dossier_decide(dossier=DossierFactory(status="submitted"), by=agent, outcome="decided_favourable")
    with pytest.raises(TransitionNotAllowed):
        card_mark(dossier=DossierFactory(status="decided_favourable"), by=agent, to="card_ready")
    submitted = DossierFactory(status="submitted")
    with pytest.raises(ValidationError) as error:
        biometrics_request(dossier=submitted, by=agent)
    assert error.value.code == "not_under_review"  # not "no_free_slot", which a ValidationError also is


def test_decisions_need_their_reasons(mails):
    agent = StaffFactory()
    dossier = DossierFactory(status="under_review")
    with pytest.raises(ValidationError) as error:
        dossier_decide(dossier=dossier, by=agent, outcome="decided_unfavourable", reasons="", appeal_routes="")
    assert set(error.value.message_dict) == {"reasons", "appeal_routes"}
    with pytest.raises(ValidationError) as error:
        dossier_decide(dossier=dossier, by=agent, outcome="closed_without_action")
    assert set(error.value.message_dict) == {"reasons"}
    with mails():
        dossier_decide(dossier=dossier, by=agent, outcome="decided_unfavourable",
                       reasons="Ressources insuffisantes.",
                       appeal_routes="Recours gracieux ou contentieux sous deux mois.")
    dossier.refresh_from_db()
    assert dossier.status == Status.DECIDED_UNFAVOURABLE and dossier.decided_at and dossier.closed_at
    assert dossier.decision_reasons == "Ressources insuffisantes."


def test_a_favourable_decision_waits_for_the_fingerprints_when_the_procedure_needs_them(mails):
    agent = StaffFactory()
    dossier = DossierFactory(status="under_review")
    assert dossier.procedure.needs_biometrics
    for state in (None, "booked", "checked_in", "no_show", "cancelled"):
        if state:
            booking = biometrics_taken(dossier, status=state)
        with pytest.raises(ValidationError) as error:
            dossier_decide(dossier=dossier, by=agent, outcome="decided_favourable")
        assert error.value.message_dict == {"outcome": [
            "Une décision favorable n'est possible qu'une fois les empreintes du demandeur relevées au guichet."]}
        if state:
            type(booking).objects.filter(pk=booking.pk).update(status="cancelled")
    dossier.refresh_from_db()
    assert dossier.status == Status.UNDER_REVIEW and not dossier.decided_at

    biometrics_taken(dossier)  # the desk received the applicant
    with mails():
        dossier_decide(dossier=dossier, by=agent, outcome="decided_favourable")
    dossier.refresh_from_db()
    assert dossier.status == Status.DECIDED_FAVOURABLE


def test_a_procedure_without_fingerprints_is_decided_without_a_convocation(mails):
    agent = StaffFactory()
    dossier = DossierFactory(status="under_review", procedure=procedure("changement-adresse"))
    assert not dossier.procedure.needs_biometrics  # the demo catalogue says so
    with pytest.raises(ValidationError) as error:
        biometrics_request(dossier=dossier, by=agent)
    assert error.value.code == "not_needed"
    with mails():
        dossier_decide(dossier=dossier, by=agent, outcome="decided_favourable")
    dossier.refresh_from_db()
    assert dossier.status == Status.DECIDED_FAVOURABLE


def test_fingerprints_taken_are_not_requested_again():
    agent = StaffFactory()
    dossier = DossierFactory(status="under_review")
    biometrics_taken(dossier)
    with pytest.raises(ValidationError) as error:
        biometrics_request(dossier=dossier, by=agent)
    assert error.value.code == "already_done"


def test_complements_need_something_and_a_future_date(mails):
    agent = StaffFactory()
    dossier = DossierFactory(status="under_review")
    with pytest.raises(ValidationError) as error:
        complements_request(dossier=dossier, by=agent, document_types=[], message=" ", due_on=timezone.localdate())
    assert set(error.value.message_dict) == {"document_types", "due_on"}
    passport = dossier.procedure.requirements.first().document_type
    with mails():
        request = complements_request(dossier=dossier, by=agent, document_types=[passport], message="",
                                      due_on=timezone.localdate() + timedelta(days=10))
    assert list(request.document_types.all()) == [passport]
    assert ComplementRequest.objects.filter(dossier=dossier, answered_at__isnull=True).count() == 1


def test_a_rejected_attachment_needs_a_reason_the_applicant_will_read(mails):
    agent = StaffFactory()
    dossier = DossierFactory(status="under_review")
    document_type = dossier.procedure.requirements.first().document_type
    with mails():
        attachment = attachment_add(dossier=dossier, document_type=document_type, uploaded_file=pdf_file(),
                                    by=dossier.applicant)
    with pytest.raises(ValidationError):
        attachment_review(attachment=attachment, by=agent, accepted=False, reason="")
    with mails():
        attachment_review(attachment=attachment, by=agent, accepted=False, reason="Illisible")
    attachment.refresh_from_db()
    assert (attachment.review, attachment.review_reason) == (Attachment.Review.REJECTED, "Illisible")


def test_only_a_late_renewal_under_instruction_can_be_granted_an_extension():
    agent = StaffFactory()
    late = DossierFactory(status="under_review", filed_on_time=False)
    with pytest.raises(ValidationError) as error:
        extension_grant(dossier=late, by=agent, reason="")
    assert set(error.value.message_dict) == {"reason"}
    extension_grant(dossier=late, by=agent, reason="Retard dû à une panne du service en ligne")
    late.refresh_from_db()
    assert late.extension_granted
    first_request = DossierFactory(status="under_review", procedure=procedure("premiere-demande-salarie"))
    with pytest.raises(ValidationError) as error:
        extension_grant(dossier=first_request, by=agent, reason="x")
    assert error.value.messages == ["Seul un renouvellement en cours d'instruction peut en bénéficier."]
    first_request.refresh_from_db()
    assert first_request.extension_granted is False


def test_a_refused_decision_leaves_the_recorded_reasons_alone(mails):
    """The reasons were once written before the row was locked and the state checked: a decision
    refused for the dossier's state overwrote the reasons of the decision already taken."""
    agent = StaffFactory()
    dossier = DossierFactory(status="under_review")
    with mails():
        dossier_decide(dossier=dossier, by=agent, outcome="decided_unfavourable", reasons="Ressources insuffisantes.",
                       appeal_routes="Recours gracieux sous deux mois.")
    with pytest.raises(TransitionNotAllowed):
        dossier_decide(dossier=dossier, by=agent, outcome="closed_without_action", reasons="Doublon.")
    with pytest.raises(PermissionDenied):
        dossier_decide(dossier=DossierFactory(status="under_review"), by=StaffFactory(role__code="13"),
                       outcome="closed_without_action", reasons="Doublon.")
    dossier.refresh_from_db()
    assert dossier.status == Status.DECIDED_UNFAVOURABLE
    assert (dossier.decision_reasons, dossier.appeal_routes) == ("Ressources insuffisantes.",
                                                                 "Recours gracieux sous deux mois.")
    assert not Dossier.objects.filter(decision_reasons="Doublon.").exists()
