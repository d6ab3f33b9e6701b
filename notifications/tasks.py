"""Sending the outbox: one task per e-mail or SMS after commit, and a sweep for what was lost."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from notifications.channels import get_sms_backend
from notifications.models import Notification, Status
from notifications.selectors import notifications_due_for_retry
from notifications.services import notification_send

logger = logging.getLogger(__name__)

RETRY_BATCH_SIZE = 1000
#: A row younger than this is still in its first task's hands; the sweep leaves it alone.
RETRY_GRACE = timedelta(minutes=2)


# Transient failures (OSError: network, SMTP, provider down) are retried here with backoff, a few
# minutes at most; the attempt count on the row (NOTIFICATION_MAX_ATTEMPTS) bounds them, since
# notification_send stops raising once the row is failed. max_retries is only a backstop.
@shared_task(
    ignore_result=True, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=300,
    retry_jitter=True, max_retries=10,
)
def send_notification(notification_id: int) -> None:
    _send_one(notification_id)


def _send_one(notification_id: int) -> None:
    notification = Notification.objects.filter(pk=notification_id).first()
    # idempotency: a deleted, sent or failed row needs nothing more.
    if notification is None or notification.status != Status.PENDING:
        return
    notification_send(notification=notification)


@shared_task(ignore_result=True)
def send_notification_many(notification_ids: list[int]) -> None:
    """``send_notification`` for the messages of a batch job, sent in one message
    (``core.tasks.enqueue_held``): each sent in turn; one that fails is queued alone, with
    ``send_notification``'s retries (and the sweep's, as for any pending row)."""
    for notification_id in notification_ids:
        try:
            _send_one(notification_id)
        except Exception:
            logger.warning("send_notification_many: notification %s queued alone", notification_id, exc_info=True)
            send_notification.delay(notification_id)


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def deliver_sms(phone: str, text: str) -> None:
    """A transport task, like ``accounts.tasks.deliver_email``: the text (a one-time code) exists
    only in this message, never in the outbox or a log line of ours."""
    # idempotency: none to check (no row); a duplicate delivery sends the same code twice, harmless.
    get_sms_backend().send(phone, text)


@shared_task(ignore_result=True)
def retry_pending_notifications() -> int:
    """Re-queues the e-mails and SMS still pending (a lost task, a crashed worker, a failure)."""
    # idempotency: queuing a row twice is harmless, send_notification skips it once sent.
    created_before = timezone.now() - RETRY_GRACE
    queued, after_id = 0, 0
    while True:
        ids = notifications_due_for_retry(
            created_before=created_before, max_attempts=settings.NOTIFICATION_MAX_ATTEMPTS,
            after_id=after_id, limit=RETRY_BATCH_SIZE,
        )
        for pk in ids:
            send_notification.delay(pk)
        queued += len(ids)
        if len(ids) < RETRY_BATCH_SIZE:
            return queued
        after_id = ids[-1]
