"""Sending the outbox: claimed once, sent outside any transaction, failures retried with a capped
backoff by the sweep, given up after the max attempts, a dead worker's claim taken back."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent
from anef.celery import app
from notifications import delivery, tasks
from notifications.channels import PermanentDeliveryError, SmsBackend
from notifications.models import Channel, Notification, Status
from notifications.services import notify
from notifications.tasks import retry_pending_notifications, send_notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class RefusingEmailBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("[Errno 111] Connection refused")


class FlakyEmailBackend(LocmemEmailBackend):
    """Refuses the first connection, then delivers."""

    failures_left = 0

    def send_messages(self, email_messages):
        if FlakyEmailBackend.failures_left:
            FlakyEmailBackend.failures_left -= 1
            raise ConnectionResetError("[Errno 104] Connection reset by peer")
        return super().send_messages(email_messages)


class TransactionCheckingEmailBackend(LocmemEmailBackend):
    """Fails the test if a message is handed to SMTP while a transaction is open."""

    def send_messages(self, email_messages):
        assert not delivery.in_transaction(), "SMTP called inside a database transaction"
        assert not connection.in_atomic_block or all(b._from_testcase for b in connection.atomic_blocks)
        return super().send_messages(email_messages)


class RejectingSmsBackend(SmsBackend):
    """A provider answering that it will not deliver this message (not a network failure)."""

    def send(self, phone, text):
        raise ValueError("provider rejected the message: invalid destination")


class RefusingForGoodSmsBackend(SmsBackend):
    def send(self, phone, text):
        raise PermanentDeliveryError("SMS provider refused the message: HTTP 400.")


def _obj(n: int = 1) -> AuditEvent:
    return AuditEvent.objects.create(action="dossier.created", object_type="x", object_id=str(n))


def _age(**filters) -> None:
    """As if the rows had been queued three minutes ago (past the sweep's grace period)."""
    Notification.objects.filter(**filters).update(created_at=timezone.now() - timedelta(minutes=3))


def _due_now(**filters) -> None:
    """As if the backoff of the rows had passed."""
    Notification.objects.filter(**filters).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_transient_failure_waits_its_backoff_then_the_sweep_sends_it(mails, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyEmailBackend"
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    FlakyEmailBackend.failures_left = 1
    person = UserFactory()

    with mails():
        notify(recipient=person, event="test.submitted", obj=_obj())

    row = Notification.objects.get(channel=Channel.EMAIL)
    assert (row.status, row.attempts, row.claimed_at) == (Status.PENDING, 1, None)
    assert row.last_error.startswith("ConnectionResetError")
    wait = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=40) < wait <= timedelta(seconds=72)  # 60 s ± 20 % jitter
    assert retry_pending_notifications() == 0  # not due yet: no countdown, the row waits

    _due_now()
    assert retry_pending_notifications() == 1
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2 and row.next_attempt_at is None
    assert len(mail.outbox) == 1


def test_the_backoff_doubles_and_is_capped(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 600
    waits = [delivery.backoff(n).total_seconds() for n in range(1, 8)]
    for attempts, (wait, nominal) in enumerate(zip(waits, [60, 120, 240, 480, 600, 600, 600], strict=True), 1):
        assert nominal * 0.8 <= wait <= nominal * 1.2, attempts


def test_a_send_that_keeps_failing_ends_failed_after_the_max_attempts(mails, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingEmailBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    person = UserFactory()
    # The task was lost (a worker crashed before the commit's callbacks ran): only the sweep sees it.
    notify(recipient=person, event="test.submitted", obj=_obj())
    _age()

    for attempt in (1, 2, 3):
        assert retry_pending_notifications() == 1
        row = Notification.objects.get(channel=Channel.EMAIL)
        assert row.attempts == attempt
        _due_now(status=Status.PENDING)

    row = Notification.objects.get(channel=Channel.EMAIL)
    assert row.status == Status.FAILED and row.attempts == 3 and row.next_attempt_at is None
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert row.sent_at is None and mail.outbox == []
    assert Notification.objects.get(channel=Channel.INBOX).status == Status.SENT
    # Given up on: later sweeps leave it alone.
    assert retry_pending_notifications() == 0
    assert Notification.objects.get(channel=Channel.EMAIL).attempts == 3


def test_a_rejected_message_is_retried_until_the_max_attempts(mails, settings, sms_outbox):
    settings.SMS_BACKEND = f"{__name__}.RejectingSmsBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    person = UserFactory(notify_by_email=False, notify_by_sms=True, phone="0612345678")
    with mails():
        notify(recipient=person, event="test.submitted", obj=_obj())
    row = Notification.objects.get(channel=Channel.SMS)
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert row.last_error == "ValueError: provider rejected the message: invalid destination"

    _due_now()
    assert retry_pending_notifications() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 2)
    assert sms_outbox == []


def test_a_permanent_refusal_fails_at_once(mails, settings, sms_outbox):
    settings.SMS_BACKEND = f"{__name__}.RefusingForGoodSmsBackend"
    person = UserFactory(notify_by_email=False, notify_by_sms=True, phone="0612345678")
    with mails():
        notify(recipient=person, event="test.submitted", obj=_obj())
    row = Notification.objects.get(channel=Channel.SMS)
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert row.last_error == "PermanentDeliveryError: SMS provider refused the message: HTTP 400."


def test_the_sweep_sends_a_lost_message_once(settings):
    person = UserFactory()
    notify(recipient=person, event="test.submitted", obj=_obj())  # callbacks never run
    assert retry_pending_notifications() == 0  # within its grace period: its own task may come
    _age()

    assert retry_pending_notifications() == 1
    assert retry_pending_notifications() == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.get(channel=Channel.EMAIL).status == Status.SENT


def test_a_dead_workers_claim_is_taken_back_once_its_lease_ran_out(settings):
    settings.NOTIFICATION_LEASE_SECONDS = 600
    person = UserFactory()
    notify(recipient=person, event="test.submitted", obj=_obj())
    row = Notification.objects.get(channel=Channel.EMAIL)
    claimed = delivery.claim([row.pk])  # the worker claimed it, then died before sending
    assert [c.notification.pk for c in claimed] == [row.pk]
    row.refresh_from_db()
    assert row.status == Status.SENDING and row.attempts == 1

    send_notification(row.pk)  # a duplicate task while the lease holds: nothing
    assert mail.outbox == [] and retry_pending_notifications() == 0

    Notification.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(seconds=601))
    assert retry_pending_notifications() == 1
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2 and len(mail.outbox) == 1

    # The dead worker's answer, had it come back, changes nothing: its claim is no longer held.
    delivery.record(claimed, {row.pk: ConnectionResetError("late")})
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_an_email_sent_again_after_a_dead_worker_carries_the_same_message_id(settings):
    # The worker died after the mail server accepted the message, before the row said "sent": the
    # copy sent once the lease ran out is the same message to the recipient's mail system.
    settings.NOTIFICATION_LEASE_SECONDS = 600
    notify(recipient=UserFactory(), event="test.submitted", obj=_obj())
    row = Notification.objects.get(channel=Channel.EMAIL)
    delivery.send(delivery.claim([row.pk]))  # accepted, and the worker dies here
    Notification.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(seconds=601))
    assert retry_pending_notifications() == 1

    first, again = mail.outbox
    expected = f"<notification-{row.pk}@anef.example>"
    assert first.extra_headers["Message-ID"] == again.extra_headers["Message-ID"] == expected
    assert Notification.objects.get(pk=row.pk).status == Status.SENT


def test_sending_a_row_again_sends_nothing(mails):
    person = UserFactory()
    with mails():
        notify(recipient=person, event="test.submitted", obj=_obj())
    row = Notification.objects.get(channel=Channel.EMAIL)

    send_notification(row.pk)  # a duplicate task
    delivery.deliver([row.pk, 10**9])  # and a row deleted with its account

    row.refresh_from_db()
    assert row.attempts == 1 and len(mail.outbox) == 1


def test_no_smtp_call_inside_a_transaction(mails, settings):
    settings.EMAIL_BACKEND = f"{__name__}.TransactionCheckingEmailBackend"
    person = UserFactory()
    with mails():
        notify(recipient=person, event="test.submitted", obj=_obj())
    assert len(mail.outbox) == 1


def test_delivery_refuses_to_run_inside_a_transaction():
    from django.db import transaction

    person = UserFactory()
    notify(recipient=person, event="test.submitted", obj=_obj())
    row = Notification.objects.get(channel=Channel.EMAIL)
    with pytest.raises(delivery.DeliveryInTransaction), transaction.atomic():
        delivery.deliver([row.pk])
    assert mail.outbox == []


def test_the_sweep_takes_only_due_emails_and_sms_under_the_limit(settings):
    person = UserFactory(notify_by_sms=True, phone="0612345678", notify_by_post=True)
    notify(recipient=person, event="a", obj=_obj(1))  # email + sms pending, inbox sent, letter
    notify(recipient=person, event="b", obj=_obj(2))
    notify(recipient=person, event="c", obj=_obj(3))
    Notification.objects.filter(event="b", channel=Channel.EMAIL).update(status=Status.FAILED)
    Notification.objects.filter(event="b", channel=Channel.SMS).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5))  # backing off
    Notification.objects.filter(event="c").update(status=Status.SENDING, claimed_at=timezone.now())  # held
    _age()

    assert retry_pending_notifications() == 2
    assert set(
        Notification.objects.filter(status=Status.SENT).values_list("event", "channel")
    ) == {("a", "email"), ("a", "sms"), ("a", "inbox"), ("b", "inbox")}
    assert Notification.objects.get(event="a", channel=Channel.LETTER).status == Status.PENDING


def test_the_sweep_walks_every_batch_and_queues_batches_of_ids(monkeypatch):
    monkeypatch.setattr(tasks, "RETRY_BATCH_SIZE", 2)
    monkeypatch.setattr(tasks, "DELIVERY_BATCH_SIZE", 1)
    queued = []
    real = tasks.send_notification_many.delay
    monkeypatch.setattr(tasks.send_notification_many, "delay", lambda ids: (queued.append(ids), real(ids)))
    person = UserFactory()
    for n in range(5):
        notify(recipient=person, event="test.submitted", obj=_obj(n))
    _age()

    assert retry_pending_notifications() == 5
    assert len(mail.outbox) == 5
    assert all(len(ids) == 1 and isinstance(ids[0], int) for ids in queued)


def test_the_sweep_runs_every_minute():
    entry = app.conf.beat_schedule["notifications-retry-pending"]
    assert entry["task"] == "notifications.tasks.retry_pending_notifications"
    assert entry["schedule"].minute == set(range(60))


def test_delivery_tasks_take_ids_and_never_retry_with_a_countdown():
    for task in (tasks.send_notification, tasks.send_notification_many):
        assert task.acks_late is True and task.reject_on_worker_lost is False
        assert not getattr(task, "autoretry_for", ())
    assert app.conf.worker_prefetch_multiplier == 1
