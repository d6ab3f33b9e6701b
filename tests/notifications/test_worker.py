"""A real Celery worker on the configured broker delivers a queued e-mail."""

import time

import pytest
from django.core import mail

from accounts.models import AuditEvent
from notifications.models import Channel, Notification, Status
from notifications.tasks import send_notification
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_a_pending_email(celery_worker):
    person = UserFactory()
    obj = AuditEvent.objects.create(action="dossier.created", object_type="x", object_id="1")
    row = Notification.objects.create(
        recipient=person, event="test.changed", object_type="accounts.auditevent",
        object_id=str(obj.pk), channel=Channel.EMAIL, subject="Votre dossier a évolué",
        body="Connectez-vous à votre espace.",
    )

    send_notification.delay(row.pk)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.status in (Status.SENT, Status.FAILED):
            break
        time.sleep(0.1)
    assert row.status == Status.SENT and row.attempts == 1 and row.sent_at is not None
    assert [m.to for m in mail.outbox] == [[person.email]]
