"""The catalogue's cards, rendered once per language and catalogue version, not per visitor
(issue 14, ``core.fragments``): they are the same for everyone, and were most of the time of
``/demarches/``. Every admin save or deletion of a procedure or a document type (with a
procedure's list of documents) calls ``catalogue_changed()``.

The cards hold one form each ("Commencer cette démarche"): the cached HTML carries a placeholder
where the CSRF token goes, replaced by the visitor's token on every request.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from core.fragments import CSRF_PLACEHOLDER, cached_fragment, fragment_changed

CATALOGUE = "catalogue"


def catalogue_changed() -> None:
    fragment_changed(CATALOGUE)


def _render_cards() -> str:
    from applications import selectors
    from applications.models import Procedure

    procedures = list(selectors.procedures_catalogue())
    groups = [(label, [p for p in procedures if p.group == code]) for code, label in Procedure.Group.choices]
    return render_to_string("applications/_catalogue_cards.html", {
        "groups": [g for g in groups if g[1]], "csrf_token": CSRF_PLACEHOLDER})


def catalogue_cards(request: HttpRequest) -> SafeString:
    """The summary and the cards of ``/demarches/``, with this visitor's CSRF token."""
    html = cached_fragment("catalogue-cards", depends_on=(CATALOGUE,), render=_render_cards)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308 (our own rendered HTML)
