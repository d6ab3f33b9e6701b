"""Where a person was when they clicked "Signalez-le": the page and the form error, carried to
the report form so that nobody has to describe them.

The error comes from the form's error summary (``templates/forms/error_summary.html``, through the
``report_link`` tag) as a signed token, so a link made elsewhere cannot plant a misleading error in
someone's report. The page comes from the ``Referer`` header (the portal sends it to its own pages
only: ``Referrer-Policy: same-origin``) or from ``next``, and is kept only if it is one of ours.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core import signing
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

SALT = "substitution.report-origin"
#: A token is accepted for a day: long enough to finish the form, short enough not to linger.
MAX_AGE = 24 * 3600


def origin_sign(*, error_code: str, error_message: str) -> str:
    return signing.dumps({"c": error_code[:60], "m": error_message[:500]}, salt=SALT, compress=True)


def origin_read(token: str) -> tuple[str, str]:
    """(error code, error message) from a token; empty for a missing, forged or stale one."""
    if not token:
        return "", ""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return "", ""
    return str(data.get("c", ""))[:60], str(data.get("m", ""))[:500]


def origin_page(request: HttpRequest) -> str:
    """The path (with its query) of the portal page the person came from, or ""."""
    from django.urls import reverse

    for candidate in (request.GET.get("next", ""), request.META.get("HTTP_REFERER", "")):
        if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                        require_https=request.is_secure()):
            parts = urlsplit(candidate)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith("/") and not path.startswith(reverse("substitution:report")):
                return path[:500]
    return ""
