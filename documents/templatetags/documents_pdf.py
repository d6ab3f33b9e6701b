"""Template tags for the PDF templates of issued documents (templates/documents/pdf/)."""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def iso_datetime(value: str | None) -> datetime.datetime | None:
    """An ISO 8601 string from a document's context -> an aware datetime, for ``|date``/``|time``
    (which show it in Europe/Paris). A string without an offset is taken as Paris time."""
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@register.filter
def iso_date(value: str | None) -> datetime.date | None:
    return parse_date(value) if value else None


class BilingualNode(template.Node):
    def __init__(self, nodelist: template.NodeList, tag: str, css_class: str):
        self.nodelist = nodelist
        self.tag = tag
        self.css_class = css_class

    def render(self, context: template.Context) -> SafeString:
        with translation.override("fr"):
            french = self.nodelist.render(context)
        translated = None
        language = context.get("translation_language")
        if language and language != "fr":
            with translation.override(language):
                translated = self.nodelist.render(context)
            # An untranslated message would only repeat the French: say it once.
            if translated.strip() == french.strip():
                translated = None
        if self.tag == "span" and not self.css_class:
            # Inline: the text itself, no element, the translation after a slash in the same run
            # ("Nom et prénom(s) / Last name and first name(s)"). Each inline element is a box and
            # a text run to lay out and draw (docs/benchmarks.md, PDF, third pass).
            return format_html("{} / {}", french, translated) if translated is not None else french
        if self.css_class:
            html = format_html('<{0} class="{1}">{2}</{0}>', self.tag, self.css_class, french)
        else:
            html = format_html("<{0}>{1}</{0}>", self.tag, french)
        if translated is not None:
            html += format_html(
                '<{0} class="{1}" lang="{2}">{3}</{0}>',
                self.tag, f"{self.css_class} translation".strip(), language, translated,
            )
        return html


@register.tag
def bilingual(parser, token):
    """French first, then the same text in the holder's language (DESIGN §5), in the one face of
    the issued documents (static/documents/pdf.css): a ``p`` is a paragraph of its own, in grey; a
    ``span`` without a class is no element at all, the translation follows the French in the same
    run after a slash ("Nom et prénom(s) / Last name and first name(s)").

    ``{% bilingual "p" "warning" %}{% translate "..." %}{% endbilingual %}`` renders its content
    once in French inside ``<p class="warning">``, then again with ``translation_language`` (set by
    ``documents.services.document_render``; none for a French holder) active, inside
    ``<p class="warning translation" lang="en">``. The same msgids serve both; dates in the
    content should use numeric formats so that they read the same in both languages. Arguments:
    the element (default ``p``) and its class (default none).
    """
    bits = token.split_contents()[1:]
    if len(bits) > 2 or any(bit[0] not in "\"'" or bit[-1] != bit[0] for bit in bits):
        raise template.TemplateSyntaxError(
            "{% bilingual %} takes up to two quoted arguments: the element and its class."
        )
    element, css_class = ([bit[1:-1] for bit in bits] + ["p", ""][len(bits):])[:2]
    nodelist = parser.parse(("endbilingual",))
    parser.delete_first_token()
    return BilingualNode(nodelist, element, css_class)
