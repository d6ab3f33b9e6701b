"""The session engine and the authentication backend read their rows with SQL built once per
process (``accounts.sessions``, ``accounts.backends``); what a person notices stays Django's:
signed in while the session lives and the account is active, signed out otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.sessions import SessionStore
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(client) -> str:
    person = UserFactory(first_name="Awa", last_name="Diallo")
    client.force_login(person)
    response = client.get(reverse("applications:dashboard"))
    assert response.status_code == 200
    return client.session.session_key


def test_a_signed_in_person_sees_their_space_on_every_request(client):
    _signed_in(client)
    for _ in range(3):
        response = client.get(reverse("applications:dashboard"))
        assert response.status_code == 200
        assert "Awa" in response.content.decode()


def test_an_expired_session_row_signs_the_person_out(client):
    key = _signed_in(client)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("applications:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_unknown_session_key_is_no_one():
    store = SessionStore("x" * 32)
    assert store.load() == {}
    assert store.session_key is None  # forgotten: a new key is made when something is saved


def test_a_live_session_loads_what_djangos_own_store_loads():
    own = DjangoStore()
    own["language"] = "fr"
    own["seen"] = 12.5
    own.create()

    assert SessionStore(own.session_key).load() == DjangoStore(own.session_key).load() == {
        "language": "fr", "seen": 12.5}


def test_a_deactivated_account_is_signed_out_on_its_next_request(client):
    _signed_in(client)
    person = client.session["_auth_user_id"]
    from accounts.models import User

    User.objects.filter(pk=person).update(is_active=False)

    response = client.get(reverse("applications:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
