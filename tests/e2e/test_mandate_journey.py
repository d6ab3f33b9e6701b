"""A mediator acts for a person under a mandate (issue 12, item 3): signs in with the second
factor, makes the account of a person with no e-mail, receives a mandate by the consent code the
person shows in their own space (a second browser), files a renewal for them step by step,
prints the filing receipt; then the person signs in with the identifier of their letter and reads
in their timeline what was done on their behalf. Every page visited is checked with axe.

This is the mandate's own path, from the back-office home and the mediator's list of mandates;
test_pan_visit_journey.py walks the same steps from a walk-in visit. The shared steps are in
tests/e2e/helpers.py."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.models import AuditEvent, User
from applications.models import Dossier
from tests.e2e.helpers import person_activate, person_consent_code, person_sign_in, renewal_file, staff_sign_in
from tests.factories import PermitFactory, StaffFactory, prefecture

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Une-Phrase-De-Passe-Longue-42"


def test_a_mediator_files_a_renewal_for_a_person_under_a_consent_code_mandate(
    browser: Browser, live_server, settings, visited, tmp_path
):
    settings.SITE_URL = live_server.url
    site = prefecture("69").sites.first()
    mediator = StaffFactory(mediator=True, role__site=site, with_totp=True, first_name="Claire",
                            last_name="Médiatrice")
    desk = browser.new_context(locale="fr-FR", accept_downloads=True, viewport={"width": 1280, "height": 900})
    home = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page: Page = desk.new_page()
    person_page: Page = home.new_page()
    errors: list[str] = []
    for p in (page, person_page):
        p.on("console", lambda m: errors.append(f"{m.location.get('url')}: {m.text}") if m.type == "error" else None)

    # --- The mediator signs in: password, then the authenticator code.
    staff_sign_in(page, live_server.url, mediator, visited)

    # --- The account of a person with no e-mail address.
    page.get_by_role("link", name="Créer un compte pour une personne").click()
    visited(page, "person-account-create")
    page.get_by_label("Prénom(s)").fill("Fatou")
    page.get_by_label("Nom de famille").fill("Sow")
    page.get_by_label("Date de naissance").fill("1985-06-12")
    page.locator("#id_phone").fill("06 12 34 56 78")
    page.locator("main").get_by_role("button", name="Créer le compte").click()
    expect(page.locator("h1")).to_have_text("Compte de Fatou SOW")
    login_id = page.locator("#login-id").inner_text()
    activation_code = page.locator("#activation-code").inner_text()
    visited(page, "person-account-created")
    person = User.objects.get(login_id=login_id)
    assert person.email is None
    # The permit the person renews (read on their card at the desk in real life).
    PermitFactory(holder=person, number="TS-E2E-0042", valid_until=timezone.localdate() + timedelta(days=90))

    # --- The person, on their own phone: activates the account, signs in, makes a consent code.
    person_activate(person_page, live_server.url, login_id=login_id, code=activation_code, password=NEW_PASSWORD,
                    visited=visited)
    person_sign_in(person_page, identifier=login_id, password=NEW_PASSWORD)
    expect(person_page.locator("h1")).to_have_text("Mon espace")
    visited(person_page, "person-dashboard-empty")
    consent_code = person_consent_code(person_page, live_server.url, visited)

    # --- The mediator types it: the mandate is theirs for 30 days.
    page.goto(live_server.url + "/backoffice/personnes/mandats/")
    expect(page.locator("h1")).to_have_text("Personnes qui vous ont donné mandat")
    visited(page, "mediator-mandates-empty")
    page.get_by_role("link", name="Recevoir un mandat par code").click()
    visited(page, "mandate-receive-code")
    page.get_by_label("Identifiant de la personne").fill(login_id)
    page.get_by_label("Code de consentement").fill(consent_code)
    page.locator("main").get_by_role("button", name="Enregistrer le mandat").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Mandat enregistré pour Fatou SOW")
    visited(page, "mediator-mandates")

    # --- An assisted session: the person's space, with the banner on every page.
    page.get_by_role("button", name="Agir pour cette personne").click()
    expect(page.locator("h1")).to_have_text("Mon espace")
    expect(page.locator("#assisted-session")).to_contain_text("Vous agissez pour le compte de Fatou SOW")
    expect(page.locator("main")).to_contain_text("Bonjour Fatou")
    visited(page, "assisted-dashboard")

    renewal_file(page, visited, tmp_path, permit_label="Salarié n° TS-E2E-0042", last_name="Sow")

    # --- Filed for the person: the receipt printed at the desk.
    dossier = Dossier.objects.get(applicant=person)
    expect(page.locator("main")).to_contain_text(dossier.reference)
    expect(page.locator(".anef-timeline")).to_contain_text("fait par Claire MÉDIATRICE")
    visited(page, "assisted-dossier")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Attestation de dépôt").click()
    assert open(download_info.value.path(), "rb").read(5) == b"%PDF-"
    assert AuditEvent.objects.filter(action="document.printed_on_behalf", actor=mediator,
                                     on_behalf_of=person).exists()

    page.locator("#assisted-session").get_by_role("button", name="Terminer").click()
    expect(page.locator("h1")).to_have_text("Personnes qui vous ont donné mandat")
    expect(page.locator("#assisted-session")).to_have_count(0)
    visited(page, "mediator-session-ended")

    # --- The person, later, signs in with the identifier of their letter and reads their timeline.
    home.clear_cookies()
    person_page.goto(live_server.url + "/compte/connexion/")
    visited(person_page, "person-login")
    person_sign_in(person_page, identifier=login_id.replace("-", "").lower(), password=NEW_PASSWORD)
    expect(person_page.locator("main")).to_contain_text(dossier.reference)
    visited(person_page, "person-dashboard")
    person_page.goto(f"{live_server.url}/dossiers/{dossier.pk}/")
    timeline = person_page.locator(".anef-timeline")
    expect(timeline).to_contain_text(f"Pour votre compte : fait par Claire MÉDIATRICE, médiateur au PAN de {site.city}")
    visited(person_page, "person-timeline")
    person_page.goto(live_server.url + "/compte/mandats/")
    expect(person_page.locator("main")).to_contain_text("Claire MÉDIATRICE")
    visited(person_page, "person-mandates")

    assert not errors, errors
    desk.close()
    home.close()
