"""The one place that decides which entries of the main menu a person sees (issue 9, item 11).

An entry is shown only when its page would open for this person: staff entries ask the same
questions as the views behind them, through ``accounts.permissions`` (so none appears without a
verified second factor). Anonymous visitors and applicants get fixed entries and cost no query;
a member of staff costs the queries of those checks, and only on pages that draw the menu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.middleware import SESSION_STAFF_KEY
from accounts.permissions import second_factor_verified, staff_verified
from accounts.selectors import user_memberships
from core.fragments import local_fragment
from core.l10n import active_language

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.models import User


#: The menu's URLs by name, URL configuration and script prefix: reversed once per process, not
#: nine times on every page (issue 14). The URLs carry no language prefix.
_URLS: dict[tuple[str, str, str], str] = {}


def _urls(names: tuple[str, ...]) -> list[str]:
    """The URLs of these names, the URL configuration and script prefix read once (issue 17: once
    per entry, they were half the menu's calls)."""
    urlconf, prefix = str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix()
    urls = []
    for name in names:
        url = _URLS.get((name, urlconf, prefix))
        if url is None:
            url = _URLS[(name, urlconf, prefix)] = reverse(name)
        urls.append(url)
    return urls


#: Which staff entries a person sees, by what their checks read (``_staff_key``): the checks are
#: asked once per process for each such combination, not on every back-office page (issue 17: a
#: tenth of the staff layout's calls). Bounded: emptied past ``_STAFF_ENTRIES_LIMIT`` combinations.
_STAFF_ENTRIES: dict[tuple, tuple[bool, bool, bool, bool]] = {}
_STAFF_ENTRIES_LIMIT = 1024


def _staff_key(user: User) -> tuple:
    """All that ``staff_verified``, ``agent_prefecture_ids``, ``may_see_reports``,
    ``may_see_anomalies`` and ``may_see_visits`` read: whether the second factor was proved in
    this session, the Django flags, and the memberships' role and scope (read once a request, by
    the back-office gate). None of them reads anything else (the database, the time): a check that
    did could not be kept here. The desks' entry depends on the sites of the person's prefectures,
    which change without their memberships changing: it is asked on each page, from what the gate's
    read of the memberships says of them (``staff_runs_desks``, no query of its own)."""
    return (second_factor_verified(user=user), user.is_staff, user.is_superuser,
            tuple((m.role, m.prefecture_id, m.site_id) for m in user_memberships(user=user)))


def _staff_checks(user: User) -> tuple[bool, bool, bool, bool]:
    """(instructs, sees reports, sees anomalies, sees visits) for a member of staff whose second
    factor is verified."""
    from applications.staff import agent_prefecture_ids
    from mediation.access import may_see_visits
    from substitution.access import may_see_anomalies, may_see_reports

    key = _staff_key(user)
    checks = _STAFF_ENTRIES.get(key)
    if checks is None:
        checks = (bool(agent_prefecture_ids(user=user)), may_see_reports(user=user),
                  may_see_anomalies(user=user), may_see_visits(user=user))
        if len(_STAFF_ENTRIES) >= _STAFF_ENTRIES_LIMIT:
            _STAFF_ENTRIES.clear()
        _STAFF_ENTRIES[key] = checks
    return checks


def _entries(request: HttpRequest) -> list[tuple[StrOrPromise, str]]:
    """The main menu's entries for this request, in order: (label, URL name)."""
    from appointments.selectors import staff_runs_desks

    user = request.user
    session = getattr(request, "session", None)
    # Whether the session is a staff one is decided once per session (SessionLimitsMiddleware).
    staff_session = bool(session and session.get(SESSION_STAFF_KEY))
    entries: list[tuple[StrOrPromise, str]] = [(_("Accueil"), "home")]
    if user.is_authenticated and staff_session:
        # Before the second factor, the back-office home is where the code is asked: nothing else.
        entries.append((_("Espace agent"), "backoffice:home"))
        if staff_verified(user=user):
            instructs, reports, anomalies, visits = _staff_checks(user)
            if instructs:
                entries.append((_("Dossiers à instruire"), "backoffice_instruction:queue"))
            if staff_runs_desks(user=user):
                entries.append((_("Guichets"), "appointments_backoffice:desks"))
            if reports:
                entries.append((_("Signalements"), "substitution_backoffice:queue"))
            if anomalies:
                entries.append((_("Anomalies"), "substitution_backoffice:anomalies"))
            if visits:
                entries.append((_("Visites"), "mediation_backoffice:home"))
    elif user.is_authenticated:
        entries += [
            (_("Mon espace"), "applications:dashboard"),
            (_("Mes rendez-vous"), "appointments:list"),
            (_("Mes messages"), "notifications:inbox"),
            (_("Mes signalements"), "substitution:mine"),
        ]
    entries += [(_("Les démarches"), "applications:catalogue"), (_("Aide et contact"), "help")]
    return entries


#: One entry of the menu as the header draws it (DSFR navigation).
_ITEM = '<li class="fr-nav__item"><a class="fr-nav__link" href="{}"{}>{}</a></li>'


def _items_html(entries: list[tuple[StrOrPromise, str]], urls: list[str], current: tuple[bool, ...]) -> SafeString:
    return format_html_join("\n          ", _ITEM, (
        (url, mark_safe(' aria-current="page"') if is_current else "", label)  # noqa: S308 (a constant)
        for (label, _name), url, is_current in zip(entries, urls, current, strict=True)))


#: The menus of visitors and of people signed in without a staff session (fixed entries), by
#: signed-in state, language, URL configuration and script prefix: their URLs, entries and HTML by
#: current entry (none: ``None``).
_FIXED_MENUS: dict[tuple, tuple[list[str], list[tuple[StrOrPromise, str]], dict[tuple | None, SafeString]]] = {}


def _fixed_menu_html(request: HttpRequest, signed_in: bool) -> SafeString:
    """The menu of an anonymous visitor or of a person (no staff session): the same entries for
    all, their HTML kept by each process per language and current entry (issue 17: a third of the
    cost of building the entries and the key of ``local_fragment``)."""
    key = (signed_in, active_language(), str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())
    menu = _FIXED_MENUS.get(key)
    if menu is None:
        entries = _entries(request)
        menu = _FIXED_MENUS[key] = (_urls(tuple(name for _label, name in entries)), entries, {})
    urls, entries, html_by_current = menu
    path = request.path
    current = tuple([path == url for url in urls]) if path in urls else None
    html = html_by_current.get(current)
    if html is None:
        html = html_by_current[current] = _items_html(entries, urls, current or (False,) * len(urls))
    return html


def main_menu_html(request: HttpRequest) -> SafeString:
    """The menu's items as HTML, rendered once per language, set of entries and current entry by
    each process (``core.fragments.local_fragment``): the same for every person who sees the same
    entries (issue 14: the loop over the entries was a sixth of the applicant dashboard's layout)."""
    user = request.user
    session = getattr(request, "session", None)
    signed_in = user.is_authenticated
    if not (signed_in and session and session.get(SESSION_STAFF_KEY)):  # as _entries tells them apart
        return _fixed_menu_html(request, signed_in)
    entries = _entries(request)
    names = tuple(name for _label, name in entries)
    urls = _urls(names)
    current = tuple(request.path == url for url in urls)

    return local_fragment("main-menu", names, current, render=lambda: _items_html(entries, urls, current))
