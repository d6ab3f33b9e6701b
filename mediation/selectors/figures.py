"""Figures of the walk-in log: per PAN and per prefecture, for a period (Paris days, both
included): visits, visits ended, the split of outcomes, the median duration.

The median is PostgreSQL's ``percentile_cont(0.5)`` over the durations of the ended visits, as the
other figures pages compute theirs (``applications.backoffice.selectors.statistics``); on SQLite
(``make run``) the same interpolation is done in Python over the durations, one column of one
query. Three queries in all on PostgreSQL (per PAN, per prefecture, the total), whatever the number
of PANs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Q, QuerySet

from accounts.models import User
from applications.backoffice.selectors.statistics import PercentileCont, percentile_cont
from mediation.access import visible_site_ids
from mediation.models import Outcome, Visit
from mediation.selectors.visits import day_bounds


def default_period(today: date) -> tuple[date, date]:
    """The last 30 days, today included."""
    return today - timedelta(days=29), today


@dataclass
class Row:
    """The figures of one PAN, one prefecture or the whole scope."""

    label: str
    visits: int = 0
    ended: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    median_minutes: float | None = None

    def outcome_counts(self) -> list[tuple[str, int]]:
        """The outcomes in the order of ``Outcome``, for a table row."""
        return [(value, self.outcomes.get(value, 0)) for value in Outcome.values]


@dataclass
class VisitFigures:
    start: date
    end: date
    total: Row
    by_site: list[Row]
    by_prefecture: list[Row]

    @property
    def outcome_labels(self) -> list[str]:
        return [str(label) for label in Outcome.labels]


def _aggregates(in_database: bool) -> dict[str, Aggregate]:
    aggregates: dict[str, Aggregate] = {
        "visits": Count("id"),
        "ended": Count("id", filter=Q(ended_at__isnull=False)),
        **{f"outcome_{value}": Count("id", filter=Q(ended_at__isnull=False, outcome=value))
           for value in Outcome.values},
    }
    if in_database:
        # percentile_cont ignores NULLs: the visits in progress have no duration and drop out.
        aggregates["median"] = PercentileCont("duration_minutes", fraction=0.5, output_field=FloatField())
    return aggregates


def _fill(row: Row, values: Mapping[str, Any]) -> Row:
    row.visits, row.ended = values["visits"], values["ended"]
    row.outcomes = {value: values[f"outcome_{value}"] for value in Outcome.values}
    row.median_minutes = values.get("median")
    return row


def visit_figures(*, user: User | AnonymousUser, start: date, end: date) -> VisitFigures:
    """The figures of the PANs this person may read (all of them for an administrator)."""
    since, _first_day_end = day_bounds(start)
    _last_day_start, until = day_bounds(end)
    visits: QuerySet[Visit] = Visit.objects.filter(arrived_at__gte=since, arrived_at__lt=until)
    sites = visible_site_ids(user=user)
    if sites is not None:
        visits = visits.filter(site_id__in=sites)
    in_database = connection.vendor == "postgresql"
    aggregates = _aggregates(in_database)
    per_site = (visits.order_by().values("site_id", "site__name", "site__prefecture__department__code")
                .annotate(**aggregates).order_by("site__prefecture__department__code", "site__name"))
    per_prefecture = (visits.order_by().values("site__prefecture_id", "site__prefecture__name",
                                               "site__prefecture__department__code")
                      .annotate(**aggregates).order_by("site__prefecture__department__code"))
    by_site = [_fill(Row(label=f"{row['site__prefecture__department__code']} – {row['site__name']}"), row)
               for row in per_site]
    by_site_ids = [row["site_id"] for row in per_site]
    by_prefecture = [_fill(Row(label=f"{row['site__prefecture__department__code']} – "
                                     f"{row['site__prefecture__name']}"), row) for row in per_prefecture]
    prefecture_ids = [row["site__prefecture_id"] for row in per_prefecture]
    total = _fill(Row(label="total"), visits.aggregate(**aggregates))
    if not in_database:  # SQLite: the medians in Python, over one column
        durations: dict[tuple[str, int], list[float]] = defaultdict(list)
        everything: list[float] = []
        ended = visits.filter(duration_minutes__isnull=False)
        for site_id, prefecture_id, minutes in ended.values_list("site_id", "site__prefecture_id", "duration_minutes"):
            minutes = minutes or 0  # never: filtered above
            durations["site", site_id].append(minutes)
            durations["prefecture", prefecture_id].append(minutes)
            everything.append(minutes)
        for row, site_id in zip(by_site, by_site_ids, strict=True):
            row.median_minutes = percentile_cont(durations["site", site_id], 0.5)
        for row, prefecture_id in zip(by_prefecture, prefecture_ids, strict=True):
            row.median_minutes = percentile_cont(durations["prefecture", prefecture_id], 0.5)
        total.median_minutes = percentile_cont(everything, 0.5)
    return VisitFigures(start=start, end=end, total=total, by_site=by_site, by_prefecture=by_prefecture)
