"""Writes about anomalies (issue 11, item 3): the technical team records a workaround or a fix; a
fix tells every linked person who is not yet invited to file on paper, once, that they may try
again online, and that their deadline keeps running.

Each move locks the anomaly (``select_for_update``), asks ``workflow.ANOMALY_TRANSITIONS`` who may
make it, checks that person, saves with ``update_fields`` and writes the audit log. A fix is final:
a second one (the same agent twice, two agents at once) waits for the first's lock, then finds the
anomaly fixed and is refused, so nobody is told twice; the outbox's unique key (one message per
report, event and channel) holds even if that were ever bypassed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import audit_record
from substitution.access import is_technical
from substitution.models import Anomaly, BlockingReport, ReportEvent
from substitution.services.outreach import report_notify
from substitution.workflow import FIX_NOTIFIED_STATUSES, TECHNICAL, anomaly_transition_check


@dataclass(frozen=True)
class Fixed:
    anomaly: Anomaly
    #: The reports whose person was told to try again.
    notified: list[BlockingReport]


def _lock(anomaly: Anomaly) -> Anomaly:
    return Anomaly.objects.select_for_update().get(pk=anomaly.pk)


def _technical_check(*, by: User, who: str) -> None:
    if who != TECHNICAL or not is_technical(user=by):
        raise PermissionDenied(_("Seule l'équipe technique enregistre un contournement ou une correction."))


@transaction.atomic
def anomaly_record_workaround(*, anomaly: Anomaly, by: User, text: str) -> Anomaly:
    """A way around the defect, for the CCC to give the people who call; may be rewritten."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Décrivez le contournement.")})
    anomaly = _lock(anomaly)
    _technical_check(by=by, who=anomaly_transition_check(anomaly.status, Anomaly.Status.WORKAROUND))
    before = anomaly.status
    anomaly.status, anomaly.workaround = Anomaly.Status.WORKAROUND, text
    anomaly.save(update_fields=["status", "workaround"])
    audit_record(actor=by, action="anomaly.workaround", obj=anomaly,
                 data={"from": before, "to": anomaly.status})
    return anomaly


def retry_url(*, report: BlockingReport) -> str:
    """Where to try again: the procedure's start page, or the catalogue when none was named. A
    public page, so it may go in an SMS (unlike the follow link)."""
    if report.procedure is not None:
        return settings.SITE_URL + reverse("applications:start", args=[report.procedure.code])
    return settings.SITE_URL + reverse("applications:catalogue")


@transaction.atomic
def anomaly_fix(*, anomaly: Anomaly, by: User, note: str = "") -> Fixed:
    """The defect is fixed. Every linked report still waiting (open, answered, unresolved, or with
    an impossibility established but no invitation yet) gets a timeline line and its person a
    message by their channels, with a link to try again; their status and deadline do not move."""
    anomaly = _lock(anomaly)
    _technical_check(by=by, who=anomaly_transition_check(anomaly.status, Anomaly.Status.FIXED))
    before = anomaly.status
    anomaly.status, anomaly.fixed_at, anomaly.fixed_by = Anomaly.Status.FIXED, timezone.now(), by
    anomaly.fix_note = note.strip()
    anomaly.save(update_fields=["status", "fixed_at", "fixed_by", "fix_note"])
    # The reports are locked too: a report moving on (invited, resolved) meanwhile is either seen
    # before its move or after it, never told half.
    reports = list(BlockingReport.objects.select_for_update(of=("self",))
                   .select_related("person", "procedure")
                   .filter(anomaly=anomaly, status__in=FIX_NOTIFIED_STATUSES).order_by("id"))
    for report in reports:
        ReportEvent.objects.create(report=report, kind=ReportEvent.Kind.ANOMALY_FIXED, actor=by)
        url = retry_url(report=report)
        # The report is the outbox's object: one message per person for this fix, whatever happens.
        report_notify(report=report, event="anomaly.fixed", obj=report, template="anomaly_fixed",
                      context={"retry_url": url}, link=url)
    audit_record(actor=by, action="anomaly.fixed", obj=anomaly,
                 data={"from": before, "to": anomaly.status, "notified": [r.reference for r in reports]})
    return Fixed(anomaly=anomaly, notified=reports)
