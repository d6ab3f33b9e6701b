"""The legal clock and the queue priority, computed in one place (DESIGN §4, §6).

Targets: 90 days for a first title, 30 for a renewal (settings), paused while a complement request
is open. Priority: 0 = rights at risk (the current permit ends within ``RIGHTS_AT_RISK_DAYS`` and
no valid certificate covers the person), 1 = past the legal deadline, 2 = the rest by age,
9 = not in an instruction queue (draft or closed).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple, Protocol

from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from applications.models import Dossier, Status
from applications.workflow import OPEN_STATUSES

PRIORITY_RIGHTS_AT_RISK = 0
PRIORITY_OVERDUE = 1
PRIORITY_NORMAL = 2
PRIORITY_NONE = 9
#: Statuses whose dossiers wait for the prefecture (or the applicant) and sit in the queue.
QUEUE_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.COMPLEMENTS_REQUESTED,
                  Status.DECIDED_FAVOURABLE, Status.CARD_IN_PRODUCTION, Status.CARD_READY)


def target_days(*, is_renewal: bool) -> int:
    return settings.LEGAL_TARGET_DAYS_RENEWAL if is_renewal else settings.LEGAL_TARGET_DAYS_FIRST


def initial_deadline(*, filed_on: date, is_renewal: bool) -> date:
    return filed_on + timedelta(days=target_days(is_renewal=is_renewal))


class Clock(NamedTuple):
    """Where a dossier's legal clock stands (a named tuple rather than a frozen dataclass: made for
    every row of the queue's pages, issue 17)."""

    deadline: date | None
    days_left: int | None
    paused: bool
    overdue: bool
    rights_at_risk: bool


class ClockFacts(Protocol):
    """What the clock reads of a dossier: a ``Dossier``, or a row of the queue read as values."""

    @property
    def status(self) -> str: ...
    @property
    def legal_deadline(self) -> date | None: ...
    @property
    def clock_paused_on(self) -> date | None: ...
    @property
    def permit_expires_on(self) -> date | None: ...
    @property
    def certificate_valid_until(self) -> date | None: ...


def clock_for(dossier: ClockFacts, today: date) -> Clock:
    if dossier.legal_deadline is None or dossier.status not in OPEN_STATUSES:
        return Clock(dossier.legal_deadline, None, False, False, rights_at_risk(dossier, today))
    reference = dossier.clock_paused_on or today
    days_left = (dossier.legal_deadline - reference).days
    paused = dossier.clock_paused_on is not None
    return Clock(dossier.legal_deadline, days_left, paused, not paused and days_left < 0,
                 rights_at_risk(dossier, today))


def rights_at_risk(dossier: ClockFacts, today: date) -> bool:
    if dossier.status not in OPEN_STATUSES or dossier.permit_expires_on is None:
        return False
    covered = dossier.certificate_valid_until is not None and dossier.certificate_valid_until >= today
    return not covered and dossier.permit_expires_on <= today + timedelta(days=settings.RIGHTS_AT_RISK_DAYS)


def priority_for(dossier: Dossier, today: date) -> tuple[int, date | None]:
    if dossier.status not in QUEUE_STATUSES:
        return PRIORITY_NONE, None
    if rights_at_risk(dossier, today):
        return PRIORITY_RIGHTS_AT_RISK, dossier.permit_expires_on
    clock = clock_for(dossier, today)
    if clock.overdue:
        return PRIORITY_OVERDUE, dossier.legal_deadline
    return PRIORITY_NORMAL, timezone.localdate(dossier.submitted_at) if dossier.submitted_at else None


def priority_expressions(today: date) -> dict:
    """The same rule as ``priority_for``, as SQL, to refresh many rows in one UPDATE."""
    at_risk = (
        Q(status__in=OPEN_STATUSES, permit_expires_on__isnull=False,
          permit_expires_on__lte=today + timedelta(days=settings.RIGHTS_AT_RISK_DAYS))
        & (Q(certificate_valid_until__isnull=True) | Q(certificate_valid_until__lt=today))
    )
    overdue = Q(status__in=OPEN_STATUSES, clock_paused_on__isnull=True, legal_deadline__lt=today)
    in_queue = Q(status__in=QUEUE_STATUSES)
    return {
        "priority": Case(
            When(~in_queue, then=Value(PRIORITY_NONE)),
            When(at_risk, then=Value(PRIORITY_RIGHTS_AT_RISK)),
            When(overdue, then=Value(PRIORITY_OVERDUE)),
            default=Value(PRIORITY_NORMAL),
        ),
        "priority_date": Case(
            When(~in_queue, then=Value(None)),
            When(at_risk, then=F("permit_expires_on")),
            When(overdue, then=F("legal_deadline")),
            default=TruncDate("submitted_at"),
        ),
    }


def priorities_refresh(*, today: date, queryset=None) -> int:
    """Recomputes the stored priority of dossiers still in a queue (all of them, or ``queryset``)."""
    rows = (queryset if queryset is not None else Dossier.objects).filter(status__in=QUEUE_STATUSES)
    return rows.update(**priority_expressions(today))
