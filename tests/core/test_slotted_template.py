"""``core.fragments.slotted_template``: a template rendered once per language and shape, its values
put in afterwards, gives what the template gives with those values (issue 17)."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import conditional_escape

from core.fragments import slotted_template

HEADER = "applications/backoffice/_file_header.html"
#: Values a person typed, with what to escape, markers of slots and the id's stand-in.
VALUES = {
    "reference": "2026-69-0000001", "applicant_name": "O'Brien <script>alert(1)</script>",
    "procedure_name": "Titre « salarié » & co", "channel_label": "Papier", "submitted": "1 mars 2026 à 10:05",
    "prefecture": "\x1fslot:reference\x1f", "agent_name": "Agent 918273645",
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_values_are_put_in_as_the_template_writes_them(language):
    slots = {name: conditional_escape(value) for name, value in VALUES.items()}
    with translation.override(language):
        for shape in ({"status": "submitted", "channel": "paper", "filed_on_time": False, "assigned": True},
                      {"status": "under_review", "channel": "online", "filed_on_time": None, "assigned": False},
                      {"status": "submitted", "channel": "paper", "filed_on_time": False, "assigned": True}):
            expected = render_to_string(HEADER, {**shape, **VALUES, "pk": 42})
            assert slotted_template(HEADER, context=shape, slots=slots, ids={"pk": 42}) == expected
            # another dossier of the same shape: its own values, nothing of the first one's
            other = {**VALUES, "reference": "2026-69-0000002", "applicant_name": "Amina Diallo"}
            assert slotted_template(HEADER, context=shape, slots={k: conditional_escape(v) for k, v in other.items()},
                                    ids={"pk": 7}) == render_to_string(HEADER, {**shape, **other, "pk": 7})


def test_a_value_is_put_in_once_escaped_and_never_read_as_a_slot():
    slots = {name: conditional_escape(value) for name, value in VALUES.items()}
    html = slotted_template(HEADER, context={"status": "submitted", "channel": "paper", "filed_on_time": True,
                                             "assigned": True}, slots=slots, ids={"pk": 42})
    assert "O&#x27;Brien &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "\x1fslot:reference\x1f" in html  # what was typed, not the reference put in its place
    assert "Agent 918273645" in html and "/backoffice/dossiers/42/journal/" in html
