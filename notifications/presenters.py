"""The inbox's rows written in Python (issue 17): through ``{% for %}``, a ``{% url %}``, two
``date`` filters and a ``{% translate %}`` per message were most of the page's template time.
Each value goes through what the template did with it (``core.l10n``: the filters' formats,
escaping); tests/notifications/test_inbox_rows.py compares the HTML with the template's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.l10n import active_language, date_formatter, shown, words_once
from core.urls import url_parts

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
def _state_words() -> tuple[str, str]:
    """What the state column says of a read and of an unread message (kept once per language)."""
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
    language = active_language()
    read, unread = words_once("inbox-states", _state_words, language=language)
    before, after = url_parts("notifications:detail", 1)
    iso, received = date_formatter("c", language=language), date_formatter("j F Y, H:i", language=language)
    rows = []
    for message in messages:
        subject = shown(message.subject)
        rows.append(_ROW_HTML.format(
            url=f"{before}{int(message.pk)}{after}",
            subject=subject if message.read_at else f"<strong>{subject}</strong>",
            iso=shown(iso(message.created_at)), received=shown(received(message.created_at)),
            state=read if message.read_at else unread,
        ))
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped above)



def unread_sentence(count: int) -> SafeString:
    """"Vous avez <n> messages non lus.", as ``{% blocktranslate count %}`` writes it, once per
    language and number by each process."""
    return words_once(f"inbox-unread:{count}", lambda: mark_safe(  # noqa: S308 (the number, escaped)
        ngettext("Vous avez %(count)s message non lu.", "Vous avez %(count)s messages non lus.", count)
        % {"count": shown(count)}))
