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


def procedure_choices() -> list[tuple[int, str]]:
    """Every procedure (withdrawn ones too: their dossiers are still in the queue), in the current
    language; built once per language and catalogue version (issue 14: the queue's filter read
    them through a server-side cursor on every request)."""
    from applications.models import Procedure

    return cached_fragment("procedure-choices", depends_on=(CATALOGUE,), render=lambda: [
        (procedure.pk, str(procedure)) for procedure in Procedure.objects.order_by("group", "position", "name")])


def procedure_names(ids: set[int]) -> dict[int, str]:
    """The names of these procedures in the current language, from ``procedure_choices``: the
    queue and the dashboard name their dossiers' procedures without joining them (issue 14). Read
    from the database only when one is not there yet (created since, its stamp not yet seen)."""
    from applications.models import Procedure

    names = dict(procedure_choices())
    if not ids <= names.keys():
        missing = Procedure.objects.filter(pk__in=ids - names.keys())
        names.update((procedure.pk, str(procedure)) for procedure in missing)
    return names
