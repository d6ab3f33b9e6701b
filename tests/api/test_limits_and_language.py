"""The API's limits (per person, per address, in the shared cache), the staff-only permission, and
the language each answer is written in."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from api.middleware import language_from_header
from api.permissions import IsPerson, IsVerifiedStaff
from api.throttling import IPThrottle, UserThrottle
from tests.api.conftest import client_for, token_for
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_person_past_their_rate_is_throttled_with_a_json_429(monkeypatch, applicant, api):
    monkeypatch.setattr(UserThrottle, "rate", "3/min", raising=False)
    for _ in range(3):
        assert api.get("/api/v1/me/").status_code == 200
    refused = api.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    other = client_for(token_for(UserFactory()))  # another person still gets in
    assert other.get("/api/v1/me/").status_code == 200


def test_one_address_past_its_rate_is_throttled_whoever_asks(monkeypatch):
    monkeypatch.setattr(IPThrottle, "rate", "4/min", raising=False)
    people = [client_for(token_for(UserFactory())) for _ in range(5)]
    answers = [client.get("/api/v1/me/").status_code for client in people]
    assert answers == [200, 200, 200, 200, 429]
    assert client_for().get("/api/v1/me/", REMOTE_ADDR="10.0.0.9").status_code == 401  # another address


def test_staff_only_means_verified_staff():
    agent = StaffFactory(with_totp=True)
    unverified = StaffFactory(with_totp=True, verified=False)
    person = UserFactory()
    person.otp_device = None
    allowed = IsVerifiedStaff()
    assert allowed.has_permission(SimpleNamespace(user=agent), None)
    assert not allowed.has_permission(SimpleNamespace(user=unverified), None)
    assert not allowed.has_permission(SimpleNamespace(user=person), None)
    assert not allowed.has_permission(SimpleNamespace(user=AnonymousUser()), None)
    assert IsPerson().has_permission(SimpleNamespace(user=person), None)
    assert not IsPerson().has_permission(SimpleNamespace(user=unverified), None)


@pytest.mark.parametrize(("header", "language"), [
    ("", "fr"), ("en", "en"), ("en-GB,en;q=0.9", "en"), ("de-DE,de;q=0.9,en;q=0.8,fr;q=0.5", "en"),
    ("fr;q=0.4,en;q=0.6", "en"), ("en;q=0,fr", "fr"), ("de", "fr"), ("en;q=abc,fr;q=0.5", "fr"),
])
def test_the_language_is_the_first_supported_one_by_weight(header, language):
    assert language_from_header(header) == language


def test_the_header_wins_over_the_portals_language_cookie(api):
    api.cookies["anef_language"] = "fr"
    response = api.get("/api/v1/dossiers/0/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
    assert response.json()["message"] != client_for().get("/api/v1/me/").json()["message"]
