"""Slot generation from opening rules, closures and public holidays, in Europe/Paris time.

Safe to run again: slots are unique per (desk, motive, start), so a second run creates nothing; a
day that became closed has all its slots cancelled, so that nobody can book them nor be offered a
freed seat on them; the bookings already made there stay active, for an agent to move.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q

from appointments.dates import local_instant, local_midnight
from appointments.holidays import is_public_holiday
from appointments.models import Closure, OpeningRule, Slot


def _closed_days(start: date, end: date) -> dict[tuple[int, int | None], set[date]]:
    closed: dict[tuple[int, int | None], set[date]] = defaultdict(set)
    for closure in Closure.objects.filter(ends_on__gte=start, starts_on__lte=end):
        day = max(closure.starts_on, start)
        while day <= min(closure.ends_on, end):
            closed[(closure.site_id, closure.desk_id)].add(day)
            day += timedelta(days=1)
    return closed


def slots_generate(*, start: date, weeks: int, desk_ids: list[int] | None = None) -> int:
    """Creates the missing slots from ``start`` for ``weeks`` weeks; returns how many were created."""
    end = start + timedelta(weeks=weeks)
    rules = OpeningRule.objects.filter(desk__is_active=True, valid_from__lte=end).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=start)
    ).select_related("desk", "motive")
    if desk_ids is not None:
        rules = rules.filter(desk_id__in=desk_ids)
    by_weekday = defaultdict(list)
    for rule in rules:
        by_weekday[rule.weekday].append(rule)
    closed = _closed_days(start, end)
    wanted: list[Slot] = []
    day = start
    while day < end:
        if not is_public_holiday(day):
            for rule in by_weekday.get(day.weekday(), ()):
                if day < rule.valid_from or (rule.valid_until and day > rule.valid_until):
                    continue
                site_closures = closed.get((rule.desk.site_id, None), ())
                if day in site_closures or day in closed.get((rule.desk.site_id, rule.desk_id), ()):
                    continue
                wanted.extend(_rule_slots(rule, day))
        day += timedelta(days=1)
    with transaction.atomic():
        before = Slot.objects.count()
        Slot.objects.bulk_create(wanted, ignore_conflicts=True, batch_size=2000)
        created = Slot.objects.count() - before
        _cancel_slots_on_closed_days(closed)
    return created


def _rule_slots(rule: OpeningRule, day: date) -> list[Slot]:
    step = timedelta(minutes=rule.motive.duration_minutes)
    slots = []
    cursor = datetime.combine(day, rule.opens_at)
    last_start = datetime.combine(day, rule.closes_at) - step
    while cursor <= last_start:
        starts_at = local_instant(day, cursor.time())
        if starts_at is not None:
            slots.append(Slot(desk=rule.desk, motive=rule.motive, starts_at=starts_at,
                              ends_at=starts_at + step, capacity=rule.capacity))
        cursor += step
    return slots


def _cancel_slots_on_closed_days(closed: dict[tuple[int, int | None], set[date]]) -> None:
    # Every slot of the day, not only the empty ones: a half-booked slot left open would still take
    # bookings, and a seat freed on it would be offered to the waiting list, on a closed day.
    for (site_id, desk_id), days in closed.items():
        rows = Slot.objects.filter(desk__site_id=site_id, is_cancelled=False)
        if desk_id is not None:
            rows = rows.filter(desk_id=desk_id)
        for day in days:
            start = local_midnight(day)
            # An aware datetime plus one day is the next local midnight (23 or 25 hours on a change day).
            rows.filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1)).update(is_cancelled=True)
