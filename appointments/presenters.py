"""The person's upcoming appointments written in Python (issue 17): through ``{% for %}``, a
``{% url %}``, a ``{% blocktranslate %}`` with three filters and the choices' labels per booking,
each card cost about a thousand calls. Each value goes through what the template did with it
(``core.l10n``: the filters' formats, escaping); tests/appointments/test_list_cards.py compares
the HTML with the template's."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from appointments.models import Booking, Motive
from core.l10n import active_language, date_formatter, shown, words_once
from core.urls import url_parts

_CARD_HTML = (
    '\n  <div class="fr-col-12 fr-col-md-6">\n'
    '    <div class="fr-card fr-enlarge-link">\n'
    '      <div class="fr-card__body"><div class="fr-card__content">\n'
    '        <h3 class="fr-card__title"><a href="{url}">{motive}</a></h3>\n'
    '        <p class="fr-card__desc">{when}</p>\n'
    '        <div class="fr-card__start"><p class="fr-badge fr-badge--sm {badge}">{state}</p></div>\n'
    "      </div></div>\n"
    "    </div>\n"
    "  </div>\n  "
)
def _words(language: Any) -> dict[str, Any]:
    """The motives' and statuses' labels and the cards' words, once per language by each process."""
    return words_once("appointment-cards", language=language, translate=lambda: {
        "motives": {code.value: str(code.label) for code in Motive.Code},
        "statuses": {status.value: str(status.label) for status in Booking.Status},
        "when": _("%(date)s à %(time)s, %(site)s"),
        "convocation": escape(_("Convocation")),
    })


def upcoming_cards_html(bookings: list[Booking]) -> SafeString:
    """The cards of the person's upcoming appointments: the motive linking to the booking, the day,
    hour and place, and a badge of its status (or that it is a convocation)."""
    if not bookings:
        return mark_safe("")
    language = active_language()
    words = _words(language)
    before, after = url_parts("appointments:detail", 1)
    day, hour = date_formatter("l j F Y", language=language), date_formatter("H:i", language=language)
    cards = []
    for booking in bookings:
        starts, code = booking.slot.starts_at, booking.motive.code
        cards.append(_CARD_HTML.format(
            url=f"{before}{int(booking.pk)}{after}", motive=shown(words["motives"].get(code, code)),
            when=words["when"] % {"date": shown(day(starts)), "time": shown(hour(starts)),
                                  "site": shown(booking.slot.desk.site.name)},
            badge="fr-badge--info" if booking.status == "checked_in" else "fr-badge--success",
            state=(words["convocation"] if booking.kind == "convocation"
                   else shown(words["statuses"].get(booking.status, booking.status))),
        ))
    return mark_safe("".join(cards))  # noqa: S308 (every value escaped above)


