"""Reads of issued documents: the access-checked getter and the public verification lookups."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.permissions import staff_verified
from core.prepared import PreparedQuery
from documents.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CONTINUITY_KINDS,
    DocumentKind,
    DocumentStatus,
    IssuedDocument,
    normalize_code,
)
from documents.qr import qr_token_load

#: Hooks through which apps higher up grant staff access to documents, without this app importing
#: them. Each takes (user, document) and returns True to allow; the first True wins. Register at
#: start-up, in the app's ``AppConfig.ready()``::
#:
#:     from documents.selectors import STAFF_ACCESS_CHECKS
#:     STAFF_ACCESS_CHECKS.append(lambda user, document: agent_may_see_dossier(...))
#:
#: A check is called only for a staff member with a verified second factor
#: (``accounts.permissions.staff_verified``) who is not the holder; it must not raise for documents
#: it knows nothing about (return False), and should ask its own scope of ``accounts.permissions``.
STAFF_ACCESS_CHECKS: list[Callable[[User, IssuedDocument], bool]] = []


def document_get_for_user(*, user: User | AnonymousUser, pk: int) -> IssuedDocument:
    """The only way a view reaches a document: the holder's own, or one a staff hook allows.

    Anything else (another person's document, an unknown id, an anonymous user) is ``Http404``,
    so that a person cannot even learn whether a document exists.
    """
    if not user.is_authenticated:
        raise Http404
    document = IssuedDocument.objects.filter(pk=pk).first()
    if document is None:
        raise Http404
    if document.holder_id == user.pk:
        return document
    # A password alone never opens another person's document: staff power needs the second factor.
    if staff_verified(user=user) and any(check(user, document) for check in STAFF_ACCESS_CHECKS):
        return document
    raise Http404


def documents_for_holder(*, holder: User) -> QuerySet[IssuedDocument]:
    """Every document issued to the person (receipts, certificates, letters), newest first."""
    return IssuedDocument.objects.filter(holder=holder).order_by("-issued_at", "-id")


def documents_for_subject(*, subject: models.Model) -> QuerySet[IssuedDocument]:
    """Every document issued about a dossier or a booking, newest first."""
    return IssuedDocument.objects.filter(
        subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
    ).order_by("-issued_at", "-id")


def documents_for_subjects(*, subjects: list[models.Model]) -> QuerySet[IssuedDocument]:
    """``documents_for_subject`` for many subjects of one model at once (a batch job), newest first."""
    if not subjects:
        return IssuedDocument.objects.none()
    return IssuedDocument.objects.filter(
        subject_type=subjects[0]._meta.label_lower, subject_id__in=[str(subject.pk) for subject in subjects]
    ).order_by("-issued_at", "-id")


def documents_in_force_for_holder(
    *, holder: User, today: datetime.date | None = None
) -> list[IssuedDocument]:
    """The holder's documents that prove a right today or will from a later day: the certificate
    in force and, when one was re-issued ahead of its lapse, the next one; oldest start first."""
    today = today or timezone.localdate()
    candidates = _CONTINUITY_DOCUMENTS(holder_id=holder.pk)
    # The days are compared here rather than in SQL: a holder has a few such documents, and the
    # or-ed conditions cost more to build than the rows they leave out (issue 14, the dashboard).
    return [
        document for document in candidates
        if (document.status == DocumentStatus.VALID
            or (document.superseded_on is not None and document.superseded_on > today))
        and (document.valid_until is None or document.valid_until >= today)
    ]


#: A holder's continuity documents still valid or superseded, oldest start first (the SQL built once
#: per process: ``core.prepared``).
_CONTINUITY_DOCUMENTS = PreparedQuery(
    lambda holder_id: IssuedDocument.objects.filter(
        holder_id=holder_id, kind__in=CONTINUITY_KINDS, status__in=(DocumentStatus.VALID, DocumentStatus.SUPERSEDED),
    ).order_by("valid_from", "id"),
    holder_id=int,
)


def document_verify_code(*, code: str) -> IssuedDocument | None:
    """The document a verification code (as typed: any case, with or without dash) names."""
    code = normalize_code(code)
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return IssuedDocument.objects.filter(verification_code=code).select_related("superseded_by").first()


def document_verify_token(*, token: str) -> IssuedDocument | None:
    """The document a QR code's token names.

    Raises ``django.core.signing.BadSignature`` when the token was not signed by this portal or was
    altered; returns None for a well-signed token whose document no longer exists.
    """
    number, code = qr_token_load(token=token)
    return (IssuedDocument.objects.filter(number=number, verification_code=code)
            .select_related("superseded_by").first())


@dataclass(frozen=True)
class VerificationFacts:
    """Everything the public verification page may say about a document (DESIGN §5), and no more:
    no address, nationality or foreigner number ever reaches its template."""

    kind: str
    kind_label: str
    number: str
    issued_on: datetime.date
    valid_from: datetime.date | None
    valid_until: datetime.date | None
    status: str
    status_label: str
    holder_name: str
    holder_birth_date: datetime.date | None
    # Its successor: the number that replaces it and the day it does, once known. While the
    # successor has not taken over (``status`` still "valid"), a checker learns that the holder
    # has the next document ready; afterwards, which document to ask for.
    successor_number: str = ""
    successor_from: datetime.date | None = None
    # For a certificate that proves a right, what an employer or a police officer checks: the
    # category of the permit it stands for and whether the holder may work (as printed on it).
    permit_category: str = ""
    work: str = ""  # "yes", "accessory" (students, 60 %), "no", or "" when the document says nothing

    @property
    def is_filing_receipt(self) -> bool:
        return self.kind == DocumentKind.FILING_RECEIPT


def document_verification_facts(
    *, document: IssuedDocument, today: datetime.date | None = None
) -> VerificationFacts:
    status = document.public_status(today)
    successor = document.superseded_by if document.status == DocumentStatus.SUPERSEDED else None
    permit_category, work = _rights_stated(document)
    return VerificationFacts(
        kind=document.kind,
        kind_label=document.get_kind_display(),
        number=document.number,
        issued_on=timezone.localdate(document.issued_at),
        valid_from=document.valid_from,
        valid_until=document.valid_until,
        status=status.value,
        status_label=str(status.label),
        holder_name=document.holder_name,
        holder_birth_date=document.holder_birth_date,
        successor_number=successor.number if successor else "",
        successor_from=document.superseded_on if successor else None,
        permit_category=permit_category,
        work=work,
    )


def _rights_stated(document: IssuedDocument) -> tuple[str, str]:
    """The permit category and right to work a certificate states, read from its context as issued
    (the contracts of documents/services.py)."""
    context = document.context or {}
    if document.kind == DocumentKind.EXTENSION_CERTIFICATE:
        category = (context.get("permit") or {}).get("category", "")
        return category, ("yes" if context.get("allows_work") else "no")
    if document.kind == DocumentKind.FAVOURABLE_DECISION:
        work = context.get("work", "")
        return context.get("permit_category", ""), ("" if work == "unknown" else work)
    return "", ""
