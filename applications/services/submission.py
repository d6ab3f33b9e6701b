"""Submission: completeness for the applicant, the on-time rule, the reference and the receipt."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from applications import rules
from applications.clock import initial_deadline
from applications.models import Attachment, Dossier, DossierEvent, Status, search_name
from applications.selectors import (
    SubmissionReadiness,
    applicant_snapshot,
    dossier_submission_readiness,
    request_in_progress_for_permit,
)
from applications.services.common import (
    dossier_lock,
    dossier_refresh_priority,
    event_record,
    notify_applicant,
)
from applications.workflow import transition_check

RECEIPT_TEMPLATE = "documents/pdf/filing_receipt.html"


def dossier_submit_check(
    *, dossier: Dossier, tax_stamp_number: str = "", ephoto_code: str = "", accept_late: bool = False,
    readiness: SubmissionReadiness | None = None,
) -> dict[str, list[ValidationError]]:
    """Everything that keeps the dossier from being filed with these inputs, by field ("__all__":
    the dossier as a whole); empty when it can be filed. The filing form shows it all at once.
    ``readiness``: the dossier's, when the caller has read it already (the review page shows it)."""
    procedure = dossier.procedure
    readiness = readiness or dossier_submission_readiness(dossier=dossier)
    errors: dict[str, list[ValidationError]] = {}
    if readiness.missing:
        errors["__all__"] = [ValidationError(item) for item in readiness.missing]
    stamp = rules.normalise_tax_stamp(tax_stamp_number)
    if procedure.fee_eur and not rules.TAX_STAMP_RE.match(stamp):
        errors["tax_stamp_number"] = [
            ValidationError(_("Le numéro de timbre fiscal électronique comporte 16 chiffres."))
        ]
    elif procedure.fee_eur and _stamp_used(stamp):
        errors["tax_stamp_number"] = [tax_stamp_used_error()]
    photo = rules.normalise_ephoto(ephoto_code)
    if procedure.needs_photo and not rules.EPHOTO_RE.match(photo):
        errors["ephoto_code"] = [ValidationError(_("Le code e-photo comporte 22 lettres ou chiffres ; il est imprimé "
                                                   "sur la planche de photos."))]
    if readiness.timing == "not_yet" and readiness.window is not None:  # a timing comes with its window
        errors.setdefault("__all__", []).append(ValidationError(
            _("Vous pourrez demander le renouvellement à partir du %(date)s.")
            % {"date": date_format(readiness.window.opens, "DATE_FORMAT")}
        ))
    elif readiness.timing == "closed" and not accept_late:
        errors["accept_late"] = [
            ValidationError(_("Confirmez que vous avez compris les conséquences d'une demande tardive."))
        ]
    if readiness.in_progress is not None:
        errors["renewed_permit"] = [request_in_progress_error(readiness.in_progress)]
    return errors


def dossier_submit(
    *, dossier: Dossier, by: User, tax_stamp_number: str = "", ephoto_code: str = "",
    accept_late: bool = False,
) -> Dossier:
    """Files the dossier: checks it is complete, records whether a renewal is on time, assigns the
    reference, and issues the filing receipt at once (its PDF is rendered by a worker).

    Raises ``ValidationError`` (field -> messages) listing what is missing or wrong
    (``dossier_submit_check``), also when another filing took the permit or the tax stamp meanwhile.
    """
    with transaction.atomic():
        dossier = dossier_lock(dossier)
        transition_check(dossier.status, Status.SUBMITTED)
        procedure = dossier.procedure
        readiness = dossier_submission_readiness(dossier=dossier)
        errors = dossier_submit_check(dossier=dossier, tax_stamp_number=tax_stamp_number,
                                      ephoto_code=ephoto_code, accept_late=accept_late, readiness=readiness)
        if errors:
            raise ValidationError(errors)
        stamp = rules.normalise_tax_stamp(tax_stamp_number)
        photo = rules.normalise_ephoto(ephoto_code)
        timing = readiness.timing

        dossier_file(dossier=dossier, by=by, filed_at=timezone.now(),
                     on_time=None if timing is None else timing == "open",
                     tax_stamp_number=stamp if procedure.fee_eur else "",
                     ephoto_code=photo if procedure.needs_photo else "")
        return dossier


def dossier_file(
    *, dossier: Dossier, by: User, filed_at: datetime, on_time: bool | None, tax_stamp_number: str,
    ephoto_code: str = "", filed_on: date | None = None, receipt_documents: list[str] | None = None,
    event_data: dict | None = None, on_behalf_of: User | None = None,
) -> Dossier:
    """The filing itself, shared by online submission and the paper desk (``services/paper.py``):
    status, reference, legal clock and deadline, queue priority, the timeline, the filing receipt
    issued at once, the applicant told. The caller has locked the draft and checked it.
    ``filed_on``: the day the clock starts (the day the file was received); ``filed_at``'s day by
    default. ``receipt_documents``: the pieces the receipt lists (default: the current attachments).
    Raises ``ValidationError`` when another filing took the permit or the tax stamp meanwhile."""
    procedure = dossier.procedure
    dossier.status = Status.SUBMITTED
    dossier.submitted_at = filed_at
    dossier.filed_on_time = on_time
    dossier.tax_stamp_number = tax_stamp_number
    dossier.ephoto_code = ephoto_code
    dossier.reference = _reference(dossier, filed_at)
    dossier.legal_deadline = initial_deadline(filed_on=filed_on or timezone.localdate(filed_at),
                                              is_renewal=procedure.is_renewal)
    dossier.permit_expires_on = dossier.renewed_permit.valid_until if dossier.renewed_permit is not None else None
    identity = dossier.answers.get("identity", {})
    dossier.search_name = search_name(identity.get("last_name") or dossier.applicant.last_name,
                                      identity.get("first_name") or dossier.applicant.first_name)
    dossier.search_foreigner_number = identity.get("foreigner_number") or dossier.applicant.foreigner_number
    dossier.family = procedure.group
    try:
        with transaction.atomic():  # a savepoint: the checks above can lose a race with another filing
            dossier.save(update_fields=["status", "submitted_at", "filed_on_time", "tax_stamp_number",
                                        "ephoto_code", "reference", "legal_deadline", "permit_expires_on",
                                        "search_name", "search_foreigner_number", "family", "updated_at"])
    except IntegrityError as error:
        raise _filing_conflict(error, dossier) from error
    dossier_refresh_priority(dossier)
    submitted = event_record(dossier=dossier, kind=DossierEvent.Kind.SUBMITTED, by=by,
                             from_status=Status.DRAFT, to_status=Status.SUBMITTED,
                             data={"on_time": dossier.filed_on_time, **(event_data or {})},
                             on_behalf_of=on_behalf_of)
    receipt = _issue_receipt(dossier=dossier, filed_at=filed_at, documents=receipt_documents)
    event_record(dossier=dossier, kind=DossierEvent.Kind.RECEIPT_ISSUED, by=None,
                 data={"document": receipt.pk, "number": receipt.number})
    notify_applicant(dossier=dossier, event="dossier.submitted", about=submitted)
    return dossier


def _stamp_used(stamp: str) -> bool:
    # A draft holds no stamp (it is stored at filing), and the dossier being checked is a draft.
    return Dossier.objects.filter(tax_stamp_number=stamp).exclude(status=Status.DRAFT).exists()


def tax_stamp_used_error() -> ValidationError:
    # Which request used it is not said: it may be someone else's.
    return ValidationError(
        _("Ce numéro de timbre fiscal a déjà servi pour une autre demande. Un timbre ne sert qu'une fois : "
          "vérifiez le numéro, ou achetez un nouveau timbre."),
        code="tax_stamp_used",
    )


def request_in_progress_error(other: Dossier) -> ValidationError:
    """The message names the request in progress; the review page links to it (``readiness.in_progress``)."""
    return ValidationError(
        _("Vous avez déjà une demande en cours pour ce titre de séjour : le dossier n° %(reference)s. "
          "Suivez cette demande, ou retirez-la avant d'en déposer une autre."),
        code="request_in_progress", params={"reference": other.reference},
    )


def _filing_conflict(error: IntegrityError, dossier: Dossier) -> ValidationError:
    """Another filing won the race between the checks and the save: the same message as the checks."""
    if "dossier_tax_stamp_used_once" in str(error):
        return ValidationError({"tax_stamp_number": [tax_stamp_used_error()]})
    if "dossier_one_request_in_progress_per_permit_and_family" in str(error):
        other = request_in_progress_for_permit(dossier=dossier)  # committed by the winner: visible now
        if other is not None:
            return ValidationError({"renewed_permit": [request_in_progress_error(other)]})
    raise error


def _reference(dossier: Dossier, now) -> str:
    # Derived from the primary key: unique without a second query or a race; readable on the phone.
    # Every filed dossier has a prefecture: the online review asks for the department of residence
    # (``dossier_submission_readiness``) and the paper desk names it.
    return f"{now:%Y}-{dossier.prefecture.department.code}-{dossier.pk:07d}"  # type: ignore[union-attr]


def _issue_receipt(*, dossier: Dossier, filed_at: datetime, documents: list[str] | None = None):
    from documents.services import document_issue

    applicant = dossier.applicant
    # The receipt is French first (its template adds the holder's language beside): the catalogue's
    # names are taken in French, whatever language the person filed in.
    with translation.override("fr"):
        if documents is None:
            documents = [
                a.document_type.name
                for a in Attachment.objects.filter(dossier=dossier, is_current=True).select_related("document_type")
            ]
        procedure_name = dossier.procedure.name
    applicant_facts = applicant_snapshot(dossier=dossier)
    context = {
        "reference": dossier.reference,
        "filed_at": filed_at.isoformat(),
        "procedure": procedure_name,
        "applicant": applicant_facts,
        "documents": documents,
        "on_time": dossier.filed_on_time,
        "channel": dossier.channel,
    }
    return document_issue(kind="filing_receipt", holder=applicant, subject=dossier,
                          template=RECEIPT_TEMPLATE, context=context, holder_as=applicant_facts)
