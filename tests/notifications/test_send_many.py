"""A batch job's messages leave in one task (``send_notification_many``): each is sent, and one
that fails is queued alone with ``send_notification``'s retries."""

import pytest
from django.core import mail

from accounts.models import AuditEvent
from notifications import channels
from notifications import services as notification_services
from notifications.models import Channel, Notification, Status
from notifications.tasks import send_notification, send_notification_many
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _pending_email(person) -> Notification:
    obj = AuditEvent.objects.create(action="dossier.created", object_type="x", object_id="1")
    return Notification.objects.create(
        recipient=person, event="test.changed", object_type="accounts.auditevent", object_id=str(obj.pk),
        channel=Channel.EMAIL, subject="Votre dossier a évolué", body="Connectez-vous à votre espace.")


def test_each_message_is_sent_and_one_that_fails_is_queued_alone(monkeypatch):
    first, failing, last = (_pending_email(UserFactory()) for _ in range(3))
    real = channels.send_email

    def send_email(notification):
        if notification.pk == failing.pk:
            raise OSError("SMTP down")
        real(notification)

    monkeypatch.setitem(notification_services._DISPATCH, Channel.EMAIL, send_email)
    queued = []
    monkeypatch.setattr(send_notification, "delay", queued.append)

    send_notification_many([first.pk, failing.pk, last.pk])

    for row in (first, failing, last):
        row.refresh_from_db()
    assert (first.status, last.status) == (Status.SENT, Status.SENT)
    assert failing.status == Status.PENDING and failing.attempts == 1
    assert queued == [failing.pk]
    assert len(mail.outbox) == 2
