"""Submission: completeness for the applicant, the on-time rule, the reference and the receipt."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications import rules
from applications.clock import initial_deadline
from applications.models import Attachment, Channel, Dossier, DossierEvent, Status
from applications.services.common import (
    dossier_lock,
    dossier_refresh_priority,
    event_record,
    notify_applicant,
    search_name,
)
from applications.steps import STEP_LABELS, steps_for
from applications.workflow import transition_check

RECEIPT_TEMPLATE = "documents/pdf/filing_receipt.html"


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
            missing.append(_("Réponse manquante : %(label)s") % {"label": question["label"]})
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


def renewal_timing(*, dossier: Dossier, today=None) -> str | None:
    """'not_yet', 'open' or 'closed' for a renewal, None for other procedures."""
    if not dossier.procedure.is_renewal or dossier.renewed_permit is None:
        return None
    today = today or timezone.localdate()
    return rules.renewal_window(dossier.renewed_permit.valid_until).state(today)


@transaction.atomic
def dossier_submit(
    *, dossier: Dossier, by: User, tax_stamp_number: str = "", ephoto_code: str = "",
    accept_late: bool = False,
) -> Dossier:
    """Files the dossier: checks it is complete, records whether a renewal is on time, assigns the
    reference, and issues the filing receipt at once (its PDF is rendered by a worker).

    Raises ``ValidationError`` (field -> messages) listing what is missing or wrong.
    """
    dossier = dossier_lock(dossier)
    transition_check(dossier.status, Status.SUBMITTED)
    procedure = dossier.procedure
    errors: dict[str, list[str]] = {}
    missing = dossier_missing_items(dossier=dossier)
    if missing:
        errors["__all__"] = missing
    stamp = rules.normalise_tax_stamp(tax_stamp_number)
    if procedure.fee_eur and not rules.TAX_STAMP_RE.match(stamp):
        errors["tax_stamp_number"] = [_("Le numéro de timbre fiscal électronique comporte 16 chiffres.")]
    photo = rules.normalise_ephoto(ephoto_code)
    if procedure.needs_photo and not rules.EPHOTO_RE.match(photo):
        errors["ephoto_code"] = [_("Le code e-photo comporte 22 lettres ou chiffres ; il est imprimé sur la planche de photos.")]
    timing = renewal_timing(dossier=dossier)
    if timing == "not_yet":
        window = rules.renewal_window(dossier.renewed_permit.valid_until)
        errors.setdefault("__all__", []).append(
            _("Vous pourrez demander le renouvellement à partir du %(date)s.")
            % {"date": window.opens.strftime("%d/%m/%Y")}
        )
    elif timing == "closed" and not accept_late:
        errors["accept_late"] = [_("Confirmez que vous avez compris les conséquences d'une demande tardive.")]
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    dossier.status = Status.SUBMITTED
    dossier.submitted_at = now
    dossier.filed_on_time = None if timing is None else timing == "open"
    dossier.tax_stamp_number = stamp if procedure.fee_eur else ""
    dossier.ephoto_code = photo if procedure.needs_photo else ""
    dossier.reference = _reference(dossier, now)
    dossier.legal_deadline = initial_deadline(filed_on=timezone.localdate(now), is_renewal=procedure.is_renewal)
    dossier.permit_expires_on = dossier.renewed_permit.valid_until if dossier.renewed_permit_id else None
    identity = dossier.answers.get("identity", {})
    dossier.search_name = search_name(identity.get("last_name") or dossier.applicant.last_name,
                                      identity.get("first_name") or dossier.applicant.first_name)
    dossier.search_foreigner_number = identity.get("foreigner_number") or dossier.applicant.foreigner_number
    dossier.save(update_fields=["status", "submitted_at", "filed_on_time", "tax_stamp_number",
                                "ephoto_code", "reference", "legal_deadline", "permit_expires_on",
                                "search_name", "search_foreigner_number", "updated_at"])
    dossier_refresh_priority(dossier)
    submitted = event_record(dossier=dossier, kind=DossierEvent.Kind.SUBMITTED, by=by,
                             from_status=Status.DRAFT, to_status=Status.SUBMITTED,
                             data={"on_time": dossier.filed_on_time})
    receipt = _issue_receipt(dossier=dossier, by=by)
    event_record(dossier=dossier, kind=DossierEvent.Kind.RECEIPT_ISSUED, by=None,
                 data={"document": receipt.pk, "number": receipt.number})
    notify_applicant(dossier=dossier, event="dossier.submitted", about=submitted)
    return dossier


def _reference(dossier: Dossier, now) -> str:
    # Derived from the primary key: unique without a second query or a race; readable on the phone.
    department = dossier.prefecture.department.code if dossier.prefecture_id else "00"
    return f"{now:%Y}-{department}-{dossier.pk:07d}"


def _issue_receipt(*, dossier: Dossier, by: User):
    from documents.services import document_issue

    applicant = dossier.applicant
    identity = dossier.answers.get("identity", {})
    documents = [
        a.document_type.name
        for a in Attachment.objects.filter(dossier=dossier, is_current=True).select_related("document_type")
    ]
    context = {
        "reference": dossier.reference,
        "filed_at": dossier.submitted_at.isoformat(),
        "procedure": dossier.procedure.name,
        "applicant": {
            "name": " ".join(p for p in (identity.get("first_name"), (identity.get("last_name") or "").upper()) if p)
            or applicant.get_full_name(),
            "birth_date": identity.get("birth_date") or (applicant.birth_date.isoformat() if applicant.birth_date else ""),
            "foreigner_number": identity.get("foreigner_number", applicant.foreigner_number),
        },
        "documents": documents,
        "on_time": dossier.filed_on_time,
        "channel": dossier.channel if dossier.channel in Channel.values else "online",
    }
    return document_issue(kind="filing_receipt", holder=applicant, subject=dossier,
                          template=RECEIPT_TEMPLATE, context=context)
