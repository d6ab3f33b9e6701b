"""Every translatable text of the Python code reaches the catalogues. ``makemessages`` (xgettext)
does not read inside f-strings: a ``_("…")`` written in one is dropped from ``django.po`` at the next
update, and English pages show it in French. Twice presenters that write HTML in Python did so
(issue 14, issue 17); this catches the next one before the catalogue loses it."""

import ast

from tests.test_private_names import ROOT, project_modules

#: The names the project translates with (``makemessages``' keywords for Python).
TRANSLATING = {"_", "_lazy", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def calls_inside_f_strings(source: str) -> list[str]:
    """``line: name("…")`` of each translating call written inside an f-string of ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id in TRANSLATING:
                    found.append(f"{inner.lineno}: {ast.unparse(inner)}")
    return found


def test_the_check_finds_a_translation_inside_an_f_string():
    assert calls_inside_f_strings('x = f"<p>{_(\'Non lu\')}</p>"') == ["1: _('Non lu')"]
    assert calls_inside_f_strings('words = _("Non lu")\nx = f"<p>{words}</p>"') == []


def test_no_translated_text_is_written_inside_an_f_string():
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in project_modules()
        if (found := calls_inside_f_strings(path.read_text()))
    }
    assert not offenders, f"translate outside the f-string (makemessages skips these): {offenders}"
