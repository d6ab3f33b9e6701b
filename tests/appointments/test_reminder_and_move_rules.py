"""The 48-hour reminder at its exact bounds and in batches, and the rules of moving an appointment:
who may move it, until when, what the refusal says, what the person is told and who gets the seat."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import AuditEvent
from appointments.models import Booking, SlotOffer
from appointments.services import (
        BookingError,
    booking_create,
    booking_reminders_send,
    booking_reschedule,
    waitlist_join,
)
from appointments.services.bookings import Subject
from notifications.models import Notification
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
#: Tuesday 8 December 2026, 08:00 in Paris.
NOW = datetime(2026, 12, 8, 8, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def reminded(booking: Booking) -> list[str]:
    return sorted(Notification.objects.filter(event="appointment.reminder", object_id=str(booking.pk))
                  .values_list("channel", flat=True))


def book(person, slot) -> Booking:
    return booking_create(person=person, slot=slot, by=person)


# --- Reminders -----------------------------------------------------------------------------------

def test_the_reminder_window_is_after_now_and_up_to_48_hours_included(slot_69, applicant_69):
    slot = slot_69(in_hours=30)
    booking = book(applicant_69(), slot)

    assert booking_reminders_send(now=slot.starts_at - timedelta(hours=48, seconds=1)) == 0
    assert booking_reminders_send(now=slot.starts_at) == 0  # starting now: too late to remind
    at_48_hours = slot.starts_at - timedelta(hours=48)
    assert booking_reminders_send(now=at_48_hours) == 1

    booking.refresh_from_db()
    assert booking.reminder_sent_at == at_48_hours
    assert reminded(booking) == ["email", "inbox"]
    note = Notification.objects.get(event="appointment.reminder", channel="email")
    assert note.recipient == booking.person
    assert "dans moins de 48 heures" in note.body and "Guichet : Guichet 1" in note.body


def test_every_appointment_is_reminded_however_small_the_batches(slot_69, applicant_69):
    bookings = [book(applicant_69(), slot_69(in_hours=hours)) for hours in (20, 30, 40)]

    assert booking_reminders_send(batch_size=1) == 3
    assert [reminded(b) for b in bookings] == [["email", "inbox"]] * 3
    assert booking_reminders_send(batch_size=1) == 0


def test_an_appointment_already_checked_in_is_not_reminded(slot_69, applicant_69):
    booking = book(applicant_69(), slot_69(in_hours=30))
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CHECKED_IN)

    assert booking_reminders_send() == 0
    assert reminded(booking) == []


# --- Moving an appointment -----------------------------------------------------------------------

@pytest.fixture
def convocation(slot_69, applicant_69, agent_69, biometrics):
    """A fingerprints convocation on Thursday that its holder may move up to ``limit`` (a date)."""

    def make(limit):
        person = applicant_69()
        dossier = DossierFactory(applicant=person, status="submitted")
        return booking_create(person=person, slot=slot_69(in_hours=48, motive=biometrics), by=agent_69,
                              kind=Booking.Kind.CONVOCATION, movable_until=limit,
                              subject=Subject("applications.dossier", str(dossier.pk), dossier.reference))

    return make


def test_a_convocation_moves_to_the_last_day_of_its_window_but_not_the_day_after(convocation, slot_69, biometrics):
    limit = NOW.date() + timedelta(days=5)  # Sunday 13th
    booking = convocation(limit)
    last_day = slot_69(in_hours=24 * 5 + 15, motive=biometrics)  # Sunday 23:00
    day_after = slot_69(in_hours=24 * 5 + 16, motive=biometrics)  # Monday 00:00

    with pytest.raises(BookingError) as refusal:
        booking_reschedule(booking=booking, slot=day_after, by=booking.person)
    assert str(refusal.value) == ("Cette convocation ne peut être déplacée qu'à une date allant jusqu'au "
                                  "13/12/2026 au plus tard.")

    moved = booking_reschedule(booking=booking, slot=last_day, by=booking.person)
    assert moved.slot == last_day
    assert (moved.kind, moved.movable_until, moved.subject_type, moved.subject_id) == (
        Booking.Kind.CONVOCATION, limit, booking.subject_type, booking.subject_id)


def test_a_convocation_without_a_window_names_today_in_its_refusal(convocation, slot_69, biometrics):
    booking = convocation(None)

    with pytest.raises(BookingError) as refusal:
        booking_reschedule(booking=booking, slot=slot_69(in_hours=50, motive=biometrics), by=booking.person)

    assert str(refusal.value) == ("Cette convocation ne peut être déplacée qu'à une date allant jusqu'au "
                                  "08/12/2026 au plus tard.")


def test_a_moved_appointment_is_told_to_its_holder_and_its_old_seat_offered(
    slot_69, applicant_69, pan_assistance, site_69, mails,
):
    person, waiting = applicant_69(), applicant_69()
    old_slot, new_slot = slot_69(in_hours=24), slot_69(in_hours=72)
    booking = book(person, old_slot)
    waitlist_join(person=waiting, motive=pan_assistance, site=site_69)

    with mails():
        moved = booking_reschedule(booking=booking, slot=new_slot, by=person)

    changed = Notification.objects.get(event="appointment.changed", channel="email")
    assert changed.recipient == person and changed.object_id == str(moved.pk)
    assert changed.subject == "Rendez-vous déplacé au 11/12/2026 à 08:00"
    assert not Notification.objects.filter(event="appointment.cancelled").exists()
    offer = SlotOffer.objects.get(slot=old_slot)
    assert offer.entry.person == waiting
    assert list(AuditEvent.objects.filter(object_id__in=[str(booking.pk), str(moved.pk)])
                .order_by("id").values_list("action", "actor")) == [
        ("booking.self", person.pk), ("booking.cancelled", person.pk), ("booking.self", person.pk)]
    assert moved.created_by == person


def test_an_appointment_that_is_not_booked_any_more_or_has_begun_cannot_be_moved(slot_69, applicant_69):
    person = applicant_69()
    started_slot = slot_69(in_hours=1)
    started = book(person, started_slot)
    target = slot_69(in_hours=72)

    with time_machine.travel(started_slot.starts_at, tick=False), pytest.raises(BookingError) as refusal:
        booking_reschedule(booking=started, slot=target, by=person)
    assert str(refusal.value) == "Ce rendez-vous ne peut plus être déplacé."

    Booking.objects.filter(pk=started.pk).update(status=Booking.Status.CHECKED_IN)
    with pytest.raises(BookingError) as refusal:
        booking_reschedule(booking=started, slot=target, by=person)
    assert str(refusal.value) == "Ce rendez-vous ne peut plus être déplacé."
    target.refresh_from_db()
    assert target.booked == 0


def test_moving_to_another_motive_says_to_choose_the_same_one(slot_69, applicant_69, biometrics):
    person = applicant_69()
    booking = book(person, slot_69(in_hours=24))
    with pytest.raises(BookingError) as refusal:
        booking_reschedule(booking=booking, slot=slot_69(in_hours=48, motive=biometrics), by=person)
    assert str(refusal.value) == "Choisissez un créneau pour le même motif."
