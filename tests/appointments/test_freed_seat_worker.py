"""A cancellation, really committed, reaches a real worker: the freed seat is offered to the person
waiting, and the cancelled person is told. The services queue these tasks by name
(``core.tasks.enqueue``) from a callback that itself runs after the commit, where no transaction is
open, so they leave at once; nothing here captures the after-commit callbacks by hand."""

import time

import pytest

from appointments.models import Booking, SlotOffer
from appointments.services import booking_cancel, booking_create, waitlist_join
from notifications.models import Channel, Notification, Status

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_committed_cancellation_has_the_worker_offer_the_seat_and_tell_the_person(
    celery_worker, slot_69, applicant_69, pan_assistance, site_69,
):
    slot = slot_69(capacity=1)
    leaving, waiting = applicant_69(), applicant_69()
    booking = booking_create(person=leaving, slot=slot, by=leaving)
    waitlist_join(person=waiting, motive=pan_assistance, site=site_69)

    booking_cancel(booking=booking, by=leaving)

    assert wait_for(lambda: SlotOffer.objects.filter(entry__person=waiting, slot=slot,
                                                     status=SlotOffer.Status.PENDING).exists())
    cancelled_mail = Notification.objects.filter(recipient=leaving, event="appointment.cancelled",
                                                 channel=Channel.EMAIL)
    assert wait_for(lambda: cancelled_mail.filter(status=Status.SENT).exists())
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
