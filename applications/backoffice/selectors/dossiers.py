"""Reads about one dossier in the back-office: the access-checked getters (the only way a staff view
reaches a dossier or its attachments: 404 outside the person's prefectures), what the file page
shows, its audit trail, and the documents app's hook for staff downloads."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.http import Http404

from accounts.models import AuditEvent, User
from applications.models import (
    Attachment,
    ComplementRequest,
    DocumentType,
    Dossier,
    DossierEvent,
    ProcedureDocument,
    Status,
)
from applications.staff import agent_prefecture_ids
from applications.workflow import IN_PROGRESS_STATUSES
from appointments.models import Booking, Motive
from core.prepared import PreparedQuery
from documents.models import IssuedDocument

#: The languages of the translated names (modeltranslation's columns ``name_<code>``).
_LANGUAGES = tuple(settings.MODELTRANSLATION_LANGUAGES)
#: ``requirement_names``' columns.
_REQUIREMENT_COLUMNS = ("document_type_id", *(f"document_type__name_{code}" for code in _LANGUAGES))

# Issue 14: the file page's reads have a fixed shape; their SQL is built once per process
# (``core.prepared``: building it was most of their CPU). tests/core/test_prepared.py compares
# each with its queryset.

def _for_staff(pk: int, prefecture_ids: list[int]) -> QuerySet[Dossier]:
    return Dossier.objects.select_related(
        "procedure", "prefecture__department", "applicant", "renewed_permit", "assigned_to"
    ).exclude(status=Status.DRAFT).filter(pk=pk, prefecture_id__in=prefecture_ids)


_FOR_STAFF = PreparedQuery(_for_staff, pk=int, prefecture_ids=list[int])


def dossier_get_for_staff(*, user: User, pk: int) -> Dossier:
    """The only way a back-office view reaches a dossier: one of the person's prefectures, else 404."""
    found = _FOR_STAFF(pk=pk, prefecture_ids=sorted(agent_prefecture_ids(user=user)))
    if not found:  # the primary key gives one row at most
        raise Http404
    return found[0]


def _with_same_permit(pk: int, prefecture_ids: list[int]) -> QuerySet[Dossier]:
    """``_for_staff``'s dossier and, in the same query, the other requests in progress for the
    permit it renews (``_SAME_PERMIT``'s): the permit is read from the dossier found under the same
    conditions (a subquery), so that nothing is found about a dossier the person may not see. With
    whether the file has an unanswered complement request, and any booking about it: the file page
    reads those lists only then (most files have neither). And ``requirement_names``' columns, as
    arrays (a query less where the complements form is offered)."""
    renewed = _for_staff(pk, prefecture_ids).values("renewed_permit_id")
    # one array per column (ids, then names per language): read as lists, with no converter; each
    # in the order of the document types' ids, unique per procedure (so the arrays align). ARRAY()
    # is PostgreSQL's: elsewhere (SQLite, ``make run``) the pieces are read apart when the form needs
    # them (``dossier_requirement_names``).
    arrays = {f"file_requirement_{column}": ArraySubquery(_requirement_names(OuterRef("procedure_id")).values(column))
              for column in _REQUIREMENT_COLUMNS} if connection.vendor == "postgresql" else {}
    return Dossier.objects.annotate(
        **arrays,
        file_has_open_request=Exists(
            ComplementRequest.objects.filter(dossier_id=OuterRef("pk"), answered_at__isnull=True)),
        file_has_bookings=Exists(Booking.objects.filter(
            subject_type=Dossier._meta.label_lower, subject_id=Cast(OuterRef("pk"), output_field=CharField()))),
    ).select_related(
        "procedure", "prefecture__department", "applicant", "renewed_permit", "assigned_to"
    ).filter(
        (Q(pk=pk, prefecture_id__in=prefecture_ids) & ~Q(status=Status.DRAFT))
        | (Q(renewed_permit_id=Subquery(renewed), status__in=sorted(IN_PROGRESS_STATUSES)) & ~Q(pk=pk))
    ).order_by("submitted_at", "id")


_WITH_SAME_PERMIT = PreparedQuery(_with_same_permit, pk=int, prefecture_ids=list[int])


def dossier_file_get_for_staff(*, user: User, pk: int) -> tuple[Dossier, list[Dossier]]:
    """``dossier_get_for_staff`` for the file page (the same rule: one of the person's prefectures,
    not a draft, else 404), with the other requests in progress for the permit the dossier renews
    (``dossier_file_data``'s ``same_permit_requests``) read in the same query (issue 17: a query
    less on the file page of a renewal). The dossier's ``file_has_open_request`` and
    ``file_has_bookings`` say whether it has an unanswered complement request, and any booking;
    its ``file_requirement_*`` hold its procedure's pieces (``dossier_requirement_names``)."""
    dossier, others = None, []
    for found in _WITH_SAME_PERMIT(pk=pk, prefecture_ids=sorted(agent_prefecture_ids(user=user))):
        if found.pk == pk:
            dossier = found
        else:
            others.append(found)
    if dossier is None:
        raise Http404
    return dossier, others if dossier.renewed_permit_id else []


def attachment_get_for_staff(*, user: User, dossier_pk: int, pk: int) -> Attachment:
    """An attachment of a dossier the person may instruct, else 404 (same rule as the dossier)."""
    try:
        return Attachment.objects.select_related("dossier", "document_type").exclude(
            dossier__status=Status.DRAFT
        ).get(pk=pk, dossier_id=dossier_pk, dossier__prefecture_id__in=agent_prefecture_ids(user=user))
    except Attachment.DoesNotExist:
        raise Http404 from None


def dossier_file_data(*, dossier: Dossier, requirements: bool = True, same_permit: list[Dossier] | None = None,
                      skip: Collection[str] = ()) -> dict[str, Any]:
    """Everything the file page shows about the dossier, in a fixed number of queries. The
    procedure's required pieces only with ``requirements`` (the complements form lists them: a
    query less where it is not offered; else an empty list). ``same_permit``: the other requests
    for the same permit when the caller has read them (``dossier_file_get_for_staff``). ``skip``:
    the lists the caller knows it needs not read, given empty ("complement_requests", "bookings":
    then no biometrics status either)."""
    attachments = _ATTACHMENTS(dossier_id=dossier.pk)
    requests = _COMPLEMENT_REQUESTS(dossier_id=dossier.pk) if "complement_requests" not in skip else []
    _prefetch_document_types(requests)
    # Every booking about the file, whoever it is for: the applicant's are shown (as
    # ``bookings_for_subject`` reads them), the biometrics ones' statuses give where the
    # fingerprints stand (``dossier_biometrics_state``'s query): one query for both (issue 17).
    bookings = _SUBJECT_BOOKINGS(subject_id=str(dossier.pk)) if "bookings" not in skip else []
    return {
        "attachments": [a for a in attachments if a.is_current],
        "previous_attachments": [a for a in attachments if not a.is_current],
        "events": _EVENTS(dossier_id=dossier.pk),
        "complement_requests": requests,
        "documents": _DOCUMENTS(subject_id=str(dossier.pk)),
        "bookings": [booking for booking in bookings if booking.person_id == dossier.applicant_id],
        "biometrics_statuses": {booking.status for booking in bookings
                                if booking.motive.code == Motive.Code.BIOMETRICS},
        "requirements": _REQUIREMENTS(procedure_id=dossier.procedure_id) if requirements else [],
        # Issue 9: another request of the same person for the same permit, still in progress.
        "same_permit_requests": same_permit if same_permit is not None
        else _SAME_PERMIT(permit_id=dossier.renewed_permit_id, pk=dossier.pk) if dossier.renewed_permit_id else [],
    }


#: What the page does not show of an attachment's document type (its name only): the formats'
#: JSON is not turned into Python for each attachment (issue 17).
_UNSHOWN_TYPE_FIELDS = ("allowed_formats", "max_size_mb", "help_text", *(f"help_text_{code}" for code in _LANGUAGES))
#: Who uploaded each is not shown (issue 17: a person's instance per attachment less to build), nor
#: the stored file (its own view serves it): without the file field's descriptor, the attachments
#: are built as plain instances (``core.prepared._Builder``), not through ``Model.__init__``.
_ATTACHMENTS = PreparedQuery(lambda dossier_id: (
    Attachment.objects.filter(dossier_id=dossier_id).select_related("document_type")
    .defer("file", *(f"document_type__{field}" for field in _UNSHOWN_TYPE_FIELDS))
    .order_by("uploaded_at", "id")), dossier_id=int)
#: The people of the events are named (name, e-mail, login), not described: their dates are left
#: out (issue 17: the driver turns each date into Python in about eight calls, four per person).
_PERSON_DATES = ("last_login", "date_joined", "email_verified_at", "birth_date")
_EVENTS = PreparedQuery(lambda dossier_id: (
    DossierEvent.objects.filter(dossier_id=dossier_id).select_related("actor", "on_behalf_of")
    .defer(*(f"{person}__{field}" for person in ("actor", "on_behalf_of") for field in _PERSON_DATES))
    .order_by("at", "id")), dossier_id=int)
#: Their document types are read after (``prefetch_related`` runs a query of its own: not preparable).
_COMPLEMENT_REQUESTS = PreparedQuery(lambda dossier_id: (
    ComplementRequest.objects.filter(dossier_id=dossier_id)), dossier_id=int)  # who asked is not shown
#: The complement requests' document types, as ``prefetch_related("document_types")`` reads them (the
#: same manager, filter and default ordering), with the request each belongs to: its SQL built once
#: per process (issue 17: building the prefetch's query was a ninth of the page of such a file).
_REQUEST_LINK = ComplementRequest._meta.get_field("document_types").related_query_name()
_REQUEST_DOCUMENT_TYPES = PreparedQuery(lambda request_ids: (
    DocumentType.objects.filter(**{f"{_REQUEST_LINK}__in": request_ids})
    .annotate(_prefetch_related_val_complementrequest_id=F(f"{_REQUEST_LINK}__id"))), request_ids=list[int])


def _prefetch_document_types(requests: list[ComplementRequest]) -> None:
    """``prefetch_related_objects(requests, "document_types")``: each request's ``document_types.all()``
    then gives its types, in the same order, without a query (as ``prefetch_one_level`` caches them)."""
    if not requests:
        return
    found: dict[int, list[DocumentType]] = {request.pk: [] for request in requests}
    for document_type in _REQUEST_DOCUMENT_TYPES(request_ids=list(found)):
        found[document_type._prefetch_related_val_complementrequest_id].append(document_type)
    for request in requests:
        queryset = request.document_types.get_queryset()  # the manager's own, as the prefetch keeps it
        queryset._result_cache = found[request.pk]
        queryset._prefetch_done = True  # type: ignore[attr-defined]  # private, as prefetch_one_level sets it
        request.__dict__.setdefault("_prefetched_objects_cache", {})["document_types"] = queryset


_REQUIREMENTS = PreparedQuery(lambda procedure_id: (
    ProcedureDocument.objects.filter(procedure_id=procedure_id).select_related("document_type")),
    procedure_id=int)
def _requirement_names(procedure_id: Any) -> QuerySet[ProcedureDocument]:
    """The procedure's document types with their names in every language, as plain tuples."""
    return (ProcedureDocument.objects.filter(procedure_id=procedure_id).order_by("document_type_id")
            .values_list(*_REQUIREMENT_COLUMNS))


_REQUIREMENT_NAMES = PreparedQuery(_requirement_names, procedure_id=int)


def requirement_names(*, procedure_id: int) -> tuple[tuple, ...]:
    """What the complements form's choices show (each document type's id and its name in every
    language, the fallback included): the file page keeps the blank form's HTML under them, for a
    few tuples rather than a model instance per piece (issue 17)."""
    return tuple(_REQUIREMENT_NAMES(procedure_id=procedure_id))


def dossier_requirement_names(*, dossier: Dossier) -> tuple[tuple, ...]:
    """``requirement_names`` of the dossier's procedure: from what ``dossier_file_get_for_staff``
    read with the dossier (the same rows, in the same order), else read now."""
    columns = [getattr(dossier, f"file_requirement_{column}", None) for column in _REQUIREMENT_COLUMNS]
    if columns[0] is None:
        return requirement_names(procedure_id=dossier.procedure_id)
    return tuple(zip(*columns, strict=True))


_SAME_PERMIT = PreparedQuery(lambda permit_id, pk: (
    Dossier.objects.filter(renewed_permit_id=permit_id, status__in=sorted(IN_PROGRESS_STATUSES))
    .exclude(pk=pk).select_related("procedure").order_by("submitted_at", "id")), permit_id=int, pk=int)


def _documents(subject_id: str) -> QuerySet[IssuedDocument]:
    """The documents app's own selector, for a dossier known by its id."""
    from documents.selectors import documents_for_subject

    return documents_for_subject(subject=Dossier(pk=subject_id))


def _subject_bookings(subject_id: str) -> QuerySet[Booking]:
    """``appointments.selectors.bookings_for_subject``'s query (the same joins and order) without
    its person: every booking about a dossier known by its id."""
    return Booking.objects.filter(subject_type=Dossier._meta.label_lower, subject_id=subject_id).select_related(
        "slot__desk__site", "motive").order_by("slot__starts_at", "id")


_DOCUMENTS = PreparedQuery(_documents, subject_id=str)
_SUBJECT_BOOKINGS = PreparedQuery(_subject_bookings, subject_id=str)


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
