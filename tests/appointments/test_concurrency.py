"""Booking under real concurrency, on PostgreSQL: many threads, each with its own connection,
released together by a barrier. The database (a conditional UPDATE on the slot's row, the CHECK
constraint, the partial unique indexes) must keep the promises of DESIGN §7 whatever the timing.

SQLite serialises writers on the whole file, so the race cannot happen there: these tests run on
PostgreSQL only (CI does)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from appointments.models import Booking, Slot
from appointments.services import SlotTaken, booking_create
from appointments.services.bookings import Subject
from documents.models import IssuedDocument
from tests.factories import DossierFactory, StaffFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (CI runs it)"),
    # Committed transactions, as in production; tests/conftest.py reloads the reference data
    # (départements, motives) that the flush after a transactional test empties.
    pytest.mark.django_db(transaction=True),
]


def race(attempts: list[Callable[[], object]]) -> list[object]:
    """Runs each callable in its own thread, all released at once; returns what each returned or
    raised, in order."""
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def run(index: int, attempt: Callable[[], object]) -> None:
        try:
            connection.ensure_connection()  # connect before the barrier: the race is on the booking
            barrier.wait(timeout=30)
            results[index] = attempt()
        except Exception as error:  # the outcome under test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def outcomes(results: list[object]) -> Counter:
    return Counter(type(r).__name__ for r in results)


def test_fifty_people_at_once_for_the_last_seat_give_one_booking(slot_69, applicant_69):
    slot = slot_69(in_hours=48, capacity=3)
    for _ in range(2):
        person = applicant_69()
        booking_create(person=person, slot=slot, by=person)
    people = [applicant_69() for _ in range(50)]  # different people: the rate limit is per person

    results = race([lambda p=p: booking_create(person=p, slot=slot, by=p) for p in people])

    assert outcomes(results) == {"Booking": 1, "SlotTaken": 49}
    assert all(r.alternatives == [] for r in results if isinstance(r, SlotTaken))  # no other slot exists
    slot.refresh_from_db()
    assert slot.booked == slot.capacity == 3
    assert Booking.objects.filter(slot=slot, status=Booking.Status.BOOKED).count() == 3
    assert Booking.objects.filter(slot=slot).values("person").distinct().count() == 3


def test_one_file_booked_from_two_tabs_at_once_gets_one_booking(slot_69, applicant_69):
    person = applicant_69()
    dossier = DossierFactory(applicant=person, status="submitted")
    subject = Subject("applications.dossier", str(dossier.pk))
    first, second = slot_69(in_hours=24), slot_69(in_hours=48)

    results = race([lambda s=s: booking_create(person=person, slot=s, by=person, subject=subject)
                    for s in (first, second)])

    assert outcomes(results) == {"Booking": 1, "AlreadyBooked": 1}
    winner = next(r for r in results if isinstance(r, Booking))
    loser_slot = second if winner.slot_id == first.pk else first
    assert Booking.objects.filter(person=person).count() == 1
    assert Slot.objects.get(pk=winner.slot_id).booked == 1
    assert Slot.objects.get(pk=loser_slot.pk).booked == 0  # the loser's seat was given back


def test_two_tabs_without_a_file_get_one_booking_too(slot_69, applicant_69):
    person = applicant_69()
    slots = [slot_69(in_hours=24), slot_69(in_hours=48)]

    results = race([lambda s=s: booking_create(person=person, slot=s, by=person) for s in slots])

    assert outcomes(results) == {"Booking": 1, "AlreadyBooked": 1}
    assert sum(Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("booked", flat=True)) == 1


def test_two_agents_convoking_the_same_file_at_once_give_one_convocation(
    slot_69, applicant_69, biometrics,
):
    person = applicant_69()
    dossier = DossierFactory(applicant=person, status="submitted")
    subject = Subject("applications.dossier", str(dossier.pk))
    agents = [StaffFactory(), StaffFactory()]
    slots = [slot_69(in_hours=24, motive=biometrics), slot_69(in_hours=48, motive=biometrics)]

    results = race([
        lambda a=a, s=s: booking_create(person=person, slot=s, by=a, kind=Booking.Kind.CONVOCATION, subject=subject)
        for a, s in zip(agents, slots, strict=True)
    ])

    assert outcomes(results) == {"Booking": 1, "AlreadyBooked": 1}
    assert Booking.objects.filter(subject_id=str(dossier.pk), status=Booking.Status.BOOKED).count() == 1
    assert sum(Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("booked", flat=True)) == 1
    assert IssuedDocument.objects.filter(kind="convocation").count() == 1  # one letter, not two
