"""A mediator acts for a person under a mandate (issue 12, item 3): signs in with the second
factor, makes the account of a person with no e-mail, receives a mandate by the consent code the
person shows in their own space (a second browser), files a renewal for them step by step,
prints the filing receipt; then the person signs in with the identifier of their letter and reads
in their timeline what was done on their behalf. Every page visited is checked with axe."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.models import AuditEvent, User
from applications.models import Dossier
from tests.e2e.conftest import blank_pdf
from tests.factories import PASSWORD, PermitFactory, StaffFactory, prefecture, totp_code

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
    page.goto(live_server.url + "/compte/connexion/")
    visited(page, "login")
    page.get_by_label("Adresse e-mail ou identifiant").fill(mediator.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(page.locator("h1")).to_have_text("Code de vérification")
    visited(page, "second-factor")
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Espace agent")
    visited(page, "backoffice-home")

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
    person_page.goto(live_server.url + "/compte/activer/")
    visited(person_page, "person-activate")
    person_page.get_by_label("Identifiant").fill(login_id)
    person_page.get_by_label("Code d'activation").fill(activation_code)
    person_page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    person_page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    person_page.locator("main").get_by_role("button").first.click()
    expect(person_page.locator("main")).to_contain_text("Votre compte est activé")
    visited(person_page, "person-login-after-activation")
    person_page.get_by_label("Adresse e-mail ou identifiant").fill(login_id)
    person_page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    person_page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(person_page.locator("h1")).to_have_text("Mon espace")
    visited(person_page, "person-dashboard-empty")
    person_page.goto(live_server.url + "/compte/mandats/")
    expect(person_page.locator("h1")).to_have_text("Mandats")
    visited(person_page, "person-mandates-empty")
    person_page.get_by_role("button", name="Créer un code de consentement").click()
    consent_code = person_page.locator("#consent-code").inner_text()
    visited(person_page, "person-consent-code")

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

    page.locator("main").get_by_role("link", name="Faire une nouvelle démarche").click()
    expect(page.locator("h1")).to_have_text("Les démarches")
    visited(page, "assisted-catalogue")
    page.locator("#demarche-renouvellement-salarie").locator("..").get_by_role(
        "button", name="Commencer cette démarche").click()

    expect(page.locator("h1")).to_contain_text("Éligibilité")
    page.get_by_role("radio", name="Oui").check(force=True)
    visited(page, "assisted-eligibility")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page.locator("h1")).to_contain_text("Identité")
    expect(page.get_by_label("Nom de famille")).to_have_value("Sow")  # the person's, not the mediator's
    page.get_by_label("Lieu de naissance (ville et pays)").fill("Dakar, Sénégal")
    page.get_by_label("Nationalité").fill("sénégalaise")
    visited(page, "assisted-identity")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page.locator("h1")).to_contain_text("Situation")
    page.get_by_label("Adresse", exact=True).fill("3 rue de la République")
    page.get_by_label("Code postal").fill("69002")
    page.get_by_label("Commune").fill("Lyon")
    page.get_by_label("Département de résidence").select_option("69")
    page.get_by_label("Situation familiale").select_option("single")
    page.get_by_label("Activité actuelle").fill("Aide-soignante")
    page.get_by_label("Titre de séjour que vous renouvelez").select_option(label="Salarié n° TS-E2E-0042")
    visited(page, "assisted-situation")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page.locator("h1")).to_contain_text("Questions")
    page.get_by_label("Nom de votre employeur").fill("Clinique du Parc")
    page.get_by_label("Type de contrat").select_option("CDI")
    visited(page, "assisted-questions")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page.locator("h1")).to_contain_text("Pièces justificatives")
    for index, name in enumerate(["Passeport (pages", "Titre de séjour actuel", "Justificatif de domicile",
                                  "Contrat de travail", "Trois derniers bulletins"]):
        section = page.locator("section").filter(has_text=name)
        section.locator("input[type=file]").set_input_files(blank_pdf(tmp_path / f"piece-{index}.pdf"))
        section.get_by_role("button", name="Envoyer").click()
        expect(page.locator(".fr-alert--success")).to_contain_text("fichier enregistré")
    visited(page, "assisted-documents")
    page.get_by_role("button", name="Continuer vers la vérification").click()

    expect(page.locator("h1")).to_contain_text("Vérification et envoi")
    page.get_by_label("Numéro du timbre fiscal électronique").fill("1234 5678 9012 3456")
    page.get_by_label("Code e-photo").fill("ABCDEFGHJK2345678901XY")
    page.get_by_role("checkbox", name="Je certifie sur l'honneur").check(force=True)
    visited(page, "assisted-review")
    page.get_by_role("button", name="Envoyer ma demande").click()

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
    person_page.get_by_label("Adresse e-mail ou identifiant").fill(login_id.replace("-", "").lower())
    person_page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    person_page.locator("main").get_by_role("button", name="Se connecter").click()
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
