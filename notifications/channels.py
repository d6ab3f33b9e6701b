"""How a notification leaves the portal: e-mail through Django's mail backend, SMS through an adapter.

The SMS provider is chosen by ``settings.SMS_BACKEND`` (a dotted path to a ``SmsBackend``): the
console backend in development, the in-memory one in tests, ``HttpSmsBackend`` in production.

Every function here talks to the network: notifications.delivery calls them outside any database
transaction, with the body it has just completed (a secret derived again at send time).
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.module_loading import import_string

from notifications.models import Notification


class PermanentDeliveryError(Exception):
    """The channel refused this message for good (an invalid number, a rejected request): the row is
    failed at once instead of being tried again."""


def email_address(notification: Notification) -> str:
    # The address is read at send time: a person who corrected it meanwhile gets the message there.
    # A person without an account: the address copied on the row.
    email = notification.recipient.email if notification.recipient else notification.contact_email
    if not email:
        raise ValueError("The recipient has no e-mail address any more.")
    return email


def message_id(notification: Notification) -> str:
    """The e-mail's Message-ID, the same at every attempt: a worker that dies after the SMTP server
    accepted a message but before the row says so sends it again once its lease runs out (at least
    once at the SMTP boundary), and the copy carries the same identity, which mail systems use to
    recognise a message they already hold (RFC 5322, 3.6.4)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "anef.invalid"
    return f"<notification-{notification.pk}@{domain}>"


def send_email(notification: Notification, body: str, connection: BaseEmailBackend) -> None:
    """Sends one e-mail on an open ``connection`` (one SMTP session serves a whole batch)."""
    message = EmailMessage(notification.subject, body, settings.DEFAULT_FROM_EMAIL, [email_address(notification)],
                           connection=connection, headers={"Message-ID": message_id(notification)})
    if message.send(fail_silently=False) != 1:
        raise OSError("The mail backend did not accept the message.")


def send_sms(notification: Notification, body: str) -> None:
    phone = notification.recipient.phone if notification.recipient else notification.contact_phone
    if not phone:
        raise ValueError("The recipient has no mobile phone number any more.")
    get_sms_backend().send(phone, body)


# --- SMS length -----------------------------------------------------------------------------------

#: The GSM 03.38 default alphabet: one septet each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: Its extension table: an escape septet and the character, so two each.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def sms_length(text: str) -> SmsLength:
    """How many SMS ``text`` takes: GSM-7 when every character is in the default alphabet or its
    extension (which counts 2), 160 septets in one SMS or 153 per part of a longer one; otherwise
    UCS-2, 70 characters alone or 67 per part (a character outside the BMP counts 2)."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // part)
    return SmsLength(encoding=encoding, units=units, segments=segments)


# --- SMS adapters -------------------------------------------------------------------------------

class SmsBackend:
    """What a provider's adapter implements. Raise ``OSError`` (or a subclass) for a failure worth
    retrying (network, provider unavailable), ``PermanentDeliveryError`` for a refusal that will
    not change; any other exception is retried too, with the same backoff."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Development default: the SMS is printed on standard output, like Django's console e-mail
    backend (never to a logger: a text may hold a code)."""

    def send(self, phone: str, text: str) -> None:
        length = sms_length(text)
        sys.stdout.write(f"SMS to …{phone.replace(' ', '')[-4:]} ({length.encoding}, {length.segments} SMS):\n{text}\n")
        sys.stdout.flush()


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


#: Messages "sent" by ``LocmemSmsBackend``, like ``django.core.mail.outbox``; tests empty it.
outbox: list[SmsMessage] = []


class LocmemSmsBackend(SmsBackend):
    """For tests: keeps every message in the module-level ``outbox`` list."""

    def send(self, phone: str, text: str) -> None:
        outbox.append(SmsMessage(phone=phone, text=text))


class ProviderUnavailable(OSError):
    """The provider could not take the message now (network, timeout, HTTP 429 or 5xx): retried."""


class HttpSmsBackend(SmsBackend):
    """A provider's HTTP API: ``POST SMS_HTTP_URL`` with a JSON body ``{"to", "from", "text",
    "encoding", "segments"}`` and ``Authorization: Bearer SMS_HTTP_TOKEN``; any 2xx is accepted.

    429, 5xx, a timeout or a network error raise ``ProviderUnavailable`` (retried with backoff);
    another 4xx raises ``PermanentDeliveryError`` (the row fails at once). Neither the text nor the
    token is put in an error message: the row's ``last_error`` and the logs keep only the status."""

    def __init__(self) -> None:
        self.url = settings.SMS_HTTP_URL
        self.token = settings.SMS_HTTP_TOKEN
        self.sender = settings.SMS_SENDER
        self.timeout = settings.SMS_HTTP_TIMEOUT
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("HttpSmsBackend needs SMS_HTTP_URL (http or https).")

    def send(self, phone: str, text: str) -> None:
        length = sms_length(text)
        payload = json.dumps({"to": phone.replace(" ", ""), "from": self.sender, "text": text,
                              "encoding": length.encoding, "segments": length.segments}).encode()
        request = urllib.request.Request(self.url, data=payload, method="POST", headers={  # noqa: S310 (checked scheme)
            "Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (checked scheme)
                response.read()
        except urllib.error.HTTPError as error:
            if error.code == 429 or error.code >= 500:
                raise ProviderUnavailable(f"SMS provider answered HTTP {error.code}.") from None
            raise PermanentDeliveryError(f"SMS provider refused the message: HTTP {error.code}.") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ProviderUnavailable(f"SMS provider unreachable: {type(reason).__name__}.") from None


def get_sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
