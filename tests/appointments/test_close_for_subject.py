"""What the collection appointment becomes when the card is handed over at the desk
(``booking_close_for_subject``): today's is closed as received, a later one is cancelled and its
seat offered to someone waiting, a past one is left for the desk to deal with."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import AuditEvent
from appointments.models import Booking, Motive, Slot, SlotOffer
from appointments.services import booking_create, waitlist_join
from appointments.services.bookings import Subject, booking_close_for_subject
from documents.models import DocumentStatus, IssuedDocument
from notifications.models import Notification
from tests.factories import DossierFactory, StaffFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
#: A Tuesday, 10:00 in Paris: the desk's morning.
NOW = datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)
COLLECTION = Motive.Code.CARD_COLLECTION


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def card_collection(db) -> Motive:
    return Motive.objects.get(code=COLLECTION)


@pytest.fixture
def collection_at(desk_69, card_collection):
    """A one-seat card-collection slot of desk_69 starting at ``starts_at``."""
    desk_69.motives.add(card_collection)

    def make(starts_at: datetime) -> Slot:
        return Slot.objects.create(desk=desk_69, motive=card_collection, starts_at=starts_at, capacity=1,
                                   ends_at=starts_at + timedelta(minutes=10))

    return make


@pytest.fixture
def file_of(applicant_69):
    def make() -> Subject:
        dossier = DossierFactory(card_ready=True, applicant=applicant_69())
        return Subject("applications.dossier", str(dossier.pk), dossier.reference)

    return make


def booked(subject: Subject, slot: Slot, *, status: str = Booking.Status.BOOKED) -> Booking:
    """The holder's own booking of ``slot`` for ``subject``, made the day before, then set to ``status``."""
    from applications.models import Dossier

    person = Dossier.objects.get(pk=subject.id).applicant
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        booking = booking_create(person=person, slot=slot, by=person, subject=subject)
    Booking.objects.filter(pk=booking.pk).update(status=status)
    booking.refresh_from_db()
    return booking


def close(subject: Subject, agent, motive_code: str = COLLECTION) -> Booking | None:
    return booking_close_for_subject(subject=subject, motive_code=motive_code, by=agent)


def seats_taken(slot: Slot) -> int:
    slot.refresh_from_db()
    return slot.booked


def letters(booking: Booking) -> list[str]:
    return list(IssuedDocument.objects.filter(kind="convocation", subject_id=str(booking.pk))
                .values_list("status", flat=True))


@pytest.mark.parametrize("status", [Booking.Status.BOOKED, Booking.Status.CHECKED_IN])
@pytest.mark.parametrize("hour", [8, 10, 17])
def test_todays_collection_appointment_is_closed_as_received_with_its_audit_row(
    collection_at, file_of, status, hour,
):
    agent = StaffFactory()
    subject = file_of()
    slot = collection_at(NOW.replace(hour=hour))
    booking = booked(subject, slot, status=status)

    closed = close(subject, agent)

    assert closed == booking and closed.status == Booking.Status.DONE
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DONE
    assert seats_taken(slot) == 1  # the seat was used, not freed
    assert letters(booking) == [DocumentStatus.VALID]
    event = AuditEvent.objects.get(action="booking.done", object_id=str(booking.pk))
    assert event.actor == agent
    assert event.data == {"from": status, "by_service": True}


def test_a_collection_just_after_midnight_is_tomorrows_not_todays(collection_at, file_of, mails):
    """Paris time decides the day: 00:30 on Wednesday is 23:30 on Tuesday in UTC."""
    agent = StaffFactory()
    subject = file_of()
    slot = collection_at(datetime(2026, 12, 9, 0, 30, tzinfo=PARIS))
    booking = booked(subject, slot)

    with mails():
        assert close(subject, agent) is None

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_a_later_collection_appointment_is_cancelled_its_letter_revoked_and_its_seat_offered(
    collection_at, file_of, card_collection, site_69, applicant_69, mails,
):
    agent = StaffFactory()
    subject = file_of()
    slot = collection_at(datetime(2026, 12, 10, 9, 0, tzinfo=PARIS))
    booking = booked(subject, slot)
    waiting = applicant_69()
    waitlist_join(person=waiting, motive=card_collection, site=site_69)
    assert letters(booking) == [DocumentStatus.VALID]

    with mails():
        assert close(subject, agent) is None

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancelled_at == NOW
    assert letters(booking) == [DocumentStatus.REVOKED]
    letter = IssuedDocument.objects.get(kind="convocation", subject_id=str(booking.pk))
    assert AuditEvent.objects.get(action="document.revoked", object_id=str(letter.pk)).actor == agent
    assert AuditEvent.objects.get(action="booking.cancelled", object_id=str(booking.pk)).actor == agent
    assert not AuditEvent.objects.filter(action="booking.done").exists()
    # The freed seat goes to the person waiting; the holder, who has their card, is told nothing.
    offer = SlotOffer.objects.get(slot=slot)
    assert offer.entry.person == waiting and offer.status == SlotOffer.Status.PENDING
    assert not Notification.objects.filter(event="appointment.cancelled").exists()


@pytest.mark.parametrize("status", [Booking.Status.BOOKED, Booking.Status.CHECKED_IN])
def test_a_past_days_collection_appointment_is_left_as_it_was(collection_at, file_of, status, mails):
    """Yesterday's booking (the desk did not mark it) is not this visit, and has no seat to free."""
    agent = StaffFactory()
    subject = file_of()
    slot = collection_at(datetime(2026, 12, 7, 15, 0, tzinfo=PARIS))
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        booking = booked(subject, slot)
    Booking.objects.filter(pk=booking.pk).update(status=status)

    with mails():
        assert close(subject, agent) is None

    booking.refresh_from_db()
    assert booking.status == status
    assert seats_taken(slot) == 1
    assert letters(booking) == [DocumentStatus.VALID]
    assert not AuditEvent.objects.filter(object_id=str(booking.pk), actor=agent).exists()
    assert not SlotOffer.objects.exists()


def test_only_the_files_active_booking_of_that_motive_is_closed(
    collection_at, file_of, slot_69, biometrics,
):
    agent = StaffFactory()
    subject, other_file, file_without_booking = file_of(), file_of(), file_of()
    collection = booked(subject, collection_at(NOW.replace(hour=11)))
    others_collection = booked(other_file, collection_at(NOW.replace(hour=12)))
    # The same file's fingerprints appointment today is another service.
    fingerprints = booking_create(person=collection.person, slot=slot_69(in_hours=1, motive=biometrics), by=agent,
                                  kind=Booking.Kind.CONVOCATION, subject=subject)

    assert close(file_without_booking, agent) is None
    assert close(Subject("reports.report", subject.id), agent) is None  # same number, another kind of file
    assert close(subject, agent, motive_code=Motive.Code.PAPER_FILING) is None
    collection.refresh_from_db()
    assert collection.status == Booking.Status.BOOKED

    assert close(subject, agent) == collection

    for booking, status in [(collection, Booking.Status.DONE), (others_collection, Booking.Status.BOOKED),
                            (fingerprints, Booking.Status.BOOKED)]:
        booking.refresh_from_db()
        assert booking.status == status
    assert list(AuditEvent.objects.filter(action="booking.done").values_list("object_id", flat=True)) == [
        str(collection.pk)]


@pytest.mark.parametrize("status", [Booking.Status.CANCELLED, Booking.Status.DONE, Booking.Status.NO_SHOW])
def test_a_collection_appointment_no_longer_active_is_not_touched(collection_at, file_of, status):
    agent = StaffFactory()
    subject = file_of()
    booking = booked(subject, collection_at(NOW.replace(hour=11)), status=status)

    assert close(subject, agent) is None

    booking.refresh_from_db()
    assert booking.status == status
    assert not AuditEvent.objects.filter(action="booking.done").exists()
