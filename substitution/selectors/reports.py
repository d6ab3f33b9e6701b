"""Reads about blocking reports. ``report_get_for_user`` is the only way a view reaches a report
by its reference; ``report_get_by_secret`` the only way without an account."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from substitution.access import reports_scope
from substitution.models import Anomaly, BlockingReport, ReportEvidence
from substitution.workflow import ACTIVE_STATUSES


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _with_relations(queryset: QuerySet[BlockingReport]) -> QuerySet[BlockingReport]:
    return queryset.select_related("prefecture__department", "procedure", "site", "anomaly", "person", "opened_by")


def report_get_for_user(*, user: User | AnonymousUser, reference: str) -> BlockingReport:
    """The report, for the person it is about or a member of staff who may see it; 404 for anyone
    else (nobody learns that the reference exists)."""
    if not user.is_authenticated:
        raise Http404
    scope = reports_scope(user=user)
    allowed = Q(person=user) if scope is None else (Q(person=user) | scope)
    report = _with_relations(BlockingReport.objects.filter(allowed, reference=reference)).first()
    if report is None:
        raise Http404
    return report


def report_get_by_secret(*, reference: str, secret: str) -> BlockingReport:
    """The report of a person without an account, through the secret link; 404 on any mismatch.

    The stored hash is compared in constant time, so the time taken says nothing about how much of
    a guessed secret was right."""
    # Not only reports without an account: the paper path gives one to a person who had none (to
    # book their convocation), and the link they were given must keep working.
    report = _with_relations(BlockingReport.objects.filter(reference=reference)).first()
    expected = report.secret_hash if report is not None else "0" * 64
    if not hmac.compare_digest(expected, secret_hash(secret or "")) or report is None or not report.secret_hash:
        raise Http404
    return report


def report_is_overseen_by(*, user: User | AnonymousUser, report: BlockingReport) -> bool:
    """Whether this member of staff may see this report (not as its person)."""
    scope = reports_scope(user=user)
    return scope is not None and BlockingReport.objects.filter(scope, pk=report.pk).exists()


def reports_for_person(*, user: User) -> QuerySet[BlockingReport]:
    return BlockingReport.objects.filter(person=user).select_related("procedure").order_by("-opened_at", "-id")


def report_timeline(*, report: BlockingReport, for_person: bool):
    events = list(report.events.select_related("actor"))
    return [e for e in events if e.shown_to_person] if for_person else events


def report_evidence(*, report: BlockingReport) -> list[ReportEvidence]:
    return list(report.evidence.all())


def evidence_get(*, report: BlockingReport, pk: int) -> ReportEvidence:
    """A file of a report already reached through one of the getters above."""
    item = ReportEvidence.objects.filter(report=report, pk=pk).first()
    if item is None:
        raise Http404
    return item


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    kind: str = ""
    channel: str = ""
    prefecture: int | None = None
    overdue: bool = False
    q: str = ""


def reports_queue(*, user: User, filters: QueueFilters, today: date) -> QuerySet[BlockingReport]:
    """The reports this member of staff may see, the nearest deadline first (the oldest report
    first among equal deadlines). Without a status filter, the active ones only."""
    scope = reports_scope(user=user)
    if scope is None:
        return BlockingReport.objects.none()
    queryset = BlockingReport.objects.filter(scope)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    else:
        queryset = queryset.filter(status__in=ACTIVE_STATUSES)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.prefecture:
        queryset = queryset.filter(prefecture_id=filters.prefecture)
    if filters.overdue:
        queryset = queryset.filter(deadline__lt=today, status__in=ACTIVE_STATUSES)
    q = filters.q.strip()
    if q:
        queryset = queryset.filter(Q(reference__iexact=q) | Q(last_name__icontains=q) | Q(first_name__icontains=q))
    return (queryset.select_related("prefecture__department", "procedure")
            .order_by("deadline", "opened_at", "id"))


def anomalies_to_link(*, report: BlockingReport) -> QuerySet[Anomaly]:
    """Anomalies not yet fixed, the likely ones first: same kind, error code and procedure, then
    same kind and error code, then same kind and procedure, then same kind (as
    ``anomaly_suggestions``, whose one-click choices are therefore always among these)."""
    from django.db.models import Case, IntegerField, Value, When

    error = Q(error_code=report.error_code) if report.error_code else Q(pk__in=[])
    procedure = Q(procedure=report.procedure) if report.procedure_id else Q(pk__in=[])
    kind = Q(kind=report.kind)
    return (Anomaly.objects.exclude(status=Anomaly.Status.FIXED)
            .annotate(likely=Case(When(kind & error & procedure, then=Value(0)), When(kind & error, then=Value(1)),
                                  When(kind & procedure, then=Value(2)), When(kind, then=Value(3)),
                                  default=Value(4), output_field=IntegerField()))
            .order_by("likely", "-created_at", "-id")[:50])
