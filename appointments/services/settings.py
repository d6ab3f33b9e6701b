"""A desk's settings, by the supervisors of its site's prefecture: weekly opening rules, closures
and slot generation. Each write checks that right, and leaves an audit record in its transaction.

Taking hours away never cancels a booking: the free slots that no longer match are cancelled, and
the bookings on the others are returned, for an agent to move them with their holders.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from appointments.dates import PARIS, local_instant, schedule_day_error
from appointments.models import Booking, Closure, Desk, Motive, OpeningRule, Slot
from appointments.selectors import desk_supervised_by
from appointments.services.slots import slots_generate


def _require_supervisor(by: User, desk: Desk) -> None:
    if not desk_supervised_by(user=by, desk=desk):
        raise PermissionDenied(_("Seul un chef de bureau de la préfecture règle les horaires de ce guichet."))


def _bookings_on(slots) -> list[Booking]:
    return list(
        Booking.objects.filter(slot__in=slots, status=Booking.Status.BOOKED)
        .select_related("slot__desk", "motive").order_by("slot__starts_at", "id")
    )


def rule_create(
    *, desk: Desk, by: User, motive: Motive, weekday: int, opens_at: time, closes_at: time, capacity: int,
    valid_from: date, valid_until: date | None = None,
) -> OpeningRule:
    """Adds weekly hours for one motive; the slots follow at the next generation."""
    with transaction.atomic():
        _require_supervisor(by, desk)
        errors: dict[str, list[str]] = {}
        if not desk.motives.filter(pk=motive.pk).exists():
            errors["motive"] = [_("Ce guichet ne reçoit pas pour ce motif.")]
        if closes_at <= opens_at:
            errors["closes_at"] = [_("L'heure de fermeture doit suivre l'heure d'ouverture.")]
        elif (datetime.combine(valid_from, closes_at) - datetime.combine(valid_from, opens_at)
              < timedelta(minutes=motive.duration_minutes)):
            errors["closes_at"] = [_("La plage est plus courte qu'un rendez-vous (%(minutes)s minutes).")
                                   % {"minutes": motive.duration_minutes}]
        if capacity < 1:
            errors["capacity"] = [_("Au moins une personne par créneau.")]
        if valid_until is not None and valid_until < valid_from:
            errors["valid_until"] = [_("La fin de validité doit suivre son début.")]
        today = timezone.localdate()
        for field, day in (("valid_from", valid_from), ("valid_until", valid_until)):
            if day is not None and (message := schedule_day_error(day, today=today)):
                errors[field] = [message]
        if errors:
            raise ValidationError(errors)
        rule = OpeningRule.objects.create(
            desk=desk, motive=motive, weekday=weekday, opens_at=opens_at, closes_at=closes_at, capacity=capacity,
            valid_from=valid_from, valid_until=valid_until,
        )
        audit_record(actor=by, action="opening_rule.created", obj=rule, data=_rule_data(rule))
        return rule


def _rule_data(rule: OpeningRule) -> dict:
    return {
        "desk": rule.desk_id, "motive": rule.motive.code, "weekday": rule.weekday,
        "opens_at": rule.opens_at.strftime("%H:%M"), "closes_at": rule.closes_at.strftime("%H:%M"),
        "capacity": rule.capacity, "valid_from": rule.valid_from.isoformat(),
        "valid_until": rule.valid_until.isoformat() if rule.valid_until else None,
    }


def _covers(rule: OpeningRule, local: datetime) -> bool:
    day = local.date()
    return (
        rule.weekday == day.weekday() and rule.opens_at <= local.time() < rule.closes_at
        and rule.valid_from <= day and (rule.valid_until is None or day <= rule.valid_until)
    )


def rule_delete(*, rule: OpeningRule, by: User) -> list[Booking]:
    """Removes weekly hours: their future free slots are cancelled (unless another rule opens the
    same time); returns the bookings taken on them, which an agent should move."""
    with transaction.atomic():
        desk = rule.desk
        _require_supervisor(by, desk)
        others = [r for r in OpeningRule.objects.filter(desk=desk, motive=rule.motive).exclude(pk=rule.pk)]
        orphans = []
        future = Slot.objects.filter(desk=desk, motive=rule.motive, is_cancelled=False, starts_at__gt=timezone.now())
        for slot in future.only("id", "starts_at", "booked"):
            local = slot.starts_at.astimezone(PARIS)
            if _covers(rule, local) and not any(_covers(other, local) for other in others):
                orphans.append(slot)
        Slot.objects.filter(pk__in=[s.pk for s in orphans if s.booked == 0]).update(is_cancelled=True)
        to_move = _bookings_on([s.pk for s in orphans if s.booked > 0])
        audit_record(actor=by, action="opening_rule.deleted", obj=rule,
                     data={**_rule_data(rule), "bookings_to_move": [b.pk for b in to_move]})
        rule.delete()
        return to_move


def closure_create(
    *, desk: Desk, by: User, starts_on: date, ends_on: date, reason: str, whole_site: bool = False,
) -> tuple[Closure, list[Booking]]:
    """Closes the desk (or its whole site) from ``starts_on`` to ``ends_on`` inclusive: the free
    slots of those days are cancelled at once; returns the closure and the bookings to move."""
    with transaction.atomic():
        _require_supervisor(by, desk)
        reason = (reason or "").strip()
        errors: dict[str, list[str]] = {}
        if not reason:
            errors["reason"] = [_("Indiquez le motif de la fermeture.")]
        if starts_on < timezone.localdate():
            errors["starts_on"] = [_("Une fermeture ne peut commencer dans le passé.")]
        if ends_on < starts_on:
            errors["ends_on"] = [_("La date de fin doit suivre la date de début.")]
        for field, day in (("starts_on", starts_on), ("ends_on", ends_on)):
            if field not in errors and (message := schedule_day_error(day, today=timezone.localdate())):
                errors[field] = [message]
        if errors:
            raise ValidationError(errors)
        closure = Closure.objects.create(site=desk.site, desk=None if whole_site else desk, starts_on=starts_on,
                                         ends_on=ends_on, reason=reason[:200])
        start = local_instant(starts_on, time.min)
        end = local_instant(ends_on + timedelta(days=1), time.min)
        slots = Slot.objects.filter(desk__site=desk.site, starts_at__gte=start, starts_at__lt=end, is_cancelled=False)
        if not whole_site:
            slots = slots.filter(desk=desk)
        slots.filter(booked=0).update(is_cancelled=True)
        to_move = _bookings_on(slots.filter(booked__gt=0).values("pk"))
        audit_record(actor=by, action="closure.created", obj=closure, data={
            "site": desk.site_id, "desk": None if whole_site else desk.pk, "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(), "reason": closure.reason, "bookings_to_move": [b.pk for b in to_move],
        })
        return closure, to_move


def desk_slots_generate(*, desk: Desk, by: User, weeks: int = 8) -> int:
    """Creates the desk's missing slots for the coming weeks from its rules (safe to run again)."""
    _require_supervisor(by, desk)
    created = slots_generate(start=timezone.localdate(), weeks=weeks, desk_ids=[desk.pk])
    audit_record(actor=by, action="desk.slots_generated", obj=desk, data={"weeks": weeks, "created": created})
    return created
