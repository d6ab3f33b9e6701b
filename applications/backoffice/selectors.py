"""Reads for the back-office: the prioritised queue of an agent's prefectures, and the only way a
staff view reaches a dossier. Everything is scoped to the prefectures of the person's memberships."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import AuditEvent, Membership, User
from applications.clock import QUEUE_STATUSES
from applications.models import Attachment, ComplementRequest, Dossier, DossierEvent, Status
from applications.services.common import search_name
from applications.staff import INSTRUCTING_ROLES, agent_prefecture_ids, supervised_prefecture_ids
from applications.workflow import IN_PROGRESS_STATUSES, OPEN_STATUSES
from documents.models import IssuedDocument

DEADLINE_STATES = ("at_risk", "overdue", "due_soon", "paused")
#: "Due soon": the legal deadline falls within this many days.
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class QueueFilters:
    """Every filter of the queue; all of them travel in the URL (bookmarkable, shareable)."""

    prefecture: int | None = None
    procedure: int | None = None
    statuses: tuple[str, ...] = field(default_factory=tuple)
    channel: str = ""
    assigned: str = ""  # "" any, "me", "none", or a user id
    deadline: str = ""  # one of DEADLINE_STATES
    q: str = ""


@dataclass(frozen=True)
class Cursor:
    """Keyset position: the (priority, priority_date, id) of the last row shown."""

    priority: int
    priority_date: date | None
    id: int

    def encode(self) -> str:
        return f"{self.priority}.{self.priority_date.isoformat() if self.priority_date else ''}.{self.id}"

    @classmethod
    def decode(cls, raw: str) -> Cursor | None:
        try:
            priority, day, pk = raw.split(".")
            return cls(int(priority), date.fromisoformat(day) if day else None, int(pk))
        except (ValueError, AttributeError):
            return None


# --- Deadline conditions, as SQL (the same rules as applications/clock.py) -----------------------

def rights_at_risk_q(today: date) -> Q:
    """The current permit ends soon and no valid certificate covers the person (clock.rights_at_risk)."""
    return Q(
        status__in=OPEN_STATUSES, permit_expires_on__isnull=False,
        permit_expires_on__lte=today + timedelta(days=settings.RIGHTS_AT_RISK_DAYS),
    ) & (Q(certificate_valid_until__isnull=True) | Q(certificate_valid_until__lt=today))


def overdue_q(today: date) -> Q:
    return Q(status__in=OPEN_STATUSES, clock_paused_on__isnull=True, legal_deadline__lt=today)


def due_soon_q(today: date) -> Q:
    return Q(status__in=OPEN_STATUSES, clock_paused_on__isnull=True, legal_deadline__gte=today,
             legal_deadline__lte=today + timedelta(days=DUE_SOON_DAYS))


def paused_q() -> Q:
    return Q(status__in=OPEN_STATUSES, clock_paused_on__isnull=False)


# --- The queue ------------------------------------------------------------------------------------

def queue_base(
    *, user: User, filters: QueueFilters, today: date | None = None, prefecture_ids: set[int] | None = None
) -> QuerySet[Dossier]:
    """The person's queue; ``prefecture_ids`` only for a worker acting on a request that was
    checked when it was made (an export), since a worker has no session and no second factor."""
    today = today or timezone.localdate()
    prefectures = set(agent_prefecture_ids(user=user) if prefecture_ids is None else prefecture_ids)
    if filters.prefecture is not None:
        prefectures &= {filters.prefecture}
    rows = Dossier.objects.filter(prefecture_id__in=prefectures)
    rows = rows.filter(status__in=filters.statuses or QUEUE_STATUSES)
    if filters.procedure:
        rows = rows.filter(procedure_id=filters.procedure)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.assigned == "me":
        rows = rows.filter(assigned_to=user)
    elif filters.assigned == "none":
        rows = rows.filter(assigned_to__isnull=True)
    elif filters.assigned.isdigit():
        rows = rows.filter(assigned_to_id=int(filters.assigned))
    # Computed from the dates rather than the stored priority, so the filter always agrees with
    # the badges on screen even before the nightly priority refresh.
    if filters.deadline == "at_risk":
        rows = rows.filter(rights_at_risk_q(today))
    elif filters.deadline == "overdue":
        rows = rows.filter(overdue_q(today))
    elif filters.deadline == "due_soon":
        rows = rows.filter(due_soon_q(today))
    elif filters.deadline == "paused":
        rows = rows.filter(paused_q())
    query = filters.q.strip()
    if query:
        digits = query.replace(" ", "")
        if digits.isdigit() and len(digits) == 10:
            rows = rows.filter(search_foreigner_number=digits)
        elif "-" in query and any(ch.isdigit() for ch in query):
            rows = rows.filter(reference=query.upper().replace(" ", ""))
        else:
            rows = rows.filter(search_name__startswith=search_name(query))
    return rows


def queue_page(
    *, user: User, filters: QueueFilters, after: Cursor | None = None, limit: int = 50
) -> tuple[list[Dossier], Cursor | None]:
    """One page of the queue in priority order, and the cursor of the next page (None at the end).

    One query: what the table shows (procedure, applicant, agent) is joined, and the clock badges
    are computed from the dossier's own fields (applications.clock.clock_for).
    """
    rows = queue_base(user=user, filters=filters).select_related(
        "procedure", "prefecture__department", "applicant", "assigned_to"
    ).order_by("priority", F("priority_date").asc(nulls_last=True), "id")
    if after is not None:
        rows = rows.filter(_after_q(after))
    page = list(rows[: limit + 1])
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        last = page[-1]
        next_cursor = Cursor(last.priority, last.priority_date, last.id)
    return page, next_cursor


def _after_q(after: Cursor) -> Q:
    # Queue rows normally have a priority date (permit end, legal deadline or filing day); a row
    # not yet refreshed may not, and sorts last within its priority (NULLS LAST above).
    if after.priority_date is None:
        return Q(priority__gt=after.priority) | Q(
            priority=after.priority, priority_date__isnull=True, id__gt=after.id
        )
    return (
        Q(priority__gt=after.priority)
        | Q(priority=after.priority, priority_date__gt=after.priority_date)
        | Q(priority=after.priority, priority_date__isnull=True)
        | Q(priority=after.priority, priority_date=after.priority_date, id__gt=after.id)
    )


def queue_status_counts(*, user: User, filters: QueueFilters) -> dict[str, int]:
    """How many dossiers per status, with every filter but the status one applied."""
    base = queue_base(user=user, filters=replace(filters, statuses=()))
    return dict(base.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def prefecture_agents(*, prefecture_ids: set[int] | list[int]) -> list[Membership]:
    """The agents and supervisors of these prefectures (one row per person and prefecture), by name."""
    rows = (
        Membership.objects.filter(prefecture_id__in=prefecture_ids, role__in=INSTRUCTING_ROLES,
                                  user__is_active=True)
        .select_related("user", "prefecture__department")
        .order_by("prefecture__department__code", "user__last_name", "user__first_name", "user_id", "role")
    )
    seen: set[tuple[int, int | None]] = set()
    agents = []
    for membership in rows:
        key = (membership.user_id, membership.prefecture_id)
        if key not in seen:
            seen.add(key)
            agents.append(membership)
    return agents


# --- One dossier -----------------------------------------------------------------------------------

def dossier_get_for_staff(*, user: User, pk: int) -> Dossier:
    """The only way a back-office view reaches a dossier: one of the person's prefectures, else 404."""
    try:
        return Dossier.objects.select_related(
            "procedure", "prefecture__department", "applicant", "renewed_permit", "assigned_to"
        ).exclude(status=Status.DRAFT).get(pk=pk, prefecture_id__in=agent_prefecture_ids(user=user))
    except Dossier.DoesNotExist:
        raise Http404 from None


def attachment_get_for_staff(*, user: User, dossier_pk: int, pk: int) -> Attachment:
    """An attachment of a dossier the person may instruct, else 404 (same rule as the dossier)."""
    try:
        return Attachment.objects.select_related("dossier", "document_type").exclude(
            dossier__status=Status.DRAFT
        ).get(pk=pk, dossier_id=dossier_pk, dossier__prefecture_id__in=agent_prefecture_ids(user=user))
    except Attachment.DoesNotExist:
        raise Http404 from None


def dossier_file_data(*, dossier: Dossier) -> dict[str, Any]:
    """Everything the file page shows about the dossier, in a fixed number of queries."""
    from appointments.selectors import bookings_for_subject
    from documents.selectors import documents_for_subject

    attachments = list(
        Attachment.objects.filter(dossier=dossier).select_related("document_type", "uploaded_by")
        .order_by("uploaded_at", "id")
    )
    events = list(
        DossierEvent.objects.filter(dossier=dossier).select_related("actor", "on_behalf_of").order_by("at", "id")
    )
    requests = list(
        ComplementRequest.objects.filter(dossier=dossier).select_related("requested_by")
        .prefetch_related(Prefetch("document_types"))
    )
    return {
        "attachments": [a for a in attachments if a.is_current],
        "previous_attachments": [a for a in attachments if not a.is_current],
        "events": events,
        "complement_requests": requests,
        "documents": list(documents_for_subject(subject=dossier)),
        "bookings": list(bookings_for_subject(user=dossier.applicant, subject_type=Dossier._meta.label_lower,
                                              subject_id=str(dossier.pk))),
        "requirements": list(dossier.procedure.requirements.select_related("document_type")),
        # Issue 9: another request of the same person for the same permit, still in progress.
        "same_permit_requests": list(
            Dossier.objects.filter(renewed_permit_id=dossier.renewed_permit_id, status__in=IN_PROGRESS_STATUSES)
            .exclude(pk=dossier.pk).select_related("procedure").order_by("submitted_at", "id")
        ) if dossier.renewed_permit_id else [],
    }


def dossier_audit_events(*, dossier: Dossier) -> QuerySet[AuditEvent]:
    """The audit trail of one dossier, newest first."""
    return AuditEvent.objects.filter(
        object_type=Dossier._meta.label_lower, object_id=str(dossier.pk)
    ).select_related("actor", "on_behalf_of").order_by("-at", "-id")


def document_staff_may_access(user: User, document: IssuedDocument) -> bool:
    """Hook for documents.selectors.STAFF_ACCESS_CHECKS: agents and supervisors of a dossier's
    prefecture may download the documents issued about it (receipt, certificates...)."""
    if document.subject_type != Dossier._meta.label_lower or not document.subject_id.isdigit():
        return False
    prefectures = agent_prefecture_ids(user=user)
    if not prefectures:
        return False
    return Dossier.objects.filter(pk=int(document.subject_id), prefecture_id__in=prefectures).exists()


# --- Supervision -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgentLoad:
    membership: Membership
    open: int
    overdue: int
    at_risk: int


def workload_for_supervisor(*, user: User, today: date | None = None) -> tuple[list[AgentLoad], dict[int, int]]:
    """Per agent of the supervisor's prefectures: open dossiers assigned, overdue ones, rights at
    risk; and per prefecture the open dossiers nobody has taken. Three queries in all."""
    today = today or timezone.localdate()
    prefectures = supervised_prefecture_ids(user=user)
    open_rows = Dossier.objects.filter(prefecture_id__in=prefectures, status__in=QUEUE_STATUSES)
    counts: dict[tuple[int, int], Any] = {
        (row["assigned_to"], row["prefecture"]): row
        for row in open_rows.filter(assigned_to__isnull=False).order_by()
        .values("assigned_to", "prefecture")
        .annotate(open=Count("id"), overdue=Count("id", filter=overdue_q(today)),
                  at_risk=Count("id", filter=rights_at_risk_q(today)))
    }
    loads = []
    for membership in prefecture_agents(prefecture_ids=prefectures):
        row = counts.get((membership.user_id, membership.prefecture_id or 0), {})
        loads.append(AgentLoad(membership, row.get("open", 0), row.get("overdue", 0), row.get("at_risk", 0)))
    unassigned = dict(
        open_rows.filter(assigned_to__isnull=True).order_by().values_list("prefecture")
        .annotate(n=Count("id")).values_list("prefecture", "n")
    )
    return loads, unassigned


def open_dossiers_of_agent(*, supervisor: User, agent_id: int) -> QuerySet[Dossier]:
    """The open dossiers assigned to an agent, within the supervisor's prefectures, by priority."""
    return (
        Dossier.objects.filter(
            prefecture_id__in=supervised_prefecture_ids(user=supervisor), status__in=QUEUE_STATUSES,
            assigned_to_id=agent_id,
        )
        .select_related("procedure", "applicant", "prefecture__department")
        .order_by("priority", F("priority_date").asc(nulls_last=True), "id")
    )
