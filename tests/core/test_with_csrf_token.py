"""``core.fragments.with_csrf_token``: the one way a kept fragment gets its page's CSRF token (the
``{% with_csrf_token %}`` tag and the blank check-in form both go through it)."""

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import RequestFactory
from django.utils.safestring import SafeData, mark_safe

from core.fragments import CSRF_PLACEHOLDER, with_csrf_token

FORM = mark_safe(f'<input type="hidden" name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}">')  # noqa: S308 (a constant)


def test_the_pages_own_token_is_put_in():
    filled = with_csrf_token(FORM, token="Tok3n")
    assert filled == '<input type="hidden" name="csrfmiddlewaretoken" value="Tok3n">'
    assert isinstance(filled, SafeData)


def test_without_the_pages_token_one_is_made_for_the_request():
    request = RequestFactory().get("/")
    value = with_csrf_token(FORM, request=request).split('value="')[1].split('"')[0]
    assert len(value) == 64
    assert _unmask_cipher_token(value) == request.META["CSRF_COOKIE"]


def test_without_a_request_the_placeholder_goes():
    assert with_csrf_token(FORM) == '<input type="hidden" name="csrfmiddlewaretoken" value="">'


def test_text_not_marked_safe_is_refused():
    with pytest.raises(TypeError):
        with_csrf_token(f"<p>{CSRF_PLACEHOLDER}</p>", token="Tok3n")
