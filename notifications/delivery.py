"""Delivering the outbox: claim rows, talk to the channel outside any transaction, record the answer.

1. Claim (one short transaction): the due rows among the ids, ``SELECT … FOR UPDATE SKIP LOCKED``,
   are marked ``sending`` with ``claimed_at`` (the lease) and one more attempt; a row another
   worker holds is skipped, not waited for. The secret of a reset or activation message is derived
   here (notifications.secrets) and kept in memory only. Commit.
2. Send, with no transaction open (``DeliveryInTransaction`` otherwise): SMTP or the SMS provider.
3. Record (one short transaction): ``sent`` when the channel accepted the message; otherwise back
   to ``pending`` with ``next_attempt_at`` (capped exponential backoff), or ``failed`` after
   ``NOTIFICATION_MAX_ATTEMPTS`` or a permanent refusal. Only a row still held by this claim is
   updated.

A worker that dies between 1 and 3 leaves the row ``sending``: once ``NOTIFICATION_LEASE`` has run
out the sweep (notifications.tasks.retry_pending_notifications) queues it again, and the claim
takes it back (docs/operations.md, "Delivery").
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator

from notifications import channels, secrets
from notifications.models import SECRET_PLACEHOLDER, Channel, Notification, Status
from notifications.selectors import due_filter

logger = logging.getLogger(__name__)


class DeliveryInTransaction(RuntimeError):
    """A network call was about to happen inside a database transaction."""


@dataclass
class Claimed:
    notification: Notification
    body: str  # the body to send, its secret filled in: never stored, queued or logged
    error: Exception | None = None  # the secret could not be derived: not sent, recorded as a failure


@dataclass
class Report:
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones: doubling from
    NOTIFICATION_RETRY_BASE_SECONDS, capped at NOTIFICATION_RETRY_MAX_SECONDS, with ±20 % jitter."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    seconds = min(base, settings.NOTIFICATION_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311 (jitter, not a secret)


def claim(ids: Iterable[int]) -> list[Claimed]:
    """Step 1: takes the due rows among ``ids`` that no other worker holds, in one transaction."""
    ids = list(ids)
    if not ids:
        return []
    with transaction.atomic():
        now = timezone.now()
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",)).select_related("recipient")
            .filter(due_filter(now), pk__in=ids).order_by("id")
        )
        if not rows:
            return []
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        claimed = []
        for row in rows:
            row.status, row.claimed_at, row.attempts = Status.SENDING, now, row.attempts + 1
            body, error = row.body, None
            if row.secret:
                # Derived now (a fresh token, or a code issued in this transaction), in memory only.
                try:
                    with transaction.atomic():  # a failure undoes this row's part only
                        body = body.replace(SECRET_PLACEHOLDER, secrets.derive(row))
                except Exception as exc:
                    error = exc
            claimed.append(Claimed(notification=row, body=body, error=error))
    return claimed


def in_transaction() -> bool:
    """Whether a database transaction is open here (the blocks a test case wraps itself in aside:
    they stand for the commit a real request would have done)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def send(claimed: list[Claimed]) -> dict[int, Exception | None]:
    """Step 2: hands each claimed message to its channel; never inside a transaction."""
    if in_transaction():
        raise DeliveryInTransaction("Notifications are sent outside any database transaction.")
    outcome: dict[int, Exception | None] = {item.notification.pk: item.error for item in claimed if item.error}
    emails = [item for item in claimed if item.notification.channel == Channel.EMAIL and not item.error]
    mail_connection = get_connection(fail_silently=False) if emails else None
    try:
        if mail_connection is not None:
            try:
                mail_connection.open()
            except Exception as error:  # the server is down: every e-mail of the batch waits
                for item in emails:
                    outcome[item.notification.pk] = error
                emails = []
        for item in claimed:
            if item.notification.pk in outcome:
                continue
            try:
                if item.notification.channel == Channel.EMAIL and mail_connection is not None:
                    channels.send_email(item.notification, item.body, mail_connection)
                else:
                    channels.send_sms(item.notification, item.body)
            except Exception as error:
                outcome[item.notification.pk] = error
            else:
                outcome[item.notification.pk] = None
    finally:
        if mail_connection is not None:
            try:
                mail_connection.close()
            except Exception:  # noqa: S110 - closing a broken SMTP session: the outcome is known
                pass
    return outcome


def record(claimed: list[Claimed], outcome: dict[int, Exception | None]) -> Report:
    """Step 3: writes each answer on its row, if this claim still holds it."""
    report = Report()
    with transaction.atomic():
        now = timezone.now()
        for item in claimed:
            row, error = item.notification, outcome.get(item.notification.pk)
            held = Notification.objects.filter(pk=row.pk, status=Status.SENDING, claimed_at=row.claimed_at)
            if error is None:
                if held.update(status=Status.SENT, sent_at=now, claimed_at=None, next_attempt_at=None):
                    report.sent.append(row.pk)
                continue
            # The type and the message: never the body (the secret is only in item.body).
            last_error = Truncator(f"{type(error).__name__}: {error}").chars(1000)
            give_up = (isinstance(error, channels.PermanentDeliveryError)
                       or row.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS)
            if give_up:
                held.update(status=Status.FAILED, last_error=last_error, claimed_at=None, next_attempt_at=None)
                report.failed.append(row.pk)
            else:
                held.update(status=Status.PENDING, last_error=last_error, claimed_at=None,
                            next_attempt_at=now + backoff(row.attempts))
                report.retried.append(row.pk)
            logger.warning(
                "Notification %s (%s) failed, attempt %s%s: %s", row.pk, row.channel, row.attempts,
                " (given up)" if give_up else "", last_error,
                exc_info=not isinstance(error, OSError | channels.PermanentDeliveryError | ValueError),
            )
    return report


def deliver(ids: Iterable[int]) -> Report:
    """Claims, sends and records the due rows among ``ids``: what a delivery task runs."""
    claimed = claim(ids)
    if not claimed:
        return Report()
    return record(claimed, send(claimed))
