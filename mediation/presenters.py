"""The day view's HTML written in Python (issue 17: the mediator's most read page cost three times
its static floor, two thirds of it in the template's tags). Every value from the database is
escaped here; the texts are the translations the template used (same msgids), looked up once per
language and process with the parts that depend on nothing else (``core.fragments.local_fragment``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from html import escape  # Django's escape without its lazy-argument wrapper: the same output
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.fragments import local_fragment
from core.l10n import HTML_ESCAPES, active_language
from mediation.forms import DayForm
from mediation.models import Need, Outcome, Visit
from territory.models import Site

#: Stands for the day in the blank picker's HTML, and for a visit's id in its address.
_DAY_PLACEHOLDER = date(1111, 11, 11)
_PK_PLACEHOLDER = "987654321"
_SITE_PLACEHOLDER = "987654322"


@lru_cache(maxsize=2048)
def _counted(language: str | None, which: str, counter: int) -> str:
    """The day view's ``ngettext`` texts, put into words once per language, text and number by each
    process (issue 17: the plural rules cost tens of calls a text); ``language`` is the current one."""
    if which == "visits":
        text = ngettext("%(counter)s visite", "%(counter)s visites", counter)
    elif which == "in_progress":
        text = ngettext("%(counter)s en cours", "%(counter)s en cours", counter)
    elif which == "minutes_total":
        text = ngettext("%(counter)s minute d'accompagnement", "%(counter)s minutes d'accompagnement", counter)
    else:  # "minutes"
        text = ngettext("%(counter)s min", "%(counter)s min", counter)
    return text % {"counter": counter}


def day_url(site_id: int, day: date) -> str:
    """The address of a PAN's day view (``reverse`` once per language and process)."""
    texts = local_fragment("mediation-day", render=_texts)
    return _day_url(texts, site_id, day)


def _day_url(texts: dict[str, Any], site_id: int, day: date) -> str:
    return texts["day_url"].replace(_SITE_PLACEHOLDER, str(int(site_id))).replace(
        _DAY_PLACEHOLDER.isoformat(), day.isoformat())


def day_title(*, site: Site, day: date) -> SafeString:
    """The page's <title> (before the portal's name)."""
    texts = local_fragment("mediation-day", render=_texts)
    return mark_safe(texts["title"] % {  # noqa: S308 (values escaped)
        "date": _date(day, texts).translate(HTML_ESCAPES), "site": site.name.translate(HTML_ESCAPES)})


def _date(day: date, texts: dict[str, Any], *, weekday: bool = False) -> str:
    """``day|date:"j F Y"`` (``"l j F Y"`` with ``weekday``), the names looked up once per language."""
    text = f"{day.day} {texts['months'][day.month]} {day.year:04d}"
    return f"{texts['weekdays'][day.weekday()]} {text}" if weekday else text


def _texts() -> dict[str, Any]:
    """What the day view shows whatever the PAN and the day, in the current language. (Every
    ``_()`` outside the f-strings: makemessages does not read calls inside one.)"""
    check_in, figures = _("Accueillir un visiteur"), _("Chiffres des visites")
    arrival, visitor, need, outcome = _("Arrivée"), _("Visiteur"), _("Besoin"), _("Issue")
    duration, mediator = _("Durée"), _("Médiateur")
    without_account, in_progress = _("sans compte"), _("En cours")
    return {
        "title": _("Visites du %(date)s – %(site)s"),
        "heading": _("Visites du %(date)s"),
        "caption": _("Visites du %(date)s, celles en cours d'abord"),
        "account": _("compte %(login_id)s"),
        "since": _("depuis %(since)s"),
        "months": {number: str(name) for number, name in MONTHS.items()},
        "weekdays": {number: str(name) for number, name in WEEKDAYS.items()},
        "check_in": (f'<p><a class="fr-btn fr-icon-user-add-line fr-btn--icon-left" '
                     f'href="{reverse("mediation_backoffice:check_in")}">{check_in}</a></p>'),
        "picker": str(DayForm(initial={"day": _DAY_PLACEHOLDER})["day"].as_field_group()),
        "picker_title": _("Voir un autre jour"),
        "show": _("Afficher"),
        "previous": _("Jour précédent"),
        "next": _("Jour suivant"),
        "head": (f'<th scope="col">{arrival}</th><th scope="col">{visitor}</th>'
                 f'<th scope="col">{need}</th>\n    <th scope="col">{outcome}</th>'
                 f'<th scope="col">{duration}</th><th scope="col">{mediator}</th>'),
        "none": _("Aucune visite ce jour-là."),
        "without_account": f' <span class="fr-text--xs">({without_account})</span>',
        "in_progress": f'<span class="fr-badge fr-badge--info fr-badge--sm">{in_progress}</span>',
        "figures": (f'<p><a class="fr-link fr-icon-line-chart-line fr-link--icon-left" '
                    f'href="{reverse("mediation_backoffice:figures")}">{figures}</a></p>'),
        "visit_url": reverse("mediation_backoffice:visit", args=[_PK_PLACEHOLDER]),
        "day_url": reverse("mediation_backoffice:day", args=[_SITE_PLACEHOLDER, _DAY_PLACEHOLDER.isoformat()]),
        "needs": {value: escape(str(label)) for value, label in Need.choices},
        "outcomes": {value: escape(str(label)) for value, label in Outcome.choices},
    }


def day_html(*, site: Site, day: date, visits: Sequence[Visit], picker: DayForm | None, keeps_log: bool,
             today: date, now: datetime) -> SafeString:
    """The page's content: the heading, the picker, the summary and the table of the visits, with
    links to the day before and, up to ``today``, the day after."""
    texts = local_fragment("mediation-day", render=_texts)
    language = active_language()
    previous_url = _day_url(texts, site.pk, date.fromordinal(day.toordinal() - 1))
    next_url = _day_url(texts, site.pk, date.fromordinal(day.toordinal() + 1)) if day < today else ""
    if picker is not None:  # bound, with its errors
        picker_html = str(picker["day"].as_field_group())
    else:
        picker_html = texts["picker"].replace(_DAY_PLACEHOLDER.isoformat(), day.isoformat())  # digits and dashes
    in_progress = sum(1 for v in visits if v.in_progress)
    minutes_total = sum(v.duration_minutes for v in visits if v.duration_minutes)
    summary = _counted(language, "visits", len(visits))
    if in_progress:
        summary += ", " + _counted(language, "in_progress", in_progress)
    if minutes_total:
        summary += ", " + _counted(language, "minutes_total", minutes_total)
    next_link = (f'<a class="fr-link fr-icon-arrow-right-line fr-link--icon-right fr-ml-3w" href="{escape(next_url)}">'
                 f'{texts["next"]}</a>' if next_url else "")
    parts = [
        "\n<h1>", texts["heading"] % {"date": _date(day, texts, weekday=True).translate(HTML_ESCAPES)}, "</h1>\n"
        '<p class="fr-text--lead">', site.name.translate(HTML_ESCAPES), " – ",
        site.prefecture.name.translate(HTML_ESCAPES),
        "</p>\n",
        texts["check_in"] if keeps_log else "",
        '\n\n<form method="get" class="fr-mb-3w" aria-labelledby="day-picker-title" novalidate>\n'
        '  <h2 class="fr-h6" id="day-picker-title">', texts["picker_title"], "</h2>\n"
        '  <div class="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">\n'
        '    <div class="fr-col-12 fr-col-md-4">', picker_html, "</div>\n"
        '    <div class="fr-col-12 fr-col-md-4"><button type="submit" class="fr-btn fr-btn--secondary">',
        texts["show"], "</button></div>\n  </div>\n"
        '  <p class="fr-mt-1w"><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="',
        escape(previous_url), '">', texts["previous"], "</a>\n  ", next_link, "</p>\n</form>\n\n"
        '<p id="day-summary">', summary, '.</p>\n<div class="fr-table"><table id="visits">\n  <caption>',
        texts["caption"] % {"date": _date(day, texts).translate(HTML_ESCAPES)},
        "</caption>\n  <thead><tr>\n    ", texts["head"], "\n  </tr></thead>\n  <tbody>\n  ",
    ]
    tz = timezone.get_current_timezone()
    mediators: dict[int, str] = {}
    for visit in visits:
        parts.append(_row(visit, texts, now, tz, language, mediators))
    if not visits:
        parts += ['\n    <tr><td colspan="6">', texts["none"], "</td></tr>\n  "]
    parts += ["\n  </tbody>\n</table></div>\n", texts["figures"], "\n"]
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)


def _row(visit: Visit, texts: dict[str, Any], now: datetime, tz: tzinfo, language: str | None,
         mediators: dict[int, str]) -> str:
    """One visit's row; ``mediators``: the escaped names of the mediators of the rows before."""
    person = visit.person if visit.person_id else None
    if person is not None:
        account = ' <span class="fr-text--xs">(' + texts["account"] % {
            "login_id": person.login_id.translate(HTML_ESCAPES)} + ")</span>"
    else:
        account = texts["without_account"]
    if visit.in_progress:
        outcome = texts["in_progress"]
        duration = texts["since"] % {"since": _since(language, visit.arrived_at, now).translate(HTML_ESCAPES)}
    else:
        outcome = texts["outcomes"].get(visit.outcome)
        if outcome is None:
            outcome = visit.outcome.translate(HTML_ESCAPES)
        if visit.report is not None:
            outcome += f" ({visit.report.reference.translate(HTML_ESCAPES)})"
        minutes = visit.duration_minutes or 0  # set on every ended visit (a constraint)
        duration = _counted(language, "minutes", minutes)
    need = texts["needs"].get(visit.need)
    if need is None:
        need = visit.need.translate(HTML_ESCAPES)
    mediator = mediators.get(visit.mediator_id)
    if mediator is None:
        mediator = mediators[visit.mediator_id] = visit.mediator.get_full_name().translate(HTML_ESCAPES)
    return (
        f"\n    <tr>\n      <td>{visit.arrived_at.astimezone(tz):%H:%M}</td>\n"
        f'      <td><a href="{texts["visit_url"].replace(_PK_PLACEHOLDER, str(visit.pk))}">'
        f"{visit.visitor_name.translate(HTML_ESCAPES)}</a>{account}</td>\n"
        f"      <td>{need}</td>\n"
        f"      <td>{outcome}</td>\n"
        f"      <td>{duration}</td>\n"
        f"      <td>{mediator}</td>\n    </tr>\n  "
    )


def _since(language: str | None, arrived_at: datetime, now: datetime) -> str:
    """``timesince(arrived_at, now)``: under a day, once per language and minute by each process
    (its words then depend on the minutes alone)."""
    delta = now - arrived_at
    seconds = delta.days * 86400 + delta.seconds  # what timesince counts
    if 0 <= seconds < 86400:
        return _since_minutes(language, seconds // 60)
    return timesince(arrived_at, now)


@lru_cache(maxsize=2048)
def _since_minutes(language: str | None, minutes: int) -> str:
    """``timesince`` of so many minutes (under a day) in ``language``, the current one."""
    now = datetime(2000, 1, 1, 12, tzinfo=UTC)
    return timesince(now - timedelta(minutes=minutes), now)
