"""Statistics of one prefecture for its agents and supervisors (DESIGN §6): volumes by status and
by procedure, processing times against the legal targets, files at risk, certificates issued.

Every figure is scoped through ``applications.staff.agent_prefecture_ids``. The page runs a fixed
number of queries whatever the volume (three on PostgreSQL, four on SQLite), each an aggregate over
the prefecture's dossiers that returns a handful of rows.

Why the percentiles are computed in the database: the date window (the last 12 months) bounds the
population, but not by much: a large prefecture decides tens of thousands of files a year, and
fetching their durations to sort them in Python made this part of the page about 4 times slower
in the benchmark (8,000 decisions: 260 ms instead of 70 ms on a loaded machine, bench/
backoffice_queue.py), growing with the prefecture; ``percentile_cont`` sorts them next to the data
and returns one row per group. SQLite (development and tests) has no ordered-set aggregates: there,
and only there, the durations are fetched and interpolated in Python exactly as ``percentile_cont``
does (both paths gave the same figures on the benchmark's data); the tests pass on both databases.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import connection, connections, router
from django.db.models import (
    Aggregate,
    BigIntegerField,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from applications.backoffice.selectors.queue import instructing_prefectures, overdue_q
from applications.catalogue_cache import procedure_names
from applications.clock import QUEUE_STATUSES, target_days
from applications.models import Dossier, Status
from applications.staff import agent_prefecture_ids
from core.l10n import words_once
from core.prepared import PreparedQuery
from documents.models import DocumentKind, IssuedDocument
from territory.models import Prefecture

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PROCESSING_WINDOW = timedelta(days=365)
CERTIFICATES_WINDOW = timedelta(days=30)
CERTIFICATE_KINDS = (DocumentKind.EXTENSION_CERTIFICATE, DocumentKind.FAVOURABLE_DECISION)
#: Statuses reached by a decision: the processing time runs from filing to ``decided_at``.
DECIDED_STATUSES = (Status.DECIDED_FAVOURABLE, Status.DECIDED_UNFAVOURABLE, Status.CLOSED_WITHOUT_ACTION,
                    Status.CARD_IN_PRODUCTION, Status.CARD_READY, Status.CARD_DELIVERED)
#: Processing groups follow the legal clock (applications/clock.py): renewals have their own
#: target, every other procedure (first requests, changes of status, duplicates...) the first one.
GROUP_LABELS = {
    False: _("Premières demandes et autres démarches"),
    True: _("Renouvellements"),
}


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(f) WITHIN GROUP (ORDER BY expr)``: the interpolated quantile."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression, *, fraction: float, **extra):
        # The fraction is a constant of this module, written into the SQL as a float literal.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


class _Count(Count):
    """``Count`` whose values are kept as the database gives them, an integer on both backends
    (``COUNT`` is never null), without Django's converter per value (issue 17: five per row of the
    volumes, the most calls of the page's queries)."""

    @property
    def convert_value(self):  # type: ignore[override]  # a cached_property in Django
        return self._convert_value_noop


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """The same linear interpolation as PostgreSQL's ``percentile_cont``, for the SQLite fallback."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- Result ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatusVolume:
    status: str
    label: StrOrPromise
    count: int
    in_queue: bool


@dataclass(frozen=True)
class ProcedureVolume:
    procedure_id: int
    name: str
    in_queue: int
    filed_12_months: int
    decided_12_months: int


@dataclass(frozen=True)
class ProcessingTimes:
    is_renewal: bool
    label: str
    target_days: int
    decided: int
    within_target: int
    p50_days: float | None
    p90_days: float | None

    @property
    def within_target_share(self) -> float | None:
        """Percentage decided on or before the legal deadline (None when nothing was decided)."""
        return 100 * self.within_target / self.decided if self.decided else None


@dataclass(frozen=True)
class PrefectureStatistics:
    prefecture: Prefecture
    today: date
    by_status: list[StatusVolume]
    by_procedure: list[ProcedureVolume]
    processing: list[ProcessingTimes]
    at_risk: int
    overdue: int
    certificates: dict[str, int]

    @property
    def total(self) -> int:
        return sum(v.count for v in self.by_status)

    @property
    def in_queue(self) -> int:
        return sum(v.count for v in self.by_status if v.in_queue)

    @property
    def certificates_rows(self) -> list[tuple[StrOrPromise, int]]:
        labels = words_once("statistics-certificates",
                            lambda: [(kind, str(DocumentKind(kind).label)) for kind in CERTIFICATE_KINDS])
        return [(label, self.certificates.get(kind, 0)) for kind, label in labels]


# --- Reads ----------------------------------------------------------------------------------------
#
# Each query's SQL is built once per process (``core.prepared``, issue 17: building the three was
# more than a third of the page's Python calls), with the prefecture as a one-value list and the
# windows' starts as parameters (the names the other prepared queries use).

def _dossiers(prefecture_ids: list[int]) -> QuerySet[Dossier]:
    return Dossier.objects.filter(prefecture_id__in=prefecture_ids).exclude(status=Status.DRAFT)


#: Volumes by (status, procedure) of the prefecture's filed dossiers, with the files at risk, the
#: overdue ones (the queue filters' definitions: applications/backoffice/selectors/queue.py), and
#: those filed and decided since ``start``. The procedures are named from the catalogue's cached
#: names, not joined (issue 17: the join was a third of the query's time).
_VOLUMES = PreparedQuery(
    lambda prefecture_ids, day, start: _dossiers(prefecture_ids).order_by().values_list("status", "procedure_id")
    .annotate(n=_Count("*"), at_risk=_Count("id", filter=Q(priority=0)), overdue=_Count("id", filter=overdue_q(day)),
              filed=_Count("id", filter=Q(submitted_at__gte=start)),
              decided=_Count("id", filter=Q(decided_at__gte=start))),
    prefecture_ids=list[int], day=date, start=datetime,
)


def _volumes(
    prefecture_id: int, today: date, since: datetime, using: str
) -> tuple[list[StatusVolume], list[ProcedureVolume], int, int]:
    """Volumes by status and by procedure, files at risk and overdue files: one pass over the
    prefecture's dossiers grouped by (status, procedure), summed here both ways."""
    rows = _VOLUMES(prefecture_ids=[prefecture_id], day=today, start=since, using=using)
    by_status: dict[str, int] = defaultdict(int)
    by_procedure: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    at_risk = overdue_total = 0
    for status, procedure_id, n, row_at_risk, row_overdue, filed, decided in rows:
        by_status[status] += n
        counts = by_procedure[procedure_id]
        if status in QUEUE_STATUSES:
            counts[0] += n
        counts[1] += filed
        counts[2] += decided
        at_risk += row_at_risk
        overdue_total += row_overdue
    statuses = [StatusVolume(value, label, by_status[value], in_queue)
                for value, label, in_queue in words_once("statistics-statuses", _statuses) if by_status.get(value)]
    names = procedure_names(set(by_procedure))
    procedures = sorted((ProcedureVolume(pk, names[pk], *counts) for pk, counts in by_procedure.items()),
                        key=lambda v: v.name)
    return statuses, procedures, at_risk, overdue_total


def _statuses() -> list[tuple[str, str, bool]]:
    """The statuses in their order, with their label in the current language (``words_once``)."""
    return [(status.value, str(status.label), status.value in QUEUE_STATUSES) for status in Status]


class InConstants(Lookup):
    """``lhs IN ('a', 'b')`` with the values written into the SQL: constants of this module (the
    statuses' values, lower-case words, checked), not the request's. Server-side prepared, a
    statement's generic plan knows them as it knows literals: it reads the index on (prefecture,
    status) for them alone, where with ``IN ($7, …)`` it read every dossier of the prefecture and
    filtered them (the processing times: 0.66 ms of PostgreSQL's time on the benchmark's 2,000
    dossiers, 0.11 ms with the constants)."""

    lookup_name = "in_constants"
    prepare_rhs = False

    def __init__(self, lhs, rhs: tuple[str, ...]):
        if not rhs or not all(re.fullmatch(r"[a-z_]+", value) for value in rhs):
            raise ValueError(f"not constants this lookup may write into SQL: {rhs!r}")
        super().__init__(lhs, tuple(rhs))

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = ", ".join("'" + value + "'" for value in self.rhs)
        return f"{lhs} IN ({values})", params


def _decided(prefecture_ids: list[int], start: datetime) -> QuerySet[Dossier]:
    """The prefecture's dossiers decided since ``start``, with the processing time as ``duration``."""
    return (
        _dossiers(prefecture_ids)
        .filter(InConstants(F("status"), tuple(status.value for status in DECIDED_STATUSES)),
                decided_at__gte=start, submitted_at__isnull=False)
        .alias(duration=ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField()))
    )


def _processing_rows(prefecture_ids: list[int], start: datetime) -> QuerySet:
    """Per group (renewals or not): how many decided, how many within the target, and on PostgreSQL
    the median and 9th decile of the processing time."""
    targets = {group: target_days(is_renewal=group) for group in (False, True)}
    # Within target: decided on or before the legal deadline, which the clock pushes back by the
    # time spent waiting for complements; a file without a deadline (filed before the clock
    # existed) is measured against the raw target.
    within = Q(legal_deadline__isnull=False, decided_at__date__lte=F("legal_deadline")) | Q(
        Q(procedure__is_renewal=True, duration__lte=timedelta(days=targets[True]))
        | Q(procedure__is_renewal=False, duration__lte=timedelta(days=targets[False])),
        legal_deadline__isnull=True,
    )
    aggregates: dict[str, Aggregate] = {"n": _Count("*"), "within": _Count("id", filter=within)}
    if connection.vendor == "postgresql":
        aggregates["p50"] = PercentileCont(F("duration"), fraction=0.5, output_field=DurationField())
        aggregates["p90"] = PercentileCont(F("duration"), fraction=0.9, output_field=DurationField())
    return _decided(prefecture_ids, start).order_by().values_list("procedure__is_renewal").annotate(**aggregates)


_PROCESSING = PreparedQuery(_processing_rows, prefecture_ids=list[int], start=datetime)


def _processing_times(prefecture_id: int, since: datetime, using: str) -> list[ProcessingTimes]:
    rows: dict[bool, tuple] = {row[0]: row[1:] for row in _PROCESSING(prefecture_ids=[prefecture_id], start=since,
                                                                         using=using)}
    if connections[using].vendor == "postgresql":
        quantiles = {
            group: tuple(value.total_seconds() / 86400 if value is not None else None for value in row[2:])
            for group, row in rows.items()
        }
    else:  # SQLite: the same interpolation in Python (see the module docstring)
        durations: dict[bool, list[float]] = defaultdict(list)
        for group, submitted_at, decided_at in _decided([prefecture_id], since).using(using).values_list(
            "procedure__is_renewal", "submitted_at", "decided_at"
        ):
            if submitted_at is None or decided_at is None:  # the query keeps neither: for the type checker
                continue
            durations[group].append((decided_at - submitted_at).total_seconds() / 86400)
        quantiles = {group: (percentile_cont(values, 0.5), percentile_cont(values, 0.9))
                     for group, values in durations.items()}
    result = []
    labels = words_once("statistics-groups", lambda: {group: str(label) for group, label in GROUP_LABELS.items()})
    for group in (False, True):
        n, within = rows.get(group, (0, 0))[:2]
        p50, p90 = quantiles.get(group, (None, None))
        result.append(ProcessingTimes(group, labels[group], target_days(is_renewal=group), n, within, p50, p90))
    return result


#: The certificates issued since ``start`` for the prefecture's dossiers, by kind. ``IssuedDocument``
#: names its subject by label and text id (documents sits below applications); the id is read as a
#: number to find its dossier by primary key (issue 17: the text form made PostgreSQL hash every
#: dossier of the prefecture, 0.5 ms on the benchmark's 2,000, for a handful of documents), and only
#: when it is one (a subject id of another form matches no dossier, as before, rather than failing).
_CERTIFICATES = PreparedQuery(
    lambda prefecture_ids, start: IssuedDocument.objects.filter(
        kind__in=CERTIFICATE_KINDS, issued_at__gte=start, subject_type=Dossier._meta.label_lower,
    ).alias(
        dossier_id=Case(When(subject_id__regex=r"^[0-9]{1,18}$", then=Cast("subject_id", BigIntegerField()))),
    ).filter(
        Exists(Dossier.objects.filter(prefecture_id__in=prefecture_ids, pk=OuterRef("dossier_id"))),
    ).order_by().values_list("kind").annotate(n=Count("*")),
    prefecture_ids=list[int], start=datetime,
)


def _certificates(prefecture_id: int, since: datetime, using: str) -> dict[str, int]:
    return dict(_CERTIFICATES(prefecture_ids=[prefecture_id], start=since, using=using))


def prefecture_statistics(*, user: User, prefecture_id: int, today: date | None = None,
                          prefectures: list[Prefecture] | None = None) -> PrefectureStatistics:
    """The statistics page's figures for one of the person's prefectures (else PermissionDenied);
    ``prefectures``: ``instructing_prefectures(user=user)`` when the caller has it already."""
    if prefecture_id not in agent_prefecture_ids(user=user):
        raise PermissionDenied
    if prefectures is None:
        prefectures = instructing_prefectures(user=user)
    prefecture = next(p for p in prefectures if p.pk == prefecture_id)
    now = timezone.now()
    today = today or timezone.localdate(now)
    using = router.db_for_read(Dossier)  # the replica inside ``reading_from_replica`` (core.replica)
    by_status, by_procedure, at_risk, overdue = _volumes(prefecture_id, today, now - PROCESSING_WINDOW, using)
    return PrefectureStatistics(
        prefecture=prefecture,
        today=today,
        by_status=by_status,
        by_procedure=by_procedure,
        processing=_processing_times(prefecture_id, now - PROCESSING_WINDOW, using),
        at_risk=at_risk,
        overdue=overdue,
        certificates=_certificates(prefecture_id, now - CERTIFICATES_WINDOW, using),
    )
