"""Back-office actions on a dossier (DESIGN §6). Each is one service: it checks the actor's right
and the dossier's state, saves, writes the timeline and the audit log, and tells the applicant."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications import rules
from applications.actions import favourable_decision_blocked
from applications.models import (
    Attachment,
    ComplementRequest,
    DocumentType,
    Dossier,
    DossierEvent,
    Permit,
    PermitCategory,
    Status,
)
from applications.selectors import BIOMETRICS_DONE, dossier_biometrics_state
from applications.services.common import dossier_lock, event_record, notify_applicant
from applications.services.dossiers import dossier_transition
from applications.staff import (
    is_supervisor_of,
    may_be_assigned,
    staff_can_instruct,
    supervised_prefecture_ids,
)
from applications.workflow import OPEN_STATUSES, transition_check
from territory.models import Site


def _require_agent(user: User, dossier: Dossier) -> None:
    if not staff_can_instruct(user=user, dossier=dossier):
        raise PermissionDenied(_("Ce dossier ne relève pas de votre préfecture."))


def dossier_assign(*, dossier: Dossier, agent: User | None, by: User) -> Dossier:
    """A supervisor assigns the dossier to an agent of the prefecture (or unassigns it); an agent
    may take an unassigned dossier for themselves."""
    with transaction.atomic():
        dossier = dossier_lock(dossier)
        _require_agent(by, dossier)
        supervisor = is_supervisor_of(user=by, prefecture_id=dossier.prefecture_id)
        if not supervisor and (agent != by or dossier.assigned_to_id not in (None, by.pk)):
            raise PermissionDenied(_("Seul un chef de bureau peut attribuer un dossier à un autre agent."))
        if agent is not None and not may_be_assigned(agent=agent, prefecture_id=dossier.prefecture_id):
            raise ValidationError(_("Cet agent n'est pas habilité dans la préfecture du dossier."))
        if dossier.assigned_to_id == (agent.pk if agent else None):
            return dossier
        previous = dossier.assigned_to
        dossier.assigned_to = agent
        dossier.save(update_fields=["assigned_to", "updated_at"])
        event_record(dossier=dossier, kind=DossierEvent.Kind.ASSIGNED, by=by, data={
            "to": agent.get_full_name() if agent else "", "from": previous.get_full_name() if previous else "",
        })
        return dossier


@dataclass(frozen=True)
class Reassignment:
    """What ``dossiers_reassign`` did: how many files moved, and one line per file it refused."""

    moved: int
    refused: list[str]


def dossiers_reassign(*, dossiers: Iterable[Dossier], from_agent: User, to_agent: User, by: User) -> Reassignment:
    """A supervisor gives some of one agent's files to another agent of the same prefecture. Each
    file is moved on its own (``dossier_assign``: row lock, checks, timeline): one that is no longer
    the first agent's, or that the supervisor does not supervise, is refused with a line saying why,
    and the others still move. Raises PermissionDenied when ``by`` supervises nowhere."""
    if not supervised_prefecture_ids(user=by):
        raise PermissionDenied(_("Seul un chef de bureau peut réattribuer des dossiers."))
    moved, refused = 0, []
    for dossier in dossiers:
        try:
            with transaction.atomic():
                locked = dossier_lock(dossier)
                if not is_supervisor_of(user=by, prefecture_id=locked.prefecture_id):
                    raise PermissionDenied(_("Ce dossier ne relève pas d'une préfecture que vous encadrez."))
                if locked.assigned_to_id != from_agent.pk:
                    raise ValidationError(_("Ce dossier n'est plus attribué à %(name)s.")
                                          % {"name": from_agent.get_full_name()})
                dossier_assign(dossier=locked, agent=to_agent, by=by)
        except (ValidationError, PermissionDenied) as error:
            refused.append(f"{dossier.reference} : {' '.join(getattr(error, 'messages', [str(error)]))}")
        else:
            moved += 1
    return Reassignment(moved=moved, refused=refused)


def dossier_mark_complete(*, dossier: Dossier, by: User) -> Dossier:
    _require_agent(by, dossier)
    return dossier_transition(dossier=dossier, to=Status.UNDER_REVIEW, by=by)


def complements_request(
    *, dossier: Dossier, by: User, document_types: list[DocumentType], message: str, due_on: date
) -> ComplementRequest:
    """Asks the applicant for missing pieces (chosen among the procedure's document types, and/or
    explained in free text) by a date; the legal clock stops until they answer. Any other document
    type is refused: the applicant could not send it (``attachment_add``)."""
    with transaction.atomic():
        _require_agent(by, dossier)
        message = (message or "").strip()
        errors = {}
        if not document_types and not message:
            errors["document_types"] = [_("Choisissez au moins une pièce ou précisez ce qui manque.")]
        elif {d.pk for d in document_types} - set(
                dossier.procedure.requirements.values_list("document_type_id", flat=True)):
            errors["document_types"] = [_("Choisissez les pièces parmi celles que demande cette démarche.")]
        if due_on <= timezone.localdate():
            errors["due_on"] = [_("La date limite doit être dans le futur.")]
        elif due_on > timezone.localdate() + timedelta(days=rules.COMPLEMENTS_MAX_DAYS):
            errors["due_on"] = [_("La date limite ne peut pas dépasser un an.")]
        if errors:
            raise ValidationError(errors)
        dossier = dossier_transition(
            dossier=dossier, to=Status.COMPLEMENTS_REQUESTED, by=by, kind=DossierEvent.Kind.COMPLEMENTS_REQUESTED,
            data={"documents": [d.name for d in document_types], "message": message[:2000],
                  "due_on": due_on.isoformat()},
            # The message says what is asked and by when (issue 9), in the applicant's language.
            notify_context={"complement": {"documents": list(document_types), "message": message[:2000],
                                           "due_on": due_on}},
        )
        request = ComplementRequest.objects.create(dossier=dossier, requested_by=by, message=message, due_on=due_on)
        request.document_types.set(document_types)
        return request


def attachment_review(*, attachment: Attachment, by: User, accepted: bool, reason: str = "") -> Attachment:
    with transaction.atomic():
        dossier = dossier_lock(attachment.dossier)
        _require_agent(by, dossier)
        if dossier.status not in OPEN_STATUSES:
            raise ValidationError(_("Les pièces ne se vérifient que pendant l'instruction."))
        reason = (reason or "").strip()
        if not accepted and not reason:
            raise ValidationError({"reason": [_("Indiquez pourquoi la pièce est refusée : le demandeur le lira.")]})
        attachment.review = Attachment.Review.ACCEPTED if accepted else Attachment.Review.REJECTED
        attachment.review_reason = "" if accepted else reason[:1000]
        attachment.save(update_fields=["review", "review_reason"])
        event = event_record(dossier=dossier, kind=DossierEvent.Kind.ATTACHMENT_REVIEWED, by=by, data={
            "document_type": attachment.document_type.name, "accepted": accepted, "reason": attachment.review_reason,
        })
        if not accepted:
            notify_applicant(dossier=dossier, event="dossier.attachment_rejected", about=event,
                             context={"attachment": attachment})
        return attachment


def biometrics_request(*, dossier: Dossier, by: User, slot=None):
    """Convokes the applicant for fingerprints and photo: the chosen slot, or the earliest free one
    at the sites of the dossier's prefecture that leaves the minimum notice
    (``CONVOCATION_MIN_NOTICE_WORKING_DAYS`` working days: a request made at 22:30 is not booked at
    09:00 the next morning); the applicant may move it within ``CONVOCATION_MOVABLE_DAYS`` days, to an
    earlier free slot too.
    Issues the convocation letter. Returns the booking."""
    with transaction.atomic():

        from django.conf import settings

        from appointments.dates import local_midnight
        from appointments.holidays import working_days_after
        from appointments.models import Booking, Motive
        from appointments.selectors import free_slots
        from appointments.services import AlreadyBooked, BookingError, booking_create
        from appointments.services.bookings import Subject

        dossier = dossier_lock(dossier)
        _require_agent(by, dossier)
        if dossier.status != Status.UNDER_REVIEW:
            raise ValidationError(_("Le relevé d'empreintes se demande pendant l'instruction."),
                                  code="not_under_review")
        if not dossier.procedure.needs_biometrics:
            raise ValidationError(_("Cette démarche ne demande pas de relevé d'empreintes."), code="not_needed")
        if dossier_biometrics_state(dossier=dossier) == BIOMETRICS_DONE:
            raise ValidationError(_("Les empreintes du demandeur sont déjà relevées."), code="already_done")
        motive = Motive.objects.get(code=Motive.Code.BIOMETRICS)
        if slot is None:
            sites = list(Site.objects.filter(prefecture__dossiers=dossier).values_list("id", flat=True))
            earliest = working_days_after(timezone.localdate(), settings.CONVOCATION_MIN_NOTICE_WORKING_DAYS)
            slot = free_slots(motive=motive, site_ids=sites, after=local_midnight(earliest)).first()
            if slot is None:
                raise ValidationError(
                    _("Aucun créneau libre pour le relevé d'empreintes dans cette préfecture à partir du %(date)s : "
                      "ouvrez des créneaux dans la gestion des guichets.") % {"date": earliest.strftime("%d/%m/%Y")},
                    code="no_free_slot")
        try:
            booking = booking_create(
                person=dossier.applicant, slot=slot, by=by, kind=Booking.Kind.CONVOCATION,
                subject=Subject("applications.dossier", str(dossier.pk), dossier.reference or ""),
                movable_until=timezone.localdate() + timedelta(days=settings.CONVOCATION_MOVABLE_DAYS),
            )
        except AlreadyBooked:
            raise ValidationError(_("Le demandeur est déjà convoqué pour le relevé d'empreintes."),
                                  code="already_convoked") from None
        except BookingError as error:
            raise ValidationError(str(error)) from None
        event = event_record(dossier=dossier, kind=DossierEvent.Kind.BIOMETRICS_REQUESTED, by=by,
                             data={"at": timezone.localtime(slot.starts_at).isoformat(), "site": slot.desk.site.name})
        notify_applicant(dossier=dossier, event="dossier.biometrics_requested", about=event)
        return booking


def dossier_decision_check(
    *, dossier: Dossier, by: User, outcome: str, reasons: str = "", appeal_routes: str = ""
) -> None:
    """Raises the ValidationError ``dossier_decide`` would raise, without deciding: the file page
    asks it before showing the confirmation step, so a decision that cannot be recorded is never
    offered for confirmation."""
    _require_agent(by, dossier)
    reasons, appeal_routes = (reasons or "").strip(), (appeal_routes or "").strip()
    errors = {}
    if outcome == Status.DECIDED_UNFAVOURABLE:
        if not reasons:
            errors["reasons"] = [_("Une décision défavorable doit être motivée.")]
        if not appeal_routes:
            errors["appeal_routes"] = [_("Indiquez les voies et délais de recours.")]
    elif outcome == Status.CLOSED_WITHOUT_ACTION:
        if not reasons:
            errors["reasons"] = [_("Indiquez pourquoi le dossier est classé sans suite.")]
    elif outcome != Status.DECIDED_FAVOURABLE:
        errors["outcome"] = [_("Choisissez une décision.")]
    if errors:
        raise ValidationError(errors)
    transition_check(dossier.status, outcome)
    if outcome == Status.DECIDED_FAVOURABLE and favourable_decision_blocked(
            dossier=dossier, biometrics=dossier_biometrics_state(dossier=dossier)):
        # The code on the field's error: Django drops a ``code=`` given beside a dict (the API answers it).
        raise ValidationError({"outcome": [ValidationError(_(
            "Une décision favorable n'est possible qu'une fois les empreintes du demandeur relevées au guichet."
        ), code="biometrics_missing")]})


def dossier_decide(
    *, dossier: Dossier, by: User, outcome: str, reasons: str = "", appeal_routes: str = ""
) -> Dossier:
    """Favourable (issues the favourable-decision certificate; only once the fingerprints are
    taken, when the procedure needs them), unfavourable (reasons and appeal routes required) or
    closed without action (reason required)."""
    reasons, appeal_routes = (reasons or "").strip(), (appeal_routes or "").strip()
    with transaction.atomic():
        dossier = dossier_lock(dossier)
        dossier_decision_check(dossier=dossier, by=by, outcome=outcome, reasons=reasons, appeal_routes=appeal_routes)
        # Only now, the row held and the state checked: a refused decision never touches the reasons
        # of one already taken (tests/applications/test_decision_concurrency.py).
        Dossier.objects.filter(pk=dossier.pk).update(decision_reasons=reasons, appeal_routes=appeal_routes)
        dossier = dossier_transition(dossier=dossier, to=outcome, by=by, kind=DossierEvent.Kind.DECIDED,
                                     data={"outcome": outcome, "reasons": reasons[:2000]})
        if outcome == Status.DECIDED_FAVOURABLE:
            from applications.services.certificates import favourable_decision_certificate_issue

            favourable_decision_certificate_issue(dossier=dossier, by=by)
    return dossier


#: What an agent may type as a card's number: the number printed on it, letters and digits.
CARD_NUMBER_RE = re.compile(r"^[A-Z0-9]{6,20}$")
#: The longest validity of a residence permit (the resident card: 10 years).
CARD_MAX_YEARS = 10


def card_mark(
    *, dossier: Dossier, by: User, to: str, number: str = "", valid_from: date | None = None,
    valid_until: date | None = None, category: str = "",
) -> Dossier:
    """The card's life after a favourable decision: produced, ready for collection, delivered.

    At delivery the agent types what the card says (number, validity; the category is the
    procedure's, or the renewed card's, unless the agent names it): the card is recorded as the
    holder's new ``Permit``, the card it renews or replaces is shown replaced from then on, and the
    card-collection appointment is closed as received when it is today's. A card handed over
    without an appointment today is allowed, and the timeline and the audit log say so.
    """
    _require_agent(by, dossier)
    if to not in (Status.CARD_IN_PRODUCTION, Status.CARD_READY, Status.CARD_DELIVERED):
        raise ValidationError(_("Étape de fabrication inconnue."))
    with transaction.atomic():
        if to != Status.CARD_DELIVERED:
            return dossier_transition(dossier=dossier, to=to, by=by)
        dossier = dossier_lock(dossier)
        transition_check(dossier.status, to)  # before asking about the card: say the real reason
        category, starts, ends = _card_check(dossier=dossier, number=number, valid_from=valid_from,
                                             valid_until=valid_until, category=category)
        permit = _card_record(dossier=dossier, number=number.strip().upper().replace(" ", ""),
                              valid_from=starts, valid_until=ends, category=category)
        booking = _collection_close(dossier=dossier, by=by)
        dossier = dossier_transition(dossier=dossier, to=to, by=by, data={
            "permit": permit.number, "permit_id": permit.pk,
            "valid_from": permit.valid_from.isoformat(), "valid_until": permit.valid_until.isoformat(),
            "replaces": dossier.renewed_permit.number if dossier.renewed_permit is not None else "",
            "appointment": booking.pk if booking else None, "without_appointment": booking is None,
        })
        from applications.services.certificates import favourable_decision_certificate_end

        favourable_decision_certificate_end(dossier=dossier, by=by)
    return dossier


def _card_check(*, dossier: Dossier, number: str, valid_from: date | None, valid_until: date | None,
                category: str) -> tuple[str, date, date]:
    """The card's facts as typed, with a message per field; returns the category to record and the
    validity dates."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    number = (number or "").strip().upper().replace(" ", "")
    if not CARD_NUMBER_RE.match(number):
        errors["number"] = [_("Indiquez le numéro imprimé sur le titre : 6 à 20 lettres ou chiffres, sans espace.")]
    elif Permit.objects.filter(number=number).exists():
        errors["number"] = [_("Ce numéro est déjà celui d'un autre titre enregistré : vérifiez-le sur la carte.")]
    earliest, latest = today - timedelta(days=365), today + timedelta(days=365)
    if valid_from is None:
        errors["valid_from"] = [_("Indiquez la date de début de validité imprimée sur le titre.")]
    elif not earliest <= valid_from <= latest:
        errors["valid_from"] = [_("La date de début de validité doit être comprise entre le %(earliest)s et le "
                                  "%(latest)s.") % {"earliest": earliest.strftime("%d/%m/%Y"),
                                                    "latest": latest.strftime("%d/%m/%Y")}]
    if valid_until is None:
        errors["valid_until"] = [_("Indiquez la date de fin de validité imprimée sur le titre.")]
    elif valid_until <= today:
        errors["valid_until"] = [_("Cette date de fin de validité est passée : un titre remis aujourd'hui ne peut "
                                   "pas être déjà expiré.")]
    elif valid_from is not None and "valid_from" not in errors and not (
        valid_from < valid_until <= _years_later(valid_from, CARD_MAX_YEARS)
    ):
        errors["valid_until"] = [_("La fin de validité doit être après le début, et au plus %(years)s ans après.")
                                 % {"years": CARD_MAX_YEARS}]
    category = (category or dossier.procedure.permit_category
                or (dossier.renewed_permit.category if dossier.renewed_permit is not None else ""))
    if category not in PermitCategory.values:
        errors["category"] = [_("Indiquez la catégorie du titre remis.")]
    if errors:
        raise ValidationError(errors)
    if valid_from is None or valid_until is None:  # each has its message above: for the type checker
        raise ValidationError(errors)
    return category, valid_from, valid_until


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _card_record(*, dossier: Dossier, number: str, valid_from: date, valid_until: date, category: str) -> Permit:
    from applications.services.certificates import WORK_ACCESSORY, WORK_YES, work_right_for_category

    # The category was checked (``_card_check``): each one says whether its card allows work.
    allows_work = work_right_for_category(category) in (WORK_YES, WORK_ACCESSORY)
    replaced = dossier.renewed_permit
    permit = Permit.objects.create(holder=dossier.applicant, category=category, number=number, valid_from=valid_from,
                                   valid_until=valid_until, allows_work=allows_work, dossier=dossier)
    if replaced is not None and replaced.replaced_by_id is None:
        replaced.replaced_by = permit
        replaced.save(update_fields=["replaced_by"])
    return permit


def _collection_close(*, dossier: Dossier, by: User):
    """The card-collection appointment, closed as received when it is today's; None otherwise."""
    from applications.apps import DOSSIER_SUBJECT_TYPE
    from appointments.models import Motive
    from appointments.services.bookings import Subject, booking_close_for_subject

    return booking_close_for_subject(subject=Subject(DOSSIER_SUBJECT_TYPE, str(dossier.pk)),
                                     motive_code=Motive.Code.CARD_COLLECTION, by=by)


def extension_grant(*, dossier: Dossier, by: User, reason: str) -> Dossier:
    """An agent grants extension certificates to a late renewal (automatic only when on time)."""
    with transaction.atomic():
        dossier = dossier_lock(dossier)
        _require_agent(by, dossier)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": [_("Indiquez pourquoi l'attestation est accordée.")]})
        if not dossier.procedure.is_renewal or dossier.status not in OPEN_STATUSES:
            raise ValidationError(_("Seul un renouvellement en cours d'instruction peut en bénéficier."))
        if dossier.filed_on_time:
            raise ValidationError(_("Ce renouvellement a été déposé à temps : l'attestation est déjà automatique."))
        if dossier.extension_granted:
            return dossier
        dossier.extension_granted = True
        dossier.save(update_fields=["extension_granted", "updated_at"])
        event_record(dossier=dossier, kind=DossierEvent.Kind.EXTENSION_GRANTED, by=by, data={"reason": reason[:1000]})
        return dossier


