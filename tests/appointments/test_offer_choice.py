"""Who a freed seat is offered to, and which booking accepting an offer moves: the waiting list's
filters one by one (each test leaves exactly one reason to pass someone over)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import Booking, SlotOffer, WaitlistEntry
from appointments.services import booking_cancel, booking_create, offer_accept, offer_freed_seat, waitlist_join
from appointments.services.bookings import Subject
from territory.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def seat(slot_69):
    """A slot of desk_69 in 24 hours with one free seat."""
    return slot_69(in_hours=24)


def offered_to(slot) -> list:
    offer = offer_freed_seat(slot=slot)
    return [offer.entry.person] if offer else []


def test_someone_waiting_for_another_motive_is_passed_over(seat, applicant_69, biometrics, pan_assistance, site_69):
    other_motive, right = applicant_69(), applicant_69()
    waitlist_join(person=other_motive, motive=biometrics, site=site_69)
    waitlist_join(person=right, motive=pan_assistance, site=site_69)

    assert offered_to(seat) == [right]


def test_someone_waiting_at_another_site_is_passed_over(seat, applicant_69, pan_assistance, site_69):
    elsewhere = Site.objects.create(prefecture=site_69.prefecture, kind=Site.Kind.PAN, name="PAN de Vaulx-en-Velin",
                                    address="1 place de la Nation", postal_code="69120", city="Vaulx-en-Velin")
    other_site, right = applicant_69(), applicant_69()
    waitlist_join(person=other_site, motive=pan_assistance, site=elsewhere)
    waitlist_join(person=right, motive=pan_assistance, site=site_69)

    assert offered_to(seat) == [right]


def test_someone_who_left_the_list_is_passed_over(seat, applicant_69, pan_assistance, site_69):
    left, right = applicant_69(), applicant_69()
    WaitlistEntry.objects.create(person=left, motive=pan_assistance, site=site_69, is_active=False)
    waitlist_join(person=right, motive=pan_assistance, site=site_69)

    assert offered_to(seat) == [right]


def test_a_seat_that_has_started_is_offered_to_nobody(seat, applicant_69, pan_assistance, site_69):
    person = applicant_69()
    waitlist_join(person=person, motive=pan_assistance, site=site_69)

    assert offer_freed_seat(slot=seat, now=seat.starts_at) is None
    seat.refresh_from_db()
    assert seat.booked == 0 and not SlotOffer.objects.exists()
    assert offer_freed_seat(slot=seat, now=seat.starts_at - timedelta(seconds=1)).entry.person == person


def test_an_earlier_booking_for_another_motive_or_file_or_a_cancelled_one_does_not_pass_someone_over(
        seat, slot_69, applicant_69, biometrics, pan_assistance, site_69, agent_69, mails):
    from tests.factories import DossierFactory

    other_motive, other_file, cancelled = applicant_69(), applicant_69(), applicant_69()
    # Each holds (or held) something earlier than the seat, which must not count against them.
    booking_create(person=other_motive, slot=slot_69(in_hours=20, motive=biometrics), by=agent_69,
                   kind=Booking.Kind.CONVOCATION)
    dossier = DossierFactory(applicant=other_file, under_review=True)
    booking_create(person=other_file, slot=slot_69(in_hours=20, capacity=2), by=other_file,
                   subject=Subject("applications.dossier", str(dossier.pk)))
    gone = booking_create(person=cancelled, slot=slot_69(in_hours=21), by=cancelled)
    with mails():
        booking_cancel(booking=gone, by=cancelled)
    SlotOffer.objects.all().delete()  # the cancellation's own freed seat is not this test's
    for person in (other_motive, other_file, cancelled):
        waitlist_join(person=person, motive=pan_assistance, site=site_69)

    offered = []
    for _ in range(3):
        later = slot_69(in_hours=26 + len(offered))
        offer = offer_freed_seat(slot=later)
        offered.append(offer.entry.person)
    assert offered == [other_motive, other_file, cancelled]


def test_accepting_moves_only_the_persons_own_booked_appointment_for_that_motive(
        seat, slot_69, applicant_69, biometrics, pan_assistance, site_69, agent_69, mails):
    person, neighbour = applicant_69(), applicant_69()
    theirs = booking_create(person=neighbour, slot=slot_69(in_hours=48, capacity=2), by=neighbour)
    other_motive = booking_create(person=person, slot=slot_69(in_hours=50, motive=biometrics), by=agent_69,
                                  kind=Booking.Kind.CONVOCATION)
    old = booking_create(person=person, slot=slot_69(in_hours=52), by=person)
    with mails():
        booking_cancel(booking=old, by=person)
    SlotOffer.objects.all().delete()
    waitlist_join(person=person, motive=pan_assistance, site=site_69)
    offer = offer_freed_seat(slot=seat)

    with mails():
        booking = offer_accept(offer=offer, person=person)

    # Nothing of theirs was booked for this motive: the seat is a new booking, nothing is moved.
    assert booking.rescheduled_from is None and booking.kind == Booking.Kind.SELF
    for untouched in (theirs, other_motive):
        untouched.refresh_from_db()
        assert untouched.status == Booking.Status.BOOKED
    old.refresh_from_db()
    assert old.status == Booking.Status.CANCELLED
    assert timezone.localtime(booking.slot.starts_at) == timezone.localtime(seat.starts_at)
