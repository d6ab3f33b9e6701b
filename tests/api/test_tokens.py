"""Personal API keys in the profile: made and shown once, stored hashed, last use shown, revoked."""

import hashlib

import pytest
from django.urls import reverse

from accounts.models import ApiToken, AuditEvent
from tests.api.conftest import client_for
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_person_makes_uses_and_revokes_a_key_from_their_profile(client):
    person = UserFactory()
    client.force_login(person)
    assert reverse("accounts:api_tokens") in client.get(reverse("accounts:profile")).content.decode()
    page = client.post(reverse("accounts:api_tokens"), {"name": "application mobile"})
    assert page.status_code == 200
    key = page.context["key"]
    assert key.startswith("anef_") and key in page.content.decode()
    token = ApiToken.objects.get(user=person)
    assert token.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())  # only its hash is kept
    assert key not in client.get(reverse("accounts:api_tokens")).content.decode()  # shown once

    assert client_for(key).get("/api/v1/me/").status_code == 200
    listed = client.get(reverse("accounts:api_tokens")).content.decode()
    assert "application mobile" in listed and "Jamais" not in listed  # its last use is shown

    client.post(reverse("accounts:api_token_revoke", args=[token.pk]))
    assert client_for(key).get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=str(token.pk)).exists()


def test_nobody_revokes_someone_elses_key(client):
    token = ApiToken.objects.create(user=UserFactory(), name="x", prefix="abcdefghij", key_sha256="0" * 64)
    client.force_login(UserFactory())
    assert client.post(reverse("accounts:api_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_key_needs_a_name(client):
    client.force_login(UserFactory())
    page = client.post(reverse("accounts:api_tokens"), {"name": ""})
    assert page.status_code == 400
    assert not ApiToken.objects.exists()


def test_staff_make_no_key_without_a_verified_second_factor(client):
    agent = StaffFactory(with_totp=True, verified=False)
    client.force_login(agent)  # a password only
    assert client.post(reverse("accounts:api_tokens"), {"name": "outil"}).status_code == 403
    assert not ApiToken.objects.exists()
