"""A batch job's messages leave in one task (``send_notification_many``): each is sent on one SMTP
session, and one that fails waits for its backoff and the sweep (no task of its own, no countdown)."""

import pytest
from django.core import mail

from accounts.models import AuditEvent
from notifications import channels
from notifications.models import Channel, Notification, Status
from notifications.tasks import send_notification, send_notification_many
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _pending_email(person) -> Notification:
    obj = AuditEvent.objects.create(action="dossier.created", object_type="x", object_id="1")
    return Notification.objects.create(
        recipient=person, event="test.changed", object_type="accounts.auditevent", object_id=str(obj.pk),
        channel=Channel.EMAIL, subject="Votre dossier a évolué", body="Connectez-vous à votre espace.")


def test_each_message_is_sent_and_one_that_fails_waits_for_its_backoff(monkeypatch):
    first, failing, last = (_pending_email(UserFactory()) for _ in range(3))
    real = channels.send_email

    def send_email(notification, body, connection):
        if notification.pk == failing.pk:
            raise OSError("SMTP down")
        real(notification, body, connection)

    monkeypatch.setattr(channels, "send_email", send_email)
    queued = []
    monkeypatch.setattr(send_notification, "delay", queued.append)

    send_notification_many([first.pk, failing.pk, last.pk])

    for row in (first, failing, last):
        row.refresh_from_db()
    assert (first.status, last.status) == (Status.SENT, Status.SENT)
    assert failing.status == Status.PENDING and failing.attempts == 1 and failing.next_attempt_at is not None
    assert failing.last_error == "OSError: SMTP down"
    assert queued == []  # the sweep takes it once its backoff has passed
    assert len(mail.outbox) == 2
