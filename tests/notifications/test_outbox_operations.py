"""Operations: the outbox in the admin (filters by state, channel and event; a failed message sent
again) and its figures on the admin's list and on /healthz."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Role
from notifications.models import Channel, Notification, Status
from notifications.selectors import outbox_metrics
from tests.factories import PASSWORD, StaffFactory, UserFactory, totp_code

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:notifications_notification_changelist")


@pytest.fixture
def admin_client(client):
    administrator = StaffFactory(role=Role.ADMINISTRATOR, with_totp=True)
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    client.post(reverse("accounts:login"), {"username": administrator.email, "password": PASSWORD})
    client.post(reverse("accounts:totp_verify"), {"code": totp_code()})
    client.administrator = administrator
    return client


def _row(person, n, *, channel=Channel.EMAIL, status=Status.PENDING, event="test.event", **fields):
    return Notification.objects.create(recipient=person, event=event, object_type="x", object_id=str(n),
                                       channel=channel, subject=f"Sujet {n}", body="Bonjour", status=status,
                                       **fields)


def test_the_outbox_is_filtered_by_state_channel_and_event(admin_client):
    person = UserFactory()
    failed = _row(person, 1, status=Status.FAILED, event="dossier.submitted")
    _row(person, 2, channel=Channel.SMS, status=Status.SENT, event="appointment.booked")
    _row(person, 3, event="appointment.booked")

    def listed(**query):
        response = admin_client.get(CHANGELIST, query)
        assert response.status_code == 200
        return {pk for pk in response.context["cl"].result_list.values_list("id", flat=True)}

    assert listed(status__exact="failed") == {failed.pk}
    assert listed(channel__exact="sms") == {Notification.objects.get(object_id="2").pk}
    assert listed(event="appointment.booked") == set(
        Notification.objects.filter(event="appointment.booked").values_list("id", flat=True))
    html = admin_client.get(CHANGELIST).content.decode()
    assert 'id="outbox-failed"' in html and 'id="outbox-due"' in html


def test_an_administrator_sends_a_failed_message_again(admin_client, mails):
    person = UserFactory()
    failed = _row(person, 1, status=Status.FAILED, attempts=5, last_error="ConnectionRefusedError: …")
    pending = _row(person, 2, next_attempt_at=timezone.now() + timedelta(hours=1))

    with mails():
        response = admin_client.post(CHANGELIST, {"action": "retry", "_selected_action": [failed.pk, pending.pk]},
                                     follow=True)
    assert "1 message renvoyé" in response.content.decode()
    failed.refresh_from_db()
    pending.refresh_from_db()
    assert failed.status == Status.SENT and failed.attempts == 1
    assert pending.status == Status.PENDING and pending.attempts == 0  # not failed: left alone
    assert [m.subject for m in mail.outbox] == ["Sujet 1"]
    assert AuditEvent.objects.filter(action="notification.retried", object_id=str(failed.pk),
                                     actor=admin_client.administrator).exists()


def test_a_staff_member_who_is_not_superuser_cannot_retry(client):
    from notifications.admin import NotificationAdmin

    staff = StaffFactory(role=Role.ADMINISTRATOR)
    request = type("Request", (), {"user": staff})()
    assert NotificationAdmin.has_retry_permission(None, request) is staff.is_superuser


def test_the_outbox_figures(settings):
    settings.NOTIFICATION_LEASE_SECONDS = 600
    person = UserFactory()
    now = timezone.now()
    _row(person, 1, created_at=now - timedelta(minutes=30))  # due, the oldest waiting
    _row(person, 2, next_attempt_at=now + timedelta(minutes=5))  # backing off: not due
    _row(person, 3, status=Status.SENDING, claimed_at=now - timedelta(minutes=20))  # lease ran out: due
    _row(person, 4, status=Status.SENT, sent_at=now - timedelta(hours=2))
    _row(person, 5, status=Status.SENT, sent_at=now - timedelta(hours=30), created_at=now - timedelta(hours=31))
    _row(person, 6, status=Status.FAILED)
    _row(person, 7, channel=Channel.LETTER)  # printed, not delivered by a worker

    figures = outbox_metrics(now=now)
    assert figures["due"] == 2 and figures["sending"] == 1
    assert figures["sent_24h"] == 1 and figures["failed_24h"] == 1 and figures["failed"] == 1
    assert 1790 <= figures["oldest_pending_seconds"] <= 1810


def test_healthz_shows_the_outbox_figures(client):
    _row(UserFactory(), 1, status=Status.FAILED)
    outbox = client.get("/healthz").json()["outbox"]
    assert outbox["failed_24h"] == 1 and outbox["due"] == 0 and outbox["oldest_pending_seconds"] is None
