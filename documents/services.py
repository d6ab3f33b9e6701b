"""Writes about issued documents: issue, render, revoke (DESIGN §5).

A document is issued in the caller's transaction with everything its PDF will show; the PDF is
rendered after commit by ``documents.tasks.render_document``, from the row alone, stored, and never
rendered again.

Context contracts, one per template (``context`` argument of ``document_issue``; JSON types only,
since it is stored as issued and the PDF is rendered from it alone):

``documents/pdf/filing_receipt.html`` (kind ``filing_receipt``)::

    {
        "reference": str,              # the dossier's reference
        "filed_at": str,               # ISO 8601 datetime with its offset; printed in Europe/Paris
        "procedure": str,              # the procedure's name, in French
        "applicant": {
            "name": str,
            "birth_date": str,         # ISO 8601 date
            "foreigner_number": str,   # may be "" (first request)
        },
        "documents": [str, ...],       # names of the documents filed
        "on_time": bool | None,        # renewals only: filed within the renewal window
        "channel": "online" | "paper",
    }

``documents/pdf/extension_certificate.html`` (kind ``extension_certificate``, attestation de
prolongation d'instruction; issued by ``applications.services.certificates``)::

    {
        "reference": str, "procedure": str,
        "filed_at": str,               # ISO 8601 datetime with its offset
        "prefecture": str,             # may be ""
        "applicant": {"name": str, "birth_date": str, "foreigner_number": str},
        "permit": {                    # the permit being renewed, which the certificate extends
            "number": str,
            "category": str,           # its label, in French
            "valid_until": str,        # ISO 8601 date
        },
        "allows_work": bool,           # that permit allowed work: "autorisé à travailler"
        "on_time": bool,               # False: a late renewal an agent granted the certificate to
    }

``documents/pdf/favourable_decision.html`` (kind ``favourable_decision``)::

    {
        "reference": str, "procedure": str, "filed_at": str, "prefecture": str,
        "applicant": {"name": str, "birth_date": str, "foreigner_number": str},
        "decided_at": str,             # ISO 8601 datetime with its offset
        "permit_category": str,        # label of the permit granted, in French; "" if none
        "work": "yes" | "accessory" | "no" | "unknown",
        "allows_work": bool,           # work is "yes" or "accessory"
    }

``documents/pdf/convocation.html`` (kind ``convocation``; issued by
``appointments.services.bookings`` for every convocation and every card collection)::

    {
        "person": str,                 # the name on the booking: personal, not transferable
        "motive": str,                 # the motive's label, in French
        "starts_at": str,              # ISO 8601 datetime with its offset; printed in Europe/Paris
        "duration_minutes": int,
        "site": str, "address": str,   # where; the address may be ""
        # Since issue 9 (optional: letters issued before have none, and render without them):
        "access_notes": str,           # entrance, transport, accessibility; may be ""
        "opening_hours": str,          # the site's public opening hours; may be ""
        "map_url": str,                # a plain OpenStreetMap search link for the address
        "desk": str,
        "documents_to_bring": str,     # may be "" (free text, one or more sentences)
        "file_reference": str,         # the dossier's reference; "" when the booking is for no file
        "booking": int,                # the booking's id, for the links to move or cancel it
        # Since issue 11, for a paper-filing convocation of a blocking report (optional):
        "procedure": str,              # the procedure the person means to file; may be ""
        "documents_list": [str, ...],  # the documents to bring for that procedure (or a generic list)
        "cannot_come": {"phone": str}, # instead of the move/cancel link: ask for another date once
                                       # from the report's status page, or call this number
    }

``documents/pdf/welcome_letter.html`` (kind ``welcome_letter``; an account made for a person at a
desk, issued by ``welcome_letter_issue``, subject the account itself)::

    {
        "applicant": {"name": str, "birth_date": str, "foreigner_number": str},   # _holder.html
        "login_id": str,               # "P7K-4QX-92M": not a secret
        "address": [str, ...],         # the postal address block, one line each; [] if none
        "activation_until": str,       # ISO 8601 date: the activation code's last day
        "activate_url": str,           # SITE_URL + /compte/activer/
        "reset_by_sms": bool,          # the account has a phone and no e-mail: reset by SMS
    }

The activation code is a secret and is never part of this context (``_check_context`` refuses it):
``welcome_letter_pdf`` renders the letter once more with the code, at the desk, and stores nothing.
The PDF the worker stores from the context says instead that the code was handed over separately.

Every template also receives, from ``document_render``: ``document`` (number, verification code,
issue date, validity, holder snapshot, language), ``qr_image``, ``verification_url`` and
``translation_language`` (used by ``{% bilingual %}``); see ``document_pdf_context``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.bulk import BulkInsert
from core.tasks import enqueue
from documents.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CONTINUITY_KINDS,
    NUMBER_PREFIXES,
    STATUS_TRANSITIONS,
    DocumentKind,
    DocumentNumberSequence,
    DocumentStatus,
    IssuedDocument,
)
from documents.qr import qr_image, qr_url
from documents.rendering import DOCUMENT_STYLESHEET, render_pdf

#: Keys a context must have, per kind; checked at issue time so that a worker never fails on them.
CONTEXT_CONTRACTS: dict[str, dict[str, Any]] = {
    DocumentKind.FILING_RECEIPT: {
        "required": {"reference", "filed_at", "procedure", "applicant", "documents", "channel"},
        "applicant": {"name", "birth_date", "foreigner_number"},
        "channel": {"online", "paper"},
    },
    DocumentKind.EXTENSION_CERTIFICATE: {
        "required": {"reference", "procedure", "applicant", "permit", "allows_work"},
        "applicant": {"name", "birth_date", "foreigner_number"},
    },
    DocumentKind.CONVOCATION: {
        "required": {"person", "motive", "starts_at", "duration_minutes", "site", "address", "desk",
                     "documents_to_bring", "file_reference", "booking"},
    },
    DocumentKind.FAVOURABLE_DECISION: {
        "required": {"reference", "procedure", "applicant", "decided_at", "permit_category", "work",
                     "allows_work"},
        "applicant": {"name", "birth_date", "foreigner_number"},
    },
    DocumentKind.WELCOME_LETTER: {
        "required": {"applicant", "login_id", "address", "activation_until", "activate_url", "reset_by_sms"},
        "applicant": {"name", "birth_date", "foreigner_number"},
    },
}

#: Keys a stored context may never hold: secrets are rendered, not kept (welcome_letter_pdf).
SECRET_KEYS = frozenset({"activation_code", "code", "password"})


def _check_context(kind: str, context: dict[str, Any]) -> dict[str, Any]:
    try:
        stored = json.loads(json.dumps(context))  # what the database will hold, exactly
    except (TypeError, ValueError) as error:
        raise ValueError(f"A document's context must be JSON: {error}") from error
    contract = CONTEXT_CONTRACTS.get(kind)
    if contract is None:
        return stored
    missing = contract["required"] - stored.keys()
    missing |= {f"applicant.{key}" for key in contract.get("applicant", set()) - stored.get("applicant", {}).keys()}
    if missing:
        raise ValueError(f"Context of a {kind} lacks: {', '.join(sorted(missing))}")
    if secrets_found := SECRET_KEYS & stored.keys():
        raise ValueError(f"A document's context must not hold a secret: {', '.join(sorted(secrets_found))}")
    if kind != DocumentKind.FILING_RECEIPT:  # the checks below are the receipt's own
        return stored
    stored.setdefault("on_time", None)
    if stored["on_time"] not in (True, False, None):
        raise ValueError("'on_time' must be true, false or null")
    if stored["channel"] not in contract["channel"]:
        raise ValueError(f"Unknown channel {stored['channel']!r}")
    if not isinstance(stored["documents"], list):
        raise ValueError("'documents' must be a list of names")
    return stored


def _next_number(kind: str, year: int) -> str:
    # Race-free: see DocumentNumberSequence. One statement takes the row lock, counts and reads the
    # value (three queries before: a batch issuing a thousand letters felt them). The first issue
    # of the year makes the row; get_or_create copes with two first issues racing (the loser's
    # INSERT fails on the unique constraint and it reads the row), then counts again.
    value = _increment_sequence(kind, year)
    if value is None:
        DocumentNumberSequence.objects.get_or_create(kind=kind, year=year)
        value = _increment_sequence(kind, year)
    return f"ANEF-{NUMBER_PREFIXES[DocumentKind(kind)]}-{year}-{value:08d}"


def _next_numbers(kind: str, year: int, count: int) -> list[str]:
    """``count`` consecutive numbers, taken in one statement (``_next_number`` for a batch)."""
    last = _increment_sequence(kind, year, count)
    if last is None:
        DocumentNumberSequence.objects.get_or_create(kind=kind, year=year)
        last = _increment_sequence(kind, year, count)
    if last is None:  # the row exists now: said again for the type checker
        raise RuntimeError(f"No numbering row for {kind} {year}.")
    prefix = f"ANEF-{NUMBER_PREFIXES[DocumentKind(kind)]}-{year}-"
    return [f"{prefix}{value:08d}" for value in range(last - count + 1, last + 1)]


def _increment_sequence(kind: str, year: int, count: int = 1) -> int | None:
    table = connection.ops.quote_name(DocumentNumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_value = last_value + %s WHERE kind = %s AND year = %s "  # noqa: S608 (the model's table)
            "RETURNING last_value", [count, DocumentKind(kind).value, year])
        row = cursor.fetchone()
    return row[0] if row else None


def _new_verification_code() -> str:
    # 31 symbols ** 10 = 8e14 codes: guessing one is hopeless under the page's rate limit. The
    # unique constraint is the final guard against the (vanishing) chance of a repeat.
    for _attempt in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if not IssuedDocument.objects.filter(verification_code=code).exists():
            return code
    raise RuntimeError("Could not draw an unused verification code.")


def _new_verification_codes(count: int) -> list[str]:
    """``count`` distinct unused codes, checked in one query (``_new_verification_code`` for a batch)."""
    codes: set[str] = set()
    for _attempt in range(5):
        drawn = {"".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
                 for _n in range(count - len(codes))}
        codes |= drawn - set(IssuedDocument.objects.filter(verification_code__in=drawn)
                             .values_list("verification_code", flat=True))
        if len(codes) == count:
            return list(codes)
    raise RuntimeError("Could not draw unused verification codes.")


def _check_transition(document: IssuedDocument, to: str) -> None:
    if to not in STATUS_TRANSITIONS[DocumentStatus(document.status)]:
        raise ValidationError(
            _("Le document %(number)s est déjà %(status)s.")
            % {"number": document.number, "status": document.get_status_display()}
        )


def document_issue(
    *,
    kind: str,
    holder: User,
    subject: models.Model,
    template: str,
    context: dict[str, Any],
    valid_from: date | None = None,
    valid_until: date | None = None,
    supersedes: IssuedDocument | None = None,
    by: User | None = None,
    holder_as: dict[str, str] | None = None,
) -> IssuedDocument:
    """Issues a document to ``holder`` about ``subject`` (a dossier, a booking) and queues its PDF.

    ``holder_as`` ({"name", "birth_date" (ISO or "")}) is the holder as the PDF names them, when
    that is not the account (a dossier's identity step): ``/verifier/`` then shows the same name
    and birth date as the paper. Default: the account's.

    ``context`` follows the contract of ``template`` (module docstring). ``supersedes``, a valid
    document of the same holder, is marked superseded by the new one in the same transaction; the
    replacement takes effect the day the new one starts when the old one proves a right
    (``CONTINUITY_KINDS``: it stays in force until then), else at once.
    ``by`` is the agent who issued it, if a person did (None for the system).

    Raises ``ValueError`` for a caller's mistake (a context breaking its contract, an unknown kind,
    superseding someone else's document), ``TemplateDoesNotExist`` for an unknown template, and
    ``ValidationError`` when ``supersedes`` is no longer valid (superseded or revoked already).
    """
    with transaction.atomic():
        kind = DocumentKind(kind)
        stored_context = _check_context(kind, context)
        get_template(template)  # a wrong template name fails here, not later in a worker
        if valid_from and valid_until and valid_until < valid_from:
            raise ValueError("valid_until is before valid_from")

        previous = None
        if supersedes is not None:
            previous = IssuedDocument.objects.select_for_update().get(pk=supersedes.pk)
            if previous.holder_id != holder.pk:
                raise ValueError("A document can only supersede a document of the same holder.")
            _check_transition(previous, DocumentStatus.SUPERSEDED)

        issued_at = timezone.now()
        document = IssuedDocument.objects.create(
            kind=kind,
            number=_next_number(kind, timezone.localdate(issued_at).year),
            verification_code=_new_verification_code(),
            holder=holder,
            holder_name=holder_as["name"] if holder_as else holder.get_full_name(),
            holder_birth_date=(date.fromisoformat(holder_as["birth_date"]) if holder_as["birth_date"] else None)
            if holder_as else holder.birth_date,
            subject_type=subject._meta.label_lower,
            subject_id=str(subject.pk),
            valid_from=valid_from,
            valid_until=valid_until,
            context=stored_context,
            template=template,
            language=holder.preferred_language or "fr",
            issued_at=issued_at,
        )
        audit_record(actor=by, action="document.issued", obj=document, data={
            "kind": kind.value, "number": document.number,
            "subject": f"{document.subject_type}#{document.subject_id}",
            "supersedes": previous.number if previous else None,
        })

        if previous is not None:
            previous.status = DocumentStatus.SUPERSEDED
            previous.superseded_by = document
            previous.superseded_on = _takes_over_on(previous=previous, successor=document)
            previous.save(update_fields=["status", "superseded_by", "superseded_on"])
            audit_record(actor=by, action="document.superseded", obj=previous, data={
                "number": previous.number, "superseded_by": document.number,
                "superseded_on": previous.superseded_on.isoformat(),
            })

        enqueue("documents.tasks.render_document", document.pk)
        return document


@dataclass(frozen=True)
class DocumentToIssue:
    """One document of ``document_issue_many``: the arguments ``document_issue`` takes for one."""

    kind: str
    holder: User
    subject: models.Model
    template: str
    context: dict[str, Any]
    valid_from: date | None = None
    valid_until: date | None = None
    supersedes: IssuedDocument | None = None
    holder_as: dict[str, str] | None = None


def document_issue_many(
    *, issues: list[DocumentToIssue], by: User | None = None, savepoint: bool = True,
) -> list[IssuedDocument]:
    """``document_issue`` for many documents at once (a batch job), in the caller's transaction:
    the same checks, numbers, verification codes, holder snapshots, audit lines, replacements and
    PDFs queued, in a number of queries that does not grow with the batch. Returns the documents in
    the order of ``issues``; raises as ``document_issue`` does, for the first issue at fault (then
    nothing is written). ``savepoint=False``, inside a transaction that a failure rolls back whole
    (the certificate sweep's chunk), saves the savepoint's two round trips: a failure then leaves
    the caller's transaction to be rolled back rather than usable."""
    if not issues:
        return []
    with transaction.atomic(savepoint=savepoint):
        contexts = []
        for issue in issues:
            DocumentKind(issue.kind)
            contexts.append(_check_context(issue.kind, issue.context))
            if issue.valid_from and issue.valid_until and issue.valid_until < issue.valid_from:
                raise ValueError("valid_until is before valid_from")
        for template in {issue.template for issue in issues}:
            get_template(template)  # a wrong template name fails here, not later in a worker

        wanted = [issue.supersedes.pk for issue in issues if issue.supersedes is not None]
        if len(set(wanted)) != len(wanted):
            raise ValueError("Two documents of a batch cannot supersede the same document.")
        locked = {previous.pk: previous
                  for previous in IssuedDocument.objects.select_for_update().filter(pk__in=wanted)}
        previous_of: list[IssuedDocument | None] = []
        for issue in issues:
            previous = locked[issue.supersedes.pk] if issue.supersedes is not None else None
            if previous is not None:
                if previous.holder_id != issue.holder.pk:
                    raise ValueError("A document can only supersede a document of the same holder.")
                _check_transition(previous, DocumentStatus.SUPERSEDED)
            previous_of.append(previous)

        issued_at = timezone.now()
        year = timezone.localdate(issued_at).year
        numbers: dict[str, list[str]] = {}
        for kind in dict.fromkeys(DocumentKind(issue.kind) for issue in issues):  # in order, once each
            numbers[kind] = _next_numbers(kind, year, sum(1 for issue in issues if issue.kind == kind))
        codes = _new_verification_codes(len(issues))
        documents = []
        for issue, stored_context, code in zip(issues, contexts, codes, strict=True):
            holder, holder_as = issue.holder, issue.holder_as
            documents.append(IssuedDocument(
                kind=DocumentKind(issue.kind),
                number=numbers[DocumentKind(issue.kind)].pop(0),
                verification_code=code,
                holder=holder,
                holder_name=holder_as["name"] if holder_as else holder.get_full_name(),
                holder_birth_date=(date.fromisoformat(holder_as["birth_date"]) if holder_as["birth_date"] else None)
                if holder_as else holder.birth_date,
                subject_type=issue.subject._meta.label_lower,
                subject_id=str(issue.subject.pk),
                valid_from=issue.valid_from,
                valid_until=issue.valid_until,
                context=stored_context,
                template=issue.template,
                language=holder.preferred_language or "fr",
                issued_at=issued_at,
            ))
        _documents_insert(documents)

        audit: list[tuple[str, int, dict[str, Any]]] = []  # (action, document, data)
        replaced = []
        for document, previous in zip(documents, previous_of, strict=True):
            audit.append(("document.issued", document.pk, {
                "kind": document.kind, "number": document.number,
                "subject": f"{document.subject_type}#{document.subject_id}",
                "supersedes": previous.number if previous else None,
            }))
            if previous is not None:
                previous.status = DocumentStatus.SUPERSEDED
                previous.superseded_by = document
                previous.superseded_on = _takes_over_on(previous=previous, successor=document)
                replaced.append(previous)
                audit.append(("document.superseded", previous.pk, {
                    "number": previous.number, "superseded_by": document.number,
                    "superseded_on": previous.superseded_on.isoformat(),
                }))
        _DOCUMENT_AUDIT(varying=[[action for action, _pk, _data in audit], [str(pk) for _a, pk, _data in audit],
                                 [data for _a, _pk, data in audit]],
                        shared=[by.pk if by is not None else None, IssuedDocument._meta.label_lower])
        _documents_superseded(replaced)

        for document in documents:
            # One message for the batch when the caller holds them (core.tasks.enqueue_held).
            enqueue("documents.tasks.render_document", document.pk)
        return documents


#: The batch's rows, each written in one statement whose SQL is made once per process
#: (core.bulk: ``bulk_create`` compiled it again for every batch and sent every column).
_DOCUMENTS = BulkInsert(
    IssuedDocument,
    varying=("kind", "number", "verification_code", "holder_id", "holder_name", "holder_birth_date",
             "subject_type", "subject_id", "valid_from", "valid_until", "context", "template", "language"),
    shared=("issued_at",), returning=("id", "number"))
_DOCUMENT_AUDIT = BulkInsert(AuditEvent, varying=("action", "object_id", "data"), shared=("actor_id", "object_type"))


def _documents_insert(documents: list[IssuedDocument]) -> None:
    """Inserts ``documents`` (all issued at the same instant) and gives each its id, as
    ``bulk_create`` would."""
    columns = [[getattr(document, name) for document in documents] for name in _DOCUMENTS.varying]
    ids = dict((number, pk) for pk, number in _DOCUMENTS(varying=columns, shared=[documents[0].issued_at]))
    for document in documents:
        document.pk = ids[document.number]
        document._state.adding, document._state.db = False, connection.alias


def _documents_superseded(replaced: list[IssuedDocument]) -> None:
    """Writes the replacements in one statement (``bulk_update`` builds a CASE per field and row)."""
    if not replaced:
        return
    table = connection.ops.quote_name(IssuedDocument._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET status = %s, superseded_by_id = v.successor, superseded_on = v.day "  # noqa: S608 (the model's table)
            "FROM unnest(%s::bigint[], %s::bigint[], %s::date[]) AS v(id, successor, day) WHERE d.id = v.id",
            [DocumentStatus.SUPERSEDED.value, [previous.pk for previous in replaced],
             [previous.superseded_by_id for previous in replaced], [previous.superseded_on for previous in replaced]])


def _takes_over_on(*, previous: IssuedDocument, successor: IssuedDocument) -> date:
    """The first day the successor replaces ``previous``: its start for a document that proves a
    right (continuity: the old one stays in force until the new one is), today for any other."""
    today = timezone.localdate(successor.issued_at)
    if previous.kind in CONTINUITY_KINDS and successor.valid_from is not None:
        return max(today, successor.valid_from)
    return today


def document_pdf_context(*, document: IssuedDocument) -> dict[str, Any]:
    """What every PDF template gets: the data at issue time and the document's own marks.

    ``document_render`` renders with it; public so that a benchmark can render the same PDF again."""
    return {
        "document": {
            "kind": document.kind,
            "number": document.number,
            "verification_code": document.verification_code_display,
            "issued_at": document.issued_at,
            "valid_from": document.valid_from,
            "valid_until": document.valid_until,
            "holder_name": document.holder_name,
            "holder_birth_date": document.holder_birth_date,
            "language": document.language,
        },
        "data": document.context,
        "qr_image": qr_image(data=qr_url(document=document), title=_("QR code de vérification")),
        "verification_url": settings.SITE_URL + reverse("documents:verify"),
        "translation_language": document.language if document.language != "fr" else None,
    }


def document_render(*, document: IssuedDocument) -> IssuedDocument:
    """Renders and stores the document's PDF, once: a rendered document is returned as it is.

    The row is locked while rendering, so two workers given the same document (a retried or
    duplicated task) render it once; the second finds ``rendered_at`` set and returns.
    """
    if document.rendered_at is not None:
        return document
    with transaction.atomic():
        document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if document.rendered_at is not None:
            return document
        with translation.override("fr"):  # French first; {% bilingual %} adds the holder's language
            pdf = render_pdf(document.template, document_pdf_context(document=document),
                             stylesheet=DOCUMENT_STYLESHEET)
        document.file.save(f"{document.number}.pdf", ContentFile(pdf), save=False)
        document.rendered_at = timezone.now()
        document.save(update_fields=["file", "rendered_at"])
    return document


def document_revoke(*, document: IssuedDocument, by: User | None, reason: str) -> IssuedDocument:
    """Revokes a document (issued in error, obtained by fraud): the verification page says so.

    Revoking a revoked document changes nothing.
    """
    with transaction.atomic():
        document = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if document.status == DocumentStatus.REVOKED:
            return document
        reason = reason.strip()
        if not reason:
            raise ValidationError(_("Indiquez le motif de la révocation."))
        _check_transition(document, DocumentStatus.REVOKED)
        before = document.status
        document.status = DocumentStatus.REVOKED
        document.revoked_at = timezone.now()
        document.revocation_reason = reason
        document.save(update_fields=["status", "revoked_at", "revocation_reason"])
        audit_record(actor=by, action="document.revoked", obj=document,
                     data={"number": document.number, "before": before, "reason": reason})
        return document


# --- Welcome letters (accounts made at a desk) ---------------------------------------------------

WELCOME_LETTER_TEMPLATE = "documents/pdf/welcome_letter.html"


def welcome_letter_issue(*, user: User, by: User | None) -> IssuedDocument:
    """Issues the welcome letter of an account made for a person (``accounts.services.assisted``
    calls it through ``accounts.hooks``): login identifier, postal address in the window-envelope
    position, how and until when to activate. It replaces the person's previous welcome letter.

    The activation code is not in it: see ``welcome_letter_pdf``."""
    with transaction.atomic():
        previous = (IssuedDocument.objects.filter(holder=user, kind=DocumentKind.WELCOME_LETTER,
                                                  status=DocumentStatus.VALID).order_by("-issued_at").first())
        address = [line for line in (
            user.get_full_name(), user.address, f"{user.postal_code} {user.city}".strip(),
        ) if line] if user.address else []
        open_code = user.one_time_codes.filter(purpose="activation", status="open").order_by("-id").first()
        activation_until = timezone.localdate(open_code.expires_at) if open_code else timezone.localdate()
        return document_issue(
            kind=DocumentKind.WELCOME_LETTER, holder=user, subject=user, template=WELCOME_LETTER_TEMPLATE,
            context={
                "applicant": {
                    "name": user.get_full_name(),
                    "birth_date": user.birth_date.isoformat() if user.birth_date else "",
                    "foreigner_number": user.foreigner_number,
                },
                "login_id": user.login_id,
                "address": address,
                "activation_until": activation_until.isoformat(),
                "activate_url": settings.SITE_URL + reverse("accounts:activate"),
                "reset_by_sms": bool(user.phone and not user.email),
            },
            valid_until=activation_until, supersedes=previous, by=by,
        )


def welcome_letter_pdf(*, document: IssuedDocument, activation_code: str) -> bytes:
    """The welcome letter with its activation code, rendered now for the mediator to print.

    The code is given to the template only: it is not stored (neither in ``context`` nor as a
    file) and not logged. The caller checks first that the code is the person's open one."""
    if document.kind != DocumentKind.WELCOME_LETTER:
        raise ValueError("Only a welcome letter carries an activation code.")
    with translation.override("fr"):
        context = document_pdf_context(document=document)
        context["activation_code"] = activation_code
        return render_pdf(document.template, context, stylesheet=DOCUMENT_STYLESHEET)
