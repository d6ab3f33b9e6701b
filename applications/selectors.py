"""Reads for the applicant's pages. Views reach dossiers and attachments only through the
access-checked getters here."""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, Expression, OuterRef, QuerySet, TextField
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications.apps import DOSSIER_SUBJECT_TYPE
from applications.catalogue_i18n import catalogue_text
from applications.models import (
    Attachment,
    ComplementRequest,
    DocumentType,
    Dossier,
    DossierEvent,
    Permit,
    Procedure,
    ProcedureDocument,
    Status,
)
from applications.reminders import next_reminder, renewal_filed
from applications.rules import RenewalWindow, renewal_window
from applications.steps import STEP_LABELS, steps_for
from applications.workflow import IN_PROGRESS_STATUSES
from appointments.selectors import active_booking_exists, booking_about_type_exists
from core.prepared import PreparedPair, PreparedQuery
from documents.models import CONTINUITY_KINDS, DocumentStatus, IssuedDocument


@dataclass(frozen=True)
class PermitStatus:
    permit: Permit
    days_left: int
    window: RenewalWindow
    window_state: str
    #: The request that renews or replaces this card, while it matters to the card (None: none).
    renewal: Dossier | None = None
    #: Where that request stands, for the card: "" (no request), "filed", "certificate" (the
    #: holder is covered by an extension certificate), "decided", "refused", "card_ready",
    #: "delivered", or "replaced" (the new card was handed over: ``permit.replaced_by``).
    stage: str = ""
    #: The extension certificate covering the holder now ("certificate" stage).
    certificate: Any = None
    #: The booked collection of the new card ("card_ready" stage), if any.
    collection: Any = None
    #: The next renewal reminder, (day, milestone) (applications/reminders.py), or None.
    next_reminder: Any = None

    @property
    def expired(self) -> bool:
        return self.days_left < 0


#: Dossier statuses -> the stage a renewal shows on the card it renews.
RENEWAL_STAGES: dict[str, str] = {
    Status.SUBMITTED: "filed", Status.UNDER_REVIEW: "filed", Status.COMPLEMENTS_REQUESTED: "filed",
    Status.DECIDED_FAVOURABLE: "decided", Status.CARD_IN_PRODUCTION: "decided",
    Status.DECIDED_UNFAVOURABLE: "refused", Status.CARD_READY: "card_ready", Status.CARD_DELIVERED: "delivered",
}


def permits_for_holder(
    *, user: User, today: date | None = None, dossiers: list[Dossier] | None = None,
    certificates: list | None = None, bookings: dict[str, list] | None = None,
) -> list[PermitStatus]:
    """The holder's permits, newest first, each with its renewal window and, when a request renews
    or replaces it, the stage of that request (filed, covered by a certificate, decided, card
    ready, replaced by the new card).

    ``dossiers`` (the holder's, as the dashboard reads them), ``certificates`` (documents in force)
    and ``bookings`` (active bookings by dossier id) are what the page has already read: given,
    they cost no query; the permits themselves are one query, two when one was replaced.
    """
    today = today or timezone.localdate()
    renewals: dict[int, Dossier] = {}
    for dossier in sorted(dossiers or [], key=lambda d: (d.submitted_at is not None, d.submitted_at, d.pk)):
        if dossier.renewed_permit_id and dossier.status in RENEWAL_STAGES:
            renewals[dossier.renewed_permit_id] = dossier  # the latest filed one wins
    covering = {
        str(document.subject_id): document for document in certificates or []
        if document.kind == "extension_certificate" and document.valid_from and document.valid_from <= today
    }
    permits = _HOLDER_PERMITS(user_id=user.pk)
    # The new cards, read only when a permit was replaced: joined on every visit, they cost as much
    # as the permits' own query (issue 14), and most people have none.
    replaced = {permit.replaced_by_id for permit in permits if permit.replaced_by_id}
    if replaced:
        new_cards = Permit.objects.in_bulk(replaced)
        for permit in permits:
            if permit.replaced_by_id:
                permit.replaced_by = new_cards[permit.replaced_by_id]
    rows = []
    for permit in permits:
        renewal, stage, certificate, collection = renewals.get(permit.pk), "", None, None
        if permit.replaced_by_id:
            stage = "replaced"
        elif renewal is not None:
            stage = RENEWAL_STAGES[renewal.status]
            certificate = covering.get(str(renewal.pk)) if stage == "filed" else None
            if certificate is not None:
                stage = "certificate"
            if stage == "card_ready":
                collection = next((b for b in (bookings or {}).get(str(renewal.pk), [])
                                   if b.motive.code == "card_collection"), None)
        window = renewal_window(permit.valid_until)
        rows.append(PermitStatus(
            permit=permit, days_left=(permit.valid_until - today).days, window=window,
            window_state=window.state(today), renewal=renewal, stage=stage, certificate=certificate,
            collection=collection,
            next_reminder=None if permit.replaced_by_id else next_reminder(
                valid_until=permit.valid_until, today=today,
                renewal_filed=renewal is not None and renewal_filed(family=renewal.family, status=renewal.status)),
        ))
    return rows


#: The holder's permits, newest first (the SQL built once per process: ``core.prepared``).
_HOLDER_PERMITS = PreparedQuery(
    lambda user_id: Permit.objects.filter(holder_id=user_id).order_by("-valid_until", "-id"), user_id=int)


def procedures_catalogue() -> QuerySet[Procedure]:
    return Procedure.objects.filter(is_active=True).prefetch_related("requirements__document_type")


def procedure_get_active(*, code: str) -> Procedure:
    try:
        return Procedure.objects.get(code=code, is_active=True)
    except Procedure.DoesNotExist:
        raise Http404 from None


def eligibility_mismatch(*, procedure: Procedure, answers: dict) -> dict | None:
    """The first eligibility answer that rules this procedure out, with the message to show and
    the procedure to suggest instead (None when every answer fits)."""
    for question in procedure.eligibility:
        expected = "yes" if question.get("expected", True) else "no"
        answer = answers.get(question["code"])
        if answer and answer != expected:
            other = Procedure.objects.filter(code=question.get("otherwise", ""), is_active=True).first()
            return {"message": catalogue_text(question, "message"), "procedure": other}
    return None


def dossiers_for_applicant(*, user: User) -> QuerySet[Dossier]:
    """The applicant's dossiers, newest activity first, as the API lists them (one query). Without
    the answers and the procedure's questions, which the list does not show and which were decoded
    for every dossier (issue 14). The dashboard reads fewer columns: ``dashboard_dossiers``."""
    return (
        Dossier.objects.filter(applicant=user)
        .select_related("procedure", "prefecture")
        .defer(*DASHBOARD_DEFERRED)
        .order_by("-updated_at", "-id")
    )


def dashboard_dossiers(*, user: User) -> list[Dossier]:
    """The applicant's dossiers as their dashboard lists them, newest activity first: one query,
    only the columns the page shows, and not their procedure, which the page names from the
    catalogue's cached names (``catalogue_cache.procedure_names``). Issue 14: building the SQL of
    every column of the dossier, its procedure and its prefecture was most of the query's cost, and
    its SQL is now built once per process (``core.prepared``). A field read beyond
    ``DASHBOARD_FIELDS`` costs a query per dossier (tests/anef/test_page_queries.py)."""
    return _DASHBOARD_DOSSIERS(user_id=user.pk)


#: What the dashboard reads of a dossier: its line (procedure, reference, status, step, last
#: change) and what ``permits_for_holder`` matches permits with.
DASHBOARD_FIELDS = ("applicant_id", "procedure_id", "reference", "status", "current_step", "updated_at",
                    "submitted_at", "renewed_permit_id", "family")


#: Each dossier also carries ``active_booking``: whether the applicant has an active booking about
#: any of their files (the same for every row), which spares the page a query on most visits; and
#: ``continuity_document``: whether they hold a continuity document (an extension certificate, a
#: favourable decision) valid or superseded, the rows ``documents_in_force_for_holder`` reads and
#: sorts by day, which most people have none of (issue 17: one query fewer then).
_DASHBOARD_DOSSIERS = PreparedQuery(
    lambda user_id: Dossier.objects.filter(applicant_id=user_id).only(*DASHBOARD_FIELDS).annotate(
        active_booking=active_booking_exists(person=OuterRef("applicant_id"), subject_type=DOSSIER_SUBJECT_TYPE),
        continuity_document=Exists(IssuedDocument.objects.filter(
            holder_id=OuterRef("applicant_id"), kind__in=sorted(CONTINUITY_KINDS),
            status__in=(DocumentStatus.VALID, DocumentStatus.SUPERSEDED))),
    ).order_by("-updated_at", "-id"),
    user_id=int,
)


#: What ``dossiers_for_applicant`` leaves out: read in a list, each would cost a query per dossier.
DASHBOARD_DEFERRED = ("answers", "decision_reasons", "appeal_routes", "procedure__questions",
                      "procedure__eligibility", "procedure__help", "procedure__help_fr", "procedure__help_en")


def dossier_get_for_user(*, user: User, pk: int) -> Dossier:
    """The only way a view reaches a dossier: the applicant's own, else 404 (no hint it exists).

    Staff access (back-office, mediators under a mandate) is added by their own getters. The SQL
    is built once per process (``core.prepared``: the join of five tables cost more to build than
    to run, issue 14).
    """
    found = _USER_DOSSIER(pk=pk, user_id=user.pk)
    if not found:
        raise Http404
    return found[0]


#: Each dossier also carries ``any_booking``: whether its applicant has a booking about any of
#: their dossiers; without one, the dossier's page reads no booking (issue 17).
_USER_DOSSIER = PreparedQuery(
    lambda pk, user_id: Dossier.objects.select_related(
        "procedure", "prefecture__department", "renewed_permit", "applicant"
    ).filter(pk=pk, applicant_id=user_id).annotate(
        any_booking=booking_about_type_exists(person=OuterRef("applicant_id"), subject_type=DOSSIER_SUBJECT_TYPE)),
    pk=int, user_id=int,
)


def dossier_page_get_for_user(*, user: User, pk: int) -> tuple[Dossier, Callable[[], list[Attachment]]]:
    """``dossier_get_for_user`` for the dossier's own page (``applications.views.dossier``): the
    same access check (the applicant's own, else 404), but only the columns the page shows and of
    the related rows only the procedure's names and the prefecture's: the applicant, the permit
    renewed, the department and the JSON of the answers and of the procedure's questions are not
    built for it (issue 17: a translated instance costs about 40 calls). A field read beyond
    ``DOSSIER_PAGE_FIELDS`` costs a query (tests/anef/test_page_queries.py).

    With the dossier, its pieces as the page reads them (``dossier_page_data``'s ``attachments``),
    in the same statement (``core.prepared.PreparedPair``: a round trip less), given by the function
    returned beside it, which makes them when called; the rows of a dossier that is not the
    person's are never made (404)."""
    found, attachments = _USER_DOSSIER_PAGE_AND_ATTACHMENTS(one={"pk": pk, "user_id": user.pk},
                                                             many={"dossier_id": pk})
    if not found:
        raise Http404
    # In ``_DOSSIER_PAGE_ATTACHMENTS``' order whatever the backend: SQLite may drop the ORDER BY of
    # a subquery it joins (PostgreSQL keeps it: ``PreparedPair``).
    return found[0], lambda: sorted(attachments(), key=_ATTACHMENT_ORDER)


#: What the dossier page reads of its dossier: its head (procedure, reference, filing, prefecture,
#: status), the draft's step (a draft's page is its current step) and the applicant, to tell their
#: own actions in the history. The procedure's three names: ``presenters.type_name`` reads them.
DOSSIER_PAGE_FIELDS = ("applicant", "procedure", "prefecture", "reference", "status", "current_step",
                       "submitted_at", "filed_on_time", "procedure__name", "procedure__name_fr",
                       "procedure__name_en", "prefecture__name")

#: What the page shows of a document issued about the dossier (``presenters.document_item_html``).
_PAGE_DOCUMENT_FIELDS = ("id", "kind", "number", "issued_at", "rendered_at", "file", "status", "superseded_on",
                         "valid_from", "valid_until")


class _PageDocuments(Expression):
    """The documents issued about the outer query's dossier, newest issue first (as
    ``_DOSSIER_DOCUMENTS`` orders them, the id after), as one JSON text: an array of each one's
    ``_PAGE_DOCUMENT_FIELDS`` (``_page_documents`` makes them instances). Issue 17: read with the
    dossier, a statement less on its page (every filed dossier has its filing receipt)."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        quote = connection.ops.quote_name
        columns = ", ".join(f'"d".{quote(IssuedDocument._meta.get_field(name).column)}'
                            for name in _PAGE_DOCUMENT_FIELDS)
        outer = f"{quote(Dossier._meta.db_table)}.{quote(Dossier._meta.pk.column)}"
        rows = (f'FROM {quote(IssuedDocument._meta.db_table)} AS "d" WHERE "d"."subject_type" = %s '
                f'AND "d"."subject_id" = CAST({outer} AS text)')
        order = 'ORDER BY "d"."issued_at" DESC, "d"."id" DESC'
        if connection.vendor == "postgresql":
            sql = f"(SELECT COALESCE(json_agg(json_build_array({columns}) {order}), '[]')::text {rows})"  # noqa: S608
        else:  # SQLite: the array in the order of the rows it is given
            sql = f'(SELECT json_group_array(json_array({columns})) FROM (SELECT {columns} {rows} {order}) AS "d")'  # noqa: S608 (names only)
        return sql, (DOSSIER_SUBJECT_TYPE,)


#: ``Model.from_db`` takes the loaded values in the model's order of its fields.
_MODEL_ORDER = [field.attname for field in IssuedDocument._meta.concrete_fields
                if field.attname in _PAGE_DOCUMENT_FIELDS]


def _page_documents(text: str, *, using: str) -> list[IssuedDocument]:
    """``_PageDocuments``' JSON as the instances ``_DOSSIER_DOCUMENTS`` gives (their other fields
    deferred): its dates and instants as the driver gives them (an instant in UTC)."""
    documents = []
    for values in json.loads(text):
        row = dict(zip(_PAGE_DOCUMENT_FIELDS, values, strict=True))
        for name in ("issued_at", "rendered_at"):
            if row[name] is not None:
                moment = datetime.fromisoformat(row[name])
                row[name] = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        for name in ("superseded_on", "valid_from", "valid_until"):
            if row[name] is not None:
                row[name] = date.fromisoformat(row[name])
        documents.append(IssuedDocument.from_db(using, _PAGE_DOCUMENT_FIELDS, [row[name] for name in _MODEL_ORDER]))
    return documents


_USER_DOSSIER_PAGE = PreparedQuery(
    lambda pk, user_id: Dossier.objects.select_related("procedure", "prefecture").only(*DOSSIER_PAGE_FIELDS)
    .filter(pk=pk, applicant_id=user_id).annotate(
        any_booking=booking_about_type_exists(person=OuterRef("applicant_id"), subject_type=DOSSIER_SUBJECT_TYPE),
        page_documents=_PageDocuments()),
    pk=int, user_id=int,
)


def dossier_page_data(*, dossier: Dossier, html: bool = False,
                      attachments: Callable[[], list[Attachment]] | None = None) -> dict:
    """Everything the dossier page shows, in a fixed number of queries, each built once per process
    (``core.prepared``) but the open complement request's.

    ``html``: for the HTML page (issue 17), which reads of the pieces neither their file nor their
    checksum (the API gives them): without the file's descriptor, their instances are made plainly
    (``core.prepared._Builder``); and the types the procedure asks for are its ``document_types``
    (``PageDocumentType``), kept per language and catalogue version (``procedure_document_types``),
    instead of its ``requirements`` read each time. ``attachments``: the pieces' maker when the
    caller read them with the dossier (``dossier_page_get_for_user``)."""
    if html:
        document_types = procedure_document_types(procedure_id=dossier.procedure_id)
        types: dict[int, Any] = {document_type.pk: document_type for document_type in document_types}
        listed: dict[str, Any] = {"document_types": document_types}
    else:
        requirements = _PROCEDURE_REQUIREMENTS(procedure_id=dossier.procedure_id)
        for requirement in requirements:  # as ``procedure.requirements`` leaves them: their procedure known
            ProcedureDocument.procedure.field.set_cached_value(requirement, dossier.procedure)
        # The pieces' types are the requirements' (issue 17: read once, not a second time joined to
        # the pieces); one query more only for a piece of a type the procedure no longer asks for.
        types = {requirement.document_type_id: requirement.document_type for requirement in requirements}
        listed = {"requirements": requirements}
    pieces = (attachments() if attachments is not None
              else (_DOSSIER_PAGE_ATTACHMENTS if html else _DOSSIER_ATTACHMENTS)(dossier_id=dossier.pk))
    missing = [attachment.document_type_id for attachment in pieces if attachment.document_type_id not in types]
    if missing:
        types.update((document_type.pk, document_type) for document_type in DocumentType.objects.filter(pk__in=missing))
    for attachment in pieces:
        Attachment.document_type.field.set_cached_value(attachment, types[attachment.document_type_id])
    return {
        "attachments": [a for a in pieces if a.is_current],
        "previous_attachments": [a for a in pieces if not a.is_current],
        "events": _DOSSIER_EVENTS(dossier_id=dossier.pk),
        # read with the dossier where its getter did (``dossier_page_get_for_user``)
        "documents": _page_documents(dossier.page_documents, using=dossier._state.db or DEFAULT_DB_ALIAS)
        if hasattr(dossier, "page_documents")
        else _DOSSIER_DOCUMENTS(subject_type=Dossier._meta.label_lower, subject_id=str(dossier.pk)),
        **listed,
        "complement_request": complement_request_open(dossier=dossier),
    }


@dataclass(frozen=True)
class PageDocumentType:
    """What the applicant's dossier page reads of a document type (its name and help in the
    language of the page, its upload rules), as plain values: ``procedure_document_types``."""

    pk: int
    name: str
    help_text: str
    allowed_formats: tuple[str, ...]
    max_size_mb: int

    @property
    def formats_label(self) -> str:  # as ``DocumentType.formats_label``
        return ", ".join(DocumentType.Format(f).label for f in self.allowed_formats)


def procedure_document_types(*, procedure_id: int) -> list[PageDocumentType]:
    """The document types a procedure asks for, in the order of ``procedure.requirements``, in the
    current language: read once per language and catalogue version (``catalogue_cache``: every
    admin change of a procedure, a document type or a procedure's list calls ``catalogue_changed``),
    not on every visit of a dossier page (issue 17: a query and two instances per type)."""
    from applications.catalogue_cache import CATALOGUE
    from core.fragments import cached_fragment

    # Kept as tuples of plain values, the fields' names in the key: a process of another release
    # (a rolling deployment shares the cache) never reads back an object of a class it does not have.
    rows = cached_fragment(
        f"procedure-document-types:{_PAGE_DOCUMENT_TYPE_FIELDS}:{int(procedure_id)}", depends_on=(CATALOGUE,),
        render=lambda: [
            (t.pk, t.name, t.help_text, tuple(t.allowed_formats), t.max_size_mb)
            for t in (requirement.document_type for requirement in _PROCEDURE_REQUIREMENTS(procedure_id=procedure_id))])
    return [PageDocumentType(*row) for row in rows]


_PAGE_DOCUMENT_TYPE_FIELDS = ",".join(field.name for field in dataclasses.fields(PageDocumentType))


#: A dossier's pieces, without their types (``dossier_page_data`` gives them the requirements' ones).
_DOSSIER_ATTACHMENTS = PreparedQuery(
    lambda dossier_id: Attachment.objects.filter(dossier_id=dossier_id).order_by("uploaded_at", "id"),
    dossier_id=int,
)
#: The same, as the HTML page reads them (``dossier_page_data(html=True)``): a field read beyond
#: these costs a query per piece (tests/anef/test_page_queries.py).
_DOSSIER_PAGE_ATTACHMENTS = PreparedQuery(
    lambda dossier_id: Attachment.objects.filter(dossier_id=dossier_id).only(
        "dossier", "document_type", "original_name", "is_current", "review", "review_reason", "uploaded_at",
    ).order_by("uploaded_at", "id"),
    dossier_id=int,
)
#: The history, without its actors: the page says only whether one acted (``actor_id``), never who
#: (issue 17: a person's row per event cost more than the event's).
_DOSSIER_EVENTS = PreparedQuery(
    lambda dossier_id: DossierEvent.objects.filter(dossier_id=dossier_id).order_by("at", "id"),
    dossier_id=int,
)
_ATTACHMENT_ORDER = operator.attrgetter("uploaded_at", "id")  # the query's ``order_by``
_USER_DOSSIER_PAGE_AND_ATTACHMENTS = PreparedPair(_USER_DOSSIER_PAGE, _DOSSIER_PAGE_ATTACHMENTS)
#: ``documents.selectors.documents_for_subject`` as the page orders it (newest issue first).
_DOSSIER_DOCUMENTS = PreparedQuery(
    lambda subject_type, subject_id: IssuedDocument.objects.filter(subject_type=subject_type, subject_id=subject_id)
    .order_by("-issued_at"),
    subject_type=str, subject_id=str,
)
#: ``procedure.requirements`` (their default order) with their document type.
_PROCEDURE_REQUIREMENTS = PreparedQuery(
    lambda procedure_id: ProcedureDocument.objects.filter(procedure_id=procedure_id).select_related("document_type"),
    procedure_id=int,
)


def complement_request_open(*, dossier: Dossier) -> ComplementRequest | None:
    """The prefecture's unanswered complement request, with the pieces it asks for (None when the
    dossier is not waiting for the applicant)."""
    if dossier.status != "complements_requested":
        return None
    return (ComplementRequest.objects.filter(dossier=dossier, answered_at__isnull=True)
            .prefetch_related("document_types").first())


def request_in_progress_for_permit(*, dossier: Dossier) -> Dossier | None:
    """Another request of the same family for the permit this dossier renews, filed and not final
    (the database allows only one: ``dossier_one_request_in_progress_per_permit_and_family``)."""
    if dossier.renewed_permit_id is None:
        return None
    return (
        Dossier.objects.filter(renewed_permit_id=dossier.renewed_permit_id,
                               family=dossier.family or dossier.procedure.group,
                               status__in=IN_PROGRESS_STATUSES)
        .exclude(pk=dossier.pk).order_by("submitted_at", "id").first()
    )


def person_name(*, first: str | None, last: str | None) -> str:
    """A person as the portal names them everywhere: "First LAST" (as ``User.get_full_name``), each
    part left out when blank (without a generator: written for every row of the queue, issue 17)."""
    last = (last or "").upper()
    if first and last:
        return f"{first} {last}"
    return first or last


def applicant_snapshot(*, dossier: Dossier) -> dict[str, str]:
    """Who the dossier is about, as every document and page names them: the filing receipt, the
    certificates and the back-office. Each fact comes from the dossier's identity step, else from
    the account (an answer left blank there does not blank out what the account knows).

    ``name`` is "First LAST" (as ``User.get_full_name``); ``birth_date`` is ISO (``YYYY-MM-DD``) or "".
    No query beyond ``dossier.applicant`` (select it with the dossier on list pages).
    """
    return applicant_snapshot_of(user=dossier.applicant, answers=dossier.answers)


def applicant_snapshot_of(*, user: User, answers: Any) -> dict[str, str]:
    """``applicant_snapshot`` from the account and the dossier's answers (a batch job that read
    them as values): the same rule."""
    identity = answers.get("identity", {}) if isinstance(answers, dict) else {}
    name = person_name(first=identity.get("first_name") or user.first_name,
                       last=identity.get("last_name") or user.last_name)
    return {
        "name": name or str(user),  # str(): full name, else e-mail, else login identifier
        "birth_date": identity.get("birth_date") or (user.birth_date.isoformat() if user.birth_date else ""),
        "foreigner_number": identity.get("foreigner_number") or user.foreigner_number or "",
    }


def attachment_get_for_user(*, user: User, dossier_pk: int, pk: int) -> Attachment:
    try:
        return Attachment.objects.select_related("dossier", "document_type").get(
            pk=pk, dossier_id=dossier_pk, dossier__applicant=user
        )
    except Attachment.DoesNotExist:
        raise Http404 from None


# --- Biometrics (back-office decision) -------------------------------------------------------------

BIOMETRICS_NONE, BIOMETRICS_CONVOKED, BIOMETRICS_DONE = "none", "convoked", "done"


def _biometrics_statuses(subject_id: str) -> QuerySet:
    from appointments.models import Booking, Motive

    return Booking.objects.filter(
        subject_type=Dossier._meta.label_lower, subject_id=subject_id, motive__code=Motive.Code.BIOMETRICS,
    ).values_list("status", flat=True)


#: Read on the file page of every dossier under review (issue 17: its SQL built once per process).
_BIOMETRICS_STATUSES = PreparedQuery(_biometrics_statuses, subject_id=str)


def dossier_biometrics_state(*, dossier: Dossier) -> str:
    """Where the dossier's fingerprints stand: ``done`` once a desk marked a biometrics appointment
    of this file as received, ``convoked`` while one is booked (or the person is at the desk),
    else ``none`` (never convoked, or absent, or cancelled: a new convocation is needed)."""
    return biometrics_state(_BIOMETRICS_STATUSES(subject_id=str(dossier.pk)))


def biometrics_state(statuses: Collection[str]) -> str:
    """``dossier_biometrics_state`` from the statuses of the file's biometrics bookings."""
    from appointments.models import Booking

    statuses = set(statuses)
    if Booking.Status.DONE in statuses:
        return BIOMETRICS_DONE
    if statuses & {Booking.Status.BOOKED, Booking.Status.CHECKED_IN}:
        return BIOMETRICS_CONVOKED
    return BIOMETRICS_NONE


# --- Before filing --------------------------------------------------------------------------------

def dossier_missing_items(*, dossier: Dossier) -> list[str]:
    """What the applicant still has to provide before sending, in plain words (empty: complete)."""
    missing: list[str] = []
    for step in steps_for(dossier.procedure):
        if step in ("documents", "review"):
            continue
        if step not in dossier.answers:
            missing.append(_("Étape « %(step)s » à compléter.") % {"step": STEP_LABELS[step]})
    for question in dossier.procedure.questions:
        answer = dossier.answers.get("questions", {}).get(question["code"])
        if question.get("required") and answer in (None, "") and "questions" in dossier.answers:
            missing.append(_("Réponse manquante : %(label)s") % {"label": catalogue_text(question, "label")})
    present = set(
        Attachment.objects.filter(dossier=dossier, is_current=True).values_list("document_type_id", flat=True)
    )
    for requirement in dossier.procedure.requirements.select_related("document_type"):
        if requirement.required and requirement.document_type_id not in present:
            missing.append(_("Pièce manquante : %(name)s") % {"name": requirement.document_type.name})
    if dossier.procedure.is_renewal and dossier.renewed_permit_id is None and "situation" in dossier.answers:
        missing.append(_("Indiquez le titre de séjour que vous renouvelez."))
    if "situation" in dossier.answers and dossier.prefecture_id is None:
        missing.append(_("Indiquez votre département de résidence."))
    return missing


@dataclass(frozen=True)
class SubmissionReadiness:
    """What stands between a draft and its filing, read once: the review page shows it and
    ``dossier_submit_check`` turns it into errors."""

    #: What the applicant still has to provide, in plain words (empty: complete).
    missing: list[str]
    #: For a renewal: 'not_yet', 'open' or 'closed' (late) today; None for other procedures.
    timing: str | None
    #: The renewed permit's renewal window (None when there is no renewed permit).
    window: RenewalWindow | None
    #: Another request of the same family for the same permit, filed and not final.
    in_progress: Dossier | None


def dossier_submission_readiness(*, dossier: Dossier, today: date | None = None) -> SubmissionReadiness:
    permit = dossier.renewed_permit if dossier.renewed_permit_id else None
    window = renewal_window(permit.valid_until) if permit is not None else None
    timing = None
    if dossier.procedure.is_renewal and window is not None:
        timing = window.state(today or timezone.localdate())
    return SubmissionReadiness(missing=dossier_missing_items(dossier=dossier), timing=timing, window=window,
                               in_progress=request_in_progress_for_permit(dossier=dossier))
