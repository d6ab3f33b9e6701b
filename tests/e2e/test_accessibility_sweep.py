"""Accessibility of every page (issue 17, item 3): each GET page the authorisation matrix declares
reachable (``tests/security/authz_matrix.py``), visited in Chromium by a persona allowed to see it,
in French and in English, checked with axe-core (WCAG 2.0/2.1/2.2 A and AA): zero violations. The
pages come from the URL configuration through the matrix, so a page added later is checked without
anyone listing it; the Django admin's pages come from its registry of models, so a model registered
later is checked too. Besides: the applicant's keyboard-only journey, and the main pages at 200 %
zoom and on a 360 x 640 phone without horizontal scrolling."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import axe_violations, format_violations
from tests.security.authz_check import route_url
from tests.security.authz_matrix import row_for
from tests.security.matrix_world import build_world
from tests.security.routes import OK, all_routes

pytestmark = pytest.mark.django_db(transaction=True)

#: Who visits: the first persona of this list allowed to see a page visits it.
PERSONAS = ("anonymous", "applicant", "agent", "supervisor", "support", "technical", "mediator",
            "mediator_mandate", "administrator")
#: Pages that are not for people (files, probes) or not HTML. The API (``api:``) answers JSON, but
#: for ``api:docs``: the developers' Swagger UI, a third-party application drawn by its own script,
#: which fails axe in its own components (buttons nested in its operation headers, contrast of its
#: theme, small targets) and has no French; left out, as docs/testing.md and the accessibility
#: statement say, the schema at ``api:schema`` carrying the same content.
NOT_PAGES = ("healthz", "livez", "readyz", "appointments:ics", "documents:download", "applications:attachment",
             "backoffice_instruction:attachment", "substitution_backoffice:figures_csv",
             "mediation_backoffice:figures_csv", "backoffice_reports:export_download")


def _pages(world) -> list[tuple[str, str, str]]:
    """(persona, route key, url) of every page to check, each page once."""
    pages = []
    for route in all_routes():
        declared = row_for(route.key)
        if (declared is None or declared[0].endswith("*") or route.key in NOT_PAGES or declared[1].post_only
                or route.key.startswith("api:")):
            continue
        if route.key.startswith("admin:"):
            continue  # the Django admin: its own sweep below, with a real object for each change page
        persona = next((p for p in PERSONAS if declared[1].expected[p] == OK), None)
        if persona is not None:
            pages.append((persona, route.key, route_url(route, world)))
    return pages


def _cookies(client: Client, base_url: str) -> list[dict]:
    return [{"name": name, "value": morsel.value, "url": base_url} for name, morsel in client.cookies.items()]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_has_no_accessibility_violation(browser: Browser, live_server, settings, language):
    settings.SITE_URL = live_server.url
    world = build_world()
    pages = _pages(world)
    assert len(pages) > 60, "the sweep reaches fewer pages than the matrix declares"
    contexts = {}
    problems = []
    for persona, key, url in pages:
        if persona not in contexts:
            user = world.users.get(persona)
            if user is not None:
                type(user).objects.filter(pk=user.pk).update(preferred_language=language)
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=f"{language}-FR")
            context.add_cookies([*_cookies(world.clients[persona], live_server.url),
                                 {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
            contexts[persona] = context.new_page()
        page: Page = contexts[persona]
        response = page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        if response is None or response.status >= 400:
            problems.append(f"{url} ({key}) as {persona}: HTTP {response and response.status}")
            continue
        lang = page.evaluate("document.documentElement.lang")
        if not lang.startswith(language):
            problems.append(f"{url} ({key}) as {persona}: lang={lang!r}, expected {language}")
        violations = axe_violations(page)
        if violations:
            problems.append(f"({key} as {persona}) " + format_violations(url, violations))
    for page in contexts.values():
        page.context.close()
    assert not problems, "\n".join(problems)


def _admin_pages(world) -> list[tuple[str, str]]:
    """(route key, url) of the Django admin's pages for the DGEF administrator: the index and, for
    each registered model, its list, its add form where adding is allowed, and the change (or
    read-only view) page of its first object, if the world has one."""
    from django.contrib import admin
    from django.contrib.admin.utils import quote
    from django.test import RequestFactory
    from django.urls import reverse

    request = RequestFactory().get("/admin/")
    request.user = world.users["administrator"]
    pages = [("admin:index", reverse("admin:index"))]
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append((f"{prefix}_changelist", reverse(f"{prefix}_changelist")))
        if model_admin.has_add_permission(request):
            pages.append((f"{prefix}_add", reverse(f"{prefix}_add")))
        first = model_admin.get_queryset(request).order_by("pk").first()
        if first is not None:
            pages.append((f"{prefix}_change", reverse(f"{prefix}_change", args=[quote(first.pk)])))
    for key, _url in pages:
        declared = row_for(key)
        expected = declared and declared[1].expected["administrator"]
        assert expected == OK or (isinstance(expected, frozenset) and OK in expected), (
            f"{key}: the matrix does not let the administrator reach it")
    return pages


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_admin_page_has_no_accessibility_violation(browser: Browser, live_server, settings, language):
    """The Django admin, where the DGEF administrators keep the catalogue, the help centre, the
    territory and the accounts: its pages are checked as the portal's are."""
    settings.SITE_URL = live_server.url
    world = build_world()
    pages = _admin_pages(world)
    assert len(pages) > 50, "the sweep reaches fewer admin pages than the admin registers"
    administrator = world.users["administrator"]
    type(administrator).objects.filter(pk=administrator.pk).update(preferred_language=language)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=f"{language}-FR")
    context.add_cookies([*_cookies(world.clients["administrator"], live_server.url),
                         {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page = context.new_page()
    problems = []
    for key, url in pages:
        response = page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        if response is None or response.status >= 400 or response.url != live_server.url + url:
            problems.append(f"{url} ({key}): HTTP {response and response.status}, at {page.url}")
            continue
        lang = page.evaluate("document.documentElement.lang")
        if not lang.startswith(language):
            problems.append(f"{url} ({key}): lang={lang!r}, expected {language}")
        violations = axe_violations(page)
        if violations:
            problems.append(f"({key}) " + format_violations(url, violations))
    context.close()
    assert not problems, f"{len(problems)} of {len(pages)} admin pages:\n" + "\n".join(problems)


#: The main pages of each persona, checked at 200 % zoom and on a phone.
MAIN_PAGES = {
    "anonymous": ("home", "applications:catalogue", "accounts:login", "help", "substitution:report"),
    "applicant": ("applications:dashboard", "applications:dossier", "applications:step",
                  "appointments:list", "notifications:inbox"),
    "agent": ("backoffice_instruction:queue", "backoffice_instruction:dossier"),
    "support": ("substitution_backoffice:queue",),
    "mediator": ("mediation_backoffice:check_in",),
}
SIDEWAYS = """() => [document.documentElement, ...document.querySelectorAll("main *")]
  .filter(e => e.scrollWidth > e.clientWidth + 1
          && (e === document.documentElement || ["auto", "scroll"].includes(getComputedStyle(e).overflowX))
          && !e.closest(".fr-table"))
  .map(e => e.tagName + "." + e.className)"""


@pytest.mark.parametrize("screen", ["zoom-200", "phone-360x640"])
def test_main_pages_fit_the_screen_without_horizontal_scrolling(browser: Browser, live_server, settings, screen):
    """200 % zoom on a 1280-pixel screen is a 640-pixel CSS viewport at device scale 2 (WCAG 1.4.10
    reflow); the phone is 360 x 640. Data tables may scroll inside their own box (``.fr-table``),
    as the DSFR designs them; the page itself may not."""
    settings.SITE_URL = live_server.url
    world = build_world()
    viewport, scale = ({"width": 640, "height": 450}, 2) if screen == "zoom-200" else ({"width": 360, "height": 640}, 2)
    from django.urls import reverse

    wide = []
    for persona, names in MAIN_PAGES.items():
        context = browser.new_context(viewport=viewport, device_scale_factor=scale, locale="fr-FR")
        context.add_cookies(_cookies(world.clients[persona], live_server.url))
        page = context.new_page()
        for name in names:
            route = next(r for r in all_routes() if r.key == name)
            url = route_url(route, world) if route.kwargs else reverse(name)
            page.goto(live_server.url + url)
            page.wait_for_load_state("load")
            scrollers = page.evaluate(SIDEWAYS)
            if scrollers:
                wide.append(f"{url} as {persona}: {scrollers[:5]}")
        context.close()
    assert not wide, "content wider than the screen:\n" + "\n".join(wide)


def test_applicant_files_a_step_with_the_keyboard_only(page: Page, live_server, settings, visited):
    """No mouse: Tab, Shift+Tab, Enter and Space only, from the login page to a saved filing step."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import PASSWORD, PermitFactory, UserFactory

    settings.SITE_URL = live_server.url
    user = UserFactory(first_name="Amina", last_name="Diallo")
    PermitFactory(holder=user, valid_until=timezone.localdate() + timedelta(days=90))
    page.goto(live_server.url + "/compte/connexion/")

    def tab_to(locator, limit=80, back=False):
        for _ in range(limit):
            if locator.evaluate("e => e === document.activeElement"):
                return
            page.keyboard.press("Shift+Tab" if back else "Tab")
        raise AssertionError(f"never reached with the keyboard: {locator}")

    tab_to(page.get_by_label("Adresse e-mail"))
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mot de passe")).to_be_focused()
    page.keyboard.type(PASSWORD)
    tab_to(page.locator("main").get_by_role("button", name="Se connecter"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Mon espace")
    visited(page, "dashboard")

    tab_to(page.locator("main").get_by_role("link", name="Faire une nouvelle démarche"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Les démarches")
    tab_to(page.locator("#demarche-renouvellement-salarie").locator("..").get_by_role(
        "button", name="Commencer cette démarche"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Éligibilité")
    visited(page, "eligibility")

    yes = page.get_by_role("radio", name="Oui").first
    tab_to(yes)
    page.keyboard.press("Space")
    expect(yes).to_be_checked()
    tab_to(page.get_by_role("button", name="Enregistrer et continuer"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Identité")
    visited(page, "identity")

    from applications.models import Dossier

    dossier = Dossier.objects.get(applicant=user)
    assert dossier.answers["eligibility"], "the step was saved"
