"""The one place that decides which entries of the main menu a person sees (issue 9, item 11).

An entry is shown only when its page would open for this person: staff entries ask the same
questions as the views behind them, through ``accounts.permissions`` (so none appears without a
verified second factor). Anonymous visitors and applicants get fixed entries and cost no query;
a member of staff costs the queries of those checks, and only on pages that draw the menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from accounts.middleware import SESSION_STAFF_KEY
from accounts.permissions import staff_verified

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url: str
    current: bool


#: The menu's URLs by name, URL configuration and script prefix: reversed once per process, not
#: nine times on every page (issue 14). The URLs carry no language prefix.
_URLS: dict[tuple[str, str, str], str] = {}


def _url(name: str) -> str:
    key = (name, str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())
    url = _URLS.get(key)
    if url is None:
        url = _URLS[key] = reverse(name)
    return url


def main_menu(request: HttpRequest) -> list[MenuEntry]:
    """The main menu's entries for this request, in order."""
    from applications.staff import agent_prefecture_ids
    from appointments.selectors import staff_site_ids
    from mediation.access import may_see_visits
    from substitution.access import may_see_anomalies, may_see_reports

    user = request.user
    session = getattr(request, "session", None)
    # Whether the session is a staff one is decided once per session (SessionLimitsMiddleware).
    staff_session = bool(session and session.get(SESSION_STAFF_KEY))
    entries: list[tuple[StrOrPromise, str]] = [(_("Accueil"), _url("home"))]
    if user.is_authenticated and staff_session:
        # Before the second factor, the back-office home is where the code is asked: nothing else.
        entries.append((_("Espace agent"), _url("backoffice:home")))
        if staff_verified(user=user):
            if agent_prefecture_ids(user=user):
                entries.append((_("Dossiers à instruire"), _url("backoffice_instruction:queue")))
            if staff_site_ids(user=user):
                entries.append((_("Guichets"), _url("appointments_backoffice:desks")))
            if may_see_reports(user=user):
                entries.append((_("Signalements"), _url("substitution_backoffice:queue")))
            if may_see_anomalies(user=user):
                entries.append((_("Anomalies"), _url("substitution_backoffice:anomalies")))
            if may_see_visits(user=user):
                entries.append((_("Visites"), _url("mediation_backoffice:home")))
    elif user.is_authenticated:
        entries += [
            (_("Mon espace"), _url("applications:dashboard")),
            (_("Mes rendez-vous"), _url("appointments:list")),
            (_("Mes messages"), _url("notifications:inbox")),
            (_("Mes signalements"), _url("substitution:mine")),
        ]
    entries += [(_("Les démarches"), _url("applications:catalogue")), (_("Aide et contact"), _url("help"))]
    return [MenuEntry(label=str(label), url=url, current=request.path == url) for label, url in entries]
