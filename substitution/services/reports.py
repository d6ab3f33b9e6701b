"""Writes about blocking reports (DESIGN §8). Each state change is one service that locks the
report, asks the transition table (``substitution/workflow.py``) who may make the move, checks the
person acting, saves with ``update_fields``, writes the timeline and, for staff, the audit log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import audit_record
from applications.models import Procedure
from applications.uploads import CleanUpload, validate_upload
from substitution.access import is_support, may_link_anomalies, mediator_site_ids
from substitution.models import Anomaly, BlockingReport, Channel, ReportEvent, ReportEvidence, ReportSequence
from substitution.selectors import secret_hash
from substitution.services.outreach import report_notify
from substitution.workflow import LINKABLE_STATUSES, PERSON, SUPPORT, ReportStatus, transition_check
from territory.models import Prefecture, Site

#: Evidence: what the dossiers' pieces accept, a few files of at most 10 MB each.
EVIDENCE_FORMATS = ("pdf", "jpeg", "png")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_FILES = 5

S = ReportStatus


@dataclass(frozen=True)
class Contact:
    """How to reach a person who has no account (at least one of phone, e-mail, postal address)."""

    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    language: str = "fr"

    @property
    def reachable(self) -> bool:
        return bool(self.phone or self.email or (self.address and self.postal_code and self.city))


@dataclass(frozen=True)
class Blockage:
    """What the person wanted to do and what stopped them."""

    kind: str
    procedure: Procedure | None = None
    tried: str = ""
    page_url: str = ""
    error_code: str = ""
    error_message: str = ""
    files: list[UploadedFile] = field(default_factory=list)


@dataclass(frozen=True)
class Opened:
    report: BlockingReport
    #: The follow link's secret, for a person without an account: to show once, never stored.
    secret: str = ""


def deadline_for(opened_at) -> Any:
    """The opening day in Paris plus the reasonable delay."""
    return timezone.localdate(opened_at) + timedelta(days=settings.SUBSTITUTION_REASONABLE_DELAY_DAYS)


def _next_reference(year: int) -> str:
    # Race-free as documents' numbers are: the year's counter row is locked until commit.
    ReportSequence.objects.get_or_create(year=year)
    sequence = ReportSequence.objects.select_for_update().get(year=year)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"SIG-{year}-{sequence.last_value:06d}"


def _check_files(files: list[UploadedFile]) -> list[tuple[UploadedFile, CleanUpload]]:
    """Every file through the dossiers' upload checks, before anything is written."""
    if len(files) > EVIDENCE_MAX_FILES:
        raise ValidationError({"evidence": _("Vous pouvez joindre %(max)s fichiers au plus.") % {
            "max": EVIDENCE_MAX_FILES}})
    checked = []
    for uploaded in files:
        try:
            checked.append((uploaded, validate_upload(uploaded, allowed_formats=EVIDENCE_FORMATS,
                                                      max_bytes=EVIDENCE_MAX_BYTES)))
        except ValidationError as error:
            raise ValidationError({"evidence": [
                _("« %(name)s » : %(error)s") % {"name": _display_name(uploaded.name), "error": message}
                for message in error.messages]}) from error
    return checked


def _display_name(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:120] or "document"


def report_event(*, report: BlockingReport, kind: str, by: User | None, text: str = "", from_status: str = "",
           to_status: str = "", audit: bool = True) -> ReportEvent:
    """A timeline line and, for a person acting (staff or the signed-in person), its audit twin."""
    event = ReportEvent.objects.create(report=report, kind=kind, actor=by, text=text,
                                       from_status=from_status, to_status=to_status)
    if audit:
        audit_record(actor=by, action=f"report.{kind}", obj=report,
                     data={"from": from_status, "to": to_status})
    return event


@transaction.atomic
def report_open(
    *, channel: str, blockage: Blockage, prefecture: Prefecture, person: User | None = None,
    contact: Contact | None = None, by: User | None = None, site: Site | None = None,
) -> Opened:
    """Opens a report from one of the three channels.

    - online: by the person themselves (``by`` is ``person``, or None without an account);
    - phone: by a CCC agent (``by``), for the caller;
    - pan: by a mediator (``by``) at one of their sites (``site``).
    A person without an account gives ``contact`` (at least one way to be reached) and receives the
    secret of the follow link. The evidence goes through the dossiers' upload checks first: a bad
    file refuses the whole report (``ValidationError`` keyed ``evidence``), so nothing half-made stays.
    """
    if channel == Channel.ONLINE:
        if by is not None and by != person:
            raise PermissionDenied("Online reports are opened by the person themselves.")
        site = None
    elif channel == Channel.PHONE:
        if by is None or not is_support(user=by):
            raise PermissionDenied("Phone reports are recorded by CCC agents.")
        site = None
    elif channel == Channel.PAN:
        if by is None or site is None or site.pk not in mediator_site_ids(user=by):
            raise PermissionDenied("Walk-in reports are recorded by a mediator of the site.")
    else:
        raise ValueError(f"Unknown channel {channel!r}")
    contact = contact or Contact()
    if person is None and not contact.reachable:
        raise ValidationError(_("Indiquez au moins un moyen de joindre la personne : téléphone, adresse e-mail "
                                "ou adresse postale complète."), code="unreachable")
    checked = _check_files(blockage.files)

    now = timezone.now()
    secret = "" if person is not None else secrets.token_urlsafe(24)
    report = BlockingReport.objects.create(
        reference=_next_reference(timezone.localdate(now).year), channel=channel, person=person,
        first_name=person.first_name if person else contact.first_name,
        last_name=person.last_name if person else contact.last_name,
        phone=person.phone if person else contact.phone,
        email=(person.email or "") if person else contact.email,
        address=person.address if person else contact.address,
        postal_code=person.postal_code if person else contact.postal_code,
        city=person.city if person else contact.city,
        language=person.preferred_language if person else contact.language,
        procedure=blockage.procedure, prefecture=prefecture, kind=blockage.kind, tried=blockage.tried.strip(),
        page_url=blockage.page_url[:500], error_code=blockage.error_code[:60],
        error_message=blockage.error_message[:2000],
        opened_by=by if channel != Channel.ONLINE else None, site=site,
        deadline=deadline_for(now), opened_at=now, secret_hash=secret_hash(secret) if secret else "",
    )
    for uploaded, clean in checked:
        _evidence_store(report=report, uploaded=uploaded, clean=clean, by=by)
    report_event(report=report, kind=ReportEvent.Kind.OPENED, by=by, to_status=S.OPEN, audit=by is not None)
    if person is None:
        # The acknowledgement (reference and deadline) to a person without an account: they have
        # no space to find it in. Never their follow link (see services/outreach.py).
        report_notify(report=report, event="report.opened", obj=report, template="report_opened")
    return Opened(report=report, secret=secret)


def _evidence_store(*, report: BlockingReport, uploaded: UploadedFile, clean: CleanUpload,
                    by: User | None) -> ReportEvidence | None:
    if ReportEvidence.objects.filter(report=report, sha256=clean.sha256).exists():
        return None  # the same file chosen twice: kept once
    item = ReportEvidence(report=report, original_name=_display_name(uploaded.name), content_type=clean.content_type,
                          extension=clean.extension, size=clean.size, sha256=clean.sha256, uploaded_by=by)
    item.file.save("upload", ContentFile(clean.content), save=False)
    item.save()
    return item


def report_lock(report: BlockingReport) -> BlockingReport:
    return (BlockingReport.objects.select_for_update(of=("self",)).select_related("person")
            .get(pk=report.pk))


def _support_check(*, by: User, who: str) -> None:
    if who != SUPPORT or not is_support(user=by):
        raise PermissionDenied("Only a CCC agent with a verified second factor may do this.")


@transaction.atomic
def report_answer(*, report: BlockingReport, by: User, text: str, resolved: bool = False) -> BlockingReport:
    """The CCC answers the person; with ``resolved`` the answer also closes the problem. The answer
    is on the status page; a person with an account is told by every channel they chose."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Écrivez la réponse à la personne.")})
    report = report_lock(report)
    target = S.RESOLVED if resolved else S.ANSWERED
    _support_check(by=by, who=transition_check(report.status, target))
    before = report.status
    report.status = target
    fields = ["status"]
    if resolved:
        report.resolved_at = timezone.now()
        fields.append("resolved_at")
    report.save(update_fields=fields)
    event = report_event(report=report, kind=ReportEvent.Kind.RESOLVED if resolved else ReportEvent.Kind.ANSWERED,
                   by=by, text=text, from_status=before, to_status=target)
    _notify_answer(report=report, event=event)
    return report


@transaction.atomic
def report_resolve(*, report: BlockingReport, by: User, text: str = "") -> BlockingReport:
    """The CCC records that the problem is solved (with what was done, for the person)."""
    report = report_lock(report)
    _support_check(by=by, who=transition_check(report.status, S.RESOLVED))
    before = report.status
    report.status, report.resolved_at = S.RESOLVED, timezone.now()
    report.save(update_fields=["status", "resolved_at"])
    event = report_event(report=report, kind=ReportEvent.Kind.RESOLVED, by=by, text=text.strip(), from_status=before,
                   to_status=S.RESOLVED)
    if event.text:
        _notify_answer(report=report, event=event)
    return report


@transaction.atomic
def report_mark_unresolved(*, report: BlockingReport, by: User, why: str) -> BlockingReport:
    """The CCC records that the anomaly is not resolved, and why. The deadline keeps running: part B
    turns an unresolved report past its deadline into an established impossibility."""
    why = why.strip()
    if not why:
        raise ValidationError({"why": _("Expliquez pourquoi le problème n'est pas résolu.")})
    report = report_lock(report)
    _support_check(by=by, who=transition_check(report.status, S.UNRESOLVED))
    before = report.status
    report.status, report.resolved_at = S.UNRESOLVED, None
    report.save(update_fields=["status", "resolved_at"])
    report_event(report=report, kind=ReportEvent.Kind.UNRESOLVED, by=by, text=why, from_status=before,
           to_status=S.UNRESOLVED)
    return report


@transaction.atomic
def report_reopen(*, report: BlockingReport, by: User | None, secret: str = "", text: str = "") -> BlockingReport:
    """The person says it still fails: back to open, the deadline unchanged (it runs from the first
    report). Only the person: the account holder signed in, or, without an account, whoever holds
    the secret follow link (``secret``)."""
    report = report_lock(report)
    who = transition_check(report.status, S.OPEN)
    if who != PERSON or not is_the_person(report=report, by=by, secret=secret):
        raise PermissionDenied("Only the person may say that it still fails.")
    before = report.status
    report.status, report.resolved_at = S.OPEN, None
    report.save(update_fields=["status", "resolved_at"])
    report_event(report=report, kind=ReportEvent.Kind.REOPENED, by=by, text=text.strip()[:2000], from_status=before,
           to_status=S.OPEN, audit=by is not None)
    return report


def is_the_person(*, report: BlockingReport, by: User | None, secret: str) -> bool:
    import hmac

    if secret:  # the follow link, also once the paper path has given the person an account
        return bool(report.secret_hash) and hmac.compare_digest(report.secret_hash, secret_hash(secret))
    return report.person_id is not None and by is not None and by.pk == report.person_id


@transaction.atomic
def anomaly_create(*, by: User, title: str, kind: str, procedure: Procedure | None = None,
                   error_code: str = "") -> Anomaly:
    if not may_link_anomalies(user=by):
        raise PermissionDenied("Only a CCC agent or the technical team may record an anomaly.")
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Donnez un intitulé à l'anomalie.")})
    anomaly = Anomaly.objects.create(title=title[:200], kind=kind, procedure=procedure,
                                     error_code=error_code.strip()[:60], created_by=by)
    audit_record(actor=by, action="anomaly.created", obj=anomaly, data={"title": anomaly.title})
    return anomaly


@transaction.atomic
def report_link_anomaly(*, report: BlockingReport, by: User, anomaly: Anomaly) -> BlockingReport:
    """Links the report to the anomaly that causes it (the status does not change)."""
    if not may_link_anomalies(user=by):
        raise PermissionDenied("Only a CCC agent or the technical team may link a report to an anomaly.")
    if anomaly.status == Anomaly.Status.FIXED:
        raise ValidationError(_("Cette anomalie est déjà corrigée."), code="anomaly_fixed")
    report = report_lock(report)
    if report.status not in LINKABLE_STATUSES:
        raise ValidationError(_("Ce signalement ne peut plus être rattaché à une anomalie."), code="not_linkable")
    if report.anomaly_id == anomaly.pk:
        return report
    report.anomaly = anomaly
    report.save(update_fields=["anomaly"])
    report_event(report=report, kind=ReportEvent.Kind.ANOMALY_LINKED, by=by, text=anomaly.title)
    return report


def _notify_answer(*, report: BlockingReport, event: ReportEvent) -> None:
    """Tells the person, with or without an account (``outreach.report_notify``). The answer
    event, not the report, is the outbox's object: a second answer is a second message, not a retry."""
    report_notify(report=report, event="report.answered", obj=event, template="report_answered",
                  context={"answer": event.text})
