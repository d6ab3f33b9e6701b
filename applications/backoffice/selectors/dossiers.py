"""Reads about one dossier in the back-office: the access-checked getters (the only way a staff view
reaches a dossier or its attachments: 404 outside the person's prefectures), what the file page
shows, its audit trail, and the documents app's hook for staff downloads."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import AuditEvent, User
from applications.models import Attachment, ComplementRequest, Dossier, DossierEvent, Status
from applications.staff import agent_prefecture_ids
from applications.workflow import IN_PROGRESS_STATUSES
from documents.models import IssuedDocument


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
