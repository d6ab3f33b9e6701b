"""The figures of substitution (DESIGN §8.7, issue 11 item 7): how many people the online service
blocks and how fast they get an answer or a convocation, nationally or for one prefecture.

Who sees what: a CCC agent (``support``, national) every prefecture and the national total; a
prefecture supervisor only their prefecture(s) (``figures_prefecture_ids``); another prefecture's
figures are refused (``PermissionDenied``), not emptied.

What is counted, for a period [``start``, ``end``] (days in Europe/Paris, both included):

- *applications*: dossiers filed in the period (``submitted_at``), whatever their status since;
- *reports*: blocking reports opened in the period; per 1,000 applications, by kind, beside the
  2024 national reference (4,377 reports for 1,120,942 applications: 0.4 %, ``REFERENCE_PER_1000``);
- *time to resolution*: ``opened_at`` → ``resolved_at`` of those reports that were resolved;
- *time to invitation*: ``opened_at`` → the first convocation (the first ``invited`` event, else
  the first ``Invitation`` created: the two are written together, the event is the record);
- *invited within the deadline*: of the reports that reached the paper path (an impossibility
  recorded, or a convocation), those whose first convocation is dated (Paris) no later than the day
  after their deadline (``INVITATION_GRACE``): the deadline is the support's last day, and the
  deadline job convokes in the night that follows. A report on the paper path not yet invited counts
  as late once that day has passed and is left out (``paper_pending``) while it has not.
- *open anomalies*: anomalies not fixed, with the people still blocked by each (linked reports
  neither resolved nor filed on paper nor closed), in the scope; a current state, not a period.

Every report figure is a cohort of the reports opened in the period, so that the shares and
times of one period describe the same people.

The page runs a fixed number of queries whatever the volume (five on PostgreSQL, six on SQLite).
Percentiles are computed by PostgreSQL's ``percentile_cont`` as the prefecture statistics do
(``applications.backoffice.selectors.statistics``, which explains why); SQLite, used by ``make
run``, gets the same interpolation in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role, User
from accounts.permissions import staff_prefecture_ids
from applications.backoffice.selectors.statistics import PercentileCont, percentile_cont
from applications.models import Dossier, Status
from substitution.access import is_support
from substitution.models import Anomaly, BlockingReport, ReportEvent, ReportKind
from substitution.workflow import ReportStatus
from territory.models import Prefecture

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_stubs_ext import StrOrPromise

#: 2024, nationally: 4,377 reports to the contact centre for 1,120,942 applications (issue 11).
REFERENCE_PER_1000 = 4.0
#: A convocation is on time up to the night after the deadline, when the deadline job acts.
INVITATION_GRACE = timedelta(days=1)
#: The goal for the share invited within the deadline.
GOAL_WITHIN_DEADLINE = 100
#: Statuses on which the people linked to an anomaly are no longer blocked.
NOT_BLOCKED = (ReportStatus.RESOLVED, ReportStatus.FILED_ON_PAPER, ReportStatus.CLOSED)
#: Statuses of the paper path (a report there may have no impossibility row in old data).
PAPER_STATUSES = (ReportStatus.IMPOSSIBILITY_ESTABLISHED, ReportStatus.INVITED, ReportStatus.FILED_ON_PAPER)
#: Anomalies listed on the page (the CSV has them all).
ANOMALIES_SHOWN = 20


# --- Who may see what ------------------------------------------------------------------------------

def figures_prefecture_ids(*, user: User | AnonymousUser) -> set[int] | None:
    """The prefectures whose figures this member of staff may see; None: all, and the national
    total (a CCC agent). An empty set: none (the page is refused)."""
    if is_support(user=user):
        return None
    return staff_prefecture_ids(user=user, roles=(Role.SUPERVISOR,))


def may_see_figures(*, user: User | AnonymousUser) -> bool:
    return figures_prefecture_ids(user=user) != set()


def default_period(today: date) -> tuple[date, date]:
    """The last 12 months: from the day after the same day a year ago, to today."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + timedelta(days=1), today


# --- Result ----------------------------------------------------------------------------------------

def per_1000(count: int, applications: int) -> float | None:
    return 1000 * count / applications if applications else None


@dataclass(frozen=True)
class KindRow:
    kind: str
    label: StrOrPromise
    reports: int
    applications: int

    @property
    def per_1000(self) -> float | None:
        return per_1000(self.reports, self.applications)


@dataclass(frozen=True)
class PrefectureRow:
    prefecture_id: int
    code: str
    name: str
    applications: int
    reports: int

    @property
    def per_1000(self) -> float | None:
        return per_1000(self.reports, self.applications)


@dataclass(frozen=True)
class Delay:
    """Days from opening to an event, over the reports that reached it."""

    count: int
    p50_days: float | None
    p90_days: float | None


@dataclass(frozen=True)
class AnomalyRow:
    pk: int
    title: str
    kind_label: StrOrPromise
    status_label: StrOrPromise
    people_blocked: int
    oldest_deadline: date | None


@dataclass(frozen=True)
class Figures:
    start: date
    end: date
    today: date
    prefecture: Prefecture | None  # None: national
    applications: int
    reports: int
    by_kind: list[KindRow]
    by_prefecture: list[PrefectureRow]  # national view only
    resolution: Delay
    invitation: Delay
    paper_path: int  # reached the paper path (pending ones included)
    paper_pending: int  # on the paper path, not invited, deadline not passed yet
    invited_within_deadline: int
    anomalies: list[AnomalyRow] = field(default_factory=list)

    reference_per_1000 = REFERENCE_PER_1000
    goal_within_deadline = GOAL_WITHIN_DEADLINE

    @property
    def per_1000(self) -> float | None:
        return per_1000(self.reports, self.applications)

    @property
    def paper_counted(self) -> int:
        """Reports on the paper path whose outcome is known: invited, or past their deadline."""
        return self.paper_path - self.paper_pending

    @property
    def within_deadline_share(self) -> float | None:
        return 100 * self.invited_within_deadline / self.paper_counted if self.paper_counted else None

    @property
    def anomalies_shown(self) -> list[AnomalyRow]:
        return self.anomalies[:ANOMALIES_SHOWN]


# --- Reads -----------------------------------------------------------------------------------------

def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return (datetime.combine(start, time.min, tzinfo=tz),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz))


def _applications(prefecture_id: int | None, since: datetime, until: datetime) -> dict[int, int]:
    """Dossiers filed in the period, per prefecture (one aggregate query)."""
    dossiers = Dossier.objects.filter(submitted_at__gte=since, submitted_at__lt=until).exclude(status=Status.DRAFT)
    if prefecture_id is not None:
        dossiers = dossiers.filter(prefecture_id=prefecture_id)
    return dict(dossiers.order_by().values_list("prefecture_id").annotate(n=Count("id")).values_list(
        "prefecture_id", "n"))


def _reports(prefecture_id: int | None, since: datetime, until: datetime) -> QuerySet[BlockingReport]:
    reports = BlockingReport.objects.filter(opened_at__gte=since, opened_at__lt=until)
    if prefecture_id is not None:
        reports = reports.filter(prefecture_id=prefecture_id)
    return reports


def _delays(reports: QuerySet[BlockingReport], today: date) -> tuple[Delay, Delay, int, int, int]:
    """Time to resolution, time to invitation, and the paper path's counts: one query (two on SQLite).

    The first convocation and the impossibility are joined and grouped by report, not read by
    correlated subqueries: PostgreSQL inlines the inner query of ``aggregate()`` and repeated such
    a subquery at each of its seven uses, and the estimated cost then switched JIT compilation on
    (190 ms of the 250 ms the query took in bench/substitution.py with 1,000 reports); grouped, the
    query is planned once, without JIT (docs/benchmarks.md)."""
    reports = reports.annotate(
        first_event=Min("events__at", filter=Q(events__kind=ReportEvent.Kind.INVITED)),
        first_invitation=Min("invitations__created_at"),
        impossibility_id=Min("impossibility__id"),
        # Plain columns as annotations, so that the outer aggregate reads them from the grouped rows.
        opened=F("opened_at"), resolved=F("resolved_at"), due=F("deadline"), state=F("status"),
        due_invited=ExpressionWrapper(F("deadline") + INVITATION_GRACE, output_field=DateField()),
    ).annotate(first_invited=Coalesce("first_event", "first_invitation", output_field=DateTimeField()))
    to_resolution = ExpressionWrapper(F("resolved") - F("opened"), output_field=DurationField())
    to_invitation = ExpressionWrapper(F("first_invited") - F("opened"), output_field=DurationField())
    paper = Q(impossibility_id__isnull=False) | Q(first_invited__isnull=False) | Q(state__in=PAPER_STATUSES)
    aggregates: dict[str, Aggregate] = {
        "resolved_count": Count("opened", filter=Q(resolved__isnull=False)),
        "invited": Count("opened", filter=Q(first_invited__isnull=False)),
        "paper": Count("opened", filter=paper),
        "pending": Count("opened", filter=paper & Q(first_invited__isnull=True, due__gte=today - INVITATION_GRACE)),
        # The date of the convocation in Paris (the current time zone), against the deadline's day.
        "within": Count("opened", filter=Q(first_invited__date__lte=F("due_invited"))),
    }
    in_database = connection.vendor == "postgresql"
    if in_database:
        for name, duration in (("resolution", to_resolution), ("invitation", to_invitation)):
            # percentile_cont ignores NULLs: the reports not resolved (not invited) drop out.
            aggregates[f"{name}_p50"] = PercentileCont(duration, fraction=0.5, output_field=DurationField())
            aggregates[f"{name}_p90"] = PercentileCont(duration, fraction=0.9, output_field=DurationField())
    row = reports.aggregate(**aggregates)
    if in_database:
        quantiles = {key: row[key].total_seconds() / 86400 if row[key] is not None else None
                     for key in ("resolution_p50", "resolution_p90", "invitation_p50", "invitation_p90")}
    else:  # SQLite: the same interpolation in Python (see the module docstring)
        resolution: list[float] = []
        invitation: list[float] = []
        for opened_at, resolved_at, first_invited in reports.filter(
            Q(resolved__isnull=False) | Q(first_invited__isnull=False)
        ).values_list("opened", "resolved", "first_invited"):
            if resolved_at is not None:
                resolution.append((resolved_at - opened_at).total_seconds() / 86400)
            if first_invited is not None:
                invitation.append((first_invited - opened_at).total_seconds() / 86400)
        quantiles = {"resolution_p50": percentile_cont(resolution, 0.5),
                     "resolution_p90": percentile_cont(resolution, 0.9),
                     "invitation_p50": percentile_cont(invitation, 0.5),
                     "invitation_p90": percentile_cont(invitation, 0.9)}
    return (
        Delay(row["resolved_count"], quantiles["resolution_p50"], quantiles["resolution_p90"]),
        Delay(row["invited"], quantiles["invitation_p50"], quantiles["invitation_p90"]),
        row["paper"], row["pending"], row["within"],
    )


def _anomalies(prefecture_id: int | None) -> list[AnomalyRow]:
    """Anomalies not fixed, by people still blocked (in the scope), then the oldest deadline."""
    blocked = Q(reports__isnull=False) & ~Q(reports__status__in=NOT_BLOCKED)
    if prefecture_id is not None:
        blocked &= Q(reports__prefecture_id=prefecture_id)
    anomalies = (
        Anomaly.objects.exclude(status=Anomaly.Status.FIXED)
        .annotate(people=Count("reports", filter=blocked), oldest=Min("reports__deadline", filter=blocked))
        .order_by("-people", F("oldest").asc(nulls_last=True), "created_at", "id")
    )
    if prefecture_id is not None:
        anomalies = anomalies.filter(people__gt=0)
    return [AnomalyRow(a.pk, a.title, ReportKind(a.kind).label, Anomaly.Status(a.status).label, a.people, a.oldest)
            for a in anomalies]


def substitution_figures(
    *, user: User | AnonymousUser, start: date, end: date, prefecture_id: int | None = None,
    today: date | None = None,
) -> Figures:
    """The figures of one prefecture, or national ones (``prefecture_id=None``, CCC agents only);
    ``PermissionDenied`` for a prefecture outside the person's reach."""
    allowed = figures_prefecture_ids(user=user)
    if allowed is not None and prefecture_id not in allowed:
        raise PermissionDenied
    today = today or timezone.localdate()
    since, until = _bounds(start, end)
    prefecture = (Prefecture.objects.select_related("department").get(pk=prefecture_id)
                  if prefecture_id is not None else None)
    applications = _applications(prefecture_id, since, until)
    reports = _reports(prefecture_id, since, until)
    counts: dict[str, int] = defaultdict(int)
    by_prefecture: dict[int, int] = defaultdict(int)
    for kind, pk, n in reports.order_by().values_list("kind", "prefecture_id").annotate(n=Count("id")).values_list(
        "kind", "prefecture_id", "n"
    ):
        counts[kind] += n
        by_prefecture[pk] += n
    total_applications = sum(applications.values())
    by_kind = [KindRow(kind.value, kind.label, counts[kind.value], total_applications) for kind in ReportKind]
    prefecture_rows: list[PrefectureRow] = []
    if prefecture_id is None:
        for p in Prefecture.objects.select_related("department").order_by("department__code"):
            if applications.get(p.pk) or by_prefecture.get(p.pk):
                prefecture_rows.append(PrefectureRow(p.pk, p.department.code, p.name, applications.get(p.pk, 0),
                                                     by_prefecture.get(p.pk, 0)))
    resolution, invitation, paper, pending, within = _delays(reports, today)
    return Figures(
        start=start, end=end, today=today, prefecture=prefecture,
        applications=total_applications, reports=sum(counts.values()), by_kind=by_kind,
        by_prefecture=prefecture_rows, resolution=resolution, invitation=invitation,
        paper_path=paper, paper_pending=pending, invited_within_deadline=within,
        anomalies=_anomalies(prefecture_id),
    )
