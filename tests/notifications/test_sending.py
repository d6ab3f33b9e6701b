"""Sending the outbox: once per row, failures counted, retried by the task and by the sweep."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend
from django.utils import timezone

from accounts.models import AuditEvent
from anef.celery import app
from notifications import tasks
from notifications.channels import SmsBackend
from notifications.models import Channel, Notification, Status
from notifications.services import notification_send, notify
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


class RejectingSmsBackend(SmsBackend):
    """A provider answering that it will not deliver this message (not a network failure)."""

    def send(self, phone, text):
        raise ValueError("provider rejected the message: invalid destination")


def _obj(n: int = 1) -> AuditEvent:
    return AuditEvent.objects.create(action="dossier.created", object_type="x", object_id=str(n))


def _age(**filters) -> None:
    """As if the rows had been queued three minutes ago (past the sweep's grace period)."""
    Notification.objects.filter(**filters).update(created_at=timezone.now() - timedelta(minutes=3))


@pytest.fixture
def task_retries():
    """Lets an eager task retry (at once) as a worker would, instead of raising ``Retry``."""
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    try:
        yield
    finally:
        app.conf.task_eager_propagates = propagates


def test_a_transient_failure_is_retried_by_the_task_and_then_sent(mails, settings, task_retries):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyEmailBackend"
    FlakyEmailBackend.failures_left = 1
    person = UserFactory()

    with mails():
        notify(recipient=person, event="test.submitted", obj=_obj())

    row = Notification.objects.get(channel=Channel.EMAIL)
    assert row.status == Status.SENT and row.attempts == 2
    assert row.last_error.startswith("ConnectionResetError")
    assert len(mail.outbox) == 1


def test_a_send_that_keeps_failing_ends_failed_after_the_max_attempts(mails, settings, task_retries):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingEmailBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    person = UserFactory()
    # The task was lost (a worker crashed before the commit's callbacks ran): only the sweep sees it.
    notify(recipient=person, event="test.submitted", obj=_obj())
    _age()

    with mails():
        assert retry_pending_notifications() == 1

    row = Notification.objects.get(channel=Channel.EMAIL)
    assert row.status == Status.FAILED and row.attempts == 3
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert row.sent_at is None and mail.outbox == []
    assert Notification.objects.get(channel=Channel.INBOX).status == Status.SENT
    # Given up on: later sweeps leave it alone.
    assert retry_pending_notifications() == 0
    assert Notification.objects.get(channel=Channel.EMAIL).attempts == 3


def test_a_rejected_message_is_retried_by_each_sweep_until_the_max_attempts(mails, settings,
                                                                            sms_outbox):
    settings.SMS_BACKEND = f"{__name__}.RejectingSmsBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    person = UserFactory(notify_by_email=False, notify_by_sms=True, phone="0612345678")
    with mails():
        notify(recipient=person, event="test.submitted", obj=_obj())
    row = Notification.objects.get(channel=Channel.SMS)
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert row.last_error == "ValueError: provider rejected the message: invalid destination"

    assert retry_pending_notifications() == 0  # still within its grace period
    _age()
    assert retry_pending_notifications() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 2)
    assert retry_pending_notifications() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 3)
    assert retry_pending_notifications() == 0
    assert sms_outbox == []


def test_the_sweep_sends_a_lost_message_once(settings):
    person = UserFactory()
    notify(recipient=person, event="test.submitted", obj=_obj())  # callbacks never run
    _age()

    assert retry_pending_notifications() == 1
    assert retry_pending_notifications() == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.get(channel=Channel.EMAIL).status == Status.SENT


def test_sending_a_row_again_sends_nothing(mails):
    person = UserFactory()
    with mails():
        notify(recipient=person, event="test.submitted", obj=_obj())
    row = Notification.objects.get(channel=Channel.EMAIL)

    send_notification(row.pk)  # a duplicate task
    notification_send(notification=row)  # a stale instance
    send_notification(10**9)  # a row deleted with its account

    row.refresh_from_db()
    assert row.attempts == 1 and len(mail.outbox) == 1


def test_the_sweep_takes_only_pending_emails_and_sms_under_the_limit(settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    person = UserFactory(notify_by_sms=True, phone="0612345678", notify_by_post=True)
    notify(recipient=person, event="a", obj=_obj(1))  # email + sms pending, inbox sent, letter
    notify(recipient=person, event="b", obj=_obj(2))
    Notification.objects.filter(event="b", channel=Channel.EMAIL).update(attempts=3)
    Notification.objects.filter(event="b", channel=Channel.SMS).update(status=Status.FAILED)
    _age()

    assert retry_pending_notifications() == 2
    assert set(
        Notification.objects.filter(status=Status.SENT).values_list("event", "channel")
    ) == {("a", "email"), ("a", "sms"), ("a", "inbox"), ("b", "inbox")}
    assert Notification.objects.get(event="a", channel=Channel.LETTER).status == Status.PENDING


def test_the_sweep_walks_every_batch(monkeypatch):
    monkeypatch.setattr(tasks, "RETRY_BATCH_SIZE", 2)
    person = UserFactory()
    for n in range(5):
        notify(recipient=person, event="test.submitted", obj=_obj(n))
    _age()

    assert retry_pending_notifications() == 5
    assert len(mail.outbox) == 5


def test_the_sweep_runs_every_five_minutes():
    entry = app.conf.beat_schedule["notifications-retry-pending"]
    assert entry["task"] == "notifications.tasks.retry_pending_notifications"
    assert entry["schedule"].minute == set(range(0, 60, 5))
