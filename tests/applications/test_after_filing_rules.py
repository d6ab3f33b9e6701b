"""After filing (``applications/services/dossiers.py``): who may make each move, the dates each move
stamps, what a correction or an answer keeps on the timeline, and the messages of a refusal."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications.models import ComplementRequest, DossierEvent, Status
from applications.services import (
    attachment_add,
    complements_answer,
    dossier_amend,
    dossier_transition,
    dossier_withdraw,
)
from applications.services.dossiers import transition_actor_check
from tests.applications.helpers import pdf_file
from tests.factories import DossierFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def message_of(error) -> str:
    return " ".join(error.value.messages)


# --- Who may make a move -------------------------------------------------------------------------

def test_only_the_applicant_withdraws_their_request():
    dossier = DossierFactory(filed=True)
    for someone in (UserFactory(), StaffFactory()):
        with pytest.raises(PermissionDenied) as refusal:
            dossier_withdraw(dossier=dossier, by=someone)
        assert str(refusal.value) == "Seul le demandeur peut faire cette démarche sur son dossier."
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED


def test_only_a_verified_agent_of_the_prefecture_takes_a_file_under_review():
    dossier = DossierFactory(filed=True)
    for someone in (dossier.applicant, StaffFactory(verified=False), None):
        with pytest.raises(PermissionDenied) as refusal:
            dossier_transition(dossier=dossier, to=Status.UNDER_REVIEW, by=someone)
        assert str(refusal.value) == "Seul un agent de la préfecture du dossier peut faire cette action."
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED and dossier.completed_at is None


# --- The dates each move stamps ------------------------------------------------------------------

def test_taking_a_file_under_review_stamps_it_complete_and_nothing_else():
    dossier = DossierFactory(filed=True)
    with time_machine.travel(timezone.now(), tick=False):
        dossier_transition(dossier=dossier, to=Status.UNDER_REVIEW, by=StaffFactory())
        now = timezone.now()
    dossier.refresh_from_db()
    assert (dossier.status, dossier.completed_at, dossier.decided_at, dossier.closed_at) == (
        Status.UNDER_REVIEW, now, None, None)
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.STATUS_CHANGED)
    assert (event.from_status, event.to_status) == (Status.SUBMITTED, Status.UNDER_REVIEW)


def test_a_withdrawal_closes_the_file_with_its_reason_trimmed_and_cut():
    dossier = DossierFactory(filed=True)
    with time_machine.travel(timezone.now(), tick=False):
        dossier_withdraw(dossier=dossier, by=dossier.applicant, reason="  " + "m" * 600 + "  ")
        now = timezone.now()
    dossier.refresh_from_db()
    assert (dossier.status, dossier.closed_at, dossier.decided_at) == (Status.WITHDRAWN, now, None)
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.WITHDRAWN)
    assert event.data == {"reason": "m" * 500}
    assert (event.from_status, event.to_status) == (Status.SUBMITTED, Status.WITHDRAWN)


def test_a_request_for_complements_pauses_the_clock_and_remembers_where_the_file_was():
    dossier = DossierFactory(under_review=True)
    deadline = dossier.legal_deadline

    dossier_transition(dossier=dossier, to=Status.COMPLEMENTS_REQUESTED, by=StaffFactory())

    dossier.refresh_from_db()
    assert (dossier.resume_status, dossier.clock_paused_on, dossier.legal_deadline) == (
        Status.UNDER_REVIEW, timezone.localdate(), deadline)


def test_complements_asked_right_after_filing_do_not_stamp_the_file_complete():
    dossier = DossierFactory(filed=True)
    dossier_transition(dossier=dossier, to=Status.COMPLEMENTS_REQUESTED, by=StaffFactory())
    dossier.refresh_from_db()
    assert (dossier.status, dossier.completed_at) == (Status.COMPLEMENTS_REQUESTED, None)


def test_an_answer_keeps_the_date_the_file_was_found_complete():
    dossier = DossierFactory(complements=True)  # found complete eight days ago
    completed_at = dossier.completed_at
    complements_answer(dossier=dossier, by=dossier.applicant, message="Voici.")
    dossier.refresh_from_db()
    assert (dossier.status, dossier.completed_at) == (Status.UNDER_REVIEW, completed_at)


# --- Answering complements -----------------------------------------------------------------------

def test_an_answer_resumes_the_clock_by_the_days_waited_and_goes_back_where_the_file_was():
    dossier = DossierFactory(complements=True)  # paused two days ago, was under review
    deadline = dossier.legal_deadline

    complements_answer(dossier=dossier, by=dossier.applicant, message="  Voici mon bulletin.  ")

    dossier.refresh_from_db()
    assert dossier.status == Status.UNDER_REVIEW
    assert (dossier.legal_deadline, dossier.clock_paused_on) == (deadline + timedelta(days=2), None)
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.COMPLEMENTS_ANSWERED)
    assert event.data == {"message": "Voici mon bulletin."}
    assert (event.from_status, event.to_status) == (Status.COMPLEMENTS_REQUESTED, Status.UNDER_REVIEW)
    assert not ComplementRequest.objects.filter(dossier=dossier, answered_at__isnull=True).exists()


def test_an_answer_to_complements_asked_right_after_filing_goes_back_to_filed():
    dossier = DossierFactory(complements=True, resume_status="")
    complements_answer(dossier=dossier, by=dossier.applicant, message="Voici.")
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED


def test_an_empty_answer_is_refused_and_the_file_keeps_waiting():
    dossier = DossierFactory(complements=True)
    with pytest.raises(ValidationError) as refusal:
        complements_answer(dossier=dossier, by=dossier.applicant, message="   ")
    assert message_of(refusal) == "Ajoutez les documents demandés ou écrivez une réponse avant d'envoyer."
    dossier.refresh_from_db()
    assert dossier.status == Status.COMPLEMENTS_REQUESTED
    assert ComplementRequest.objects.filter(dossier=dossier, answered_at__isnull=True).exists()


def test_an_answer_is_cut_to_2000_characters():
    dossier = DossierFactory(complements=True)
    complements_answer(dossier=dossier, by=dossier.applicant, message="r" * 2100)
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.COMPLEMENTS_ANSWERED)
    assert event.data == {"message": "r" * 2000}


# --- Corrections -----------------------------------------------------------------------------------

def test_a_correction_is_trimmed_kept_on_the_timeline_and_a_same_value_writes_nothing():
    dossier = DossierFactory(filed=True, answers={"situation": {"city": "Lyon"}})

    dossier_amend(dossier=dossier, by=dossier.applicant, step="situation", field="city", value="  Villeurbanne ")
    dossier_amend(dossier=dossier, by=dossier.applicant, step="situation", field="city", value="Villeurbanne")

    dossier.refresh_from_db()
    assert dossier.answers == {"situation": {"city": "Villeurbanne"}}
    events = DossierEvent.objects.filter(dossier=dossier, kind=DossierEvent.Kind.AMENDED)
    assert [e.data for e in events] == [
        {"step": "situation", "field": "city", "before": "Lyon", "after": "Villeurbanne"}]
    assert events[0].actor == dossier.applicant


@pytest.mark.parametrize("typed", ["02/03/1990", "1990-03-02"])
def test_a_corrected_birth_date_is_stored_as_the_filing_form_stores_it(typed):
    dossier = DossierFactory(filed=True, answers={"identity": {"birth_date": "1990-02-03"}})
    dossier_amend(dossier=dossier, by=dossier.applicant, step="identity", field="birth_date", value=typed)
    dossier.refresh_from_db()
    assert dossier.answers["identity"]["birth_date"] == "1990-03-02"


@pytest.mark.parametrize(("step", "field", "status", "message"), [
    ("identity", "email", "submitted", "Cette réponse ne peut pas être corrigée en ligne."),
    ("questions", "city", "submitted", "Cette réponse ne peut pas être corrigée en ligne."),
    ("situation", "city", "decided_favourable",
     "Une fois la décision prise, les réponses ne peuvent plus être corrigées."),
])
def test_a_correction_out_of_bounds_is_refused_with_its_message(step, field, status, message):
    dossier = DossierFactory(status=status, answers={"situation": {"city": "Lyon"}})
    with pytest.raises(ValidationError) as refusal:
        dossier_amend(dossier=dossier, by=dossier.applicant, step=step, field=field, value="Paris")
    assert message_of(refusal) == message
    dossier.refresh_from_db()
    assert dossier.answers == {"situation": {"city": "Lyon"}}


def test_a_withdrawal_without_a_reason_keeps_an_empty_reason():
    dossier = DossierFactory(filed=True)
    dossier_withdraw(dossier=dossier, by=dossier.applicant)
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.WITHDRAWN)
    assert event.data == {"reason": ""}


def test_a_step_the_table_gives_to_the_portal_is_refused_to_any_person():
    dossier = DossierFactory(filed=True)
    for someone in (dossier.applicant, StaffFactory()):
        with pytest.raises(PermissionDenied) as refusal:
            transition_actor_check(dossier=dossier, who="system", by=someone)
        assert str(refusal.value) == "Cette étape est faite par le portail, pas par une personne."
    transition_actor_check(dossier=dossier, who="system", by=None)


# --- Answering complements: what counts as an answer ----------------------------------------------

def test_a_file_that_waits_for_no_complement_cannot_be_answered_even_empty():
    dossier = DossierFactory(under_review=True)
    with pytest.raises(ValidationError) as refusal:
        complements_answer(dossier=dossier, by=dossier.applicant, message="")
    assert message_of(refusal) == "Cette action n'est pas possible : le dossier est « En cours d'instruction »."


def test_a_piece_sent_before_the_request_does_not_answer_it():
    dossier = DossierFactory(complements=True)  # asked two days ago
    first = dossier.procedure.requirements.order_by("position").first().document_type
    with time_machine.travel(timezone.now() - timedelta(days=5)):
        attachment_add(dossier=dossier, document_type=first, uploaded_file=pdf_file(), by=dossier.applicant)

    with pytest.raises(ValidationError) as refusal:
        complements_answer(dossier=dossier, by=dossier.applicant, message="")
    assert message_of(refusal) == "Ajoutez les documents demandés ou écrivez une réponse avant d'envoyer."

    attachment_add(dossier=dossier, document_type=first, uploaded_file=pdf_file(), by=dossier.applicant)
    complements_answer(dossier=dossier, by=dossier.applicant, message="")
    dossier.refresh_from_db()
    assert dossier.status == Status.UNDER_REVIEW


def test_an_answer_closes_the_open_request_of_this_file_only():
    dossier, other = DossierFactory(complements=True), DossierFactory(complements=True)
    earlier_answer = timezone.now() - timedelta(days=20)
    earlier = ComplementRequest.objects.create(
        dossier=dossier, requested_at=earlier_answer - timedelta(days=5), message="Votre passeport.",
        due_on=timezone.localdate(), answered_at=earlier_answer)

    complements_answer(dossier=dossier, by=dossier.applicant, message="Voici.")

    earlier.refresh_from_db()
    assert earlier.answered_at == earlier_answer
    assert ComplementRequest.objects.filter(dossier=dossier, answered_at__isnull=True).count() == 0
    assert ComplementRequest.objects.filter(dossier=other, answered_at__isnull=True).count() == 1


# --- Corrections: empty and first answers ----------------------------------------------------------

def test_a_correction_may_empty_an_answer():
    dossier = DossierFactory(filed=True, answers={"situation": {"occupation": "Cuisinier"}})
    dossier_amend(dossier=dossier, by=dossier.applicant, step="situation", field="occupation", value="  ")
    dossier.refresh_from_db()
    assert dossier.answers == {"situation": {"occupation": ""}}
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.AMENDED)
    assert event.data == {"step": "situation", "field": "occupation", "before": "Cuisinier", "after": ""}


def test_a_correction_of_an_answer_never_given_is_kept_with_an_empty_before():
    dossier = DossierFactory(filed=True, answers={})
    dossier_amend(dossier=dossier, by=dossier.applicant, step="situation", field="phone", value="06 12 34 56 78")
    dossier_amend(dossier=dossier, by=dossier.applicant, step="identity", field="birth_place", value="")

    dossier.refresh_from_db()
    assert dossier.answers == {"situation": {"phone": "06 12 34 56 78"}}
    event = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.AMENDED)
    assert event.data == {"step": "situation", "field": "phone", "before": "", "after": "06 12 34 56 78"}


@pytest.mark.parametrize("typed", ["31/02/1990", "2 mars 1990", ""])
def test_an_unreadable_birth_date_is_refused_with_the_format_to_type(typed):
    dossier = DossierFactory(filed=True, answers={"identity": {"birth_date": "1990-02-03"}})
    with pytest.raises(ValidationError) as refusal:
        dossier_amend(dossier=dossier, by=dossier.applicant, step="identity", field="birth_date", value=typed)
    assert message_of(refusal) == "Saisissez une date au format jj/mm/aaaa, par exemple 02/03/1990."
    dossier.refresh_from_db()
    assert dossier.answers == {"identity": {"birth_date": "1990-02-03"}}
