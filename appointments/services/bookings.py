"""Booking, convocation, cancellation, rescheduling and the desk's day.

Race-free by construction: a seat is taken by one conditional UPDATE (``booked < capacity``), which
PostgreSQL serialises on the slot's row; the CHECK constraint ``slot_never_over_capacity`` is the
last word; a second active booking for the same file and motive hits a partial unique index. Every
refusal is an exception carrying what the person needs to choose again (the next free slots).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.http import rate_limit_allow
from accounts.mandates import mandate_actor_data, mandate_covering
from accounts.models import Role, User
from accounts.services import audit_record
from appointments.models import Booking, Motive, Slot
from core.tasks import enqueue


class BookingError(Exception):
    """A booking refused for a reason the person can act on; ``alternatives`` are free slots."""

    def __init__(self, message: str, alternatives: list[Slot] | None = None):
        super().__init__(message)
        self.alternatives = alternatives or []


class SlotTaken(BookingError):
    pass


class AlreadyBooked(BookingError):
    pass


@dataclass(frozen=True)
class Subject:
    """The file a booking is for (a dossier, a blocking report), named without importing its app."""

    type: str
    id: str
    label: str = ""


def _next_free(slot: Slot, after: datetime, limit: int = 5) -> list[Slot]:
    """The free slots offered instead of a slot just taken: same motive and site, after ``after``."""
    from appointments.selectors import free_slots

    return list(free_slots(motive=slot.motive, site_ids=[slot.desk.site_id], after=after)[:limit])


BOOKING_RATE_WINDOW_SECONDS = 10 * 60


def _rate_limited(person: User) -> bool:
    """At most ``BOOKING_RATE_LIMIT`` self-service booking attempts per person per 10 minutes
    (against slot-reselling bots; agents' convocations are not limited). Per person, not per
    address: a digital help point puts many people behind one address."""
    return not rate_limit_allow(scope="appointments:attempts", key=str(person.pk),
                                limit=settings.BOOKING_RATE_LIMIT, window_seconds=BOOKING_RATE_WINDOW_SECONDS)


def booking_create(
    *, person: User, slot: Slot, by: User, kind: str = Booking.Kind.SELF, subject: Subject | None = None,
    movable_until: date | None = None,
) -> Booking:
    """Takes one seat of ``slot`` for ``person``. Raises SlotTaken (with the next free slots),
    AlreadyBooked, or BookingError."""
    now = timezone.now()
    motive = slot.motive
    if kind == Booking.Kind.SELF:
        if not motive.self_bookable:
            raise BookingError(_("Ce rendez-vous ne se prend pas en ligne : la préfecture vous convoquera."))
        if _rate_limited(person):
            raise BookingError(_("Trop de tentatives de réservation en peu de temps. Réessayez dans quelques minutes."))
    try:
        with transaction.atomic():
            booking = booking_record(person=person, slot=slot, by=by, kind=kind, subject=subject,
                                    movable_until=movable_until, now=now)
            # The confirmation is an outbox row of this same transaction: a process that dies right
            # after the commit cannot lose it (the sweep sends it).
            booking_notify(booking_id=booking.pk, event="appointment.booked")
    except IntegrityError:
        raise AlreadyBooked(_("Vous avez déjà un rendez-vous pour ce motif. Vous pouvez le déplacer ou "
                              "l'annuler.")) from None
    except SlotTaken as refusal:
        refusal.alternatives = _next_free(slot, now)
        raise
    return booking


def booking_record(
    *, person: User, slot: Slot, by: User | None, kind: str, subject: Subject | None, movable_until: date | None,
    now: datetime, seat_held: bool = False, rescheduled_from: Booking | None = None,
) -> Booking:
    """Takes one seat of ``slot`` (unless ``seat_held``: an offer holds it already) and writes the
    booking, its audit event and, for a convocation or a card collection, its letter. Runs in the
    caller's transaction and sends nothing: the caller tells the person after commit
    (``booking_notify``). Raises SlotTaken when no seat is left; IntegrityError for a second active
    booking of the file and motive. Shared by booking, rescheduling and accepting an offer, and by
    the portal's own convocations (``by`` None: a blocking report's paper filing)."""
    if not seat_held:
        taken = Slot.objects.filter(
            pk=slot.pk, is_cancelled=False, starts_at__gt=now, booked__lt=F("capacity")
        ).update(booked=F("booked") + 1)
        if not taken:
            # The caller lists the next free slots once this transaction is rolled back: read here, a
            # reschedule's released seat would be proposed as free.
            raise SlotTaken(_("Ce créneau vient d'être pris. Voici les prochains créneaux libres."))
    booking = Booking.objects.create(
        slot=slot, motive=slot.motive, person=person, person_name=str(person),
        subject_type=subject.type if subject else "", subject_id=subject.id if subject else "",
        kind=kind, movable_until=movable_until, created_by=by, rescheduled_from=rescheduled_from,
    )
    data: dict = {"slot": slot.pk, "subject": subject.id if subject else "", **_on_behalf(by, person.pk)}
    audit_record(actor=by, on_behalf_of=person if by != person else None, action=f"booking.{kind}",
                 obj=booking, data=data)
    # The letter (DESIGN §5): every convocation, and every card collection, however booked (the
    # desk checks the name on it against the identity document before handing over the card).
    if kind == Booking.Kind.CONVOCATION or slot.motive.code == Motive.Code.CARD_COLLECTION:
        _issue_convocation_letter(booking)
    return booking


def _on_behalf(by: User | None, person_id: int) -> dict:
    """The audit details of an act by a mediator under the person's mandate (both names, the help
    point); empty for anyone else (no query for a person who is no verified mediator)."""
    mandate = mandate_covering(by=by, person_id=person_id) if by is not None and by.pk != person_id else None
    return {"on_behalf": mandate_actor_data(mandate, by)} if mandate is not None and by is not None else {}


def _issue_convocation_letter(booking: Booking):
    from documents.models import DocumentStatus
    from documents.selectors import documents_for_subject
    from documents.services import document_issue

    slot = booking.slot
    site = slot.desk.site
    starts = timezone.localtime(slot.starts_at)
    # A moved appointment's new letter replaces the old one (the verification page says so).
    previous = booking.rescheduled_from and documents_for_subject(subject=booking.rescheduled_from).filter(
        kind="convocation", status=DocumentStatus.VALID, holder=booking.person).first()
    return document_issue(
        kind="convocation", holder=booking.person, subject=booking, template="documents/pdf/convocation.html",
        valid_from=starts.date(), valid_until=starts.date(), supersedes=previous or None,
        context={
            "person": booking.person_name, "motive": slot.motive.get_code_display(),
            "starts_at": starts.isoformat(), "duration_minutes": slot.motive.duration_minutes,
            "site": site.name, "address": site.full_address, "access_notes": site.access_notes,
            "opening_hours": site.opening_hours, "map_url": site.map_url,
            "desk": slot.desk.name, "documents_to_bring": slot.motive.documents_to_bring,
            "file_reference": booking.subject_id and _subject_label(booking), "booking": booking.pk,
            # What the file's app adds (a blocking report: the documents of its procedure, what to
            # do if the person cannot come): appointments.registry.LETTERS.
            **_subject_letter(booking),
        },
    )


def _subject_letter(booking: Booking) -> dict:
    from appointments.registry import subject_letter

    return subject_letter(booking.subject_type, booking.subject_id)


def _subject_label(booking: Booking) -> str:
    from appointments.registry import subject_label

    return subject_label(booking.subject_type, booking.subject_id)


def booking_notify(*, booking_id: int, event: str) -> None:
    """Tells the person about their booking (``event``: "appointment.booked", ".changed",
    ".cancelled"): outbox rows written in the booking's own transaction (call it inside it)."""
    from notifications.services import notify

    booking = Booking.objects.select_related("slot__desk__site", "motive", "person").get(pk=booking_id)
    notify(recipient=booking.person, event=event, obj=booking, context={"booking": booking})


def booking_cancel(*, booking: Booking, by: User) -> Booking:
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("slot").get(pk=booking.pk)
        if booking.status != Booking.Status.BOOKED:
            raise BookingError(_("Ce rendez-vous n'est plus annulable."))
        if booking.slot.starts_at <= timezone.now():
            raise BookingError(_("Ce rendez-vous est passé."))
        booking_release(booking=booking, by=by)
        _revoke_letters(booking, by)
        booking_notify(booking_id=booking.pk, event="appointment.cancelled")
        enqueue("appointments.tasks.offer_freed_seat_task", booking.slot_id)
    return booking


def _revoke_letters(booking: Booking, by: User) -> None:
    """A cancelled appointment's letter must not pass for a valid convocation on /verifier/."""
    from documents.models import DocumentStatus
    from documents.selectors import documents_for_subject
    from documents.services import document_revoke

    for letter in documents_for_subject(subject=booking).filter(status=DocumentStatus.VALID):
        document_revoke(document=letter, by=by, reason=_("Rendez-vous annulé."))


def booking_release(*, booking: Booking, by: User) -> None:
    """Cancels ``booking`` and frees its seat, in the caller's transaction, with its audit event; the
    caller has locked the row and checked that it may be cancelled, and decides who is told."""
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["status", "cancelled_at"])
    Slot.objects.filter(pk=booking.slot_id).update(booked=F("booked") - 1)
    behalf = _on_behalf(by, booking.person_id)
    audit_record(actor=by, on_behalf_of=booking.person if behalf else None, action="booking.cancelled", obj=booking,
                 data=behalf)


def booking_reschedule(*, booking: Booking, slot: Slot, by: User) -> Booking:
    """Moves a booking to another slot of the same motive, atomically: if the new slot is taken,
    the old booking is kept as it was."""
    if slot.motive_id != booking.motive_id:
        raise BookingError(_("Choisissez un créneau pour le même motif."))
    now = timezone.now()
    try:
        with transaction.atomic():
            old = Booking.objects.select_for_update().select_related("slot").get(pk=booking.pk)
            if old.status != Booking.Status.BOOKED or old.slot.starts_at <= now:
                raise BookingError(_("Ce rendez-vous ne peut plus être déplacé."))
            # The person, or a mediator acting for them, moves a convocation within its limit only.
            if old.kind == Booking.Kind.CONVOCATION and (by == old.person or _on_behalf(by, old.person_id)):
                limit = old.movable_until
                if limit is None or timezone.localtime(slot.starts_at).date() > limit:
                    raise BookingError(_("Cette convocation ne peut être déplacée qu'à une date allant jusqu'au "
                                         "%(date)s au plus tard.")
                                       % {"date": (limit or timezone.localdate()).strftime("%d/%m/%Y")})
            booking_release(booking=old, by=by)
            new = booking_record(person=old.person, slot=slot, by=by, kind=old.kind,
                                 subject=Subject(old.subject_type, old.subject_id) if old.subject_id else None,
                                 movable_until=old.movable_until, now=now, rescheduled_from=old)
            booking_notify(booking_id=new.pk, event="appointment.changed")
    except IntegrityError:
        raise AlreadyBooked(_("Un autre rendez-vous pour ce motif existe déjà.")) from None
    except SlotTaken as refusal:
        refusal.alternatives = _next_free(slot, now)
        raise
    enqueue("appointments.tasks.offer_freed_seat_task", old.slot_id)
    return new


def booking_mark(*, booking: Booking, by: User, status: str) -> Booking:
    """At the desk: the person has arrived, has been received, or did not come.

    Arrived and received are recorded on the appointment's own day (Paris time): not before, since
    nobody can have come yet, and not after, when the desk's day is over. Afterwards, a supervisor
    of the site's prefecture may correct the record; the audit log says it was a correction, by
    whom and for which day.
    """
    allowed: dict[str, tuple[str, ...]] = {
        Booking.Status.CHECKED_IN: (Booking.Status.BOOKED,),
        Booking.Status.DONE: (Booking.Status.BOOKED, Booking.Status.CHECKED_IN),
        Booking.Status.NO_SHOW: (Booking.Status.BOOKED,),
    }
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("slot__desk__site").get(pk=booking.pk)
        if booking.status not in allowed.get(status, ()):
            raise BookingError(_("Action impossible : le rendez-vous est « %(status)s ».")
                               % {"status": booking.get_status_display()})
        if status == Booking.Status.NO_SHOW and booking.slot.starts_at > timezone.now():
            raise BookingError(_("On ne peut déclarer une absence qu'après l'heure du rendez-vous."))
        correction = False
        if status in (Booking.Status.CHECKED_IN, Booking.Status.DONE):
            day, today = timezone.localdate(booking.slot.starts_at), timezone.localdate()
            if day > today:
                raise BookingError(_("Ce rendez-vous est prévu le %(date)s : on ne peut enregistrer l'arrivée "
                                     "ou la réception de la personne que ce jour-là.")
                                   % {"date": day.strftime("%d/%m/%Y")})
            if day < today:
                if not desk_supervisor(user=by, site=booking.slot.desk.site):
                    raise BookingError(_("Ce rendez-vous était le %(date)s : seul un chef de bureau peut "
                                         "corriger ce qui s'est passé ce jour-là.")
                                       % {"date": day.strftime("%d/%m/%Y")})
                correction = True
        before = booking.status
        booking.status = status
        fields = ["status"]
        if status == Booking.Status.CHECKED_IN:
            booking.checked_in_at = timezone.now()
            fields.append("checked_in_at")
        booking.save(update_fields=fields)
        if correction:
            audit_record(actor=by, action=f"booking.{status}.correction", obj=booking, data={
                "correction": True, "from": before, "to": status,
                "day": timezone.localdate(booking.slot.starts_at).isoformat(),
            })
        else:
            audit_record(actor=by, action=f"booking.{status}", obj=booking)
    return booking


def booking_reconvocable(*, booking: Booking) -> bool:
    """Whether a new convocation may replace this booking: a convocation the person missed. The
    desk's day offers "Reconvoquer" exactly then, and ``booking_reconvoke`` refuses anything else."""
    return booking.status == Booking.Status.NO_SHOW and booking.kind == Booking.Kind.CONVOCATION


def booking_reconvoke(*, booking: Booking, slot: Slot, by: User, label: str = "") -> Booking:
    """After a no-show on a convocation: a new convocation for the same person, file and motive, at
    the same site, movable for ``CONVOCATION_MOVABLE_DAYS`` days (a setting), with its letter. Only staff who
    run the site's desks may do it (``label``: the file's name for the letter). Raises
    PermissionDenied, or BookingError (SlotTaken with the next free slots)."""
    from django.core.exceptions import PermissionDenied

    from appointments.selectors import staff_site_ids

    site_id = booking.slot.desk.site_id
    if site_id not in staff_site_ids(user=by):
        raise PermissionDenied(_("Ce rendez-vous n'a pas lieu dans un de vos sites."))
    if not booking_reconvocable(booking=booking):
        raise BookingError(_("Seule une convocation manquée peut être renouvelée."))
    if slot.motive_id != booking.motive_id or slot.desk.site_id != site_id:
        raise BookingError(_("Choisissez un créneau dans la liste."))
    return booking_create(
        person=booking.person, slot=slot, by=by, kind=Booking.Kind.CONVOCATION,
        subject=Subject(booking.subject_type, booking.subject_id, label) if booking.subject_id else None,
        movable_until=timezone.localdate() + timedelta(days=settings.CONVOCATION_MOVABLE_DAYS),
    )


def booking_close_for_subject(*, subject: Subject, motive_code: str, by: User) -> Booking | None:
    """What the appointment of a file becomes when the service it was for is given at the desk (a
    card handed over): the active booking of that motive, if it is today's, is closed as received
    (``done``) and returned. A booking of another day was not this visit: a later one is cancelled
    (its seat freed for someone else), and None is returned, the caller recording that the service
    was given without an appointment. Called in the caller's transaction."""
    booking = (
        Booking.objects.select_for_update().select_related("slot")
        .filter(subject_type=subject.type, subject_id=subject.id, motive__code=motive_code,
                status__in=[Booking.Status.BOOKED, Booking.Status.CHECKED_IN])
        .first()
    )
    if booking is None:
        return None
    if timezone.localdate(booking.slot.starts_at) == timezone.localdate():
        before = booking.status
        booking.status = Booking.Status.DONE
        booking.save(update_fields=["status"])
        audit_record(actor=by, action="booking.done", obj=booking, data={"from": before, "by_service": True})
        return booking
    if booking.status == Booking.Status.BOOKED and booking.slot.starts_at > timezone.now():
        booking_release(booking=booking, by=by)
        _revoke_letters(booking, by)
        # No "cancelled" message: the person has just been given what they were coming for.
        enqueue("appointments.tasks.offer_freed_seat_task", booking.slot_id)
    return None


def desk_supervisor(*, user: User, site) -> bool:
    """A verified supervisor of the site's prefecture (who may correct a past day at the desk)."""
    return permissions.is_verified_agent_of(user=user, prefecture_id=site.prefecture_id, roles=(Role.SUPERVISOR,))


def booking_reminders_send(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Reminds every person of an appointment in the next 48 hours, once (``reminder_sent_at`` and
    the outbox's unique key); never for a cancelled or past appointment."""
    from notifications.services import notify

    now = now or timezone.now()
    sent = 0
    last_id = 0
    while True:
        batch = list(
            Booking.objects.filter(
                status=Booking.Status.BOOKED, reminder_sent_at__isnull=True, id__gt=last_id,
                slot__starts_at__gt=now, slot__starts_at__lte=now + timedelta(hours=48),
            ).select_related("slot__desk__site", "motive", "person").order_by("id")[:batch_size]
        )
        if not batch:
            return sent
        for booking in batch:
            with transaction.atomic():
                claimed = Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=True,
                                                 status=Booking.Status.BOOKED).update(reminder_sent_at=now)
                if claimed:
                    notify(recipient=booking.person, event="appointment.reminder", obj=booking,
                           context={"booking": booking})
                    sent += 1
        last_id = batch[-1].id

