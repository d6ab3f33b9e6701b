"""An applicant renews a permit online, on a desktop and on a phone: catalogue, every step, an
upload refused then accepted, submission, the receipt downloaded, the timeline."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from applications.models import Dossier
from tests.e2e.conftest import blank_pdf
from tests.factories import PASSWORD, PermitFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
#: The page itself or a box inside it that scrolls sideways (its content is wider than it is).
SIDEWAYS_SCROLLERS = """() => [document.documentElement, ...document.querySelectorAll("main *")]
  .filter(e => e.scrollWidth > e.clientWidth + 1
          && (e === document.documentElement || ["auto", "scroll"].includes(getComputedStyle(e).overflowX)))
  .map(e => e.tagName + "." + e.className)"""




@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_applicant_files_a_renewal_and_gets_a_verifiable_receipt(
    browser: Browser, live_server, settings, visited, tmp_path, screen
):
    settings.SITE_URL = live_server.url
    user = UserFactory(first_name="Amina", last_name="Diallo")
    PermitFactory(holder=user, number="TS-E2E-0001", valid_until=timezone.localdate() + timedelta(days=90))
    context = browser.new_context(viewport=VIEWPORTS[screen], locale="fr-FR", accept_downloads=True)
    page: Page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.location.get('url')}: {m.text}") if m.type == "error" else None)

    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(page.locator("h1")).to_have_text("Mon espace")
    visited(page, "dashboard-empty")

    page.locator("main").get_by_role("link", name="Faire une nouvelle démarche").click()
    expect(page.locator("h1")).to_have_text("Les démarches")
    visited(page, "catalogue")
    page.locator("#demarche-renouvellement-salarie").locator("..").get_by_role(
        "button", name="Commencer cette démarche").click()

    # Eligibility
    expect(page.locator("h1")).to_contain_text("Éligibilité")
    page.get_by_role("button", name="Enregistrer et continuer").click()  # nothing chosen
    expect(page.locator("#error-summary")).to_be_focused()
    visited(page, "eligibility-error")
    page.get_by_role("radio", name="Oui").check(force=True)  # DSFR draws its own radio over the input
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Identity (names come from the profile)
    expect(page.locator("h1")).to_contain_text("Identité")
    expect(page.get_by_label("Nom de famille")).to_have_value("Diallo")
    page.get_by_label("Date de naissance").fill("1990-03-02")
    page.get_by_label("Lieu de naissance (ville et pays)").fill("Dakar, Sénégal")
    page.get_by_label("Nationalité").fill("sénégalaise")
    visited(page, "identity")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Situation
    expect(page.locator("h1")).to_contain_text("Situation")
    page.get_by_label("Adresse", exact=True).fill("3 rue de la République")
    page.get_by_label("Code postal").fill("69002")
    page.get_by_label("Commune").fill("Lyon")
    page.get_by_label("Département de résidence").select_option("69")
    page.get_by_label("Situation familiale").select_option("single")
    page.get_by_label("Activité actuelle").fill("Comptable")
    page.get_by_label("Titre de séjour que vous renouvelez").select_option(label="Salarié n° TS-E2E-0001")
    visited(page, "situation")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Procedure questions
    expect(page.locator("h1")).to_contain_text("Questions")
    page.get_by_label("Nom de votre employeur").fill("ACME Lyon")
    page.get_by_label("Type de contrat").select_option("CDI")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Documents: a disguised HTML page is refused with its reason; the rest is kept.
    expect(page.locator("h1")).to_contain_text("Pièces justificatives")
    fake = tmp_path / "passeport.pdf"
    fake.write_text("<html><script>alert(1)</script></html>")
    section = page.locator("section").filter(has_text="Passeport (pages")
    section.locator("input[type=file]").set_input_files(str(fake))
    section.get_by_role("button", name="Envoyer").click()
    expect(page.locator(".fr-alert--error")).to_contain_text("Passeport")
    expect(page.locator(".fr-alert--error")).to_contain_text("fichier refusé")
    visited(page, "upload-refused")
    for index, name in enumerate(["Passeport (pages", "Titre de séjour actuel", "Justificatif de domicile",
                                  "Contrat de travail", "Trois derniers bulletins"]):
        section = page.locator("section").filter(has_text=name)
        section.locator("input[type=file]").set_input_files(blank_pdf(tmp_path / f"piece-{index}.pdf"))
        section.get_by_role("button", name="Envoyer").click()
        expect(page.locator(".fr-alert--success")).to_contain_text("fichier enregistré")
    expect(page.locator(".fr-badge", has_text="Reçu")).to_have_count(5)
    visited(page, "documents")
    page.get_by_role("button", name="Continuer vers la vérification").click()

    # Review and submission
    expect(page.locator("h1")).to_contain_text("Vérification et envoi")
    expect(page.locator("main")).to_contain_text("Dans les délais")
    page.get_by_label("Numéro du timbre fiscal électronique").fill("1234 5678 9012 3456")
    page.get_by_label("Code e-photo").fill("ABCDEFGHJK2345678901XY")
    page.get_by_role("checkbox", name="Je certifie sur l'honneur").check(force=True)
    visited(page, "review")
    page.get_by_role("button", name="Envoyer ma demande").click()

    # The dossier page: status in plain words, the receipt, the timeline.
    dossier = Dossier.objects.get(applicant=user)
    expect(page.locator("h1")).to_have_text("Renouvellement du titre de séjour « Salarié »")
    expect(page.locator("main")).to_contain_text(dossier.reference)
    expect(page.locator(".fr-callout__title")).to_have_text("Déposé")
    expect(page.locator(".anef-timeline")).to_contain_text("Demande déposée")
    expect(page.locator(".anef-timeline")).to_contain_text("Attestation de dépôt délivrée")
    visited(page, "dossier")
    # Issue 9: on a phone the table of pieces scrolled sideways. Nothing on the page may.
    assert page.evaluate(SIDEWAYS_SCROLLERS) == []
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Attestation de dépôt").click()
    download = download_info.value
    assert open(download.path(), "rb").read(5) == b"%PDF-"

    if screen == "desktop":
        page.locator("header").get_by_role("link", name="Mon espace").first.click()
    else:
        page.goto(live_server.url + "/espace/")
    expect(page.locator("main")).to_contain_text(dossier.reference)
    visited(page, "dashboard-filed")
    assert not errors, errors
    context.close()
