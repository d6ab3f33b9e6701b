"""SMS: length in GSM-7 and UCS-2 segments, and the HTTP provider adapter against a local fake
provider (http.server in a thread): accepted, unavailable (retried), refused (failed)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from notifications import channels
from notifications.channels import HttpSmsBackend, PermanentDeliveryError, ProviderUnavailable, sms_length
from notifications.models import Channel, Notification, Status
from notifications.services import notify
from notifications.tasks import retry_pending_notifications
from tests.factories import UserFactory

# --- Segments -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), [
    ("", "GSM-7", 0, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),  # 2 × 153
    ("a" * 307, "GSM-7", 307, 3),
    ("Votre rendez-vous à Lyon est confirmé. Présentez-vous à l'accueil.", "GSM-7", 66, 1),
    ("€" * 80, "GSM-7", 160, 1),  # the extension table counts 2
    ("€" * 81, "GSM-7", 162, 2),
    ("[x]" + "a" * 156, "GSM-7", 161, 2),
    ("{}\\^~|", "GSM-7", 12, 1),
    ("ç" * 70, "UCS-2", 70, 1),  # ç (lower case) is not in GSM-7: Ç is
    ("ç" * 71, "UCS-2", 71, 2),
    ("ê" * 134, "UCS-2", 134, 2),  # 2 × 67
    ("ê" * 135, "UCS-2", 135, 3),
    ("Rendez-vous confirmé 😀", "UCS-2", 23, 1),  # an emoji is two UTF-16 units
    ("مرحبا", "UCS-2", 5, 1),
])
def test_sms_length(text, encoding, units, segments):
    assert sms_length(text) == channels.SmsLength(encoding=encoding, units=units, segments=segments)


# --- HTTP provider ----------------------------------------------------------------------------------

class FakeProvider:
    """A provider's API on 127.0.0.1: answers each POST with the next status of ``statuses``."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                provider.requests.append({"path": self.path, "authorization": self.headers["Authorization"],
                                          "body": json.loads(self.rfile.read(length))})
                status = provider.statuses.pop(0) if provider.statuses else 202
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id": "msg-1"}' if status < 300 else b'{"error": "no"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(settings):
    fake = FakeProvider()
    settings.SMS_BACKEND = "notifications.channels.HttpSmsBackend"
    settings.SMS_HTTP_URL = fake.url
    settings.SMS_HTTP_TOKEN = "provider-token"  # noqa: S105 - a test value
    settings.SMS_SENDER = "ANEF"
    settings.SMS_HTTP_TIMEOUT = 5
    yield fake
    fake.stop()


def test_the_adapter_posts_the_message_to_the_provider(provider):
    HttpSmsBackend().send("06 12 34 56 78", "Votre code : 123456 €")
    [request] = provider.requests
    assert request["path"] == "/v1/sms" and request["authorization"] == "Bearer provider-token"
    assert request["body"] == {"to": "0612345678", "from": "ANEF", "text": "Votre code : 123456 €",
                               "encoding": "GSM-7", "segments": 1}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_unavailable_provider_is_a_transient_error(provider, status):
    provider.statuses = [status]
    with pytest.raises(ProviderUnavailable, match=str(status)):
        HttpSmsBackend().send("0612345678", "secret text")


def test_a_refusal_is_permanent_and_never_echoes_the_text(provider):
    provider.statuses = [400]
    with pytest.raises(PermanentDeliveryError) as refused:
        HttpSmsBackend().send("0612345678", "secret text")
    assert "secret" not in str(refused.value)


def test_an_unreachable_provider_is_a_transient_error(provider, settings):
    provider.stop()
    with pytest.raises(ProviderUnavailable):
        HttpSmsBackend().send("0612345678", "hello")


@pytest.mark.django_db
def test_an_outbox_sms_through_the_provider_is_retried_then_sent(provider, mails):
    provider.statuses = [503]
    person = UserFactory(notify_by_email=False, notify_by_sms=True, phone="0612345678")
    obj = AuditEvent.objects.create(action="x", object_type="x", object_id="1")
    with mails():
        notify(recipient=person, event="test.submitted", obj=obj)
    row = Notification.objects.get(channel=Channel.SMS)
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert row.last_error == "ProviderUnavailable: SMS provider answered HTTP 503."

    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert retry_pending_notifications() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert len(provider.requests) == 2 and provider.requests[1]["body"]["text"] == row.body


@pytest.mark.django_db
def test_an_outbox_sms_refused_by_the_provider_fails_at_once(provider, mails):
    provider.statuses = [422]
    person = UserFactory(notify_by_email=False, notify_by_sms=True, phone="0612345678")
    obj = AuditEvent.objects.create(action="x", object_type="x", object_id="1")
    with mails():
        notify(recipient=person, event="test.submitted", obj=obj)
    row = Notification.objects.get(channel=Channel.SMS)
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert retry_pending_notifications() == 0
