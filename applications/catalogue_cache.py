"""The catalogue's cards, rendered once per language and catalogue version, not per visitor
(issue 14): they are the same for everyone, and were most of the time of ``/demarches/``.

The version is a stamp kept in the cache; every admin save or deletion of a procedure, a document
type or a procedure's list of documents replaces it (after the commit), so the next request
renders the cards again. An edit made elsewhere (a data migration, the shell) is seen after
``FRAGMENT_SECONDS`` at the latest, or at once with ``catalogue_changed()``.

The cards hold one form each ("Commencer cette démarche"): the cached HTML carries a placeholder
where the CSRF token goes, replaced by the visitor's token on every request.
"""

from __future__ import annotations

from uuid import uuid4

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

VERSION_KEY = "catalogue:version"
FRAGMENT_SECONDS = 600
#: Stands for the CSRF token in the cached HTML; made of characters a token never holds.
CSRF_PLACEHOLDER = "__anef-csrf-token__"


def catalogue_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def catalogue_changed() -> None:
    """A new version stamp, once the current transaction commits: the next page renders anew."""
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid4().hex, None))


def catalogue_cards(request: HttpRequest) -> SafeString:
    """The summary and the cards of ``/demarches/``, with this visitor's CSRF token."""
    from applications import selectors
    from applications.models import Procedure

    key = f"catalogue:cards:{get_language()}:{catalogue_version()}"
    html = cache.get(key)
    if html is None:
        procedures = list(selectors.procedures_catalogue())
        groups = [(label, [p for p in procedures if p.group == code]) for code, label in Procedure.Group.choices]
        html = render_to_string("applications/_catalogue_cards.html", {
            "groups": [g for g in groups if g[1]], "csrf_token": CSRF_PLACEHOLDER})
        cache.set(key, html, FRAGMENT_SECONDS)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308 (our own rendered HTML)
