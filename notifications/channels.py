"""How a notification leaves the portal: e-mail through Django's mail backend, SMS through an adapter.

The SMS provider is chosen by ``settings.SMS_BACKEND`` (a dotted path to a ``SmsBackend``): the
console backend in development, the in-memory one in tests, a provider's adapter in production.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from notifications.models import Notification

sms_logger = logging.getLogger("notifications.sms")


def send_email(notification: Notification) -> None:
    # The address is read at send time: a person who corrected it meanwhile gets the message there.
    # A person without an account: the address copied on the row.
    email = notification.recipient.email if notification.recipient else notification.contact_email
    if not email:
        raise ValueError("The recipient has no e-mail address any more.")
    send_mail(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=False)


def send_sms(notification: Notification) -> None:
    phone = notification.recipient.phone if notification.recipient else notification.contact_phone
    if not phone:
        raise ValueError("The recipient has no mobile phone number any more.")
    get_sms_backend().send(phone, notification.body)


# --- SMS adapters -------------------------------------------------------------------------------

class SmsBackend:
    """What a provider's adapter implements. Raise ``OSError`` (or a subclass) for a failure worth
    retrying soon (network, provider unavailable); any other exception is retried by the sweep."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Development default: the text goes to the ``notifications.sms`` logger."""

    def send(self, phone: str, text: str) -> None:
        sms_logger.info("SMS to …%s: %s", phone.replace(" ", "")[-4:], text)


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


def get_sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
