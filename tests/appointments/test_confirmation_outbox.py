"""A booking's confirmation is an outbox row of the booking's own transaction (issue 13): a process
that dies right after the commit, before any after-commit callback runs, still gets it out."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from appointments.models import Booking
from appointments.services import booking_cancel, booking_create
from notifications.models import Channel, Notification, Status
from notifications.tasks import retry_pending_notifications

pytestmark = pytest.mark.django_db


def test_a_booking_whose_process_dies_after_commit_still_gets_its_confirmation_out(
        slot_69, applicant_69, django_capture_on_commit_callbacks):
    person = applicant_69()
    slot = slot_69()
    # The commit happens; the callbacks (the delivery task's queuing) never run: the process died.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        booking = booking_create(person=person, slot=slot, by=person)
    assert callbacks  # the task would have been queued after the commit…
    row = Notification.objects.get(event="appointment.booked", channel=Channel.EMAIL,
                                   object_id=str(booking.pk))
    assert row.status == Status.PENDING  # …but the message is already in the outbox
    assert mail.outbox == []

    # The sweep, a few minutes later, finds it and delivers it once.
    Notification.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    assert retry_pending_notifications() == 1
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert [m.to for m in mail.outbox] == [[person.email]]
    assert retry_pending_notifications() == 0 and len(mail.outbox) == 1


def test_a_booking_rolled_back_tells_nobody(slot_69, applicant_69):
    person = applicant_69()
    slot = slot_69(capacity=1)
    booking_create(person=person, slot=slot, by=person)
    other = applicant_69()
    with pytest.raises(Exception):  # noqa: B017 - SlotTaken: the transaction is rolled back
        booking_create(person=other, slot=slot, by=other)
    assert not Notification.objects.filter(recipient=other).exists()


def test_a_cancellation_is_written_in_its_transaction(slot_69, applicant_69, django_capture_on_commit_callbacks):
    person = applicant_69()
    booking = booking_create(person=person, slot=slot_69(), by=person)
    with django_capture_on_commit_callbacks(execute=False):
        booking_cancel(booking=booking, by=person)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    assert Notification.objects.filter(event="appointment.cancelled", object_id=str(booking.pk),
                                       channel=Channel.EMAIL, status=Status.PENDING).exists()
