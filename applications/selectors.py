"""Reads for the applicant's pages. Views reach dossiers and attachments only through the
access-checked getters here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from applications.models import Attachment, Dossier, DossierEvent, Permit, Procedure
from applications.rules import RenewalWindow, renewal_window


@dataclass(frozen=True)
class PermitStatus:
    permit: Permit
    days_left: int
    window: RenewalWindow
    window_state: str

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def permits_for_holder(*, user: User, today: date | None = None) -> list[PermitStatus]:
    today = today or timezone.localdate()
    return [
        PermitStatus(
            permit=permit,
            days_left=(permit.valid_until - today).days,
            window=(window := renewal_window(permit.valid_until)),
            window_state=window.state(today),
        )
        for permit in Permit.objects.filter(holder=user).order_by("-valid_until")
    ]


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
            return {"message": question.get("message", ""), "procedure": other}
    return None


def dossiers_for_applicant(*, user: User) -> QuerySet[Dossier]:
    """The applicant's dossiers for the dashboard, newest activity first (two queries in all)."""
    return (
        Dossier.objects.filter(applicant=user)
        .select_related("procedure", "prefecture")
        .order_by("-updated_at", "-id")
    )


def dossier_get_for_user(*, user: User, pk: int) -> Dossier:
    """The only way a view reaches a dossier: the applicant's own, else 404 (no hint it exists).

    Staff access (back-office, mediators under a mandate) is added by their own getters.
    """
    try:
        return Dossier.objects.select_related(
            "procedure", "prefecture__department", "renewed_permit", "applicant"
        ).get(pk=pk, applicant=user)
    except Dossier.DoesNotExist:
        raise Http404 from None


def dossier_page_data(*, dossier: Dossier) -> dict:
    """Everything the dossier page shows, in a fixed number of queries."""
    from documents.selectors import documents_for_subject

    attachments = list(
        Attachment.objects.filter(dossier=dossier).select_related("document_type").order_by("uploaded_at", "id")
    )
    events = list(DossierEvent.objects.filter(dossier=dossier).select_related("actor").order_by("at", "id"))
    return {
        "attachments": [a for a in attachments if a.is_current],
        "previous_attachments": [a for a in attachments if not a.is_current],
        "events": events,
        "documents": list(documents_for_subject(subject=dossier).order_by("-issued_at")),
        "requirements": list(dossier.procedure.requirements.select_related("document_type")),
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


def dossier_biometrics_state(*, dossier: Dossier) -> str:
    """Where the dossier's fingerprints stand: ``done`` once a desk marked a biometrics appointment
    of this file as received, ``convoked`` while one is booked (or the person is at the desk),
    else ``none`` (never convoked, or absent, or cancelled: a new convocation is needed)."""
    from appointments.models import Booking, Motive

    statuses = set(Booking.objects.filter(
        subject_type=Dossier._meta.label_lower, subject_id=str(dossier.pk), motive__code=Motive.Code.BIOMETRICS,
    ).values_list("status", flat=True))
    if Booking.Status.DONE in statuses:
        return BIOMETRICS_DONE
    if statuses & {Booking.Status.BOOKED, Booking.Status.CHECKED_IN}:
        return BIOMETRICS_CONVOKED
    return BIOMETRICS_NONE
