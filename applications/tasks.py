"""The applications app's tasks (DESIGN §9). Thin: the rules are in the services and
applications/clock.py. The daily sweeps of the dossiers, run by Celery beat (anef/celery.py), pick
"today" in Europe/Paris; ``export_queue`` writes a queue export that
``applications.services.queue_export_request`` queued by name."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from applications.clock import priorities_refresh
from applications.models import QueueExport
from applications.services.certificates import extension_certificates_sweep
from applications.services.exports import queue_export_fail, queue_export_write
from applications.services.reminders import renewal_reminders_sweep
from core.replica import reading_from_replica
from core.storage import STORAGE_ERRORS
from core.tasks import enqueue

logger = logging.getLogger(__name__)
#: Retries of an export on what passes (storage or database unavailable).
EXPORT_MAX_RETRIES = 3
#: What passes: the file store (disk or S3) or the database away for a moment.
EXPORT_RETRY_ON: tuple[type[Exception], ...] = (*STORAGE_ERRORS, OperationalError)


# Retried when the database is away (the sweep stops at once then; the dossiers done are not
# redone). Its own time limits: a night with many renewals may outlast the default 5 minutes, and a
# soft limit stops it (a chunk of dossiers not yet committed is rolled back); the next run picks up
# the rest.
@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=60,
    retry_backoff_max=900,
    max_retries=5,
    soft_time_limit=1800,
    time_limit=1860,
)
def issue_extension_certificates() -> int:
    """Issues and re-issues the extension certificates due today; returns how many."""
    # idempotency: a dossier covered beyond today + the lead days is skipped (checked under its row
    # lock, and a unique constraint forbids two certificates with the same start), so a second
    # run the same day, a retry or a duplicated message issues nothing more.
    return extension_certificates_sweep(today=timezone.localdate())


@shared_task(ignore_result=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=60,
             max_retries=5)
def refresh_queue_priorities() -> int:
    """Recomputes the stored queue priority of every dossier in a queue: it depends on the date
    (permits coming close to their end, files passing their legal deadline)."""
    # idempotency: a pure function of the dossier and the date; running it again writes the same.
    return priorities_refresh(today=timezone.localdate())



# Retried on what passes (storage or database unavailable); anything else is a bug: the export is
# marked failed at once, so that the person sees it and can ask again, and the error is logged.
@shared_task(bind=True, ignore_result=True, autoretry_for=EXPORT_RETRY_ON, retry_backoff=10,
             retry_backoff_max=300, retry_jitter=True, max_retries=EXPORT_MAX_RETRIES)
def export_queue(self, export_id: int) -> None:
    export = QueueExport.objects.select_related("requested_by").filter(pk=export_id).first()
    # idempotency: a written export stays as it is; a retried or duplicated message does nothing.
    if export is None or export.status == QueueExport.Status.READY:
        return
    try:
        # The rows from the read replica when there is one (core.replica); the export's own row
        # was read above from the primary, and every write goes there.
        with reading_from_replica():
            queue_export_write(export=export)
    except EXPORT_RETRY_ON:
        if self.request.retries >= EXPORT_MAX_RETRIES:
            queue_export_fail(export=export)
        raise
    except Exception:
        logger.exception("Queue export %s failed", export_id)
        queue_export_fail(export=export)
        raise


# Retried when the database is away; a retry (or a second run) writes only what is missing.
@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=60,
    retry_backoff_max=900,
    max_retries=5,
    soft_time_limit=1800,
    time_limit=1860,
)
def send_renewal_reminders() -> int:
    """Writes the renewal reminders due today (Europe/Paris) in the outbox; returns how many."""
    # idempotency: one RenewalReminder per (permit, milestone), claimed in the transaction that
    # writes the outbox rows; a permit already reminded of a milestone is not read again.
    return renewal_reminders_sweep(today=timezone.localdate(), batch_size=settings.RENEWAL_REMINDER_BATCH_SIZE)


@shared_task(ignore_result=True)
def deliver_renewal_reminders(notification_ids: list[int]) -> None:
    """Hands a chunk of the sweep's e-mails and SMS to the outbox's delivery task, one per row."""
    # idempotency: send_notification skips a row already sent; queuing one twice is harmless.
    for pk in notification_ids:
        enqueue("notifications.tasks.send_notification", pk)
