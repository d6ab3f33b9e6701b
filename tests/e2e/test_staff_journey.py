"""An agent signs in with a password and a second factor, or enrols one on first sign-in."""

import base64
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, TOTP_KEY, StaffFactory, totp_code

# The browser talks to a live server in another thread: the data must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Page, live_server, email: str) -> None:
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()


def a_wrong_code() -> str:
    """A code the authenticator accepts at no step near now (django-otp allows one step of drift)."""
    now = time.time()
    near = {totp_code(at=now + drift) for drift in (-60, -30, 0, 30, 60)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


def test_agent_with_an_authenticator_signs_in_with_a_code(page: Page, live_server, visited):
    agent = StaffFactory(with_totp=True)

    sign_in(page, live_server, agent.email)
    expect(page).to_have_url(
        live_server.url + "/compte/double-authentification/verifier/?next=%2Fbackoffice%2F"
    )
    expect(page.locator("h1")).to_have_text("Code de vérification")
    visited(page, "code")

    page.get_by_label("Code de vérification").fill(a_wrong_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_code_error")).to_contain_text("Ce code est incorrect.")
    expect(page.get_by_label("Code de vérification")).to_have_attribute("aria-invalid", "true")
    visited(page, "code-wrong")

    # django-otp refuses any code for 1 s after a failure (OTP_TOTP_THROTTLE_FACTOR = 1).
    page.wait_for_timeout(1_500)
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()

    expect(page).to_have_url(live_server.url + "/backoffice/")
    expect(page.locator("h1")).to_have_text("Espace agent")
    expect(page.get_by_role("cell", name="Préfecture du Rhône (69)")).to_be_visible()
    visited(page, "backoffice")


def test_agent_without_an_authenticator_enrols_one_on_first_sign_in(
    page: Page, live_server, visited
):
    agent = StaffFactory()

    sign_in(page, live_server, agent.email)
    expect(page).to_have_url(
        live_server.url + "/compte/double-authentification/activer/?next=%2Fbackoffice%2F"
    )
    expect(page.locator("h1")).to_have_text("Activer la double authentification")
    expect(page.locator(".anef-qr svg")).to_be_visible()
    visited(page, "enrol")

    secret = page.locator("#totp-secret").inner_text().strip()
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    assert base64.b32decode(secret) == device.bin_key  # the key shown is the one stored
    assert device.key != TOTP_KEY
    code = f"{TOTP(base64.b32decode(secret)).token():06d}"
    page.get_by_label("Code de vérification").fill(code)
    page.get_by_role("button", name="Activer").click()

    expect(page).to_have_url(
        live_server.url + "/compte/double-authentification/codes-de-secours/?next=%2Fbackoffice%2F"
    )
    expect(page.locator("h1")).to_have_text("Vos codes de secours")
    expect(page.locator("#backup-codes li")).to_have_count(10)
    visited(page, "backup-codes")

    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(page).to_have_url(live_server.url + "/backoffice/")
    expect(page.locator("h1")).to_have_text("Espace agent")
    expect(page.locator("main")).to_contain_text("Il vous reste 10 codes de secours.")
    visited(page, "backoffice")
