"""A desk agent takes in a paper file: signs in with the second factor, opens the desk's day, registers
the paper file brought to the convocation, and opens the filing receipt to print."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from applications.models import Dossier
from documents.models import IssuedDocument
from substitution.models import BlockingReport
from tests.factories import PASSWORD, InvitationFactory, StaffFactory, procedure, totp_code

# The browser talks to a live server in another thread: the data must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_desk_agent_registers_a_paper_file_and_prints_the_receipt(page: Page, live_server, visited):
    invitation = InvitationFactory(report__first_name="Moussa", report__last_name="Traoré",
                                   report__procedure=procedure("premiere-demande-salarie"))
    report = invitation.report
    agent = StaffFactory(with_totp=True, first_name="Jeanne", last_name="Martin")

    # --- Sign in: password, then the second factor.
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(agent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(page.locator("h1")).to_have_text("Code de vérification")
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Espace agent")

    # --- The desk's day lists the convocation with the intake button.
    slot = invitation.booking.slot
    page.goto(f"{live_server.url}/backoffice/guichets/{slot.desk_id}/{timezone.localdate(slot.starts_at)}/")
    row = page.locator(f"#rdv-{invitation.booking.pk}")
    expect(row).to_contain_text("TRAORÉ")
    visited(page, "desk-day")
    row.get_by_role("link", name="Enregistrer le dossier papier").click()

    # --- The intake form: identity checked, pieces received.
    expect(page.locator("h1")).to_have_text("Enregistrer le dossier papier")
    visited(page, "intake-form")
    page.locator("label[for=id_identity_document_1]").click()  # passport
    page.get_by_label("Date de naissance").fill("1990-04-02")
    page.locator("label[for=id_pieces_0]").click()
    page.get_by_role("button", name="Enregistrer le dossier papier").click()

    # --- Registered: the receipt to print.
    expect(page.locator("h1")).to_have_text("Dossier papier enregistré")
    dossier = Dossier.objects.get()
    assert dossier.channel == "paper"
    expect(page.locator("main")).to_contain_text(dossier.reference)
    visited(page, "intake-registered")
    receipt = IssuedDocument.objects.get(kind="filing_receipt")
    receipt.refresh_from_db()
    link = page.locator("#receipt-link")
    if receipt.is_rendered:
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == f"{receipt.number}.pdf"
    else:  # the worker has not rendered it yet: documents' "preparing" page
        link.click()
        expect(page.locator("h1")).to_have_text("Votre document est en cours de préparation")
        visited(page, "receipt-preparing")

    # --- The report is closed as filed on paper, with a link to the dossier.
    page.goto(f"{live_server.url}/backoffice/signalements/{report.reference}/")
    expect(page.locator("#report-status")).to_have_text("Déposé sur papier")
    visited(page, "report-filed")
    assert BlockingReport.objects.get().status == "filed_on_paper"
