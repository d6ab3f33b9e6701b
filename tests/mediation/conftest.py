import pytest

from accounts.models import Role
from tests.backoffice.conftest import sign_in
from tests.factories import StaffFactory, prefecture


def make_pan(code: str = "69", name: str = "PAN de Lyon 3e"):
    from territory.models import Site

    home = prefecture(code).sites.first()
    return Site.objects.create(prefecture=prefecture(code), kind=Site.Kind.PAN, name=name,
                               postal_code=home.postal_code, city=home.city)


@pytest.fixture
def pan(db):
    """A digital help point of the Rhône."""
    return make_pan("69")


@pytest.fixture
def other_pan(db):
    """A digital help point of the Gironde."""
    return make_pan("33", "PAN de Bordeaux")


@pytest.fixture
def mediator(pan):
    """A mediator of ``pan``, second factor verified (and a TOTP device for the login pages)."""
    return StaffFactory(mediator=True, role__site=pan, with_totp=True, first_name="Maël", last_name="Médiateur")


@pytest.fixture
def other_mediator(other_pan):
    return StaffFactory(mediator=True, role__site=other_pan, with_totp=True)


@pytest.fixture
def administrator(db):
    return StaffFactory(role=Role.ADMINISTRATOR, with_totp=True)


@pytest.fixture
def staff_client(client):
    """``staff_client(user)``: the test client signed in as this member of staff (password and code)."""

    def login(user):
        return sign_in(client, user)

    return login
