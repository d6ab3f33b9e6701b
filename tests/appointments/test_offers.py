"""Freed seats: offered in turn to the people waiting for an earlier appointment, held while they
answer, at most three offers each."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from appointments.models import Booking, SlotOffer, WaitlistEntry
from appointments.services import (
    BookingError,
    booking_cancel,
    booking_create,
    offer_accept,
    offer_decline,
    offers_expire,
    waitlist_join,
)
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def book(person, slot) -> Booking:
    return booking_create(person=person, slot=slot, by=person)


@pytest.fixture
def waiting(applicant_69, pan_assistance, site_69):
    """Puts people on the waiting list of desk_69's site, in order: ``waiting(3)``."""

    def make(count: int):
        people = [applicant_69() for _ in range(count)]
        for person in people:
            waitlist_join(person=person, motive=pan_assistance, site=site_69)
        return people

    return make


@pytest.fixture
def free_a_seat(applicant_69, mails):
    """Someone books ``slot`` then cancels, after commit as in real use: the freed-seat job runs."""

    def free(slot):
        person = applicant_69()
        booking = book(person, slot)
        with mails():
            booking_cancel(booking=booking, by=person)

    return free


def pending(person) -> SlotOffer | None:
    return SlotOffer.objects.filter(entry__person=person, status=SlotOffer.Status.PENDING).first()


def test_a_freed_seat_is_held_for_the_earliest_waiting_person(slot_69, waiting, free_a_seat):
    slot = slot_69(in_hours=24)
    first, second = waiting(2)

    free_a_seat(slot)

    offer = pending(first)
    assert offer is not None and offer.slot == slot
    assert offer.expires_at > timezone.now()
    assert pending(second) is None
    slot.refresh_from_db()
    assert slot.booked == 1  # held: nobody else can take it meanwhile
    message = Notification.objects.get(recipient=first, event="appointment.offer", object_id=str(offer.pk),
                                       channel="email")
    starts = timezone.localtime(slot.starts_at)
    assert f"à {starts:%H:%M} (heure de Paris)" in message.body  # the seat held, and until when
    assert "Il vous est réservé jusqu" in message.body


def test_accepting_books_the_seat_and_moves_the_later_booking(slot_69, applicant_69, waiting, free_a_seat, mails):
    slot = slot_69(in_hours=24)
    first, second = waiting(2)
    later_slot = slot_69(in_hours=96)
    later = book(first, later_slot)
    free_a_seat(slot)

    with mails():
        booking = offer_accept(offer=pending(first), person=first)

    later.refresh_from_db()
    assert later.status == Booking.Status.CANCELLED
    assert booking.slot == slot and booking.status == Booking.Status.BOOKED and booking.rescheduled_from == later
    slot.refresh_from_db()
    assert slot.booked == 1  # the held seat became the booking: not counted twice
    assert not WaitlistEntry.objects.get(person=first).is_active
    assert Notification.objects.filter(recipient=first, event="appointment.changed", object_id=str(booking.pk)).exists()
    # Regression: the seat the move freed was never offered; now it goes to the next one waiting.
    assert pending(second).slot == later_slot
    later_slot.refresh_from_db()
    assert later_slot.booked == 1


def test_declining_offers_the_seat_to_the_next_person(slot_69, waiting, free_a_seat, mails):
    slot = slot_69(in_hours=24)
    first, second = waiting(2)
    free_a_seat(slot)

    with mails():
        offer_decline(offer=pending(first), person=first)

    # Regression: the seat went straight back to the person who had just declined it.
    assert pending(first) is None
    assert pending(second).slot == slot
    assert SlotOffer.objects.get(entry__person=first).status == SlotOffer.Status.DECLINED
    slot.refresh_from_db()
    assert slot.booked == 1
    assert WaitlistEntry.objects.get(person=first).is_active  # still waiting for another seat


def test_an_unanswered_offer_expires_and_goes_to_the_next_person(settings, slot_69, waiting, free_a_seat):
    slot = slot_69(in_hours=48)
    first, second = waiting(2)
    free_a_seat(slot)
    offer = pending(first)

    assert offers_expire() == 0
    with time_machine.travel(offer.expires_at + timedelta(minutes=1)):
        with pytest.raises(BookingError):
            offer_accept(offer=offer, person=first)  # too late, even before the job ran
        assert offers_expire() == 1
        assert offers_expire() == 0

    offer.refresh_from_db()
    assert offer.status == SlotOffer.Status.EXPIRED
    assert pending(second).slot == slot
    slot.refresh_from_db()
    assert slot.booked == 1


def test_nobody_waiting_leaves_the_seat_free(slot_69, free_a_seat):
    slot = slot_69(in_hours=24)
    free_a_seat(slot)
    slot.refresh_from_db()
    assert slot.booked == 0 and not SlotOffer.objects.exists()


def test_a_person_gets_at_most_three_offers(slot_69, waiting, free_a_seat, mails):
    first, second = waiting(2)
    slots = [slot_69(in_hours=24 + 2 * n) for n in range(4)]

    for slot in slots[:3]:
        free_a_seat(slot)  # offered to the first, who declines; then to the second, who declines too
        with mails():
            offer_decline(offer=pending(first), person=first)
        offer_decline(offer=pending(second), person=second)

    entry = WaitlistEntry.objects.get(person=first)
    assert entry.offers_made == 3 and not entry.is_active
    free_a_seat(slots[3])
    assert pending(first) is None
    assert SlotOffer.objects.filter(entry__person=first).count() == 3


def test_a_seat_later_than_the_persons_own_booking_is_not_offered_to_them(slot_69, waiting, free_a_seat):
    first, second = waiting(2)
    book(first, slot_69(in_hours=20))  # already earlier than the seat about to be freed
    slot = slot_69(in_hours=30)

    free_a_seat(slot)

    assert pending(first) is None
    assert pending(second).slot == slot


def test_an_offer_is_accepted_only_by_its_person(slot_69, waiting, free_a_seat):
    slot = slot_69(in_hours=24)
    first, second = waiting(2)
    free_a_seat(slot)

    with pytest.raises(BookingError):
        offer_accept(offer=pending(first), person=second)
    with pytest.raises(SlotOffer.DoesNotExist):
        offer_decline(offer=pending(first), person=second)
    assert pending(first) is not None


def test_an_offer_refused_to_another_person_or_at_its_expiry_says_why(slot_69, waiting, free_a_seat):
    slot = slot_69(in_hours=24)
    first, second = waiting(2)
    free_a_seat(slot)
    offer = pending(first)

    with pytest.raises(BookingError) as not_theirs:
        offer_accept(offer=offer, person=second)
    with time_machine.travel(offer.expires_at, tick=False), pytest.raises(BookingError) as expired:
        offer_accept(offer=offer, person=first)  # the very second it expires

    assert str(not_theirs.value) == "Cette proposition ne vous est pas destinée."
    assert str(expired.value) == "Cette proposition a expiré."


def test_accepting_without_a_booking_books_the_seat_as_the_persons_own(slot_69, waiting, free_a_seat, mails):
    slot = slot_69(in_hours=24)
    (first,) = waiting(1)
    free_a_seat(slot)

    with mails():
        booking = offer_accept(offer=pending(first), person=first)

    assert (booking.slot, booking.kind, booking.rescheduled_from, booking.movable_until) == (
        slot, Booking.Kind.SELF, None, None)
    assert booking.subject_id == ""
    assert Notification.objects.filter(recipient=first, event="appointment.booked", object_id=str(booking.pk)).exists()
    assert SlotOffer.objects.get(slot=slot, entry__person=first).status == SlotOffer.Status.ACCEPTED


def test_the_job_expires_every_offer_due_and_only_those(slot_69, waiting, free_a_seat, mails):
    early, second, later = slot_69(in_hours=24), slot_69(in_hours=30), slot_69(in_hours=36)
    waiting(4)
    free_a_seat(early)
    free_a_seat(second)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        free_a_seat(later)  # offered ten minutes after the others: still running when they expire
    due = list(SlotOffer.objects.filter(status=SlotOffer.Status.PENDING, slot__in=[early, second]))
    not_yet = SlotOffer.objects.get(status=SlotOffer.Status.PENDING, slot=later)
    assert len(due) == 2

    with time_machine.travel(max(offer.expires_at for offer in due) + timedelta(seconds=1)), mails():
        assert offers_expire() == 2

    assert [SlotOffer.objects.get(pk=offer.pk).status for offer in due] == [SlotOffer.Status.EXPIRED] * 2
    assert SlotOffer.objects.get(pk=not_yet.pk).status == SlotOffer.Status.PENDING


def test_accepting_for_a_file_moves_that_files_convocation_and_keeps_what_the_agent_set(
        slot_69, applicant_69, agent_69, biometrics, site_69, mails):
    from accounts.models import AuditEvent
    from appointments.services import booking_cancel
    from appointments.services.bookings import Subject
    from tests.factories import DossierFactory

    person = applicant_69()
    mine, other = (DossierFactory(applicant=person, under_review=True) for _ in range(2))
    limit = timezone.localdate() + timedelta(days=20)

    def convoke(dossier, slot):
        return booking_create(person=person, slot=slot, by=agent_69, kind=Booking.Kind.CONVOCATION,
                              movable_until=limit, subject=Subject("applications.dossier", str(dossier.pk)))

    later = convoke(mine, slot_69(in_hours=120, motive=biometrics))
    untouched = convoke(other, slot_69(in_hours=144, motive=biometrics))
    waitlist_join(person=person, motive=biometrics, site=site_69, subject=Subject("applications.dossier", str(mine.pk)))
    early = slot_69(in_hours=30, motive=biometrics)
    someone = applicant_69()
    theirs = DossierFactory(applicant=someone, under_review=True)
    taken = booking_create(person=someone, slot=early, by=agent_69, kind=Booking.Kind.CONVOCATION,
                           subject=Subject("applications.dossier", str(theirs.pk)))
    with mails():
        booking_cancel(booking=taken, by=agent_69)
    offer = SlotOffer.objects.get(entry__person=person, status=SlotOffer.Status.PENDING)

    with mails():
        booking = offer_accept(offer=offer, person=person)

    assert (booking.slot, booking.kind, booking.movable_until) == (early, Booking.Kind.CONVOCATION, limit)
    assert (booking.subject_type, booking.subject_id) == ("applications.dossier", str(mine.pk))
    assert (booking.created_by, booking.rescheduled_from) == (person, later)
    later.refresh_from_db()
    untouched.refresh_from_db()
    assert (later.status, untouched.status) == (Booking.Status.CANCELLED, Booking.Status.BOOKED)
    released = AuditEvent.objects.get(action="booking.cancelled", object_id=str(later.pk))
    assert (released.actor, released.on_behalf_of, released.data) == (person, None, {})  # their own doing


def test_joining_again_after_an_accepted_offer_puts_the_person_back_on_the_list(slot_69, waiting, free_a_seat, mails,
                                                                              pan_assistance, site_69):
    (first,) = waiting(1)
    free_a_seat(slot_69(in_hours=30))
    with mails():
        offer_accept(offer=pending(first), person=first)

    entry = waitlist_join(person=first, motive=pan_assistance, site=site_69)

    assert entry.is_active
    assert WaitlistEntry.objects.filter(person=first).count() == 2
    free_a_seat(slot_69(in_hours=24))  # earlier than the seat just accepted
    assert pending(first) is not None
