"""An agent asks for an export of the queue and sees it become ready without reloading the page
(issue 9: "an export needs a manual refresh to appear")."""

import pytest
from playwright.sync_api import Page, expect

from applications import tasks
from applications.models import QueueExport
from tests.backoffice.conftest import queued
from tests.factories import PASSWORD, StaffFactory, totp_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pending_export_turns_into_a_download_link_by_itself(page: Page, live_server, monkeypatch, visited):
    # No worker in this test: the task is queued nowhere, and run below by hand, as a worker would.
    monkeypatch.setattr(tasks.export_queue, "delay", lambda *args, **kwargs: None)
    agent = StaffFactory(with_totp=True)
    queued(name="Martin Alice")
    page.goto(live_server.url + "/compte/connexion/?next=/backoffice/exports/")
    page.get_by_label("Adresse e-mail").fill(agent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Mes exports de la file")

    page.get_by_role("button", name="Exporter toute la file").click()
    expect(page.locator("#exports")).to_contain_text("En préparation : cette page se met à jour toute seule.")
    visited(page, "export-pending")

    tasks.export_queue(QueueExport.objects.get().pk)  # the worker's turn
    expect(page.locator("#exports").get_by_role("link", name="Télécharger l'export")).to_be_visible(timeout=10_000)
    expect(page.locator("#exports-announce")).to_have_text(
        "Votre export est prêt : le lien de téléchargement est dans le tableau.")
    expect(page.locator("[data-poll-url]")).to_have_count(0)  # and it stops asking
    visited(page, "export-ready")
