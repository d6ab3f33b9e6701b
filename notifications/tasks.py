"""Sending the outbox: tasks take ids, claim their rows and deliver them (notifications.delivery).

No task retries itself with a countdown: a failed attempt is written on its row
(``next_attempt_at``, capped backoff) and the sweep, every minute, queues the rows that are due,
and those whose worker died (the lease ran out). A message the broker redelivers, or a row queued
twice, is harmless: the claim skips a row already sent, failed or held by another worker.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from notifications import delivery
from notifications.selectors import notifications_due_for_retry

RETRY_BATCH_SIZE = 1000
#: Ids per delivery task queued by the sweep: one SMTP session each.
DELIVERY_BATCH_SIZE = 50
#: A row younger than this is still in its first task's hands; the sweep leaves it alone.
RETRY_GRACE = timedelta(minutes=2)

# reject_on_worker_lost=False (docs/operations.md, "Delivery"): with acks_late, a message whose
# worker process died is acknowledged, not redelivered; the row's lease and the sweep redeliver it,
# and its attempts (counted at the claim) stop a message that kills its worker from looping.
DELIVERY_TASK_OPTIONS = {"ignore_result": True, "acks_late": True, "reject_on_worker_lost": False}


@shared_task(**DELIVERY_TASK_OPTIONS)
def send_notification(notification_id: int) -> None:
    # idempotency: the claim takes only a due row nobody holds; sent or failed rows are skipped.
    delivery.deliver([notification_id])


@shared_task(**DELIVERY_TASK_OPTIONS)
def send_notification_many(notification_ids: list[int]) -> None:
    """Delivers a batch of rows on one claim and one SMTP session: the sweep's tasks, the admin's
    retry, and a batch job's messages (``core.tasks.enqueue_held`` sends ``notify``'s ids here in
    one message). A row that fails waits for its backoff and the sweep, as any other."""
    # idempotency: as send_notification, row by row.
    delivery.deliver(notification_ids)


@shared_task(ignore_result=True)
def retry_pending_notifications() -> int:
    """Queues the e-mails and SMS that are due: a failed attempt whose backoff has passed, a row
    whose first task was lost, a claim whose worker died (lease run out)."""
    # idempotency: queuing a row twice is harmless, the claim sends it once.
    now = timezone.now()
    queued, after_id = 0, 0
    while True:
        ids = notifications_due_for_retry(
            now=now, created_before=now - RETRY_GRACE, after_id=after_id, limit=RETRY_BATCH_SIZE,
        )
        for start in range(0, len(ids), DELIVERY_BATCH_SIZE):
            send_notification_many.delay(ids[start:start + DELIVERY_BATCH_SIZE])
        queued += len(ids)
        if len(ids) < RETRY_BATCH_SIZE:
            return queued
        after_id = ids[-1]


