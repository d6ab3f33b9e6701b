"""One breadcrumb partial for the back-office (``{% breadcrumb %}``, templates/includes/breadcrumb.html)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError


def render(source: str) -> str:
    return Template("{% load anef %}" + source).render(Context({}))


def test_the_breadcrumb_reads_home_then_the_trail_then_the_current_page(db):
    html = render('{% breadcrumb "Journal" "Dossiers" "/backoffice/dossiers/" "2026-69-0000001" "/d/1/" %}')
    assert html.index("Espace agent") < html.index('href="/backoffice/dossiers/">Dossiers<') \
        < html.index('href="/d/1/">2026-69-0000001<') < html.index('aria-current="page">Journal<')
    assert 'type="button"' in html  # the mobile toggle never submits a form


def test_a_trail_label_without_its_url_is_a_template_error():
    with pytest.raises(TemplateSyntaxError):
        render('{% breadcrumb "Journal" "Dossiers" %}')


def test_no_template_draws_a_breadcrumb_of_its_own():
    """Two copies of the partial and two pages with their own markup had drifted apart (some
    buttons without ``type="button"``)."""
    root = Path(settings.BASE_DIR) / "templates"
    drawing = {str(p.relative_to(root)) for p in root.rglob("*.html") if "fr-breadcrumb__list" in p.read_text()}
    assert drawing == {"includes/breadcrumb.html"}
