"""The inbox's rows written in Python (issue 17): through ``{% for %}``, a ``{% url %}``, two
``date`` filters and a ``{% translate %}`` per message were most of the page's template time.
Each value goes through what the template did with it (``core.l10n``: the filters' formats,
escaping); tests/notifications/test_inbox_rows.py compares the HTML with the template's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.l10n import date_text, shown, words_once

_ROW_HTML = (
    "\n          <tr>\n"
    "            <td>\n"
    '              <a href="{url}">{subject}</a>\n'
    "            </td>\n"
    '            <td><time datetime="{iso}">{received}</time></td>\n'
    "            <td>\n"
    "              {state}\n"
    "            </td>\n"
    "          </tr>\n        "
)
def _states() -> tuple[str, str]:
    """What the state column says of a read and of an unread message, once per language."""
    return words_once("inbox-states", _state_words)


def _state_words() -> tuple[str, str]:
    # Translated outside the f-strings: makemessages does not read calls inside them.
    read, unread = _("Lu"), _("Non lu")
    return (
        f"\n                {escape(read)}\n              ",
        '\n                <p class="fr-badge fr-badge--new fr-badge--sm">'
        f'{escape(unread)}</p>\n              ',
    )


def inbox_rows_html(messages: Iterable[Any]) -> SafeString:
    """The inbox table's rows: each message's subject (in bold while unread) linking to it, the day
    and hour it came, and whether it was read."""
    read, unread = _states()
    # One reverse() per page: the message's URL for a placeholder id, cut before it.
    before, after = reverse("notifications:detail", args=[918273645]).split("918273645")
    rows = []
    for message in messages:
        subject = shown(message.subject)
        rows.append(_ROW_HTML.format(
            url=shown(f"{before}{message.pk}{after}"),
            subject=subject if message.read_at else f"<strong>{subject}</strong>",
            iso=shown(date_text(message.created_at, "c")), received=shown(date_text(message.created_at, "j F Y, H:i")),
            state=read if message.read_at else unread,
        ))
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped above)
