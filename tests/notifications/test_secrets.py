"""Reset and activation links, and SMS reset codes, never travel through the broker, never sit in
the outbox and never reach a log line: the row keeps a placeholder, the task gets ids, and the
delivery derives the secret when the message leaves (issue 13)."""

import logging
import re

import pytest
from celery.app.task import Task
from django.core import mail
from django.urls import reverse

from accounts.models import OneTimeCode
from accounts.tokens import SECRET_PLACEHOLDER
from notifications import channels
from notifications.models import Channel, Notification, Secret, Status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """Every task message published, as (task name, args, kwargs): what the broker would hold."""
    messages = []
    real = Task.apply_async

    def spy(self, args=None, kwargs=None, *rest, **options):
        messages.append((self.name, args, kwargs))
        return real(self, args, kwargs, *rest, **options)

    monkeypatch.setattr(Task, "apply_async", spy)
    return messages


def _only_ids(messages) -> None:
    assert messages
    for name, args, kwargs in messages:
        assert not kwargs, name
        for arg in args or ():
            assert isinstance(arg, int) or (isinstance(arg, list) and all(isinstance(i, int) for i in arg)), (name, arg)


def test_a_password_reset_link_is_neither_queued_nor_stored_nor_logged(client, mails, published, caplog):
    caplog.set_level(logging.DEBUG)
    user = UserFactory()
    with mails():
        client.post(reverse("accounts:password_reset"), {"email": user.email})

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert token != SECRET_PLACEHOLDER and len(token) > 20
    _only_ids(published)
    assert token not in repr(published)
    assert token not in caplog.text and link not in caplog.text  # the canary
    row = Notification.objects.get(recipient=user, channel=Channel.EMAIL)
    assert row.secret == Secret.PASSWORD_RESET and row.status == Status.SENT
    assert SECRET_PLACEHOLDER in row.body and token not in row.body and token not in row.last_error
    # And the link made at delivery works.
    response = client.get(link.replace("http://127.0.0.1:8000", ""), follow=True)
    assert "Choisir un nouveau mot de passe" in response.content.decode()


def test_an_activation_link_is_neither_queued_nor_stored_nor_logged(client, mails, published, caplog):
    caplog.set_level(logging.DEBUG)
    with mails():
        client.post(reverse("accounts:sign_up"), {
            "first_name": "Awa", "last_name": "Ndiaye", "email": "awa.ndiaye@example.org",
            "password1": "Un-mot-de-passe-solide-42", "password2": "Un-mot-de-passe-solide-42",
        })
    row = Notification.objects.get(event="account.verify_email")
    assert row.secret == Secret.EMAIL_VERIFICATION and SECRET_PLACEHOLDER in row.body
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert token != SECRET_PLACEHOLDER
    _only_ids(published)
    assert token not in repr(published) and token not in caplog.text and token not in row.body


def test_a_failed_reset_email_keeps_no_secret_in_its_error_or_the_logs(mails, settings, caplog):
    from accounts.services import account_email_send

    settings.EMAIL_BACKEND = "tests.notifications.test_sending.RefusingEmailBackend"
    caplog.set_level(logging.DEBUG)
    user = UserFactory()
    with mails():
        account_email_send(user=user, template="password_reset", context={"uid": "MQ", "token": SECRET_PLACEHOLDER},
                           derive="password_reset")
    row = Notification.objects.get(recipient=user, channel=Channel.EMAIL)
    assert row.status == Status.PENDING and row.attempts == 1
    assert "outbox-secret" not in caplog.text  # not even the placeholder: no body is logged


def test_an_sms_reset_code_is_issued_when_the_sms_leaves(client, mails, published, caplog, sms_outbox):
    caplog.set_level(logging.DEBUG)
    user = UserFactory(without_email=True, phone="0612345678")
    with mails():
        client.post(reverse("accounts:password_reset_sms"), {"login_id": user.login_id})
    assert len(sms_outbox) == 1
    code = re.search(r"\b(\d{6})\b", sms_outbox[0].text).group(1)
    row = Notification.objects.get(recipient=user, channel=Channel.SMS)
    assert row.secret == Secret.SMS_RESET_CODE and SECRET_PLACEHOLDER in row.body and code not in row.body
    assert OneTimeCode.objects.filter(user=user, purpose=OneTimeCode.Purpose.SMS_RESET, status="open").count() == 1
    _only_ids(published)
    assert code not in repr(published) and code not in caplog.text
    assert channels.outbox is sms_outbox


def test_a_secret_that_cannot_be_derived_fails_its_row_only(mails, settings):
    from notifications import delivery

    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    person = UserFactory()
    broken = Notification.objects.create(
        recipient=None, contact_email="x@example.org", event="account.password_reset", object_type="accounts.request",
        object_id="1", channel=Channel.EMAIL, subject="Reset", body=f"Lien : {SECRET_PLACEHOLDER}",
        secret=Secret.PASSWORD_RESET)
    fine = Notification.objects.create(
        recipient=person, event="test.ok", object_type="x", object_id="1", channel=Channel.EMAIL, subject="Ok",
        body="Bonjour")

    report = delivery.deliver([broken.pk, fine.pk])

    assert report.sent == [fine.pk] and report.failed == [broken.pk]
    broken.refresh_from_db()
    assert broken.status == Status.FAILED and broken.last_error.startswith("ValueError")
    assert [m.subject for m in mail.outbox] == ["Ok"]
