"""Reads for the CSV exports of the queue (DESIGN §6): the queue's rows as an export writes them, and
the requester's exports.

The rows are the queue's (``queue_base``) with the requester's memberships, in priority order and
read in keyset batches (never one long cursor); only the columns an agent needs to organise the
work are read: no birth date, address, answers or documents.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, QuerySet
from django.db.models.fields.json import KT
from django.http import Http404

from accounts.models import User
from applications.backoffice.selectors.queue import Cursor, QueueFilters, after_q, queue_base
from applications.models import QueueExport

BATCH_SIZE = 2_000


def _export_rows(*, user: User, filters: QueueFilters, prefecture_ids: set[int] | None) -> QuerySet:
    return (
        queue_base(user=user, filters=filters, prefecture_ids=prefecture_ids)
        .order_by("priority", F("priority_date").asc(nulls_last=True), "id")
        .annotate(
            procedure_name=F("procedure__name"), prefecture_name=F("prefecture__name"),
            agent_first_name=F("assigned_to__first_name"), agent_last_name=F("assigned_to__last_name"),
            applicant_first_name=F("applicant__first_name"), applicant_last_name=F("applicant__last_name"),
            identity_first_name=KT("answers__identity__first_name"),
            identity_last_name=KT("answers__identity__last_name"),
        )
        .values_list(
            "id", "reference", "status", "submitted_at", "legal_deadline", "clock_paused_on",
            "permit_expires_on", "certificate_valid_until", "priority", "priority_date",
            "procedure_name", "prefecture_name", "agent_first_name", "agent_last_name",
            "applicant_first_name", "applicant_last_name", "identity_first_name", "identity_last_name",
            named=True,
        )
    )


def queue_rows(
    *, user: User, filters: QueueFilters, batch_size: int | None = None, prefecture_ids: set[int] | None = None
) -> Iterator:
    """The queue's rows in priority order, read in keyset batches (never one long cursor).

    ``prefecture_ids``: for a worker, which has no session (see ``queue_base``)."""
    batch_size = batch_size or BATCH_SIZE
    rows = _export_rows(user=user, filters=filters, prefecture_ids=prefecture_ids)
    batch = list(rows[:batch_size])
    while batch:
        yield from batch
        if len(batch) < batch_size:
            return
        last = batch[-1]
        batch = list(rows.filter(after_q(Cursor(last.priority, last.priority_date, last.id)))[:batch_size])


def exports_for_user(*, user: User, limit: int = 50) -> list[QueueExport]:
    return list(QueueExport.objects.filter(requested_by=user).select_related("prefecture")[:limit])


def export_get_for_user(*, user: User, pk: int) -> QueueExport:
    """The only way to reach an export's file: the requester's own and ready, else 404 (whoever
    else asks, even an agent of the same prefecture, cannot learn that it exists)."""
    export = QueueExport.objects.filter(pk=pk, requested_by_id=user.pk, status=QueueExport.Status.READY).first()
    if export is None or not export.file:
        raise Http404
    return export
