"""The secrets of account messages, derived again when the message leaves, never stored.

A reset or activation e-mail is written to the outbox with ``SECRET_PLACEHOLDER`` where its link's
token goes, and ``Notification.secret`` saying which token: delivery asks ``derive`` for a fresh one
and sends the completed body. Django's tokens are computed from the account's state (and the time),
so the fresh token is as valid as one made when the person asked; it dies the same way (the
password changed, the address verified). A password-reset code sent by SMS cannot be computed
again, only its hash is kept: delivery issues the code (``one_time_code_issue``, replacing an open
one) inside its claim transaction, so its lifetime starts when it leaves.

The token or code exists only in the worker's memory between the claim and the send: not in the
row, not in the broker's message (a task gets ids), not in a log line (errors name the row only).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator

from accounts.models import OneTimeCode
from accounts.services import one_time_code_issue
from accounts.tokens import email_verification_token
from notifications.models import Notification, Secret


def derive(notification: Notification) -> str:
    user = notification.recipient
    if user is None:
        raise ValueError("A secret is derived for an account only.")
    if notification.secret == Secret.PASSWORD_RESET:
        return default_token_generator.make_token(user)
    if notification.secret == Secret.EMAIL_VERIFICATION:
        return email_verification_token.make_token(user)
    if notification.secret == Secret.SMS_RESET_CODE:
        return one_time_code_issue(user=user, purpose=OneTimeCode.Purpose.SMS_RESET, by=None,
                                   lifetime=timedelta(minutes=settings.ACCOUNT_SMS_CODE_MINUTES))
    raise ValueError(f"Unknown secret {notification.secret!r}.")
