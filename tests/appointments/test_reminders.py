"""Reminders 48 hours before an appointment: once, and never for a cancelled or past one."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from appointments.models import Booking
from appointments.services import (
    booking_cancel,
    booking_create,
    booking_reminders_send,
    booking_reschedule,
)
from appointments.tasks import send_reminders
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def reminders(booking: Booking) -> int:
    return Notification.objects.filter(event="appointment.reminder", object_id=str(booking.pk),
                                       channel="email").count()


def book(person, slot) -> Booking:
    return booking_create(person=person, slot=slot, by=person)


def test_a_reminder_is_sent_once_even_if_the_job_runs_twice(slot_69, applicant_69, mails):
    booking = book(applicant_69(), slot_69(in_hours=30))

    with mails():
        assert booking_reminders_send() == 1
    with mails():
        assert booking_reminders_send() == 0
        assert send_reminders.delay().get() == 0  # the scheduled task, as beat runs it

    booking.refresh_from_db()
    assert booking.reminder_sent_at is not None
    assert reminders(booking) == 1
    assert [m.to for m in mail.outbox] == [[booking.person.email]]  # one e-mail, for the reminder


def test_no_reminder_for_a_cancelled_appointment(slot_69, applicant_69):
    person = applicant_69()
    booking = book(person, slot_69(in_hours=30))
    booking_cancel(booking=booking, by=person)

    assert booking_reminders_send() == 0
    assert reminders(booking) == 0


def test_no_reminder_for_a_past_appointment(slot_69, applicant_69):
    slot = slot_69(in_hours=30)
    booking = book(applicant_69(), slot)

    with time_machine.travel(slot.starts_at + timedelta(minutes=1)):
        assert booking_reminders_send() == 0
    assert reminders(booking) == 0


def test_no_reminder_more_than_48_hours_ahead(slot_69, applicant_69):
    slot = slot_69(in_hours=52)
    booking = book(applicant_69(), slot)

    assert booking_reminders_send() == 0
    with time_machine.travel(slot.starts_at - timedelta(hours=48, minutes=1)):
        assert booking_reminders_send() == 0
    with time_machine.travel(slot.starts_at - timedelta(hours=47, minutes=59)):
        assert booking_reminders_send() == 1
    assert reminders(booking) == 1


def test_a_rescheduled_appointment_is_reminded_of_its_new_time(slot_69, applicant_69):
    person = applicant_69()
    booking = book(person, slot_69(in_hours=30))
    assert booking_reminders_send() == 1

    moved = booking_reschedule(booking=booking, slot=slot_69(in_hours=40), by=person)

    assert booking_reminders_send() == 1
    assert reminders(moved) == 1
    assert timezone.localtime(moved.slot.starts_at) > timezone.localtime(booking.slot.starts_at)
