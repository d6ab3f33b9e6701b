"""Changes to a filed dossier: withdrawal, amendments, answers to complement requests, and the
generic transition the back-office actions build on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.mandates import mandate_covering
from accounts.models import User
from accounts.validators import birth_date_check
from applications.models import ComplementRequest, Dossier, DossierEvent, Status
from applications.services.common import (
    dossier_lock,
    dossier_refresh_priority,
    event_record,
    notify_applicant,
)
from applications.staff import staff_can_instruct
from applications.workflow import FINAL_STATUSES, OPEN_STATUSES, transition_check

#: Answers the applicant may correct after filing, per step (identity and contact details).
AMENDABLE = {
    "identity": ("first_name", "last_name", "birth_date", "birth_place", "nationality", "foreigner_number"),
    "situation": ("address", "postal_code", "city", "phone", "occupation", "family_situation"),
}


def dossier_transition(
    *, dossier: Dossier, to: str, by: User | None, data: dict[str, Any] | None = None,
    kind: str = DossierEvent.Kind.STATUS_CHANGED, notify_context: dict[str, Any] | None = None,
) -> Dossier:
    """Moves the dossier along one edge of the state machine, with its timeline line and audit
    event, and tells the applicant (``notify_context``: more for the message, e.g. what is asked).
    Raises ``TransitionNotAllowed`` for any other move, and ``PermissionDenied`` when ``by`` is not
    who the table names for this one (``transition_actor_check``)."""
    with transaction.atomic():
        dossier = dossier_lock(dossier)
        from_status = dossier.status
        transition_actor_check(dossier=dossier, who=transition_check(from_status, to), by=by)
        now, today = timezone.now(), timezone.localdate()
        dossier.status = to
        fields = ["status", "updated_at"]
        if to == Status.COMPLEMENTS_REQUESTED:
            # The legal clock stops while the applicant gathers what is asked.
            dossier.resume_status = from_status
            dossier.clock_paused_on = today
            fields += ["resume_status", "clock_paused_on"]
        elif from_status == Status.COMPLEMENTS_REQUESTED:
            if dossier.clock_paused_on and dossier.legal_deadline:
                dossier.legal_deadline += today - dossier.clock_paused_on
            dossier.clock_paused_on = None
            fields += ["legal_deadline", "clock_paused_on"]
        if from_status == Status.SUBMITTED and to == Status.UNDER_REVIEW:
            dossier.completed_at = now
            fields.append("completed_at")
        if to in (Status.DECIDED_FAVOURABLE, Status.DECIDED_UNFAVOURABLE, Status.CLOSED_WITHOUT_ACTION):
            dossier.decided_at = now
            fields.append("decided_at")
        if to in FINAL_STATUSES:
            dossier.closed_at = now
            fields.append("closed_at")
        dossier.save(update_fields=fields)
        dossier_refresh_priority(dossier, today)
        event = event_record(dossier=dossier, kind=kind, by=by, from_status=from_status, to_status=to, data=data)
        notify_applicant(dossier=dossier, event="dossier.status_changed", about=event, context=notify_context)
        return dossier


def transition_actor_check(*, dossier: Dossier, who: str, by: User | None) -> None:
    """Enforces the "who" column of the transition table: "applicant" is the dossier's applicant,
    "agent" a verified agent (or supervisor) of the dossier's prefecture, "system" the portal
    itself (``by=None``). Raises ``PermissionDenied`` with a message for anyone else."""
    if who == "applicant":
        # The applicant, or a mediator acting under their mandate (recorded as such by event_record).
        if by is None or (by.pk != dossier.applicant_id and mandate_covering(
                by=by, person_id=dossier.applicant_id, dossier_id=dossier.pk) is None):
            raise PermissionDenied(_("Seul le demandeur peut faire cette démarche sur son dossier."))
    elif who == "agent":
        if by is None or not staff_can_instruct(user=by, dossier=dossier):
            raise PermissionDenied(_("Seul un agent de la préfecture du dossier peut faire cette action."))
    elif by is not None:
        raise PermissionDenied(_("Cette étape est faite par le portail, pas par une personne."))


def dossier_withdraw(*, dossier: Dossier, by: User, reason: str = "") -> Dossier:
    """The applicant withdraws a request not yet decided: the person alone, never a mediator under
    their mandate (withdrawing may cost them their right to stay)."""
    if by.pk != dossier.applicant_id:
        raise PermissionDenied(_("Seul le demandeur peut faire cette démarche sur son dossier."))
    return dossier_transition(dossier=dossier, to=Status.WITHDRAWN, by=by, kind=DossierEvent.Kind.WITHDRAWN,
                              data={"reason": reason.strip()[:500]})


def dossier_amend(*, dossier: Dossier, by: User, step: str, field: str, value: str) -> Dossier:
    """Corrects one answer after filing; the timeline keeps the old and the new value."""
    with transaction.atomic():
        dossier = dossier_lock(dossier)
        if dossier.status not in OPEN_STATUSES:
            raise ValidationError(_("Une fois la décision prise, les réponses ne peuvent plus être corrigées."))
        if field not in AMENDABLE.get(step, ()):
            raise ValidationError(_("Cette réponse ne peut pas être corrigée en ligne."))
        value = (value or "").strip()
        if (step, field) == ("identity", "birth_date"):
            value = _birth_date(value)
        answers = dict(dossier.answers)
        section = dict(answers.get(step, {}))
        before = section.get(field, "")
        if before == value:
            return dossier
        section[field] = value
        answers[step] = section
        dossier.answers = answers
        dossier.save(update_fields=["answers", "updated_at"])
        event_record(dossier=dossier, kind=DossierEvent.Kind.AMENDED, by=by,
                     data={"step": step, "field": field, "before": before, "after": value})
        return dossier


def _birth_date(value: str) -> str:
    """A corrected birth date, typed 02/03/1990 or 1990-03-02, stored as the filing form stores it."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(value, pattern).date()  # noqa: DTZ007 (a date, no time zone)
        except ValueError:
            continue
        birth_date_check(day, today=timezone.localdate())
        return day.isoformat()
    raise ValidationError(_("Saisissez une date au format jj/mm/aaaa, par exemple 02/03/1990."), code="invalid_date")


def complements_answer(*, dossier: Dossier, by: User, message: str) -> Dossier:
    """The applicant answers a complement request (documents sent beforehand with
    ``attachment_add``); the dossier goes back where it was and the legal clock resumes."""
    with transaction.atomic():
        locked = dossier_lock(dossier)
        if locked.status != Status.COMPLEMENTS_REQUESTED:
            transition_check(locked.status, Status.UNDER_REVIEW)  # raises with a clear message
        back_to = locked.resume_status or Status.SUBMITTED
        message = (message or "").strip()
        if not message and not locked.attachments.filter(
            added_after_submission=True, uploaded_at__gte=_last_request_at(locked)
        ).exists():
            raise ValidationError(_("Ajoutez les documents demandés ou écrivez une réponse avant d'envoyer."))
        dossier = dossier_transition(dossier=locked, to=back_to, by=by,
                                     kind=DossierEvent.Kind.COMPLEMENTS_ANSWERED,
                                     data={"message": message[:2000]})
        ComplementRequest.objects.filter(dossier=dossier, answered_at__isnull=True).update(answered_at=timezone.now())
        return dossier


def _last_request_at(dossier: Dossier):
    event = dossier.events.filter(to_status=Status.COMPLEMENTS_REQUESTED).order_by("-at").first()
    return event.at if event else dossier.submitted_at
