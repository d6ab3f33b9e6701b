"""The way back to another back-office page after a desk step of ``accounts``.

A PAN's walk-in log (``mediation``, which sits above ``accounts``) sends a mediator here from a
visit: to make the visitor's account, to receive their mandate, to act for them. ``accounts``
never imports ``mediation``: the caller leaves what to type and where to come back in the session,
never in the URL (where names and phones would reach access logs), and the way back must be a
``/backoffice/`` path of this site. The URL carries only a random key (``?depuis=…``) naming that
prefill: the page is prefilled when opened from the visit, and blank when the mediator opens it
afresh later, even if the prefill is still in the session. See docs/mediation.md.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from accounts import services
from accounts.mandates import ASSISTED_SESSION_KEY
from accounts.models import Mandate

#: The query parameter naming the prefill of the page.
PREFILL_PARAM = "depuis"
#: What to type in "Créer un compte pour une personne", and where to go once it is made.
PERSON_PREFILL_KEY = "accounts:person_account_prefill"
#: The account just made from a prefilled form, kept until the page named ``back_url`` takes it.
PERSON_MADE_KEY = "accounts:person_account_made"
#: The identifier to type in "Recevoir un mandat", and where to go once it is recorded.
MANDATE_PREFILL_KEY = "accounts:mandate_prefill"
#: Where "Terminer" takes the mediator at the end of an assisted session.
ASSISTED_BACK_KEY = "accounts:assisted_back"


def back_url_safe(request: HttpRequest, url: str) -> str:
    """``url`` if it is a back-office path of this site, else ``""``."""
    if url.startswith("/backoffice/") and url_has_allowed_host_and_scheme(
            url, {request.get_host()}, request.is_secure()):
        return url
    return ""


def _prefill(request: HttpRequest, key: str, url_name: str, values: dict[str, Any]) -> str:
    token = secrets.token_urlsafe(8)
    request.session[key] = {**values, "token": token}
    return f"{reverse(url_name)}?{urlencode({PREFILL_PARAM: token})}"


def _prefill_read(request: HttpRequest, key: str) -> dict[str, Any]:
    prefill = request.session.get(key) or {}
    token = request.GET.get(PREFILL_PARAM, "")
    if not token or not secrets.compare_digest(token, prefill.get("token", "")):
        return {}
    return prefill


def person_account_prefill(request: HttpRequest, *, first_name: str, last_name: str, phone: str, back_url: str,
                           back_label: str) -> str:
    """Returns the URL of "Créer un compte pour une personne" with these already typed and, once
    the account is made, a button ``back_label`` that posts to ``back_url`` (which takes the
    account with ``person_account_made_take``)."""
    return _prefill(request, PERSON_PREFILL_KEY, "backoffice:person_account_create", {
        "first_name": first_name, "last_name": last_name, "phone": phone,
        "back_url": back_url_safe(request, back_url), "back_label": str(back_label)})


def person_account_prefill_read(request: HttpRequest) -> dict[str, Any]:
    return _prefill_read(request, PERSON_PREFILL_KEY)


def person_account_made_keep(request: HttpRequest, *, user_id: int, prefill: dict[str, Any]) -> None:
    """After the account is made: the prefill is spent; the way back remembers the account."""
    request.session.pop(PERSON_PREFILL_KEY, None)
    if prefill.get("back_url"):
        request.session[PERSON_MADE_KEY] = {"user": user_id, "back_url": prefill["back_url"],
                                            "back_label": prefill.get("back_label", "")}


def person_account_made_back(request: HttpRequest, *, user_id: int) -> tuple[str, str]:
    """The way back offered on the confirmation page of this account, if it came from another page."""
    made = request.session.get(PERSON_MADE_KEY) or {}
    if made.get("user") != user_id:
        return "", ""
    return made["back_url"], made["back_label"]


def person_account_made_take(request: HttpRequest, *, back_url: str) -> int | None:
    """The id of the account made for the page at ``back_url``, once: the session forgets it."""
    made = request.session.get(PERSON_MADE_KEY) or {}
    if not made or made.get("back_url") != back_url:
        return None
    request.session.pop(PERSON_MADE_KEY, None)
    return int(made["user"])


def mandate_prefill(request: HttpRequest, *, login_id: str, site_id: int, back_url: str, back_label: str) -> str:
    """Returns the URL of "Recevoir un mandat par code" with the person's identifier typed and the
    help point chosen, and a link ``back_label`` to ``back_url``, where the mediator goes once the
    mandate is recorded."""
    return _prefill(request, MANDATE_PREFILL_KEY, "backoffice:mandate_receive_code", {
        "login_id": login_id, "site": site_id, "back_url": back_url_safe(request, back_url),
        "back_label": str(back_label)})


def prefill_query(prefill: dict[str, Any]) -> str:
    """The query string that names ``prefill`` on another page of the same step ("" if none)."""
    return f"?{urlencode({PREFILL_PARAM: prefill['token']})}" if prefill.get("token") else ""


def mandate_prefill_read(request: HttpRequest) -> dict[str, Any]:
    return _prefill_read(request, MANDATE_PREFILL_KEY)


def mandate_prefill_spent(request: HttpRequest) -> str:
    """The mandate is recorded: the prefill is forgotten; returns where to go back (only when the
    page was the prefilled one), or ``""``."""
    back_url = mandate_prefill_read(request).get("back_url", "")
    request.session.pop(MANDATE_PREFILL_KEY, None)
    return back_url


def assisted_session_open(request: HttpRequest, *, by, mandate: Mandate, back_url: str = "") -> None:
    """Opens the assisted session under ``mandate`` (one ``by`` may act under: the caller got it
    from ``mandate_get_for_mediator``); "Terminer" will take the mediator to ``back_url`` (a
    back-office path) or to their list of mandates. A session for another person ends first."""
    previous = getattr(request, "mandate", None)
    if previous is not None and previous.pk != mandate.pk:  # from one person to another: the first ends
        services.mandate_session_record(mandate=previous, by=by, started=False)
    request.session[ASSISTED_SESSION_KEY] = mandate.pk
    back_url = back_url_safe(request, back_url)
    if back_url:
        request.session[ASSISTED_BACK_KEY] = back_url
    else:
        request.session.pop(ASSISTED_BACK_KEY, None)
    services.mandate_session_record(mandate=mandate, by=by, started=True)
