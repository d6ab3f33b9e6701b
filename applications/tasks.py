"""Daily sweeps of the dossiers (DESIGN §9), run by Celery beat (anef/celery.py). Thin: the rules
are in the services and applications/clock.py; the task picks "today" in Europe/Paris."""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from applications.clock import priorities_refresh
from applications.services.certificates import extension_certificates_sweep


# Retried when the database is away (the sweep stops at once then; the dossiers done are not
# redone). Its own time limits: a night with many renewals may outlast the default 5 minutes, and a
# soft limit stops it between two dossiers' transactions; the next run picks up the rest.
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


# Celery discovers ``<app>.tasks`` only: the export task lives in its own module.
from applications.export_tasks import export_queue  # noqa: E402, F401
