import pytest

from notifications import channels


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    """SMS go to ``notifications.channels.outbox`` (like e-mails to ``mail.outbox``)."""
    settings.SMS_BACKEND = "notifications.channels.LocmemSmsBackend"
    channels.outbox.clear()
    yield channels.outbox
    channels.outbox.clear()
