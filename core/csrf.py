"""The page's CSRF token, masked as Django masks it but with one random draw (issue 17).

``django.middleware.csrf.get_token`` masks the secret with 32 characters drawn one by one
(``get_random_string``: a ``secrets.choice`` each) and two ``str.index`` per character: about 490
Python calls, an eighth of a signed-in page's own work, on every page that shows the header's
sign-out form. ``masked_token`` gives a token of the same form that Django's ``_unmask_cipher_token``
reads back to the same secret (the middleware checks it as any other), its mask drawn from 48
random bytes of ``os.urandom`` (the source ``secrets`` uses) in one call. The secret, the cookie and
their renewal stay Django's: without a secret yet (a first visit), ``get_token`` itself runs.
"""

from __future__ import annotations

import os
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.functional import SimpleLazyObject, empty

_BASE = len(CSRF_ALLOWED_CHARS)
_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
#: The mask's characters are the base-62 digits of a number drawn below 2**384: 62**32 is about
#: 2**190.5, so each mask is drawn with a bias below 2**-190, none that anyone could measure.
_RANDOM_BYTES = 48
_POWERS = tuple(_BASE ** position for position in range(CSRF_SECRET_LENGTH))


def masked_token(request: HttpRequest) -> str:
    """What ``get_token(request)`` gives (the CSRF secret masked by a fresh random mask, the cookie
    flagged for renewal), in a few calls rather than about 490."""
    meta = request.META
    secret = meta.get("CSRF_COOKIE")
    if not secret or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)  # no secret yet: Django makes one and sets the cookie
    meta["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: the cookie's expiry is renewed
    number = int.from_bytes(os.urandom(_RANDOM_BYTES))
    mask = [number // power % _BASE for power in _POWERS]
    chars, index = CSRF_ALLOWED_CHARS, _INDEX
    try:
        cipher = [chars[(index[char] + digit) % _BASE] for char, digit in zip(secret, mask, strict=True)]
    except KeyError:  # not a secret the middleware accepts: left to Django
        return get_token(request)
    return "".join([chars[digit] for digit in mask] + cipher)


def page_token(context: Any) -> str:
    """The page's CSRF token: the ``csrf`` context processor's (the one every ``{% csrf_token %}``
    of the page shows), masked by ``masked_token`` when nothing has read it yet."""
    token = context.get("csrf_token")
    if token is None:
        request = context.get("request")
        return masked_token(request) if request is not None else ""
    if isinstance(token, SimpleLazyObject) and token._wrapped is empty:
        request = context.get("request")
        if request is not None:
            token._wrapped = masked_token(request)
    return str(token)
