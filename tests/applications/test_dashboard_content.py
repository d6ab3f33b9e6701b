"""Issue 17: the dashboard's content is a template rendered once per language and shape, the
person's values put in (``applications.presenters.dashboard_html``). It must write what the
page's template wrote (tests/applications/dashboard_content_before.txt), character for character,
in French and in English, with what people typed escaped."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from applications import presenters
from applications.models import Dossier

BEFORE = Template((Path(__file__).parent / "dashboard_content_before.txt").read_text())
HOSTILE = "Titre « salarié » <b>&</b> l'autre"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_content_is_what_the_template_wrote(language):
    drafts = [(Dossier(pk=7, current_step="identity", updated_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC)), HOSTILE),
              (Dossier(pk=8, current_step="documents", updated_at=datetime(2026, 7, 14, 8, tzinfo=UTC)), "Visa")]
    filed = [mark_safe("<tr><td>row 1</td></tr>"), mark_safe("<tr><td>row 2</td></tr>")]
    cards = [mark_safe('<div class="card">1</div>')]
    certificates = mark_safe("<li>certificate</li>")
    with translation.override(language), timezone.override("Europe/Paris"):
        greeting = mark_safe("Bonjour &lt;Zoé&gt;.")
        sentence = mark_safe("Vous recevez les rappels… : courriel.")
        for some_drafts, some_filed, some_cards, own_space, some_certificates in itertools.product(
                [[], drafts], [[], filed], [[], cards], [True, False], ["", certificates]):
            expected = BEFORE.render(Context({
                "greeting": greeting, "drafts": some_drafts, "filed": some_filed, "permit_cards": some_cards,
                "reminder_channels_sentence": sentence, "own_space": own_space,
                "certificates": [1] if some_certificates else [], "certificates_html": some_certificates}))
            html = presenters.dashboard_html(
                greeting=greeting, drafts=some_drafts, filed=some_filed, permit_cards=some_cards,
                reminder_channels_sentence=sentence, own_space=own_space, certificates_html=some_certificates)
            assert html == expected
    assert "Titre « salarié » &lt;b&gt;&amp;&lt;/b&gt; l&#x27;autre" in html
