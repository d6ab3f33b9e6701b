"""An applicant's first visit: create an account, confirm the address, sign in, switch language."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User

EMAIL = "awa.ndiaye@example.org"
PASSWORD = "Baobab-Tamarin-2024"
# The label holds its hint ("Au moins 12 caractères…"), so match the start of the name.
PASSWORD_LABEL = re.compile(r"^Mot de passe")

# The browser talks to a live server in another thread: the data must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True)


def language_button(page: Page):
    # The DSFR script copies the header tools into the mobile "Menu" modal: take the desktop ones.
    return page.locator(".fr-header__tools button.fr-translate__btn")


def choose_language(page: Page, name: str) -> None:
    language_button(page).click()
    menu = page.locator("#translate-menu")
    expect(menu).to_be_visible()
    menu.get_by_role("button", name=name).click()


def test_applicant_signs_up_confirms_address_signs_in_and_switches_language(
    page: Page, live_server, settings, mailoutbox, visited
):
    settings.SITE_URL = live_server.url  # the confirmation link in the e-mail leads to this server

    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("Vos démarches de titre de séjour, en ligne")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    visited(page, "home")

    page.locator("main").get_by_role("link", name="Créer un compte").click()
    expect(page).to_have_url(live_server.url + "/compte/inscription/")
    expect(page.locator("h1")).to_have_text("Créer un compte")
    visited(page, "sign-up")

    # First try: the confirmation does not match.
    page.get_by_label("Prénom(s)").fill("Awa")
    page.get_by_label("Nom de famille").fill("Ndiaye")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD + "x")
    page.get_by_role("button", name="Créer mon compte").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()  # keyboard and screen-reader users land on the summary
    expect(summary).to_contain_text("Le formulaire contient une erreur")
    expect(summary.locator("ul").get_by_role("link")).to_have_attribute("href", "#id_password2")
    confirmation = page.get_by_label("Confirmez le mot de passe")
    expect(confirmation).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_password2_error")).to_have_text(
        "Les deux mots de passe ne sont pas identiques."
    )
    assert "id_password2_error" in confirmation.get_attribute("aria-describedby").split()
    assert not User.objects.filter(email=EMAIL).exists()
    visited(page, "sign-up-errors")

    # Second try: corrected (password fields come back empty, as they should).
    expect(page.get_by_label("Adresse e-mail")).to_have_value(EMAIL)
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page).to_have_url(live_server.url + "/compte/inscription/envoyee/")
    expect(page.locator("h1")).to_have_text("Confirmez votre adresse e-mail")
    expect(page.locator("main")).to_contain_text(
        f"Nous avons envoyé un lien de confirmation à {EMAIL}."
    )
    visited(page, "sign-up-done")

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [EMAIL]
    match = re.search(r"https?://\S+/compte/confirmation/[^/\s]+/[^/\s]+/", message.body)
    assert match, message.body
    link = match.group(0)
    assert link.startswith(live_server.url), link

    page.goto(link)
    expect(page).to_have_url(live_server.url + "/compte/connexion/")
    expect(page.locator(".fr-alert--success")).to_have_text(
        "Votre adresse e-mail est confirmée. Vous pouvez vous connecter."
    )
    visited(page, "login-confirmed")

    # Issue 9: English chosen on the login page was lost once signed in. It is kept, and stored.
    choose_language(page, "EN – English")
    expect(page).to_have_url(live_server.url + "/compte/connexion/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    visited(page, "login-en")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()

    expect(page).to_have_url(live_server.url + "/espace/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main")).to_contain_text("Hello Awa.")
    expect(language_button(page)).to_contain_text("EN")
    assert User.objects.get(email=EMAIL).preferred_language == "en"  # remembered on the profile
    visited(page, "dashboard-en")

    choose_language(page, "FR – Français")
    expect(page).to_have_url(live_server.url + "/espace/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(language_button(page)).to_contain_text("FR")
    expect(page.locator("h1")).to_have_text("Mon espace")


def test_help_page_is_accessible(page: Page, live_server, visited):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Aide et contact").first.click()
    expect(page).to_have_url(live_server.url + "/aide/")
    expect(page.locator("h1")).to_have_text("Aide et contact")
    visited(page, "help")
