"""The renewal reminder schedule (DESIGN §9, R.431-5), in one place.

A renewal is filed from the 120th to the 60th day before the permit ends (``applications.rules``).
The holder is told when the window opens (J-120), at J-90, when the last days come (J-70), on the
day it closes (J-60), and once after it (late filing: an extra fee, no automatic extension
certificate). Nothing more once a renewal is filed. Days are calendar days in Europe/Paris: the
sweep's "today" is ``timezone.localdate()``; this module is pure date arithmetic.

Catch-up: on a given day, the milestone due for a permit is the latest one whose day has passed,
as long as it still says something true ("the window opens" is never sent once J-90 has come, and
"today is the last day" never after J-60). An earlier milestone missed during downtime is skipped,
not sent late with the wrong wording. A milestone whose day passed more than ``CATCH_UP_DAYS`` ago
is not caught up either: a message about something that happened weeks ago would confuse more
than help (and the sweep's scan stays bounded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from applications.rules import RENEWAL_WINDOW_CLOSES_DAYS, RENEWAL_WINDOW_OPENS_DAYS
from applications.workflow import IN_PROGRESS_STATUSES, Status

#: How many days late a missed milestone is still sent (downtime of the sweep or of the workers).
CATCH_UP_DAYS = 7
#: A request for the permit that stops its reminders once filed: a renewal, or a change of status
#: (which also gives a new card; ``Procedure.Group`` values). Filed: in progress or card delivered.
RENEWING_FAMILIES = ("renewal", "change")
FILED_STATUSES = tuple(sorted(IN_PROGRESS_STATUSES | {Status.CARD_DELIVERED}))


def renewal_filed(*, family: str, status: str) -> bool:
    """Whether a request of this family and status, for a permit, stops the permit's reminders."""
    return family in RENEWING_FAMILIES and status in FILED_STATUSES


@dataclass(frozen=True)
class Milestone:
    key: str
    #: The milestone's day is ``valid_until - days_before``.
    days_before: int
    #: The outbox event (one row per permit, event and channel).
    event: str
    #: ``templates/notifications/<template>.txt`` and ``<template>_subject.txt``.
    template: str
    #: What the applicant's space says of it ("Prochain rappel : le … (<label>)").
    label: Promise

    def day(self, valid_until: date) -> date:
        return valid_until - timedelta(days=self.days_before)


#: In order. The last one (late notice) applies from the day after the window closes until the
#: permit's last day; each other one until the day before the next one.
SCHEDULE: tuple[Milestone, ...] = (
    Milestone("j120", RENEWAL_WINDOW_OPENS_DAYS, "permit.renewal_window_opens", "permit_reminder_j120",
              _("ouverture de la période de renouvellement")),
    Milestone("j90", 90, "permit.renewal_reminder_j90", "permit_reminder_j90",
              _("rappel de la période de renouvellement")),
    Milestone("j70", 70, "permit.renewal_last_days", "permit_reminder_j70", _("derniers jours pour renouveler")),
    Milestone("j60", RENEWAL_WINDOW_CLOSES_DAYS, "permit.renewal_window_closes", "permit_reminder_j60",
              _("dernier jour de la période de renouvellement")),
    Milestone("late", RENEWAL_WINDOW_CLOSES_DAYS - 1, "permit.renewal_late", "permit_reminder_late",
              _("renouvellement en retard : taxe supplémentaire")),
)
BY_KEY = {m.key: m for m in SCHEDULE}
EVENTS = tuple(m.event for m in SCHEDULE)


def _last_day_before_expiry(index: int) -> int:
    """The smallest ``valid_until - today`` (in days) for which milestone ``index`` still holds."""
    return SCHEDULE[index + 1].days_before + 1 if index + 1 < len(SCHEDULE) else 0


def milestone_due(*, valid_until: date, today: date, renewal_filed: bool) -> Milestone | None:
    """The milestone to send for a permit on ``today`` (a Paris date), or None.

    The latest milestone whose day has come, if its purpose still holds and its day is at most
    ``CATCH_UP_DAYS`` ago; None once a renewal is filed or the permit has ended."""
    if renewal_filed:
        return None
    left = (valid_until - today).days
    for index, milestone in enumerate(SCHEDULE):
        if _last_day_before_expiry(index) <= left <= milestone.days_before:
            return milestone if milestone.days_before - left <= CATCH_UP_DAYS else None
    return None


def next_reminder(*, valid_until: date, today: date, renewal_filed: bool) -> tuple[date, Milestone] | None:
    """The next milestone still to come after ``today`` (for the applicant's space), or None."""
    if renewal_filed:
        return None
    for milestone in SCHEDULE:
        if milestone.day(valid_until) > today:
            return milestone.day(valid_until), milestone
    return None


@dataclass(frozen=True)
class DueRange:
    """Permits ending between ``first`` and ``last`` (inclusive) are due for ``milestone``."""

    milestone: Milestone
    first: date
    last: date


def due_ranges(today: date) -> list[DueRange]:
    """The ``valid_until`` ranges the sweep reads on ``today``: for each milestone, the permits
    for which ``milestone_due`` returns it (renewals aside). Contiguous, one per milestone."""
    ranges = []
    for index, milestone in enumerate(SCHEDULE):
        nearest = max(_last_day_before_expiry(index), milestone.days_before - CATCH_UP_DAYS)
        ranges.append(DueRange(milestone, today + timedelta(days=nearest),
                               today + timedelta(days=milestone.days_before)))
    return ranges
