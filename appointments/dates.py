"""Days and instants of appointments: Paris wall-clock time, and the days and instants read from
addresses (the day of a desk page, ``/2026-03-14/``, and the ``apres`` cursor of the free-slot pages).

Desks keep Paris hours whatever the server's zone: ``local_instant`` and ``local_midnight`` turn a
Paris day and time into an aware instant, for slot generation, the desk's day and the free-slot lists.

One rule for the days and instants read from addresses: a value that is not a date, or lies outside
the years the portal schedules, is refused with ``ValueError``, and the page answers 404 (a page
that cannot exist). The bounds also keep arithmetic safe: a day after ``date.max`` or a Paris time
before year 1 in UTC would raise ``OverflowError`` deep in a query.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

PARIS = ZoneInfo("Europe/Paris")


def local_instant(day: date, at) -> datetime | None:
    """The aware instant for a wall-clock time in Paris, or None when that time does not exist
    (the hour skipped when clocks go forward)."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=PARIS)
    if aware.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) != naive:
        return None
    return aware


def local_midnight(day: date) -> datetime:
    """The aware instant a day starts in Paris. Midnight always exists there (the clocks change at
    2 or 3 in the morning), so unlike ``local_instant`` this is never None."""
    return datetime.combine(day, time.min, tzinfo=PARIS)


#: The years appointment pages can show; nothing is ever scheduled outside them.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
#: Opening rules and closures are set from a year back to the end of the year this many years ahead.
SCHEDULE_YEARS_AHEAD = 5


def _in_range(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day.isoformat()} is outside {FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()}")


def parse_day(value: str) -> date:
    """``2026-03-14`` -> ``date(2026, 3, 14)``; raises ``ValueError`` for anything else."""
    day = date.fromisoformat(value)
    _in_range(day)
    return day


def parse_instant(value: str) -> datetime:
    """An ISO date and time (a naive one is Paris time) -> an aware datetime; raises ``ValueError``
    for anything else."""
    parsed = parse_datetime(value)  # None when it does not look like one, ValueError when impossible
    if parsed is None:
        raise ValueError(f"not a date and time: {value!r}")
    _in_range(parsed.date())
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def schedule_day_error(day: date, *, today: date) -> str | None:
    """The message for a day an opening rule or a closure cannot use (a typing error such as
    9999-12-31, which would also overflow the slot arithmetic), or None."""
    earliest, latest = today - timedelta(days=365), date(today.year + SCHEDULE_YEARS_AHEAD, 12, 31)
    if earliest <= day <= latest:
        return None
    return _("Indiquez une date comprise entre le %(earliest)s et le %(latest)s.") % {
        "earliest": earliest.strftime("%d/%m/%Y"), "latest": latest.strftime("%d/%m/%Y")}
