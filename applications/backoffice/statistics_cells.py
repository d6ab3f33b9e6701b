"""The statistics page's figures put into words in Python (issue 17): its heading, the callouts'
counts and the rows of its four tables. Through the template language, the tags and filters of
each row (``intcomma``, ``floatformat``, ``{% if %}``) and the translation tags around them were
most of the page's calls; what the page says around the figures is the same for everyone and is
rendered once per language (``{% per_language %}`` in applications/backoffice/statistics.html).

Each value goes through what the template did with it: counts as ``intcomma`` writes them (the
language's thousands separator), durations and shares as ``floatformat``, every text escaped, the
translations as ``{% blocktranslate %}`` put them in. tests/backoffice/test_statistics.py compares
the rows with the template's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils.formats import get_format, localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from applications.presenters import escape_text
from core.fragments import slotted_template
from core.l10n import date_text, shown, words_once

if TYPE_CHECKING:
    from applications.backoffice.selectors import PrefectureStatistics
    from territory.models import Prefecture

_PROCESSING_ROW = (
    '\n    <tr>\n      <th scope="row">{}</th>\n      <td>{}</td>\n      <td>{}</td>\n      <td>{}</td>\n'
    "      <td>{}</td>\n      <td>{}</td>\n    </tr>\n  "
)
_LABELLED_ROW = '\n    <tr><th scope="row">{}</th><td>{}</td></tr>\n  '
_PROCEDURE_ROW = '\n    <tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>\n  '


def _grouped() -> Callable[[int], str]:
    """How ``intcomma`` writes an integer in the current language: its thousands separator every
    three digits (the separator and the grouping looked up once per page, not three times per
    number); another grouping goes through ``intcomma`` itself."""
    separator, grouping = get_format("THOUSAND_SEPARATOR"), get_format("NUMBER_GROUPING")
    if grouping != 3:
        return lambda number: escape_text(intcomma(number))
    if separator == ",":
        return "{:,}".format
    escaped = escape_text(separator)
    return lambda number: f"{number:,}".replace(",", escaped)


def _words() -> dict[str, str]:
    return {"heading": _("Statistiques – %(name)s"), "day": _("Chiffres au %(date)s.")}


def statistics_heading(stats: PrefectureStatistics) -> SafeString:
    """The page's title and heading, as ``{% blocktranslate with name=… %}`` wrote them."""
    words = words_once("statistics", _words)
    return mark_safe(words["heading"] % {"name": escape_text(stats.prefecture.name)})  # noqa: S308


def statistics_day(stats: PrefectureStatistics) -> SafeString:
    """The day the figures are of ("Chiffres au 6 décembre 2026."), the date as ``|date:"j F Y"``."""
    words = words_once("statistics", _words)
    return mark_safe(words["day"] % {"date": escape_text(date_text(stats.today))})  # noqa: S308


#: One choice of the prefectures' list, as the template's loop wrote it.
_PREFECTURE_OPTION = '\n          <option value="{}"{}>{} ({})</option>\n        '


def statistics_html(stats: PrefectureStatistics, *, heading: str, prefectures: list[Prefecture],
                    chosen: Prefecture, windows: dict[str, int]) -> SafeString:
    """The page's content: applications/backoffice/_statistics_content.html rendered once per
    language and shape by this process (``core.fragments.slotted_template``, issue 17: its tags
    were most of what the page did besides its queries), with this page's figures put in.
    ``heading``: ``statistics_heading(stats)``; ``windows``: the days of the texts' windows
    (constants of the settings)."""
    cells = _cells(stats)
    several = len(prefectures) > 1
    options = "".join(_PREFECTURE_OPTION.format(
        shown(prefecture.pk), " selected" if prefecture.pk == chosen.pk else "", shown(prefecture.name),
        shown(prefecture.department.code)) for prefecture in prefectures) if several else ""
    return slotted_template("applications/backoffice/_statistics_content.html", context={
        "several_prefectures": several, "has_by_status": bool(stats.by_status),
        "has_by_procedure": bool(stats.by_procedure), **windows,
    }, slots={
        **cells, "heading": heading, "figures_day": statistics_day(stats),
        # the queue's links name the prefecture when the person has several
        "prefecture_parameter": f"&amp;prefecture={int(chosen.pk)}" if several else "",
        "prefecture_options": options,
    })


def statistics_cells(stats: PrefectureStatistics) -> dict[str, SafeString]:
    """The counts of the callouts and the rows of the tables, as HTML (every value escaped)."""
    return {name: mark_safe(html) for name, html in _cells(stats).items()}  # noqa: S308 (every value escaped)


def _localized(number: int) -> str:
    """``{{ number }}`` (``localize``), escaped, once per language and number by this process (the
    legal targets: a few numbers of the settings)."""
    known: dict[int, str] = words_once("statistics-localized", dict)
    text = known.get(number)
    if text is None:
        text = known[number] = escape_text(localize(number))
    return text


def _cells(stats: PrefectureStatistics) -> dict[str, str]:
    count = words_once("statistics-grouping", _grouped)  # the language's formats do not change either
    processing = "".join(_PROCESSING_ROW.format(
        escape_text(row.label), count(row.decided),
        "–" if row.p50_days is None else floatformat(row.p50_days, 1),
        "–" if row.p90_days is None else floatformat(row.p90_days, 1),
        _localized(row.target_days),
        "–" if row.within_target_share is None
        else f"{floatformat(row.within_target_share, 0)} % ({count(row.within_target)})",
    ) for row in stats.processing)
    by_status = "".join(_LABELLED_ROW.format(escape_text(row.label), count(row.count)) for row in stats.by_status)
    by_procedure = "".join(_PROCEDURE_ROW.format(
        escape_text(row.name), count(row.in_queue), count(row.filed_12_months), count(row.decided_12_months),
    ) for row in stats.by_procedure)
    certificates = "".join(_LABELLED_ROW.format(escape_text(label), count(number))
                           for label, number in stats.certificates_rows)
    return {
        "at_risk": count(stats.at_risk), "overdue": count(stats.overdue), "in_queue": count(stats.in_queue),
        "total": count(stats.total), "processing": processing, "by_status": by_status,
        "by_procedure": by_procedure, "certificates": certificates,
    }
