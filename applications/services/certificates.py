"""Certificates that keep a person's rights alive while, and after, the prefecture decides
(DESIGN §5, §9; the flow and the legal references are in docs/certificates.md).

- The extension certificate (attestation de prolongation d'instruction, CESEDA R. 431-15-1): for a
  complete renewal filed on time (or one an agent granted it to) and still undecided when the current
  permit ends. Issued ``EXTENSION_CERTIFICATE_LEAD_DAYS`` ahead, for ``EXTENSION_CERTIFICATE_MONTHS``
  calendar months, then re-issued ahead of each lapse until the decision, each one starting the day
  after the previous one ends and superseding it. A nightly sweep does this (applications/tasks.py).
- The favourable-decision certificate (attestation de décision favorable): issued with a favourable
  decision, valid until the card is delivered, when it is revoked.

``Dossier.certificate_valid_until`` mirrors the end of the extension certificate that covers the
person, for the queue priority (applications/clock.py) and the sweep's query. It is None when no
extension certificate covers them, and after a favourable decision: from then on the person is covered
by the favourable-decision certificate, which has no end date, and by the dossier's status, which
takes it out of the "rights at risk" rule.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from applications.clock import priority_for
from applications.models import Dossier, DossierEvent, PermitCategory, Procedure, Status
from applications.selectors import applicant_snapshot, applicant_snapshot_of
from applications.services.common import (
    dossier_lock,
    dossier_refresh_priority,
    event_record,
    notify_applicant,
)
from applications.workflow import OPEN_STATUSES
from core.bulk import BulkInsert, together
from core.tasks import enqueue_held
from documents.models import DocumentKind, DocumentStatus, IssuedDocument
from documents.selectors import documents_for_subject, documents_for_subjects
from documents.services import DocumentToIssue, document_issue, document_issue_many, document_revoke
from notifications.services import Message, notify_many

logger = logging.getLogger(__name__)

EXTENSION_TEMPLATE = "documents/pdf/extension_certificate.html"
FAVOURABLE_TEMPLATE = "documents/pdf/favourable_decision.html"


# --- Rules --------------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, or the month's last day when it has none
    (30 Nov + 3 months = 28 Feb, or 29 Feb in a leap year; 31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


#: What the permit a favourable decision grants lets its holder do, by category. In plain words:
#: "salarié", "travailleur temporaire", "passeport talent", "vie privée et familiale" and the
#: resident card allow work; the "étudiant" card allows it only alongside the studies, within 60 % of
#: the legal annual working time, i.e. 964 hours a year (CESEDA L. 422-1);
#: the "visiteur" card is given to a person who undertakes not to work, and allows none.
WORK_YES, WORK_ACCESSORY, WORK_NO, WORK_UNKNOWN = "yes", "accessory", "no", "unknown"
_WORK_BY_CATEGORY: dict[str, str] = {
    PermitCategory.EMPLOYEE: WORK_YES,
    PermitCategory.TEMPORARY_WORKER: WORK_YES,
    PermitCategory.TALENT: WORK_YES,
    PermitCategory.PRIVATE_FAMILY_LIFE: WORK_YES,
    PermitCategory.RESIDENT: WORK_YES,
    PermitCategory.STUDENT: WORK_ACCESSORY,
    PermitCategory.VISITOR: WORK_NO,
}


def work_right_for_category(category: str) -> str:
    """``yes``, ``accessory`` (students), ``no`` (visitors) or ``unknown`` (a procedure that names
    no category, such as a duplicate: the PDF then says the right is the card's own)."""
    return _WORK_BY_CATEGORY.get(category, WORK_UNKNOWN)


def _horizon(today: date) -> date:
    return today + timedelta(days=settings.EXTENSION_CERTIFICATE_LEAD_DAYS)


def extension_certificates_due_filter(today: date) -> Q:
    """The dossiers that need an extension certificate now, as SQL. Same rule as
    ``extension_certificate_due``, which re-checks it under the row lock."""
    horizon = _horizon(today)
    return (
        Q(procedure__is_renewal=True, status__in=OPEN_STATUSES, renewed_permit__isnull=False,
          permit_expires_on__isnull=False, permit_expires_on__lte=horizon)
        & (Q(filed_on_time=True) | Q(extension_granted=True))
        & (Q(certificate_valid_until__isnull=True) | Q(certificate_valid_until__lte=horizon))
    )


def extension_certificate_due(dossier: Dossier, today: date) -> bool:
    """A renewal, not decided yet (a complement request does not cut the person's rights), filed
    on time or granted the certificate by an agent, whose permit ends within the lead days, and that
    no certificate covers beyond them."""
    horizon = _horizon(today)
    return bool(
        dossier.procedure.is_renewal
        and dossier.status in OPEN_STATUSES
        and dossier.renewed_permit_id is not None
        and (dossier.filed_on_time is True or dossier.extension_granted)
        and dossier.permit_expires_on is not None and dossier.permit_expires_on <= horizon
        and (dossier.certificate_valid_until is None or dossier.certificate_valid_until <= horizon)
    )


# --- Context ------------------------------------------------------------------------------------

def _dossier_facts(dossier: Dossier) -> dict[str, Any]:
    return {
        "reference": dossier.reference,
        "procedure": dossier.procedure.name,
        "filed_at": dossier.submitted_at.isoformat() if dossier.submitted_at else "",
        "prefecture": dossier.prefecture.name if dossier.prefecture is not None else "",
        "applicant": applicant_snapshot(dossier=dossier),
    }


def _valid_documents(dossier: Dossier, kind: str):
    return documents_for_subject(subject=dossier).filter(kind=kind, status=DocumentStatus.VALID)


# --- Favourable decision ------------------------------------------------------------------------

def favourable_decision_certificate_facts(*, dossier: Dossier) -> dict[str, Any]:
    """What the favourable-decision certificate of this dossier would say (holder, permit category,
    right to work), from the same rules as ``favourable_decision_certificate_issue``: the agent
    sees it before confirming the decision."""
    category = dossier.procedure.permit_category
    return {
        "holder": applicant_snapshot(dossier=dossier),
        "permit_category": str(PermitCategory(category).label) if category else "",
        "work": work_right_for_category(category),
    }


def favourable_decision_certificate_issue(*, dossier: Dossier, by: User | None) -> IssuedDocument:
    """Issues the favourable-decision certificate, in the decision's transaction
    (``instruction.dossier_decide``): valid from today until the card is delivered.

    It replaces the extension certificate that covered the person, if any (shown "replaced" on
    /verifier/), and clears ``certificate_valid_until`` (module docstring). Issuing it again for the
    same dossier returns the certificate already issued.
    """
    with transaction.atomic():
        dossier = dossier_lock(dossier)
        if dossier.status != Status.DECIDED_FAVOURABLE:
            raise ValueError(f"Dossier {dossier.pk} is {dossier.status}, not decided favourably.")
        existing = _valid_documents(dossier, DocumentKind.FAVOURABLE_DECISION).first()
        if existing is not None:
            return existing  # idempotency: one favourable-decision certificate per decision

        extensions = list(_valid_documents(dossier, DocumentKind.EXTENSION_CERTIFICATE))
        category = dossier.procedure.permit_category
        work = work_right_for_category(category)
        with translation.override("fr"):  # stored as issued: French, whoever triggers it
            context = {
                **_dossier_facts(dossier),
                "decided_at": (dossier.decided_at or timezone.now()).isoformat(),
                "permit_category": str(PermitCategory(category).label) if category else "",
                "work": work,
                "allows_work": work in (WORK_YES, WORK_ACCESSORY),
            }
            document = document_issue(
                kind=DocumentKind.FAVOURABLE_DECISION, holder=dossier.applicant, subject=dossier,
                template=FAVOURABLE_TEMPLATE, context=context, valid_from=timezone.localdate(),
                valid_until=None, supersedes=extensions[0] if extensions else None, by=by,
                holder_as=context["applicant"],
            )
            # There is at most one valid extension certificate (each supersedes the previous one);
            # should there be more, the others cannot name a successor through document_issue, and
            # are revoked, saying why.
            for other in extensions[1:]:
                document_revoke(document=other, by=by, reason=_(
                    "Remplacée par l'attestation de décision favorable n° %(number)s."
                ) % {"number": document.number})

        if dossier.certificate_valid_until is not None:
            dossier.certificate_valid_until = None
            dossier.save(update_fields=["certificate_valid_until", "updated_at"])
            dossier_refresh_priority(dossier)
        event_record(dossier=dossier, kind=DossierEvent.Kind.CERTIFICATE_ISSUED, by=by, data={
            "kind": document.kind, "number": document.number, "document": document.pk,
        })
        # No separate message: the decision's own notification (dossier.status_changed) tells the
        # applicant, and the dossier page lists the certificate.
        return document


def favourable_decision_certificate_end(*, dossier: Dossier, by: User | None) -> IssuedDocument | None:
    """At card delivery, the favourable-decision certificate stops proving anything: it is revoked
    with the delivery date as the reason, so /verifier/ shows it is no longer in force. (It cannot
    be "superseded": the card is not a document this portal issues.) Returns it, or None if the
    dossier had none valid; ending it twice changes nothing."""
    with transaction.atomic():
        ended = None
        with translation.override("fr"):
            reason = _("Titre de séjour remis le %(date)s.") % {
                "date": timezone.localdate().strftime("%d/%m/%Y")
            }
        for document in _valid_documents(dossier, DocumentKind.FAVOURABLE_DECISION):
            ended = document_revoke(document=document, by=by, reason=reason)
        return ended


# --- Extension certificates ---------------------------------------------------------------------

def _extension_plan(dossier: Dossier, previous: IssuedDocument | None, today: date) -> tuple[date, date, dict] | None:
    """The next extension certificate of a dossier found due under its row lock, given its current
    one (``previous``): (start, end, context); None when the documents show it covered already."""
    permit, expires_on = dossier.renewed_permit, dossier.permit_expires_on
    if permit is None or expires_on is None:  # both known once due: said again for the type checker
        return None
    if _covered_by_documents(previous, today):
        return None
    starts, ends = _extension_dates(expires_on, previous.valid_until if previous else None, today)
    with translation.override("fr"):  # stored as issued: French
        facts = _dossier_facts(dossier)
    return starts, ends, _extension_context(
        facts=facts, permit_number=permit.number, permit_category=permit.category,
        permit_valid_until=permit.valid_until, allows_work=permit.allows_work, on_time=dossier.filed_on_time)


def _extension_dates(expires_on: date, previous_until: date | None, today: date) -> tuple[date, date]:
    """From the day after the permit ends, or after the previous certificate ends, or today,
    whichever is latest, for ``EXTENSION_CERTIFICATE_MONTHS`` calendar months."""
    starts = max(
        day for day in (
            expires_on + timedelta(days=1),
            previous_until + timedelta(days=1) if previous_until else None,
            today,
        ) if day is not None
    )
    return starts, add_months(starts, settings.EXTENSION_CERTIFICATE_MONTHS) - timedelta(days=1)


def _extension_context(*, facts: dict[str, Any], permit_number: str, permit_category: str,
                       permit_valid_until: date, allows_work: bool | None, on_time: bool | None) -> dict[str, Any]:
    """The certificate's context (documents.services, its contract), from the dossier's facts
    (``_dossier_facts``) and the permit being renewed: one rule for one certificate and the sweep."""
    with translation.override("fr"):
        category = str(dict(PermitCategory.choices).get(permit_category, permit_category))
    return {
        **facts,
        "permit": {"number": permit_number, "category": category, "valid_until": permit_valid_until.isoformat()},
        "allows_work": bool(allows_work),
        "on_time": bool(on_time),
    }


def _covered_by_documents(previous: IssuedDocument | None, today: date) -> bool:
    """Whether the current certificate (``previous``) runs beyond the lead days: the file is covered
    whatever its own date says (a date that lagged behind is fixed by the caller)."""
    return previous is not None and previous.valid_until is not None and previous.valid_until > _horizon(today)


def extension_certificate_issue(*, dossier: Dossier, today: date, by: User | None = None) -> IssuedDocument | None:
    """Issues the dossier's next extension certificate if it needs one today (``extension_certificate_due``),
    else returns None.

    The dossier is locked and re-read first: a decision taken meanwhile wins, and a second call
    the same day finds the person covered already. The certificate runs from the day after the
    permit ends, or after the previous certificate ends, or today, whichever is latest, for
    ``EXTENSION_CERTIFICATE_MONTHS`` calendar months; it supersedes the previous one. "Autorisé à
    travailler" iff the permit being renewed allowed work (R. 431-15-1: the same rights).
    The nightly sweep does the same for a chunk of dossiers at a time (``extension_certificates_sweep``).
    """
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure", "applicant", "renewed_permit", "prefecture")
            .get(pk=dossier.pk)
        )
        if not extension_certificate_due(dossier, today):
            return None
        previous = _valid_documents(dossier, DocumentKind.EXTENSION_CERTIFICATE).first()
        if _covered_by_documents(previous, today):
            # The denormalised date lagged behind the documents: trust the documents, fix the date.
            Dossier.objects.filter(pk=dossier.pk).update(certificate_valid_until=previous.valid_until)  # type: ignore[union-attr]
            return None
        plan = _extension_plan(dossier, previous, today)
        if plan is None:
            return None
        starts, ends, context = plan
        document = document_issue(
            kind=DocumentKind.EXTENSION_CERTIFICATE, holder=dossier.applicant, subject=dossier,
            template=EXTENSION_TEMPLATE, context=context, valid_from=starts, valid_until=ends,
            supersedes=previous, by=by, holder_as=context["applicant"],
        )
        dossier.certificate_valid_until = ends
        dossier.save(update_fields=["certificate_valid_until", "updated_at"])
        dossier_refresh_priority(dossier, today)
        event = event_record(dossier=dossier, kind=DossierEvent.Kind.CERTIFICATE_ISSUED, by=by, data={
            "kind": document.kind, "number": document.number, "document": document.pk,
            "valid_from": starts.isoformat(), "valid_until": ends.isoformat(),
        })
        notify_applicant(dossier=dossier, event="dossier.certificate_issued", about=event,
                         context={"document": document})
        return document


#: Errors that stop the sweep (the task retries it later, and it resumes where it is needed):
#: the database is unavailable, or the worker's time is up. Anything else is one dossier's problem.
_SWEEP_ABORTS = (OperationalError, InterfaceError, SoftTimeLimitExceeded)

#: Dossiers handled in one transaction by the sweep: small enough that a decision on one of them
#: waits well under a second for the chunk's commit (about 2.5 ms a certificate at 1,000,000 dossiers
#: since the third pass, so about a quarter of a second; docs/benchmarks.md).
SWEEP_CHUNK_SIZE = 100


def extension_certificates_sweep(*, today: date, batch_size: int = 2000, chunk_size: int = SWEEP_CHUNK_SIZE) -> int:
    """Issues every extension certificate due today; returns how many it issued.

    Keyset over (permit_expires_on, id), ``batch_size`` ids per read; then chunks of ``chunk_size``
    dossiers, each one transaction (``_sweep_chunk``): the chunk's dossiers still due are locked
    with SKIP LOCKED (the rule evaluated again on the locked rows), their certificates, dossier
    dates, timeline lines, audit lines and messages written a chunk at a time, the PDFs and
    messages queued in one message per task and chunk after its commit. A dossier another
    transaction holds (a decision being taken) is skipped by its chunk and taken alone at the end
    of its batch, waiting for the lock then re-checking: a decision committed meanwhile wins. A
    chunk that fails is rolled back and its dossiers taken one by one
    (``extension_certificate_issue``), the one at fault logged.

    Idempotent: a dossier given its certificate no longer matches the query, and each chunk
    re-checks under the row locks (plus a unique constraint on the documents, see IssuedDocument).
    """
    issued = failed = 0
    due = extension_certificates_due_filter(today)
    candidates = (
        Dossier.objects.filter(due).order_by("permit_expires_on", "id").values_list("permit_expires_on", "id")
    )
    last: tuple[date | None, int] | None = None
    while True:
        batch = candidates
        if last is not None:
            batch = batch.filter(Q(permit_expires_on__gt=last[0]) | Q(permit_expires_on=last[0], id__gt=last[1]))
        keys = list(batch[:batch_size])
        left: list[int] = []
        for start in range(0, len(keys), chunk_size):
            chunk = [pk for _expires_on, pk in keys[start:start + chunk_size]]
            try:
                done, skipped = _sweep_chunk(chunk, due, today)
            except _SWEEP_ABORTS:
                raise
            except Exception:
                logger.warning("Extension certificates sweep: chunk %s..%s rolled back, taken one by one",
                               chunk[0], chunk[-1], exc_info=True)
                done, skipped = 0, chunk
            issued += done
            left += skipped
        for pk in left:  # held by another transaction, or in a failed chunk: alone, waiting for the lock
            try:
                if extension_certificate_issue(dossier=Dossier(pk=pk), today=today) is not None:
                    issued += 1
            except _SWEEP_ABORTS:
                raise
            except Exception:
                # One broken dossier must not cost everyone else their certificate tonight.
                failed += 1
                logger.exception("Extension certificate for dossier %s failed", pk)
        if len(keys) < batch_size:
            break
        last = keys[-1]
    if failed:
        logger.error("Extension certificates sweep of %s: %s issued, %s failed", today, issued, failed)
    return issued


#: What the sweep reads of each dossier of a chunk under its lock, as values (no model instances:
#: building the dossiers with their procedure, applicant, permit and prefecture cost more than
#: reading them). The applicant's columns are those the certificate, ``channels_for`` and the letter
#: route look at; the dossier's, those of the rule and of the queue priority (applications/clock.py).
_CHUNK_DOSSIER = ("id", "reference", "submitted_at", "status", "permit_expires_on", "certificate_valid_until",
                  "filed_on_time", "extension_granted", "legal_deadline", "clock_paused_on")
_CHUNK_APPLICANT = ("id", "first_name", "last_name", "email", "login_id", "birth_date", "foreigner_number",
                    "phone", "notify_by_email", "notify_by_sms", "notify_by_post", "preferred_language",
                    "origin", "department_id", "postal_code")
#: The procedure's name in each language (modeltranslation): the certificate says it in French,
#: each message in its reader's language.
_PROCEDURE_NAMES = tuple(f"name_{language}" for language in settings.MODELTRANSLATION_LANGUAGES)
_CHUNK_FIELDS = (*_CHUNK_DOSSIER, *(f"applicant__{name}" for name in _CHUNK_APPLICANT), "answers__identity",
                 "procedure_id", *(f"procedure__{name}" for name in _PROCEDURE_NAMES), "prefecture__name",
                 "renewed_permit__number", "renewed_permit__category", "renewed_permit__valid_until",
                 "renewed_permit__allows_work")

_URL_MARKER = 987654321987

#: The chunk's timeline lines and their audit twins (core.bulk: SQL made once per process).
_EVENTS = BulkInsert(DossierEvent, varying=("dossier_id", "data"), shared=("kind", "at"),
                       returning=("id", "dossier_id"))
_EVENTS_AUDIT = BulkInsert(AuditEvent, varying=("object_id", "data"), shared=("action", "object_type", "at"))


def _sweep_chunk(ids: list[int], due: Q, today: date) -> tuple[int, list[int]]:
    """Issues the certificates of the dossiers of ``ids`` still due that no other transaction
    holds, in one transaction; returns how many it issued and the ids it skipped as locked.

    The same rows as ``extension_certificate_issue`` writes for each (tests/applications/
    test_certificates.py compares them column by column), in a number of statements that does not
    grow with the chunk: the dossiers read and locked as values, their current certificates read,
    then one statement each for the certificates and their audit lines (``document_issue_many``),
    the dossiers' dates, the timeline lines, their audit lines and the messages (``notify_many``)."""
    with enqueue_held(), transaction.atomic():
        # The rule is the WHERE clause: PostgreSQL evaluates it again on the row's latest version
        # once it holds the lock (READ COMMITTED), so a dossier decided meanwhile is not returned.
        rows = list(Dossier.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(due, pk__in=ids).order_by("pk").values(*_CHUNK_FIELDS))
        # Not returned: no longer due (nothing to do), or locked by another transaction. Which one
        # is told by a plain read; the locked ones are taken alone afterwards.
        seen = {row["id"] for row in rows}
        skipped = list(Dossier.objects.filter(due, pk__in=[pk for pk in ids if pk not in seen])
                       .values_list("pk", flat=True)) if len(seen) < len(ids) else []
        if not rows:
            return 0, skipped
        previous_of: dict[str, IssuedDocument] = {}
        for document in (documents_for_subjects(subjects=[Dossier(pk=row["id"]) for row in rows])
                         .filter(kind=DocumentKind.EXTENSION_CERTIFICATE, status=DocumentStatus.VALID)):
            previous_of.setdefault(document.subject_id, document)  # the newest, as _valid_documents().first()

        issues: list[DocumentToIssue] = []
        planned: list[tuple[Dossier, Procedure]] = []
        procedures: dict[int, Procedure] = {}
        dates: list[tuple[date, date]] = []
        lagging: dict[int, date | None] = {}
        for row in rows:
            previous = previous_of.get(str(row["id"]))
            if _covered_by_documents(previous, today):
                lagging[row["id"]] = previous.valid_until  # type: ignore[union-attr]  # trust the documents
                continue
            holder = User(**{name: row[f"applicant__{name}"] for name in _CHUNK_APPLICANT})
            dossier = Dossier(**{name: row[name] for name in _CHUNK_DOSSIER}, applicant_id=holder.pk)
            identity = row["answers__identity"]
            procedure = procedures.get(row["procedure_id"])
            if procedure is None:
                procedure = procedures[row["procedure_id"]] = Procedure(
                    id=row["procedure_id"], **{name: row[f"procedure__{name}"] for name in _PROCEDURE_NAMES})
            with translation.override("fr"):  # stored as issued: French
                procedure_name = procedure.name
            facts = {
                "reference": row["reference"], "procedure": procedure_name,
                "filed_at": row["submitted_at"].isoformat() if row["submitted_at"] else "",
                "prefecture": row["prefecture__name"] or "",
                "applicant": applicant_snapshot_of(user=holder, answers={"identity": identity}
                                                   if isinstance(identity, dict) else {}),
            }
            starts, ends = _extension_dates(row["permit_expires_on"],
                                            previous.valid_until if previous else None, today)
            context = _extension_context(
                facts=facts, permit_number=row["renewed_permit__number"],
                permit_category=row["renewed_permit__category"],
                permit_valid_until=row["renewed_permit__valid_until"],
                allows_work=row["renewed_permit__allows_work"], on_time=row["filed_on_time"])
            issues.append(DocumentToIssue(
                kind=DocumentKind.EXTENSION_CERTIFICATE, holder=holder, subject=dossier,
                template=EXTENSION_TEMPLATE, context=context, valid_from=starts, valid_until=ends,
                supersedes=previous, holder_as=context["applicant"]))
            planned.append((dossier, procedure))
            dates.append((starts, ends))
        if lagging:
            Dossier.objects.bulk_update([Dossier(pk=pk, certificate_valid_until=day) for pk, day in lagging.items()],
                                        ["certificate_valid_until"])
        documents = document_issue_many(issues=issues, by=None, savepoint=False)  # the chunk is all or nothing
        if not documents:
            return 0, skipped

        now = timezone.now()
        for (dossier, _procedure), (_starts, ends) in zip(planned, dates, strict=True):
            dossier.certificate_valid_until, dossier.updated_at = ends, now
            dossier.priority, dossier.priority_date = priority_for(dossier, today)
        data = [{"kind": DocumentKind(document.kind).value, "number": document.number, "document": document.pk,
                 "valid_from": starts.isoformat(), "valid_until": ends.isoformat()}
                for document, (starts, ends) in zip(documents, dates, strict=True)]
        dossier_ids = [dossier.pk for dossier, _procedure in planned]
        # The dossiers' dates, the timeline lines' audit twins (as event_record writes them) and the
        # timeline lines, in one round trip (core.bulk.together: none reads what another writes).
        event_of = {dossier_id: pk for pk, dossier_id in together(
            _dossiers_covered([dossier for dossier, _procedure in planned], now),
            _EVENTS_AUDIT.statement(
                varying=[[str(pk) for pk in dossier_ids],
                         [{"from": "", "to": "", **line} for line in data]],
                shared=[f"dossier.{DossierEvent.Kind.CERTIFICATE_ISSUED.value}", Dossier._meta.label_lower, now]),
            _EVENTS.statement(varying=[dossier_ids, data],
                              shared=[DossierEvent.Kind.CERTIFICATE_ISSUED.value, now]))}
        # Each dossier's page, reversed once per chunk (``reverse`` per dossier cost as much as a
        # statement): the marker is an id no URL of the route otherwise contains.
        page = settings.SITE_URL + reverse("applications:dossier", args=[_URL_MARKER])
        notify_many(event="dossier.certificate_issued", messages=[
            Message(recipient=document.holder, obj=DossierEvent(pk=event_of[dossier.pk]), context={
                "dossier": {"reference": dossier.reference, "procedure": procedure},
                "document": document, "url": page.replace(str(_URL_MARKER), str(dossier.pk))})
            for (dossier, procedure), document in zip(planned, documents, strict=True)])
        return len(documents), skipped


def _dossiers_covered(dossiers: list[Dossier], now) -> tuple[str, list[Any]]:
    """The statement that writes the chunk's new coverage dates and priorities. (``bulk_update``
    builds a CASE per field and row: at 50 rows it cost more than the rest of the chunk.)"""
    table = connection.ops.quote_name(Dossier._meta.db_table)
    return (
        f"UPDATE {table} AS d SET certificate_valid_until = v.ends, priority = v.priority, "  # noqa: S608 (the model's table)
        "priority_date = v.priority_date, updated_at = %s "
        "FROM unnest(%s::bigint[], %s::date[], %s::integer[], %s::date[]) AS v(id, ends, priority, priority_date) "
        "WHERE d.id = v.id",
        [now, [d.pk for d in dossiers], [d.certificate_valid_until for d in dossiers],
         [d.priority for d in dossiers], [d.priority_date for d in dossiers]])
