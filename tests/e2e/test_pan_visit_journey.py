"""Issue 12, done when: a person with no e-mail and no computer walks into a help point and leaves
with a filed request, a printed receipt and an account they can use later, and every step done for
them is visible to them.

One mediator's continuous path at the desk: signs in (second factor), checks in a walk-in visitor
known by name and phone only, creates their account from the visit (name and phone already typed)
and prints the welcome letter; back on the visit with the account linked, "Agir pour le compte de
cette personne" asks the mandate: the person, on their own phone (a second browser), activates the
account with the letter's identifier and code and shows a consent code; the mediator types it,
files a renewal for them under the assisted session, prints the filing receipt, ends the session
(back on the visit), records "Fait en ligne" and ends the visit, which the PAN's day shows linked to
the account. Later, the person signs in with the letter's identifier and reads in their timeline
what was done on their behalf. Every page visited is screenshotted and checked with axe."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, Route, expect

from accounts.models import AuditEvent, User
from applications.models import Dossier
from mediation.models import Visit
from territory.models import Site
from tests.e2e.helpers import (
    pdf_text,
    person_activate,
    person_consent_code,
    person_sign_in,
    renewal_file,
    staff_sign_in,
)
from tests.factories import PermitFactory, StaffFactory, prefecture

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Une-Phrase-De-Passe-Longue-42"


def test_a_walk_in_without_e_mail_leaves_with_a_filed_request_a_receipt_and_an_account(
    browser: Browser, live_server, settings, visited, tmp_path
):
    settings.SITE_URL = live_server.url
    base = live_server.url
    pan = Site.objects.create(prefecture=prefecture("69"), kind=Site.Kind.PAN, name="PAN de Lyon 3e",
                              postal_code="69003", city="Lyon")
    mediator = StaffFactory(mediator=True, role__site=pan, with_totp=True, first_name="Claire",
                            last_name="Médiatrice")
    desk = browser.new_context(locale="fr-FR", accept_downloads=True, viewport={"width": 1280, "height": 900})
    home = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page: Page = desk.new_page()
    person_page: Page = home.new_page()
    errors: list[str] = []
    for p in (page, person_page):
        p.on("console", lambda m: errors.append(f"{m.location.get('url')}: {m.text}") if m.type == "error" else None)
        p.on("pageerror", lambda e: errors.append(str(e)))

    staff_sign_in(page, base, mediator, visited)

    # --- Check-in: no account, no e-mail, a name and a phone.
    page.get_by_role("link", name="Accueillir un visiteur").click()
    expect(page.locator("h1")).to_have_text("Accueillir un visiteur")
    visited(page, "check-in")
    page.get_by_label("Prénom(s)").fill("Fatou")
    page.get_by_label("Nom de famille").fill("Sow")
    page.get_by_label("Téléphone (facultatif)").fill("06 12 34 56 78")
    page.locator("label[for=id_need_1]").click()  # "Déposer une demande" (DSFR radios: tap the label)
    page.get_by_role("button", name="Commencer la visite").click()
    expect(page.locator("h1")).to_have_text("Visite de Fatou SOW")
    expect(page.locator("main")).to_contain_text("sans compte, 06 12 34 56 78")
    visited(page, "visit-without-account")
    visit = Visit.objects.get()

    # --- Her account, made from the visit: name and phone already typed.
    page.get_by_label("Aide apportée").fill("Compte créé avec elle, renouvellement déposé en son nom.")
    page.get_by_role("button", name="Créer un compte pour cette personne").click()
    expect(page.locator("h1")).to_have_text("Créer un compte pour une personne")
    assert "Sow" not in page.url and "06" not in page.url.split("?")[0]  # prefilled from the session
    expect(page.get_by_label("Prénom(s)")).to_have_value("Fatou")
    expect(page.get_by_label("Nom de famille")).to_have_value("Sow")
    expect(page.locator("#id_phone")).to_have_value("06 12 34 56 78")
    visited(page, "person-account-create-prefilled")
    page.get_by_label("Date de naissance").fill("1985-06-12")
    page.locator("main").get_by_role("button", name="Créer le compte").click()
    expect(page.locator("h1")).to_have_text("Compte de Fatou SOW")
    login_id = page.locator("#login-id").inner_text()
    activation_code = page.locator("#activation-code").inner_text()
    visited(page, "person-account-created")
    person = User.objects.get(login_id=login_id)
    assert person.email is None

    # The welcome letter, printed at the desk: the identifier, and the code rendered (never stored).
    # It opens in a new tab, in the browser's PDF viewer, so that the page with the code stays open.
    # The viewer keeps the bytes to itself: the route passes the response on and keeps a copy.
    letters: list[bytes] = []

    def keep_letter(route: Route) -> None:
        response = route.fetch()
        letters.append(response.body())
        route.fulfill(response=response)

    desk.route("**/lettre-de-bienvenue/", keep_letter)
    with page.expect_popup() as tab_info:
        page.get_by_role("button", name="Imprimer la lettre de bienvenue (PDF)").click()
    tab = tab_info.value
    tab.wait_for_load_state()
    desk.unroute("**/lettre-de-bienvenue/")
    assert len(letters) == 1 and letters[0][:5] == b"%PDF-", "the welcome letter was not printed"
    letter_path = tmp_path / "lettre.pdf"
    letter_path.write_bytes(letters[0])
    letter = pdf_text(letter_path)
    # The identifier and the code are printed letter-spaced for reading aloud: text extraction may
    # put a space between their characters.
    spaced_out = "".join(letter.split())
    assert login_id in spaced_out and activation_code in spaced_out and "SOW" in letter.upper()
    tab.close()

    # --- Back on the visit, with her account.
    page.get_by_role("button", name="Revenir à la visite avec ce compte").click()
    expect(page.locator("h1")).to_have_text("Visite de Fatou SOW")
    expect(page.locator(".fr-alert--success")).to_contain_text(f"Le compte {login_id} est rattaché à la visite")
    expect(page.locator("#visit-account")).to_contain_text(login_id)
    expect(page.get_by_label("Aide apportée")).to_have_value("Compte créé avec elle, renouvellement déposé en son nom.")
    visited(page, "visit-with-account")
    visit.refresh_from_db()
    assert visit.person == person and visit.in_progress
    # The permit she renews (read on her card at the desk in real life).
    PermitFactory(holder=person, number="TS-E2E-0042", valid_until=timezone.localdate() + timedelta(days=90))

    # --- She activates her account on her phone, with the letter, and shows a consent code.
    person_activate(person_page, base, login_id=login_id, code=activation_code, password=NEW_PASSWORD,
                    visited=visited)
    person_sign_in(person_page, identifier=login_id, password=NEW_PASSWORD)
    expect(person_page.locator("h1")).to_have_text("Mon espace")
    visited(person_page, "person-dashboard-empty")
    consent_code = person_consent_code(person_page, base, visited)

    # --- "Agir pour le compte de cette personne": first the mandate, her identifier already typed.
    page.get_by_role("button", name="Agir pour le compte de cette personne").click()
    expect(page.locator("h1")).to_have_text("Recevoir un mandat par code")
    expect(page.get_by_label("Identifiant de la personne")).to_have_value(login_id)
    visited(page, "mandate-receive-code-prefilled")
    page.get_by_label("Code de consentement").fill(consent_code)
    page.locator("main").get_by_role("button", name="Enregistrer le mandat").click()
    expect(page.locator("h1")).to_have_text("Visite de Fatou SOW")
    expect(page.locator(".fr-alert--success")).to_contain_text("Mandat enregistré pour Fatou SOW")
    expect(page.locator("#visit-account")).to_contain_text("Elle vous a donné mandat jusqu'au")
    visited(page, "visit-with-mandate")

    # --- The assisted session: her space, the banner on every page; her renewal filed step by step.
    page.get_by_role("button", name="Agir pour le compte de cette personne").click()
    expect(page.locator("h1")).to_have_text("Mon espace")
    expect(page.locator("#assisted-session")).to_contain_text("Vous agissez pour le compte de Fatou SOW")
    expect(page.locator("main")).to_contain_text("Bonjour Fatou")
    visited(page, "assisted-dashboard")
    renewal_file(page, visited, tmp_path, permit_label="Salarié n° TS-E2E-0042", last_name="Sow")

    # --- Filed for her: the receipt printed at the desk.
    dossier = Dossier.objects.get(applicant=person)
    expect(page.locator("main")).to_contain_text(dossier.reference)
    expect(page.locator(".anef-timeline")).to_contain_text("fait par Claire MÉDIATRICE")
    visited(page, "assisted-dossier")
    with page.expect_download() as receipt_info:
        page.get_by_role("link", name="Attestation de dépôt").click()
    receipt = receipt_info.value.path()
    assert open(receipt, "rb").read(5) == b"%PDF-"
    assert dossier.reference in pdf_text(receipt)
    assert AuditEvent.objects.filter(action="document.printed_on_behalf", actor=mediator,
                                     on_behalf_of=person).exists()

    # --- "Terminer": back on the visit; outcome "Fait en ligne", and the visit ends.
    page.locator("#assisted-session").get_by_role("button", name="Terminer").click()
    expect(page.locator("h1")).to_have_text("Visite de Fatou SOW")
    expect(page.locator("#assisted-session")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Vous n'agissez plus pour le compte de Fatou SOW")
    visited(page, "visit-after-session")
    page.locator("label[for=id_outcome_0]").click()  # "Fait en ligne"
    page.get_by_role("button", name="Enregistrer et terminer la visite").click()
    expect(page.locator("h1")).to_contain_text("Visites du")
    row = page.locator("#visits tr").filter(has_text="Fatou SOW")
    expect(row).to_contain_text(f"compte {login_id}")
    expect(row).to_contain_text("Fait en ligne")
    visited(page, "day")
    visit.refresh_from_db()
    assert (visit.person, visit.outcome, visit.in_progress) == (person, "done_online", False)
    assert AuditEvent.objects.filter(action="mediation.visit_person_linked", actor=mediator,
                                     on_behalf_of=person).exists()

    # --- Later, at home: she signs in with the letter's identifier and reads what was done for her.
    home.clear_cookies()
    person_page.goto(base + "/compte/connexion/")
    visited(person_page, "person-login")
    person_sign_in(person_page, identifier=login_id.replace("-", "").lower(), password=NEW_PASSWORD)
    expect(person_page.locator("main")).to_contain_text(dossier.reference)
    visited(person_page, "person-dashboard")
    person_page.goto(f"{base}/dossiers/{dossier.pk}/")
    expect(person_page.locator(".anef-timeline")).to_contain_text(
        "Pour votre compte : fait par Claire MÉDIATRICE, médiateur au PAN de Lyon")
    visited(person_page, "person-timeline")
    person_page.goto(base + "/compte/mandats/")
    expect(person_page.locator("main")).to_contain_text("Claire MÉDIATRICE")
    visited(person_page, "person-mandates")

    assert not errors, errors
    desk.close()
    home.close()
