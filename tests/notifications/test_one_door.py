"""The outbox is the only door (issue 13): no app sends mail or SMS itself, nor writes its
notification after its transaction has committed."""

import re
from pathlib import Path

from django.conf import settings

APPS = ("accounts", "applications", "appointments", "documents", "helpcentre", "mediation", "notifications",
        "substitution", "territory", "core", "anef")
# A call or an import, not the override of PasswordResetForm.send_mail (accounts.forms), which
# writes to the outbox.
SENDING = re.compile(r"(?<!def )\b(send_mail|send_mass_mail|mail_admins|EmailMessage|EmailMultiAlternatives|"
                     r"get_sms_backend|smtplib)\b")
AFTER_COMMIT_NOTIFY = re.compile(r"on_commit\([^)]*notify", re.S)


def _sources():
    for app in APPS:
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, path.read_text(encoding="utf-8")


def test_only_the_channels_talk_to_smtp_or_the_sms_provider():
    senders = {str(path.relative_to(settings.BASE_DIR)) for path, text in _sources() if SENDING.search(text)}
    assert senders == {"notifications/channels.py"}


def test_no_notification_is_written_after_commit():
    late = [str(path.relative_to(settings.BASE_DIR)) for path, text in _sources() if AFTER_COMMIT_NOTIFY.search(text)]
    assert late == []
