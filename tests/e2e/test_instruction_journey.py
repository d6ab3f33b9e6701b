"""A renewal instructed end to end: the agent finds it in the queue, asks for a complement, the
applicant sends it and answers, the agent declares the file complete and decides favourably, and
the applicant downloads the favourable-decision certificate."""

import re
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from applications.models import Dossier, Status
from documents.models import DocumentKind, IssuedDocument
from tests.backoffice.conftest import file_renewal, queued
from tests.e2e.conftest import blank_pdf
from tests.factories import PASSWORD, StaffFactory, UserFactory, biometrics_taken, totp_code

# The browser talks to a live server in another thread: the data must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True)




def sign_in(page: Page, live_server, email: str) -> None:
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()


def test_an_agent_instructs_a_renewal_with_a_complement_and_a_favourable_decision(
    page: Page, browser: Browser, live_server, settings, visited, tmp_path
):
    settings.SITE_URL = live_server.url
    applicant = UserFactory(first_name="Amina", last_name="Diallo")
    dossier = file_renewal(applicant=applicant, last_name="Diallo", first_name="Amina",
                           foreigner_number="1234567890")
    file_renewal(last_name="Keita", first_name="Moussa")  # other files in the queue
    agent = StaffFactory(with_totp=True, first_name="Jeanne", last_name="Martin")
    at_risk = queued(name="Rouge Lina", permit_in=12)
    overdue = queued(name="Vert Paul", status=Status.UNDER_REVIEW, filed_days_ago=40, deadline_in=-10,
                     assigned_to=agent)

    # --- The agent signs in with the second factor and finds the file in the queue.
    sign_in(page, live_server, agent.email)
    expect(page.locator("h1")).to_have_text("Code de vérification")
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Espace agent")
    visited(page, "backoffice-home")

    page.locator("main").get_by_role("link", name="Dossiers à instruire").click()
    expect(page.locator("h1")).to_have_text("Dossiers à instruire")
    rows = page.locator("#queue-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text(at_risk.reference)
    expect(rows.nth(0)).to_contain_text("Droits menacés")
    expect(rows.nth(1)).to_contain_text(overdue.reference)
    expect(rows.nth(1)).to_contain_text("Hors délai")
    visited(page, "queue")

    page.get_by_role("searchbox", name="Rechercher").fill("diallo")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"/backoffice/dossiers/\?q=diallo&"))  # bookmarkable
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)
    expect(page.get_by_role("searchbox", name="Rechercher")).to_have_value("diallo")
    visited(page, "queue-filtered")

    page.get_by_role("link", name=dossier.reference).click()
    expect(page.locator("h1")).to_have_text(f"Dossier {dossier.reference}")
    expect(page.locator("main")).to_contain_text("Amina DIALLO")
    page.get_by_role("button", name="Passeport (pages").click()  # opens its preview
    expect(page.get_by_title("Aperçu de la pièce : Passeport (pages d'identité et de validité)")).to_be_visible()
    page.wait_for_timeout(3_000)  # for the picture only: the browser's PDF viewer draws the page
    visited(page, "file")

    # --- A complement: one document, a message, a date.
    address = "Justificatif de domicile de moins de 6 mois"
    due = timezone.localdate() + timedelta(days=15)
    form = page.locator("form", has=page.get_by_role("button", name="Envoyer la demande de compléments"))
    form.get_by_label(address).check(force=True)  # DSFR draws its own box over the input
    form.get_by_label("Précisions pour le demandeur").fill("Votre justificatif de domicile a plus de trois mois.")
    form.get_by_label("À fournir avant le").fill(due.isoformat())
    form.get_by_role("button", name="Envoyer la demande de compléments").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("La demande de compléments est envoyée")
    expect(page.locator("main")).to_contain_text("Suspendu")
    visited(page, "file-complements-requested")
    assert Dossier.objects.get(pk=dossier.pk).status == Status.COMPLEMENTS_REQUESTED

    # --- The applicant, in a browser of their own, sends the document and answers.
    applicant_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR",
                                            accept_downloads=True)
    person = applicant_context.new_page()
    errors: list[str] = []
    person.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(person, live_server, applicant.email)
    expect(person.locator("h1")).to_have_text("Mon espace")
    person.get_by_role("link", name="Renouvellement du titre de séjour « Salarié »").click()
    expect(person.locator(".fr-callout__title")).to_have_text("Compléments demandés")
    expect(person.locator(".anef-timeline")).to_contain_text("Votre justificatif de domicile a plus de trois mois.")
    visited(person, "applicant-complements")

    person.get_by_text("Ajouter ou remplacer une pièce").click()
    domicile = dossier.procedure.requirements.get(document_type__code="justificatif-domicile")
    upload = person.locator(f"#piece-{domicile.document_type_id}")
    upload.locator("input[type=file]").set_input_files(blank_pdf(tmp_path / "domicile.pdf"))
    upload.get_by_role("button", name=re.compile("^Envoyer")).click()
    expect(person.locator(".fr-alert--success")).to_contain_text("fichier enregistré")
    person.get_by_label("Votre réponse").fill("Voici une facture d'électricité du mois dernier.")
    person.get_by_role("button", name="Envoyer ma réponse").click()
    expect(person.locator(".fr-alert--success")).to_contain_text("Votre réponse est envoyée")
    visited(person, "applicant-answered")

    # --- The agent sees the answer, declares the file complete and decides.
    page.reload()
    expect(page.locator("main")).to_contain_text("Voici une facture d'électricité du mois dernier.")
    page.get_by_role("button", name="Déclarer le dossier complet").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("l'instruction commence")
    decision = page.locator("form", has=page.get_by_role("button", name="Vérifier la décision"))
    decision.get_by_role("button", name="Vérifier la décision").click()  # nothing chosen
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_decision-outcome_error")).to_contain_text("Choisissez une décision.")
    visited(page, "decision-error")
    # The fingerprints are taken at the desk (the lifecycle journey walks that part).
    import_module("appointments.migrations.0002_load_motives").load(apps, None)
    biometrics_taken(Dossier.objects.get(pk=dossier.pk))
    page.reload()
    decision = page.locator("form", has=page.get_by_role("button", name="Vérifier la décision"))
    decision.get_by_label("Favorable", exact=True).check(force=True)
    decision.get_by_role("button", name="Vérifier la décision").click()
    expect(page.locator("h1")).to_have_text(f"Confirmer la décision – dossier {dossier.reference}")
    page.get_by_role("button", name="Confirmer la décision").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("La décision est enregistrée.")
    expect(page.locator("main")).to_contain_text("Attestation de décision favorable")
    visited(page, "decided")

    page.get_by_role("link", name="Journal d'audit").click()
    expect(page.locator("h1")).to_contain_text("Journal d'audit")
    expect(page.locator("tbody")).to_contain_text("Jeanne MARTIN")
    visited(page, "journal")
    page.get_by_role("link", name="Retour au dossier").click()

    # --- The applicant sees the decision and downloads the certificate.
    person.reload()
    expect(person.locator(".fr-callout__title")).to_have_text("Décision favorable")
    certificate = IssuedDocument.objects.get(subject_id=str(dossier.pk), kind=DocumentKind.FAVOURABLE_DECISION)
    visited(person, "applicant-decided")
    with person.expect_download() as download_info:
        person.get_by_role("link", name=f"Attestation de décision favorable n° {certificate.number}").click()
    assert open(download_info.value.path(), "rb").read(5) == b"%PDF-"
    assert not errors, errors
    applicant_context.close()


def test_a_supervisor_sees_the_workload_and_reassigns_files(page: Page, live_server, visited):
    supervisor = StaffFactory(supervisor=True, with_totp=True, first_name="Paul", last_name="Bernard")
    anne = StaffFactory(first_name="Anne", last_name="Roux")
    marc = StaffFactory(first_name="Marc", last_name="Petit")
    first = queued(name="Blanc Anne", assigned_to=anne, deadline_in=-2)
    second = queued(name="Noir Marc", assigned_to=anne, permit_in=8)
    queued(name="Vert Paul", assigned_to=marc)
    queued(name="Gris Tom")

    sign_in(page, live_server, supervisor.email)
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    page.get_by_role("link", name="Charge de travail et réattribution").click()
    expect(page.locator("h1")).to_have_text("Charge de travail des agents")
    expect(page.get_by_role("row", name=re.compile("Anne ROUX"))).to_contain_text("Agent instructeur")
    visited(page, "workload")

    page.get_by_role("link", name="Réattribuer les dossiers de Anne ROUX").click()
    page.wait_for_load_state("load")  # the design system's scripts set up the checkboxes first (flaky under load)
    form = page.locator("#reassign")
    form.get_by_label(re.compile(first.reference)).check(force=True)
    form.get_by_label("Nouvel agent").select_option(label="Marc PETIT")
    visited(page, "reassign")
    form.get_by_role("button", name="Réattribuer").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("1 dossier réattribué à Marc PETIT.")
    assert Dossier.objects.get(pk=first.pk).assigned_to == marc
    assert Dossier.objects.get(pk=second.pk).assigned_to == anne
