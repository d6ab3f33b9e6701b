"""The signed payload of a document's QR code, and the QR code itself.

The QR code encodes ``{SITE_URL}/verifier/q/<token>/`` where the token is the document's number and
verification code signed with the project's ``SECRET_KEY`` (``django.core.signing``, its own salt):
a forged or altered QR code fails the signature check before any database lookup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import segno
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from documents.models import IssuedDocument

QR_SALT = "documents.qr"


def qr_token_make(*, document: IssuedDocument) -> str:
    return signing.dumps(
        {"n": document.number, "c": document.verification_code}, salt=QR_SALT, compress=True
    )


def qr_token_load(*, token: str) -> tuple[str, str]:
    """(number, verification code) of a token; raises ``signing.BadSignature`` on a forged one."""
    payload = signing.loads(token, salt=QR_SALT)
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str) or not isinstance(
        payload.get("c"), str
    ):
        raise signing.BadSignature("Unexpected QR payload.")
    return payload["n"], payload["c"]


def qr_url(*, document: IssuedDocument) -> str:
    return settings.SITE_URL + reverse(
        "documents:verify_token", kwargs={"token": qr_token_make(document=document)}
    )


def qr_image(*, data: str, title: str) -> SafeString:
    """The QR code of an issued PDF: an ``<img>`` of a PNG in a ``data:`` URL, one pixel per module
    (error correction M), drawn without smoothing at its CSS size (``image-rendering: pixelated``).
    Not the SVG: WeasyPrint lays out and writes an SVG path of hundreds of squares in Python, which
    cost about 13 ms per receipt (docs/benchmarks.md, PDF); the PNG is decoded once, in C."""
    uri = segno.make(data, error="m", micro=False).png_data_uri(scale=1, border=4)
    return format_html('<img class="qr" src="{}" alt="{}">', uri, title)
