"""The one place help HTML is cleaned (nh3, the Rust ``ammonia`` sanitiser).

What an editor may write: paragraphs, headings below the page's title, lists, emphasis, links,
short quotes, tables and definition lists. Everything else is dropped: scripts and styles with
their content, event attributes (``onclick``), ``style``, and URLs other than http(s), mailto and
tel (no ``javascript:``, no ``data:``). Links get ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "b", "i", "a", "blockquote",
    "abbr", "code", "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tr", "th", "td", "hr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "th": {"scope"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Dropped with what they contain (the default list also has these; said here for the reader).
CLEAN_CONTENT_TAGS = {"script", "style"}


def clean_html(html: str) -> str:
    """``html`` with only the allowed tags, attributes and URL schemes."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def safe_html(html: str) -> SafeString:
    """For templates: stored HTML cleaned again before it is marked safe (a row written around the
    services, by a migration or a shell, gets no trust either)."""
    return mark_safe(clean_html(html))  # noqa: S308  # the sanitiser's own output
