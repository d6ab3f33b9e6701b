import pytest

from tests.backoffice.conftest import sign_in
from tests.factories import StaffFactory, prefecture


@pytest.fixture
def ccc(db):
    """A CCC agent (national support role) with a verified second factor."""
    return StaffFactory(support=True, with_totp=True)


@pytest.fixture
def staff_client(client):
    """``staff_client(user)``: the test client signed in as this member of staff (password and code)."""

    def login(user):
        return sign_in(client, user)

    return login


@pytest.fixture
def pan_site(db):
    from territory.models import Site

    return Site.objects.create(prefecture=prefecture("69"), kind=Site.Kind.PAN, name="PAN de Lyon 3e",
                               postal_code="69003", city="Lyon")


@pytest.fixture
def sms_outbox(settings):
    """SMS go to ``notifications.channels.outbox`` (like e-mails to ``mail.outbox``)."""
    from notifications import channels

    settings.SMS_BACKEND = "notifications.channels.LocmemSmsBackend"
    channels.outbox.clear()
    yield channels.outbox
    channels.outbox.clear()
