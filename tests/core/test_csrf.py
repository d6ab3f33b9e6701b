"""The page's CSRF token masked in a few calls (``core.csrf``, issue 17) is one Django reads back to
the same secret, with a fresh mask each time, and the middleware accepts it."""

from __future__ import annotations

import re

import pytest
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_TOKEN_LENGTH,
    _get_new_csrf_string,
    _unmask_cipher_token,
)
from django.test import Client, RequestFactory
from django.urls import reverse

from core.csrf import masked_token, page_token
from tests.factories import UserFactory

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_the_token_unmasks_to_the_secret_with_a_new_mask_each_time():
    request = RequestFactory().get("/")
    secret = _get_new_csrf_string()
    request.META["CSRF_COOKIE"] = secret
    tokens = {masked_token(request) for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) == CSRF_TOKEN_LENGTH and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # the cookie renewed, as get_token does


def test_without_a_secret_django_makes_one():
    request = RequestFactory().get("/")
    token = masked_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]


def test_the_page_token_is_the_context_processors_one():
    from django.template.context_processors import csrf

    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = _get_new_csrf_string()
    context = {"request": request, **csrf(request)}
    token = page_token(context)
    assert str(context["csrf_token"]) == token == page_token(context)


@pytest.mark.django_db
def test_a_form_sent_with_the_pages_token_passes_the_middleware():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    tokens = set(TOKEN.findall(client.get(reverse("applications:dashboard")).content.decode()))
    assert len(tokens) == 1  # the header's forms share the page's one token
    response = client.post(reverse("set_language"), {"language": "en", "next": "/espace/",
                                                     "csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 302
