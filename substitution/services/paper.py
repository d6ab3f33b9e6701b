"""The paper path of a blocking report (DESIGN §8.3-4, issue 11 items 4 and 5): the act of
impossibility, the invitation to file on paper and the person's "another date, once" (the
deadline job, which also handles a missed convocation, is ``services/deadline.py``).

Every move locks the report (``select_for_update``), asks the transition tables of
``substitution/workflow.py`` who may make it, writes the timeline and, for staff, the audit log.
The invitation books the earliest free paper-filing slot with appointments' race-free
``booking_record`` (the conditional UPDATE on the slot's row), in the caller's transaction: one
service call chain from the act to the letter, so a failure anywhere leaves nothing half-made.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.permissions import is_verified_agent_of
from accounts.services import person_account_for_portal
from appointments.dates import local_midnight
from appointments.holidays import working_days_after
from appointments.models import Booking, Motive
from appointments.selectors import free_slots
from appointments.services import BookingError, SlotTaken, booking_cancel
from appointments.services.bookings import Subject, booking_record
from documents.selectors import documents_for_subject
from notifications.services import notify
from substitution.apps import REPORT_SUBJECT_TYPE
from substitution.letters import CONTACT_CENTRE_PHONE
from substitution.models import BlockingReport, Impossibility, Invitation, ReportEvent
from substitution.services.reports import is_the_person, report_event, report_lock
from substitution.workflow import (
    PERSON,
    PORTAL,
    PREFECTURE,
    ReportStatus,
    invitation_transition_check,
    transition_check,
)
from territory.models import Site

logger = logging.getLogger(__name__)

S = ReportStatus

#: Reports read per query by the deadline job; each is then handled in its own transaction.
JOB_BATCH_SIZE = 200


# --- Who may act --------------------------------------------------------------------------------

def may_record_impossibility(*, user: User, report: BlockingReport) -> bool:
    """An agent or supervisor of the report's competent prefecture, second factor verified."""
    return is_verified_agent_of(user=user, prefecture_id=report.prefecture_id)


def prefecture_check(*, report: BlockingReport, by: User | None, who: str, today: date) -> None:
    if who != PREFECTURE:
        raise PermissionDenied("Only the competent prefecture records an impossibility.")
    if by is None:
        if report.deadline >= today:
            raise PermissionDenied("The portal records an impossibility only once the deadline has passed.")
    elif not may_record_impossibility(user=by, report=report):
        raise PermissionDenied(_("Seul un agent de la préfecture compétente peut constater l'impossibilité."))


def portal_check(*, report: BlockingReport, by: User | None, who: str) -> None:
    """The invitation is the portal's, made by itself or at once after an agent's act."""
    if who != PORTAL or (by is not None and not may_record_impossibility(user=by, report=report)):
        raise PermissionDenied("Invitations are made by the portal.")


# --- The act of impossibility -------------------------------------------------------------------

@transaction.atomic
def impossibility_record(*, report: BlockingReport, by: User | None, grounds: str) -> BlockingReport:
    """Records the formal act that the online service could not be made to work for this person
    (who, when, grounds) on an active report, then invites them at once (``invitation_make``).

    ``by``: an agent or supervisor of the competent prefecture with a verified second factor; or
    None, the portal itself, only once the deadline has passed (the deadline job)."""
    grounds = grounds.strip()
    if not grounds:
        raise ValidationError({"grounds": _("Indiquez les motifs de l'impossibilité constatée.")})
    report = report_lock(report)
    prefecture_check(report=report, by=by, who=transition_check(report.status, S.IMPOSSIBILITY_ESTABLISHED),
                      today=timezone.localdate())
    # One act per report: the one-to-one key refuses a second one whatever the code above does.
    Impossibility.objects.create(report=report, recorded_by=by, grounds=grounds[:4000])
    before = report.status
    report.status = S.IMPOSSIBILITY_ESTABLISHED
    report.save(update_fields=["status"])
    report_event(report=report, kind=ReportEvent.Kind.IMPOSSIBILITY, by=by, text=grounds, from_status=before,
           to_status=S.IMPOSSIBILITY_ESTABLISHED, audit=by is not None)
    invitation_make(report=report, by=by)
    return report


# --- The invitation -----------------------------------------------------------------------------

@transaction.atomic
def invitation_make(*, report: BlockingReport, by: User | None = None) -> Invitation | None:
    """Books the earliest free paper-filing slot at the competent prefecture's sites within
    ``SUBSTITUTION_INVITATION_HORIZON_DAYS`` (after the convocations' minimum notice), issues the
    convocation letter and tells the person by every channel they have: status ``invited``.

    No free slot: the report is flagged (``no_slot_flagged_at``), the prefecture's supervisors are
    alerted once, and None is returned; the deadline job tries again on each run."""
    report = report_lock(report)
    portal_check(report=report, by=by, who=transition_check(report.status, S.INVITED))
    return invite(report=report, by=by)


def invite(*, report: BlockingReport, by: User | None, asked_by_person: bool = False,
            not_before: date | None = None) -> Invitation | None:
    person = person_account(report=report)
    booking = _book_earliest(report=report, person=person, by=by, not_before=not_before)
    if booking is None:
        if not asked_by_person:
            flag_no_slot(report=report, by=by)
        return None
    letter = documents_for_subject(subject=booking).filter(kind="convocation").first()
    invitation = Invitation.objects.create(report=report, booking=booking, letter=letter, created_by=by,
                                           asked_by_person=asked_by_person)
    before = report.status
    report.status, report.no_slot_flagged_at = S.INVITED, None
    report.save(update_fields=["status", "no_slot_flagged_at"])
    report_event(report=report, kind=ReportEvent.Kind.INVITED, by=by, from_status=before, to_status=S.INVITED,
                 text=invited_text(booking), audit=by is not None)
    invited_notify(report=report, person=person, invitation=invitation)
    return invitation


def invited_text(booking: Booking) -> str:
    """The timeline line of an invitation: when and where."""
    slot = booking.slot
    when = timezone.localtime(slot.starts_at)
    return _("Le %(date)s à %(time)s, %(site)s (%(desk)s).") % {
        "date": when.strftime("%d/%m/%Y"), "time": when.strftime("%H:%M"), "site": slot.desk.site.name,
        "desk": slot.desk.name}


def invited_notify(*, report: BlockingReport, person: User, invitation: Invitation) -> None:
    # The invitation, not the report, is the outbox's object: a new date is a new message.
    notify(recipient=person, event="report.invited", obj=invitation, context=invited_context(report, invitation))


def invited_context(report: BlockingReport, invitation: Invitation) -> dict:
    """What the ``report.invited`` message says (``report_invited.txt``)."""
    return {"report": report, "booking": invitation.booking,
            "url": settings.SITE_URL + reverse("substitution:mine_detail", args=[report.reference])}


def person_account(*, report: BlockingReport) -> User:
    """A booking is made for an account: the report's, else one found or made from the contact
    details it holds (``accounts.services.person_account_for_portal``). The secret follow link
    keeps working: it is checked against the report, whoever its account is."""
    if report.person is not None:
        return report.person
    account = person_account_for_portal(
        first_name=report.first_name, last_name=report.last_name, phone=report.phone, email=report.email,
        address=report.address, postal_code=report.postal_code, city=report.city,
        department=report.prefecture.department, language=report.language, reason=report.reference,
    )
    report.person = account.user
    report.save(update_fields=["person"])
    return account.user


def _book_earliest(*, report: BlockingReport, person: User, by: User | None,
                   not_before: date | None) -> Booking | None:
    today = timezone.localdate()
    earliest = working_days_after(today, settings.CONVOCATION_MIN_NOTICE_WORKING_DAYS)
    if not_before is not None and not_before > earliest:
        earliest = not_before
    until = today + timedelta(days=settings.SUBSTITUTION_INVITATION_HORIZON_DAYS)
    motive = Motive.objects.get(code=Motive.Code.PAPER_FILING)
    sites = list(Site.objects.filter(prefecture_id=report.prefecture_id, is_active=True).values_list("id", flat=True))
    subject = Subject(REPORT_SUBJECT_TYPE, str(report.pk), report.reference)
    tried: list[int] = []
    now = timezone.now()
    while True:
        candidates = list(free_slots(motive=motive, site_ids=sites, after=local_midnight(earliest), until=until)
                          .exclude(pk__in=tried)[:10])
        if not candidates:
            return None
        for slot in candidates:
            tried.append(slot.pk)
            try:
                # A savepoint: a seat taken meanwhile by someone else rolls back this attempt only.
                with transaction.atomic():
                    return booking_record(person=person, slot=slot, by=by, kind=Booking.Kind.CONVOCATION,
                                          subject=subject, movable_until=None, now=now)
            except SlotTaken:
                continue


def flag_no_slot(*, report: BlockingReport, by: User | None) -> None:
    if report.no_slot_flagged_at is not None:
        return  # already flagged: the supervisors know
    report.no_slot_flagged_at = timezone.now()
    report.save(update_fields=["no_slot_flagged_at"])
    report_event(report=report, kind=ReportEvent.Kind.NO_SLOT, by=by, audit=False,
           text=_("Aucun créneau de dépôt papier libre d'ici le %(date)s.") % {
               "date": (timezone.localdate() + timedelta(days=settings.SUBSTITUTION_INVITATION_HORIZON_DAYS))
               .strftime("%d/%m/%Y")})
    url = settings.SITE_URL + reverse("substitution_backoffice:detail", args=[report.reference])
    supervisors = User.objects.filter(memberships__role=Role.SUPERVISOR,
                                      memberships__prefecture_id=report.prefecture_id, is_active=True).distinct()
    for supervisor in supervisors:
        # Once per supervisor and report: the outbox's unique key (recipient, event, report).
        notify(recipient=supervisor, event="report.no_slot", obj=report, context={"report": report, "url": url})


# --- The person asks for another date -----------------------------------------------------------

@transaction.atomic
def invitation_ask_another_date(*, report: BlockingReport, by: User | None, secret: str = "") -> Invitation:
    """The person cannot come: their appointment is cancelled (its seat freed) and the earliest
    free slot from the day after it is booked instead, once per report. The person only: the
    account holder signed in, or whoever holds the secret follow link. No later slot within the
    horizon: refused, nothing changes (the letter says to call the contact centre)."""
    report = report_lock(report)
    who = transition_check(report.status, S.INVITED)
    if who != PERSON or not is_the_person(report=report, by=by, secret=secret):
        raise PermissionDenied("Only the person may ask for another date.")
    if report.invitations.filter(asked_by_person=True).exists():
        raise ValidationError(_("Vous avez déjà demandé une autre date une fois. Pour changer encore, appelez le "
                                "%(phone)s.") % {"phone": CONTACT_CENTRE_PHONE}, code="already_asked")
    current = (Invitation.objects.select_for_update(of=("self",)).select_related("booking__slot")
               .filter(report=report, status=Invitation.Status.SCHEDULED).first())
    if current is None:
        raise ValidationError(_("Vous n'avez pas de convocation en cours."), code="no_invitation")
    if invitation_transition_check(current.status, Invitation.Status.REPLACED) != PERSON:
        raise PermissionDenied("Only the person may ask for another date.")
    day_after = timezone.localdate(current.booking.slot.starts_at) + timedelta(days=1)
    try:
        booking_cancel(booking=current.booking, by=report.person)  # type: ignore[arg-type]  # set when invited
    except BookingError as error:
        raise ValidationError(str(error), code="not_cancellable") from None
    current.status = Invitation.Status.REPLACED
    current.save(update_fields=["status"])
    invitation = invite(report=report, by=by, asked_by_person=True, not_before=day_after)
    if invitation is None:
        raise ValidationError(_("Aucune autre date n'est libre pour le moment. Gardez votre convocation, ou "
                                "appelez le %(phone)s.") % {"phone": CONTACT_CENTRE_PHONE}, code="no_other_date")
    return invitation
