"""The deadline job of the paper path (DESIGN §8.3-4, issue 11): every night, the reports past
their deadline get the act of impossibility and their invitation; missed convocations are made
again; reports waiting for a slot are tried again.

Reports are handled by chunks of ``JOB_CHUNK_SIZE``, each chunk one transaction: its reports are
taken with ``SELECT … FOR UPDATE SKIP LOCKED`` and re-checked against the step's condition (two
runs at once share the reports, a second run finds nothing to do); their acts, timeline lines,
invitations and status changes are written a chunk at a time; each booking still goes through
appointments' race-free ``booking_record`` and issues its letter through documents, and each
person is told through the outbox. The free paper-filing slots of the chunk's prefectures are read
once per batch instead of searched per report (``_FreeSlots``). A chunk that fails (a database
error, a deadlock with another run, a bug on one report) is rolled back as a whole and its reports
are then handled one by one, each in its own transaction, the one that fails logged and left for
the next night: the same outcome as handling each report alone, at about a quarter of the cost. What the chunk's
commits enqueue (the letters' PDFs, the e-mails and SMS) leaves in one message per task and chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.dates import local_midnight
from appointments.holidays import working_days_after
from appointments.models import Booking, Motive, Slot
from appointments.selectors import free_slots
from appointments.services import SlotTaken
from appointments.services.bookings import Subject, booking_record
from core.tasks import enqueue_held
from documents.models import IssuedDocument
from documents.selectors import documents_for_subjects
from notifications.services import Message, notify_many
from substitution.apps import REPORT_SUBJECT_TYPE
from substitution.letters import letters_prefetched
from substitution.models import BlockingReport, Impossibility, Invitation, ReportEvent
from substitution.services.paper import (
    flag_no_slot,
    impossibility_record,
    invitation_make,
    invite,
    invited_context,
    invited_text,
    person_account,
    portal_check,
    prefecture_check,
)
from substitution.services.reports import report_event
from substitution.workflow import ACTIVE_STATUSES, PORTAL, ReportStatus, invitation_transition_check, transition_check
from territory.models import Site

logger = logging.getLogger(__name__)

S = ReportStatus

#: Report ids read per query by the deadline job (keyset batches, read afresh each time).
JOB_BATCH_SIZE = 200
#: Reports handled in one transaction. Small enough that a chunk holds its locks (the reports, the
#: slots it booked, the letters' number counter) for well under a second.
JOB_CHUNK_SIZE = 25
#: Free slots read per prefecture at a time; more are read when a prefecture's run out.
SLOTS_PER_PREFECTURE = 6


@dataclass
class JobResult:
    impossibilities: int = 0
    missed: int = 0
    invited: int = 0
    without_slot: int = 0


def deadline_job(*, today: date | None = None) -> JobResult:
    """Nightly, and safe to run at any time or twice at once (``substitution.tasks.deadline_job``):

    1. every active report whose deadline (a Paris day) has passed gets its impossibility recorded
       by the portal, and its invitation;
    2. every scheduled invitation whose booking was marked "absent" at the desk becomes missed, and
       a new invitation is made;
    3. every report still waiting for an invitation (no slot was free) is tried again.

    Steps 1 and 3 go by chunks of reports, each chunk one transaction (module docstring); step 2,
    rare, report by report. A report that fails is logged and left for the next run, the others
    go on."""
    today = today or timezone.localdate()
    result = JobResult()
    past = Q(status__in=ACTIVE_STATUSES, deadline__lt=today)
    with translation.override(settings.LANGUAGE_CODE):
        for ids in _batches(BlockingReport.objects.filter(past)):
            slots = _FreeSlots()
            for chunk in _chunks(ids):
                result.impossibilities += _run_chunk(
                    chunk, past, partial(_record_and_invite, slots=slots, record=True), one=_record_by_deadline,
                    slots=slots)
        missed = Q(status=S.INVITED, invitations__status=Invitation.Status.SCHEDULED,
                   invitations__booking__status=Booking.Status.NO_SHOW)
        for ids in _batches(BlockingReport.objects.filter(missed)):
            for pk in ids:
                if _run(pk, missed, _invitation_missed):
                    result.missed += 1
        waiting = Q(status=S.IMPOSSIBILITY_ESTABLISHED)
        for ids in _batches(BlockingReport.objects.filter(waiting)):
            slots = _FreeSlots()
            for chunk in _chunks(ids):
                _run_chunk(chunk, waiting, partial(_record_and_invite, slots=slots, record=False),
                           one=_invite_waiting, slots=slots)
    result.invited = BlockingReport.objects.filter(status=S.INVITED).count()
    result.without_slot = BlockingReport.objects.filter(waiting).count()
    return result


def _batches(queryset) -> Iterator[list[int]]:
    """Ids of ``queryset`` in ascending batches, read afresh each time (the rows change meanwhile)."""
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:JOB_BATCH_SIZE])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), JOB_CHUNK_SIZE):
        yield ids[start:start + JOB_CHUNK_SIZE]


# --- A chunk in one transaction, or its reports one by one ---------------------------------------

def _run_chunk(ids: list[int], condition: Q, step: Callable[[list[BlockingReport]], None], *,
               one: Callable[[BlockingReport], object], slots: _FreeSlots) -> int:
    """Runs ``step`` on the reports of ``ids`` still meeting ``condition`` that no other run holds,
    in one transaction; returns how many it handled. If anything fails, the chunk is rolled back
    and each of its reports gets ``one`` in its own transaction instead (``_run``).

    The tasks its commits enqueue (the letters' PDFs, the e-mails and SMS) leave when it ends, one
    message per task for the whole chunk (``core.tasks.enqueue_held``)."""
    with enqueue_held():
        return _run_chunk_held(ids, condition, step, one=one, slots=slots)


def _run_chunk_held(ids: list[int], condition: Q, step: Callable[[list[BlockingReport]], None], *,
                    one: Callable[[BlockingReport], object], slots: _FreeSlots) -> int:
    try:
        with transaction.atomic():
            reports = list(
                BlockingReport.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("person", "procedure", "prefecture__department")
                # Ordered by prefecture: a chunk books each prefecture's slots in ascending order.
                .filter(condition, pk__in=ids).order_by("prefecture_id", "pk"))
            if reports:
                step(reports)
            return len(reports)
    except Exception:  # a deadlock with another run, a bug on one report: each alone, as before
        logger.warning("substitution deadline job: chunk %s..%s rolled back, its reports taken one by one",
                       ids[0], ids[-1], exc_info=True)
        slots.forget()  # its bookings were rolled back with it
        return sum(_run(pk, condition, one) for pk in ids)


def _run(pk: int, condition: Q, step: Callable[[BlockingReport], object]) -> bool:
    try:
        with transaction.atomic():
            report = _lock_skip(pk, condition)
            if report is None:
                return False  # done meanwhile, or another run holds it
            step(report)
            return True
    except Exception:  # one report must not stop the night's work for the others
        logger.exception("substitution deadline job: report %s left for the next run", pk)
        return False


def _lock_skip(pk: int, condition: Q) -> BlockingReport | None:
    """The report if it still meets ``condition`` and no other transaction holds it."""
    return (BlockingReport.objects.select_for_update(skip_locked=True, of=("self",)).select_related("person")
            .filter(condition, pk=pk).first())


# --- The steps ----------------------------------------------------------------------------------

def _deadline_grounds(report: BlockingReport) -> str:
    return _("La date limite du %(date)s est passée sans que le problème soit résolu : l'impossibilité de faire la "
             "démarche en ligne est constatée d'office.") % {"date": report.deadline.strftime("%d/%m/%Y")}


def _record_by_deadline(report: BlockingReport) -> None:
    impossibility_record(report=report, by=None, grounds=_deadline_grounds(report))


def _invite_waiting(report: BlockingReport) -> None:
    invitation_make(report=report)


def _record_and_invite(reports: list[BlockingReport], *, slots: _FreeSlots, record: bool) -> None:
    """What ``impossibility_record`` (when ``record``) then ``invitation_make`` do for one report,
    for a chunk of locked reports: the same checks, rows and messages, the acts, timeline lines,
    invitations and statuses written a chunk at a time."""
    if record:
        today = timezone.localdate()
        acts, events = [], []
        for report in reports:
            prefecture_check(report=report, by=None, who=transition_check(report.status, S.IMPOSSIBILITY_ESTABLISHED),
                             today=today)
            grounds = _deadline_grounds(report)
            acts.append(Impossibility(report=report, recorded_by=None, grounds=grounds))
            events.append(ReportEvent(report=report, kind=ReportEvent.Kind.IMPOSSIBILITY, actor=None, text=grounds,
                                      from_status=report.status, to_status=S.IMPOSSIBILITY_ESTABLISHED))
            report.status = S.IMPOSSIBILITY_ESTABLISHED
        # One act per report: the one-to-one key refuses a second one (the chunk then goes one by one).
        Impossibility.objects.bulk_create(acts)
        ReportEvent.objects.bulk_create(events)
        BlockingReport.objects.filter(pk__in=[r.pk for r in reports]).update(status=S.IMPOSSIBILITY_ESTABLISHED)

    booked: list[tuple[BlockingReport, User, Booking]] = []
    slots.load({report.prefecture_id for report in reports})
    with letters_prefetched(reports):
        for report in reports:
            portal_check(report=report, by=None, who=transition_check(report.status, S.INVITED))
            person = person_account(report=report)
            booking = slots.book(report=report, person=person)
            if booking is None:
                flag_no_slot(report=report, by=None)
            else:
                booked.append((report, person, booking))
    if not booked:
        return
    letters: dict[str, IssuedDocument] = {}
    for document in documents_for_subjects(subjects=[booking for _r, _p, booking in booked]).filter(
            kind="convocation"):
        letters.setdefault(document.subject_id, document)  # the newest
    invitations = [Invitation(report=report, booking=booking, letter=letters.get(str(booking.pk)), created_by=None)
                   for report, _person, booking in booked]
    Invitation.objects.bulk_create(invitations)
    ReportEvent.objects.bulk_create([
        ReportEvent(report=report, kind=ReportEvent.Kind.INVITED, actor=None, from_status=report.status,
                    to_status=S.INVITED, text=invited_text(booking))
        for report, _person, booking in booked])
    BlockingReport.objects.filter(pk__in=[report.pk for report, _p, _b in booked]).update(
        status=S.INVITED, no_slot_flagged_at=None)
    for report, _person, _booking in booked:
        report.status, report.no_slot_flagged_at = S.INVITED, None
    # As invitation_make: the invitation is the outbox's object, every channel of the person.
    notify_many(event="report.invited", messages=[
        Message(recipient=person, obj=invitation, context=invited_context(report, invitation))
        for (report, person, _booking), invitation in zip(booked, invitations, strict=True)])


def _invitation_missed(report: BlockingReport) -> None:
    """A convocation marked "absent" at the desk: the invitation is missed, and a new one made."""
    current = (Invitation.objects.select_for_update(of=("self",)).select_related("booking")
               .get(report=report, status=Invitation.Status.SCHEDULED))
    if current.booking.status != Booking.Status.NO_SHOW:
        return
    if invitation_transition_check(current.status, Invitation.Status.MISSED) != PORTAL:
        raise PermissionDenied("Only the portal records a missed convocation.")
    current.status = Invitation.Status.MISSED
    current.save(update_fields=["status"])
    who = transition_check(report.status, S.IMPOSSIBILITY_ESTABLISHED)
    if who != PORTAL:
        raise PermissionDenied("Only the portal records a missed convocation.")
    report.status = S.IMPOSSIBILITY_ESTABLISHED
    report.save(update_fields=["status"])
    report_event(report=report, kind=ReportEvent.Kind.INVITATION_MISSED, by=None, from_status=S.INVITED,
                 to_status=S.IMPOSSIBILITY_ESTABLISHED, audit=False,
                 text=_("Absence au rendez-vous du %(date)s : une nouvelle convocation est envoyée.") % {
                     "date": timezone.localtime(current.booking.slot.starts_at).strftime("%d/%m/%Y")})
    invite(report=report, by=None)


# --- The free slots of a batch ------------------------------------------------------------------

class _FreeSlots:
    """The earliest free paper-filing slots of each prefecture, read for many prefectures in one
    query (the first ``SLOTS_PER_PREFECTURE`` of each) instead of searched for each report, within
    the same window as ``invitation_make`` (the convocations' minimum notice to the horizon).

    Only candidates: each seat is still taken by ``booking_record``'s conditional UPDATE, so a seat
    taken meanwhile by someone else is skipped (``SlotTaken``: nothing was written) and the next
    candidate tried. Read once per batch of reports: a seat freed meanwhile (a cancellation) before
    the candidates the batch holds is offered from the next batch or run on."""

    def __init__(self) -> None:
        today = timezone.localdate()  # as invitation_make: the window starts from the real today
        self.motive = Motive.objects.get(code=Motive.Code.PAPER_FILING)
        self.after = local_midnight(working_days_after(today, settings.CONVOCATION_MIN_NOTICE_WORKING_DAYS))
        self.until = today + timedelta(days=settings.SUBSTITUTION_INVITATION_HORIZON_DAYS)
        self.now = timezone.now()
        self._sites: dict[int, list[int]] = {}
        self._candidates: dict[int, list[Slot]] = {}
        self._seen: dict[int, set[int]] = {}

    def forget(self) -> None:
        """After a rollback: what was booked in memory was not; read again when needed."""
        self._candidates.clear()
        self._seen.clear()

    def load(self, prefecture_ids: set[int]) -> None:
        missing = [p for p in prefecture_ids if p not in self._candidates]
        if not missing:
            return
        unknown = [p for p in missing if p not in self._sites]
        for prefecture_id in unknown:
            self._sites[prefecture_id] = []
        for site_id, prefecture_id in Site.objects.filter(prefecture_id__in=unknown, is_active=True).values_list(
                "id", "prefecture_id"):
            self._sites[prefecture_id].append(site_id)
        site_ids = [site for p in missing for site in self._sites[p]]
        rows = (free_slots(motive=self.motive, site_ids=site_ids, after=self.after, until=self.until)
                .annotate(rank=Window(RowNumber(), partition_by=F("desk__site__prefecture_id"),
                                      order_by=[F("starts_at").asc(), F("id").asc()]))
                .filter(rank__lte=SLOTS_PER_PREFECTURE))
        for prefecture_id in missing:
            self._candidates[prefecture_id] = []
            self._seen.setdefault(prefecture_id, set())
        for slot in rows:
            self._keep(slot.desk.site.prefecture_id, slot)

    def _keep(self, prefecture_id: int, slot: Slot) -> None:
        slot.motive = self.motive  # one motive: booking_record reads it
        self._candidates[prefecture_id].append(slot)
        self._seen[prefecture_id].add(slot.pk)

    def _more(self, prefecture_id: int) -> list[Slot]:
        """The prefecture's candidates ran out: the next free ones not yet tried."""
        for slot in (free_slots(motive=self.motive, site_ids=self._sites[prefecture_id], after=self.after,
                                until=self.until).exclude(pk__in=self._seen[prefecture_id])[:SLOTS_PER_PREFECTURE]):
            self._keep(prefecture_id, slot)
        return self._candidates[prefecture_id]

    def book(self, *, report: BlockingReport, person: User) -> Booking | None:
        """Books the earliest free candidate for ``report`` with ``booking_record``; None when the
        prefecture has no free slot left in the window."""
        prefecture_id = report.prefecture_id
        self.load({prefecture_id})
        candidates = self._candidates[prefecture_id]
        subject = Subject(REPORT_SUBJECT_TYPE, str(report.pk), report.reference)
        while True:
            if not candidates:
                candidates = self._more(prefecture_id)
                if not candidates:
                    return None
            slot = candidates[0]
            try:
                # No savepoint needed: booking_record raises SlotTaken from its conditional UPDATE,
                # before writing anything. Any other error fails the chunk (taken one by one then).
                booking = booking_record(person=person, slot=slot, by=None, kind=Booking.Kind.CONVOCATION,
                                         subject=subject, movable_until=None, now=self.now)
            except SlotTaken:
                candidates.pop(0)
                continue
            slot.booked += 1
            if slot.booked >= slot.capacity:
                candidates.pop(0)
            return booking
