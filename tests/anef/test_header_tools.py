"""The header's tools are rendered once per language and signed-in state (issue 14, ``{% header_tools %}``):
each page still gets its own CSRF token and its own path in the language forms."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT = re.compile(r'name="next" value="([^"]*)"')


def test_each_page_gets_its_own_path_escaped_and_a_working_token():
    person = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)

    html = client.get(reverse("applications:dashboard"), {"vue": '"><b>x</b>'}).content.decode()
    assert NEXT.findall(html) == ["/espace/?vue=%22%3E%3Cb%3Ex%3C%2Fb%3E"] * 2
    assert "<b>x</b>" not in html
    assert "Se déconnecter" in html and "Se connecter" not in html

    other = client.get(reverse("appointments:list")).content.decode()
    assert NEXT.findall(other) == [reverse("appointments:list")] * 2

    token = TOKEN.findall(other)[-1]
    response = client.post(reverse("set_language"), {"language": "en", "next": "/espace/",
                                                     "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert '<html lang="en"' in client.get(reverse("applications:dashboard")).content.decode()


def test_an_anonymous_visitor_gets_the_sign_in_links():
    html = Client().get(reverse("accounts:login")).content.decode()
    assert "Se connecter" in html and "Se déconnecter" not in html
    assert NEXT.findall(html)[:2] == [reverse("accounts:login")] * 2  # the language forms


def test_the_layouts_scripts_carry_each_requests_own_nonce():
    """The scripts' addresses are kept per process (``{% page_scripts %}``); the nonce is the
    request's, the one its Content-Security-Policy allows, new on every page."""
    client = Client()
    client.force_login(UserFactory())
    seen = set()
    for _ in range(2):
        response = client.get(reverse("applications:dashboard"))
        scripts = re.findall(r'<script[^>]*src="([^"]+)"[^>]*nonce="([^"]+)"', response.content.decode())
        assert [src.split("/")[-1].split(".")[0] for src, _nonce in scripts] == ["dsfr", "dsfr", "portal"]
        nonces = {nonce for _src, nonce in scripts}
        assert len(nonces) == 1 and "__" not in next(iter(nonces))
        assert f"'nonce-{next(iter(nonces))}'" in response["Content-Security-Policy"]
        seen |= nonces
    assert len(seen) == 2
