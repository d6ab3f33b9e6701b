"""Steps shared by the browser journeys: signing in, the person's own steps (activation, consent
code, reading what was done for them) and the filing of a renewal, step by step. Each step checks
every page it visits with ``visited`` (screenshot and axe)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import blank_pdf
from tests.factories import PASSWORD, totp_code

Visited = Callable[[Page, str], None]

#: The pieces of a salaried worker's renewal, as the documents step names them.
RENEWAL_PIECES = ["Passeport (pages", "Titre de séjour actuel", "Justificatif de domicile", "Contrat de travail",
                  "Trois derniers bulletins"]


def staff_sign_in(page: Page, base_url: str, user, visited: Visited, *, label: str = "") -> None:
    """A member of staff signs in: password, then the authenticator code; lands on "Espace agent"."""
    page.goto(base_url + "/compte/connexion/")
    visited(page, f"{label}login")
    page.get_by_label("Adresse e-mail ou identifiant").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(page.locator("h1")).to_have_text("Code de vérification")
    visited(page, f"{label}second-factor")
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Espace agent")
    visited(page, f"{label}backoffice-home")


def person_activate(page: Page, base_url: str, *, login_id: str, code: str, password: str, visited: Visited) -> None:
    """The person chooses a password with the letter's identifier and activation code."""
    page.goto(base_url + "/compte/activer/")
    visited(page, "person-activate")
    page.get_by_label("Identifiant").fill(login_id)
    page.get_by_label("Code d'activation").fill(code)
    page.get_by_label("Nouveau mot de passe").fill(password)
    page.get_by_label("Confirmez le mot de passe").fill(password)
    page.locator("main").get_by_role("button").first.click()
    expect(page.locator("main")).to_contain_text("Votre compte est activé")
    visited(page, "person-login-after-activation")


def person_sign_in(page: Page, *, identifier: str, password: str) -> None:
    """On the login page: the identifier (any case, with or without dashes) and the password."""
    page.get_by_label("Adresse e-mail ou identifiant").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.locator("main").get_by_role("button", name="Se connecter").click()


def person_consent_code(page: Page, base_url: str, visited: Visited) -> str:
    """In their space, "Mandats": the person makes a consent code and shows it; returns it."""
    page.goto(base_url + "/compte/mandats/")
    expect(page.locator("h1")).to_have_text("Mandats")
    visited(page, "person-mandates-empty")
    page.get_by_role("button", name="Créer un code de consentement").click()
    code = page.locator("#consent-code").inner_text()
    visited(page, "person-consent-code")
    return code


def renewal_file(page: Page, visited: Visited, folder: Path, *, permit_label: str, last_name: str,
                 prefix: str = "assisted-") -> None:
    """From the applicant's dashboard ("Mon espace"), a salaried worker's renewal filed step by
    step: eligibility, identity (already the applicant's ``last_name``), situation, questions,
    pieces, review and "Envoyer ma demande"."""
    page.locator("main").get_by_role("link", name="Faire une nouvelle démarche").click()
    expect(page.locator("h1")).to_have_text("Les démarches")
    visited(page, f"{prefix}catalogue")
    page.locator("#demarche-renouvellement-salarie").locator("..").get_by_role(
        "button", name="Commencer cette démarche").click()

    expect(page.locator("h1")).to_contain_text("Éligibilité")
    page.get_by_role("radio", name="Oui").check(force=True)
    visited(page, f"{prefix}eligibility")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page.locator("h1")).to_contain_text("Identité")
    expect(page.get_by_label("Nom de famille")).to_have_value(last_name)  # the person's, not the mediator's
    page.get_by_label("Lieu de naissance (ville et pays)").fill("Dakar, Sénégal")
    page.get_by_label("Nationalité").fill("sénégalaise")
    visited(page, f"{prefix}identity")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page.locator("h1")).to_contain_text("Situation")
    page.get_by_label("Adresse", exact=True).fill("3 rue de la République")
    page.get_by_label("Code postal").fill("69002")
    page.get_by_label("Commune").fill("Lyon")
    page.get_by_label("Département de résidence").select_option("69")
    page.get_by_label("Situation familiale").select_option("single")
    page.get_by_label("Activité actuelle").fill("Aide-soignante")
    page.get_by_label("Titre de séjour que vous renouvelez").select_option(label=permit_label)
    visited(page, f"{prefix}situation")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page.locator("h1")).to_contain_text("Questions")
    page.get_by_label("Nom de votre employeur").fill("Clinique du Parc")
    page.get_by_label("Type de contrat").select_option("CDI")
    visited(page, f"{prefix}questions")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page.locator("h1")).to_contain_text("Pièces justificatives")
    for index, name in enumerate(RENEWAL_PIECES):
        section = page.locator("section").filter(has_text=name)
        section.locator("input[type=file]").set_input_files(blank_pdf(folder / f"piece-{index}.pdf"))
        section.get_by_role("button", name="Envoyer").click()
        expect(page.locator(".fr-alert--success")).to_contain_text("fichier enregistré")
    visited(page, f"{prefix}documents")
    page.get_by_role("button", name="Continuer vers la vérification").click()

    expect(page.locator("h1")).to_contain_text("Vérification et envoi")
    page.get_by_label("Numéro du timbre fiscal électronique").fill("1234 5678 9012 3456")
    page.get_by_label("Code e-photo").fill("ABCDEFGHJK2345678901XY")
    page.get_by_role("checkbox", name="Je certifie sur l'honneur").check(force=True)
    visited(page, f"{prefix}review")
    page.get_by_role("button", name="Envoyer ma demande").click()


def pdf_text(path: str | Path) -> str:
    """The text of a downloaded PDF (poppler's pdftotext, else pypdf), spaces collapsed."""
    try:
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,  # noqa: S607
                              text=True, timeout=30).stdout
    except (OSError, subprocess.CalledProcessError):
        from pypdf import PdfReader

        text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    return " ".join(text.split())
