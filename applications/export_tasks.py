"""The back-office export task (applications/backoffice/exports.py).

Kept apart from applications/tasks.py; Celery's autodiscovery imports only ``<app>.tasks``, so the
worker learns this module through ``applications.tasks`` (or ``CELERY_IMPORTS``)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from applications.backoffice.exports import queue_export_fail, queue_export_write
from applications.models import QueueExport

logger = logging.getLogger(__name__)
MAX_RETRIES = 3


# Retried on what passes (storage or database unavailable); anything else is a bug: the export is
# marked failed at once, so that the person sees it and can ask again, and the error is logged.
@shared_task(bind=True, ignore_result=True, autoretry_for=(OSError, OperationalError), retry_backoff=10,
             retry_backoff_max=300, retry_jitter=True, max_retries=MAX_RETRIES)
def export_queue(self, export_id: int) -> None:
    export = QueueExport.objects.select_related("requested_by").filter(pk=export_id).first()
    # idempotency: a written export stays as it is; a retried or duplicated message does nothing.
    if export is None or export.status == QueueExport.Status.READY:
        return
    try:
        queue_export_write(export=export)
    except (OSError, OperationalError):
        if self.request.retries >= MAX_RETRIES:
            queue_export_fail(export=export)
        raise
    except Exception:
        logger.exception("Queue export %s failed", export_id)
        queue_export_fail(export=export)
        raise
