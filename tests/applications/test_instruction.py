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
        with pytest.raises(PermissionDenied) as error:
            action()
        assert str(error.value) == "Ce dossier ne relève pas de votre préfecture."  # shown on the 403 page
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
    assert (dossier.decision_reasons, dossier.appeal_routes) == ("", "")
    certificate = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.CERTIFICATE_ISSUED)
    assert certificate.actor == agent  # the journal names who issued the favourable-decision certificate


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
    assert error.value.message_dict == {"document_types": ["Choisissez au moins une pièce ou précisez ce qui manque."],
                                        "due_on": ["La date limite doit être dans le futur."]}
    with pytest.raises(ValidationError) as error:
        complements_request(dossier=dossier, by=agent, document_types=[], message="Le verso",
                            due_on=timezone.localdate() + timedelta(days=366))
    assert error.value.message_dict == {"due_on": ["La date limite ne peut pas dépasser un an."]}
    passport = dossier.procedure.requirements.first().document_type
    due_on = timezone.localdate() + timedelta(days=365)  # a year at most, that day included
    with mails():
        request = complements_request(dossier=dossier, by=agent, document_types=[passport], message=" " + "é" * 2001,
                                      due_on=due_on)
    assert list(request.document_types.all()) == [passport]
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.COMPLEMENTS_REQUESTED)
    assert event.data == {"documents": [passport.name], "message": "é" * 2000, "due_on": due_on.isoformat()}
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


def test_an_extension_is_refused_on_time_or_after_the_decision_and_granted_once_with_its_reason():
    agent = StaffFactory()
    on_time = DossierFactory(status="under_review", filed_on_time=True)
    with pytest.raises(ValidationError) as error:
        extension_grant(dossier=on_time, by=agent, reason="Panne.")
    assert error.value.messages == [
        "Ce renouvellement a été déposé à temps : l'attestation est déjà automatique."]
    decided = DossierFactory(status="decided_unfavourable", filed_on_time=False)
    with pytest.raises(ValidationError) as error:
        extension_grant(dossier=decided, by=agent, reason="Panne.")
    assert error.value.messages == ["Seul un renouvellement en cours d'instruction peut en bénéficier."]
    with pytest.raises(ValidationError) as error:
        extension_grant(dossier=decided, by=agent, reason="  ")
    assert error.value.message_dict == {"reason": ["Indiquez pourquoi l'attestation est accordée."]}

    late = DossierFactory(status="under_review", filed_on_time=False)
    extension_grant(dossier=late, by=agent, reason="  Hospitalisation attestée.\n")
    extension_grant(dossier=late, by=agent, reason="Une seconde fois.")
    events = DossierEvent.objects.filter(dossier=late, kind=DossierEvent.Kind.EXTENSION_GRANTED)
    assert [(event.actor, event.data) for event in events] == [(agent, {"reason": "Hospitalisation attestée."})]
    assert Dossier.objects.get(pk=late.pk).extension_granted is True
    assert not Dossier.objects.filter(pk__in=[on_time.pk, decided.pk], extension_granted=True).exists()


def test_an_accepted_attachment_keeps_no_reason_and_tells_nobody_a_rejected_one_tells_why(mails):
    from django.core import mail

    agent = StaffFactory()
    dossier = DossierFactory(status="under_review")
    document_type = dossier.procedure.requirements.first().document_type
    with mails():
        attachment = attachment_add(dossier=dossier, document_type=document_type, uploaded_file=pdf_file(),
                                    by=dossier.applicant)
    mail.outbox.clear()
    with mails():
        attachment_review(attachment=attachment, by=agent, accepted=True, reason="Lisible")
    attachment.refresh_from_db()
    assert (attachment.review, attachment.review_reason) == (Attachment.Review.ACCEPTED, "")
    assert mail.outbox == []
    with pytest.raises(ValidationError) as error:
        attachment_review(attachment=attachment, by=agent, accepted=False, reason=" \n")
    assert error.value.message_dict == {"reason": ["Indiquez pourquoi la pièce est refusée : le demandeur le lira."]}
    with mails():
        attachment_review(attachment=attachment, by=agent, accepted=False, reason="  Illisible  ")
    attachment.refresh_from_db()
    assert (attachment.review, attachment.review_reason) == (Attachment.Review.REJECTED, "Illisible")
    assert [message.subject for message in mail.outbox] == [f"Dossier n° {dossier.reference} : une pièce est refusée"]
    assert "est refusée : Illisible." in mail.outbox[0].body
    events = DossierEvent.objects.filter(dossier=dossier, kind=DossierEvent.Kind.ATTACHMENT_REVIEWED).order_by("pk")
    assert [(event.actor, event.data) for event in events] == [
        (agent, {"document_type": document_type.name, "accepted": True, "reason": ""}),
        (agent, {"document_type": document_type.name, "accepted": False, "reason": "Illisible"}),
    ]

    dossier.status = Status.DECIDED_FAVOURABLE
    dossier.save(update_fields=["status"])
    with pytest.raises(ValidationError) as error:
        attachment_review(attachment=attachment, by=agent, accepted=True)
    assert error.value.messages == ["Les pièces ne se vérifient que pendant l'instruction."]
    with pytest.raises(PermissionDenied):
        attachment_review(attachment=attachment, by=StaffFactory(role__code="13"), accepted=True)
    attachment.refresh_from_db()
    assert attachment.review == Attachment.Review.REJECTED


def test_a_decision_says_which_field_is_missing_and_records_the_reasons_as_typed(mails):
    agent = StaffFactory()
    dossier = DossierFactory(status="under_review", procedure=procedure("changement-adresse"))
    with pytest.raises(ValidationError) as error:
        dossier_decide(dossier=dossier, by=agent, outcome="decided_unfavourable", reasons=" ", appeal_routes=" ")
    assert error.value.message_dict == {"reasons": ["Une décision défavorable doit être motivée."],
                                        "appeal_routes": ["Indiquez les voies et délais de recours."]}
    with pytest.raises(ValidationError) as error:
        dossier_decide(dossier=dossier, by=agent, outcome="decided_unfavourable", reasons="Ressources.")
    assert error.value.message_dict == {"appeal_routes": ["Indiquez les voies et délais de recours."]}
    with pytest.raises(ValidationError) as error:
        dossier_decide(dossier=dossier, by=agent, outcome="decided_unfavourable", appeal_routes="Deux mois.")
    assert error.value.message_dict == {"reasons": ["Une décision défavorable doit être motivée."]}
    with pytest.raises(ValidationError) as error:
        dossier_decide(dossier=dossier, by=agent, outcome="closed_without_action", reasons=" ")
    assert error.value.message_dict == {"reasons": ["Indiquez pourquoi le dossier est classé sans suite."]}
    for outcome in ("", "card_delivered", "submitted"):
        with pytest.raises(ValidationError) as error:
            dossier_decide(dossier=dossier, by=agent, outcome=outcome, reasons="x", appeal_routes="y")
        assert error.value.message_dict == {"outcome": ["Choisissez une décision."]}

    with mails():
        dossier_decide(dossier=dossier, by=agent, outcome="closed_without_action", reasons="  Doublon du n° 12.\n",
                       appeal_routes=" Aucune. ")
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED_WITHOUT_ACTION
    assert (dossier.decision_reasons, dossier.appeal_routes) == ("Doublon du n° 12.", "Aucune.")
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.DECIDED)
    assert (event.actor, event.data) == (agent, {"outcome": "closed_without_action", "reasons": "Doublon du n° 12."})


def test_the_journal_keeps_the_first_characters_of_a_long_reason(mails):
    agent = StaffFactory()
    late = DossierFactory(status="under_review", filed_on_time=False)
    extension_grant(dossier=late, by=agent, reason="r" * 1200)
    assert DossierEvent.objects.get(dossier=late, kind="extension_granted").data == {"reason": "r" * 1000}

    dossier = DossierFactory(status="under_review", procedure=procedure("changement-adresse"))
    document_type = dossier.procedure.requirements.first().document_type
    with mails():
        attachment = attachment_add(dossier=dossier, document_type=document_type, uploaded_file=pdf_file(),
                                    by=dossier.applicant)
    with pytest.raises(ValidationError):
        attachment_review(attachment=attachment, by=agent, accepted=False)  # no reason given at all
    with mails():
        attachment_review(attachment=attachment, by=agent, accepted=False, reason="p" * 1200)
    attachment.refresh_from_db()
    assert attachment.review_reason == "p" * 1000

    with mails():
        dossier_decide(dossier=dossier, by=agent, outcome="closed_without_action", reasons="d" * 2500)
    dossier.refresh_from_db()
    assert dossier.decision_reasons == "d" * 2500  # the decision keeps them whole
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.DECIDED)
    assert event.data == {"outcome": "closed_without_action", "reasons": "d" * 2000}


def test_the_timeline_names_who_a_file_goes_to_and_from_and_refusals_say_why():
    dossier = DossierFactory(status="submitted")
    agent, colleague = StaffFactory(), StaffFactory()
    supervisor = StaffFactory(supervisor=True)
    dossier_assign(dossier=dossier, agent=agent, by=agent)
    with pytest.raises(PermissionDenied) as error:
        dossier_assign(dossier=dossier, agent=colleague, by=agent)
    assert str(error.value) == "Seul un chef de bureau peut attribuer un dossier à un autre agent."
    with pytest.raises(ValidationError) as error:
        dossier_assign(dossier=dossier, agent=StaffFactory(role__code="33"), by=supervisor)
    assert error.value.messages == ["Cet agent n'est pas habilité dans la préfecture du dossier."]
    dossier_assign(dossier=dossier, agent=colleague, by=supervisor)
    dossier_assign(dossier=dossier, agent=None, by=supervisor)
    events = DossierEvent.objects.filter(dossier=dossier, kind=DossierEvent.Kind.ASSIGNED).order_by("pk")
    assert [event.data for event in events] == [
        {"to": agent.get_full_name(), "from": ""},
        {"to": colleague.get_full_name(), "from": agent.get_full_name()},
        {"to": "", "from": colleague.get_full_name()},
    ]
