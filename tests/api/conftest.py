"""Fixtures of the API tests: clients signed in by a personal key (as an external program is) or
by the portal's session; staff keys made right after a real second factor."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services.tokens import api_token_create
from tests.backoffice.conftest import sign_in
from tests.factories import StaffFactory, UserFactory


def token_for(user, name: str = "tests") -> str:
    """A key for this person, as their profile page makes it (staff: the factory's verified device)."""
    _token, key = api_token_create(user=user, name=name)
    return key


def client_for(key: str | None = None, language: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    if language:
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


@pytest.fixture
def applicant(db):
    return UserFactory(first_name="Awa", last_name="Ndiaye")


@pytest.fixture
def api(applicant):
    """An API client authenticated by the applicant's personal key."""
    return client_for(token_for(applicant))


@pytest.fixture
def agent(db):
    """An agent of the Rhône (69) with a confirmed authenticator, second factor verified."""
    return StaffFactory(with_totp=True, first_name="Jeanne", last_name="Martin")


@pytest.fixture
def agent_api(agent):
    """An API client authenticated by the agent's staff key (made after the second factor)."""
    return client_for(token_for(agent))


@pytest.fixture
def session_api(db):
    """``session_api(user)``: an API client on the portal's session, signed in through the real
    login (and code pages, for staff)."""

    def make(user, *, second_factor: bool = True):
        client = APIClient()
        if second_factor and user.memberships.exists():
            sign_in(client, user)
        else:
            client.force_login(user)
        client.handler.enforce_csrf_checks = True
        return client

    return make
