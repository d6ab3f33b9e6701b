"""Reads about anomalies: the technical team's ranking, one anomaly and its reports, and the
anomalies suggested for a report. ``anomaly_get_for_user`` is the only way a view reaches one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, F, IntegerField, Min, Q, QuerySet, Value, When
from django.http import Http404

from accounts.models import User
from substitution.access import may_see_anomalies
from substitution.models import Anomaly, BlockingReport
from substitution.workflow import BLOCKED_STATUSES

_BLOCKED = Q(reports__status__in=sorted(BLOCKED_STATUSES))


def _counts() -> dict[str, Any]:
    return {"blocked": Count("reports", filter=_BLOCKED),
            "oldest_deadline": Min("reports__deadline", filter=_BLOCKED)}


def anomalies_ranked() -> QuerySet[Anomaly]:
    """Anomalies not fixed yet, the one blocking the most people first, then the one whose
    blocked people have the oldest deadline (none last), then the oldest anomaly. One query."""
    return (Anomaly.objects.exclude(status=Anomaly.Status.FIXED)
            .annotate(blocked=Count("reports", filter=_BLOCKED),
                      oldest_deadline=Min("reports__deadline", filter=_BLOCKED))
            .select_related("procedure")
            .order_by("-blocked", F("oldest_deadline").asc(nulls_last=True), "created_at", "id"))


def anomaly_get_for_user(*, user: User | AnonymousUser, pk: int) -> Anomaly:
    """The anomaly, with its counts, for the technical team and CCC agents; 404 for anyone else."""
    if not may_see_anomalies(user=user):
        raise Http404
    anomaly = Anomaly.objects.filter(pk=pk).annotate(**_counts()).select_related("procedure", "fixed_by").first()
    if anomaly is None:
        raise Http404
    return anomaly


def anomaly_reports(*, anomaly: Anomaly) -> QuerySet[BlockingReport]:
    """The reports linked to the anomaly, the nearest deadline first."""
    return (BlockingReport.objects.filter(anomaly=anomaly)
            .select_related("prefecture__department", "procedure").order_by("deadline", "id"))


def anomaly_suggestions(*, report: BlockingReport, limit: int = 5) -> list[Anomaly]:
    """Anomalies not fixed of the report's kind, the best match first: same error code and same
    procedure, then same error code, then same procedure; the most recent among equals."""
    error = Q(error_code=report.error_code) if report.error_code else Q(pk__in=[])
    procedure = Q(procedure=report.procedure) if report.procedure_id else Q(pk__in=[])
    return list(
        Anomaly.objects.filter(kind=report.kind).exclude(status=Anomaly.Status.FIXED)
        .exclude(pk=report.anomaly_id or 0)
        .annotate(score=Case(When(error, then=Value(2)), default=Value(0), output_field=IntegerField())
                  + Case(When(procedure, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .select_related("procedure").order_by("-score", "-created_at", "-id")[:limit]
    )


def report_get_to_link(*, user: User | AnonymousUser, reference: str) -> BlockingReport:
    """A report named by its reference on an anomaly's page, for those who link (the technical
    team does not otherwise reach reports); 404 for anyone else or an unknown reference."""
    if not may_see_anomalies(user=user):
        raise Http404
    report = BlockingReport.objects.filter(reference=reference.strip().upper()).first()
    if report is None:
        raise Http404
    return report
