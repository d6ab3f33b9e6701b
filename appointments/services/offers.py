"""Freed seats: when a booking is cancelled, the earliest person waiting for that motive at that
site is offered the seat, held for them until they answer or the offer expires (at most 3 offers
per person)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.models import Booking, Motive, Slot, SlotOffer, WaitlistEntry
from appointments.services.bookings import (
    AlreadyBooked,
    BookingError,
    Subject,
    booking_notify,
    booking_record,
    booking_release,
)
from core.tasks import enqueue
from territory.models import Site

MAX_OFFERS = 3


def waitlist_join(*, person: User, motive: Motive, site: Site, subject: Subject | None = None) -> WaitlistEntry:
    entry, _created = WaitlistEntry.objects.get_or_create(
        person=person, motive=motive, site=site, is_active=True,
        defaults={"subject_type": subject.type if subject else "", "subject_id": subject.id if subject else ""},
    )
    return entry


def offer_freed_seat(*, slot: Slot, now: datetime | None = None) -> SlotOffer | None:
    """Holds one free seat of ``slot`` for the earliest waiting person (idempotent per seat: a seat
    already held is counted in ``booked``)."""
    now = now or timezone.now()
    # Waiting for an EARLIER seat: someone whose appointment for that file and motive is already at
    # or before this one is passed over (accepting would move them later).
    as_early_already = Booking.objects.filter(
        person_id=OuterRef("person_id"), motive_id=slot.motive_id, subject_id=OuterRef("subject_id"),
        status=Booking.Status.BOOKED, slot__starts_at__lte=slot.starts_at,
    )
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update(skip_locked=True)
            .filter(motive_id=slot.motive_id, site_id=slot.desk.site_id, is_active=True, offers_made__lt=MAX_OFFERS)
            .exclude(offers__status=SlotOffer.Status.PENDING)
            .exclude(offers__slot_id=slot.pk)  # declined or let expire: the seat goes to the next one
            .exclude(Exists(as_early_already))
            .order_by("created_at", "id").first()
        )
        if entry is None:
            return None
        held = Slot.objects.filter(pk=slot.pk, is_cancelled=False, starts_at__gt=now,
                                   booked__lt=F("capacity")).update(booked=F("booked") + 1)
        if not held:
            return None
        offer = SlotOffer.objects.create(entry=entry, slot=slot,
                                         expires_at=now + timedelta(hours=settings.SLOT_OFFER_HOURS))
        WaitlistEntry.objects.filter(pk=entry.pk).update(offers_made=F("offers_made") + 1)
        _notify_offer(offer.pk)  # an outbox row of this transaction
    return offer


def _notify_offer(offer_id: int) -> None:
    from notifications.services import notify

    offer = SlotOffer.objects.select_related("entry__person", "slot__desk__site", "slot__motive").get(pk=offer_id)
    notify(recipient=offer.entry.person, event="appointment.offer", obj=offer, context={"offer": offer})


def offer_accept(*, offer: SlotOffer, person: User, by: User | None = None) -> Booking:
    """Books the held seat; an existing booking of the person for that motive is moved onto it.
    ``by``: who accepts, when not the person (a mediator under their mandate)."""
    by = by or person
    now = timezone.now()
    try:
        with transaction.atomic():
            offer = SlotOffer.objects.select_for_update().select_related("entry", "slot__desk").get(pk=offer.pk)
            if offer.entry.person_id != person.pk:
                raise BookingError(_("Cette proposition ne vous est pas destinée."))
            if offer.status != SlotOffer.Status.PENDING or offer.expires_at <= now:
                raise BookingError(_("Cette proposition a expiré."))
            entry = offer.entry
            subject = Subject(entry.subject_type, entry.subject_id) if entry.subject_id else None
            current = Booking.objects.filter(person=person, motive_id=entry.motive_id, status=Booking.Status.BOOKED)
            current = current.filter(subject_id=entry.subject_id) if entry.subject_id else current.filter(subject_id="")
            previous = current.select_for_update().first()
            if previous is not None:
                booking_release(booking=previous, by=by)
            booking = booking_record(person=person, slot=offer.slot, by=by,
                                     kind=previous.kind if previous else Booking.Kind.SELF, subject=subject,
                                     movable_until=previous.movable_until if previous else None, now=now,
                                     seat_held=True, rescheduled_from=previous)
            offer.status = SlotOffer.Status.ACCEPTED
            offer.save(update_fields=["status"])
            WaitlistEntry.objects.filter(pk=entry.pk).update(is_active=False)
            # As for a reschedule: the person is told the new time (an outbox row of this
            # transaction), and the seat they left goes to the next one waiting.
            booking_notify(booking_id=booking.pk, event="appointment.changed" if previous else "appointment.booked")
    except IntegrityError:
        raise AlreadyBooked(_("Vous avez déjà un rendez-vous pour ce motif.")) from None
    if previous is not None:
        enqueue("appointments.tasks.offer_freed_seat_task", previous.slot_id)
    return booking


def offer_decline(*, offer: SlotOffer, person: User) -> None:
    with transaction.atomic():
        offer = SlotOffer.objects.select_for_update().get(pk=offer.pk, entry__person=person)
        if offer.status != SlotOffer.Status.PENDING:
            return
        _end(offer, SlotOffer.Status.DECLINED)
    transaction.on_commit(lambda: _reoffer(offer.slot_id))


def offers_expire(*, now: datetime | None = None) -> int:
    """Releases the seats of unanswered offers and offers them to the next person."""
    now = now or timezone.now()
    expired = 0
    due = SlotOffer.objects.filter(status=SlotOffer.Status.PENDING, expires_at__lte=now)
    for offer_id in due.values_list("id", flat=True):
        with transaction.atomic():
            offer = SlotOffer.objects.select_for_update().filter(pk=offer_id, status=SlotOffer.Status.PENDING).first()
            if offer is None:
                continue
            _end(offer, SlotOffer.Status.EXPIRED)
            expired += 1
        _reoffer(offer.slot_id)
    return expired


def _end(offer: SlotOffer, status: str) -> None:
    offer.status = status
    offer.save(update_fields=["status"])
    Slot.objects.filter(pk=offer.slot_id).update(booked=F("booked") - 1)
    entry = offer.entry
    if entry.offers_made >= MAX_OFFERS:
        WaitlistEntry.objects.filter(pk=entry.pk).update(is_active=False)


def _reoffer(slot_id: int) -> None:
    slot = Slot.objects.select_related("desk").get(pk=slot_id)
    offer_freed_seat(slot=slot)
