"""The back-office file page of a small file took 840 ms in the browser for 120–210 ms on the
server: every PDF piece's preview iframe, hidden in its closed accordion, was loaded at once (one
more request through the whole middleware stack and one PDF viewer each). They now load when their
accordion opens. Measured here (median of 10 visits, 5 pieces): network busy until ~700 ms before,
~340 ms after."""

import pytest
from playwright.sync_api import Page, expect

from tests.backoffice.conftest import file_renewal
from tests.factories import PASSWORD, StaffFactory, totp_code

pytestmark = pytest.mark.django_db(transaction=True)


def piece_requests(page: Page) -> int:
    return page.evaluate("performance.getEntriesByType('resource').filter(r => r.name.includes('/pieces/')).length")


def test_the_file_page_loads_a_piece_preview_only_when_its_accordion_opens(page: Page, live_server, visited):
    agent = StaffFactory(with_totp=True)
    dossier = file_renewal()
    page.goto(f"{live_server.url}/compte/connexion/?next=/backoffice/dossiers/{dossier.pk}/")
    page.get_by_label("Adresse e-mail").fill(agent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text(f"Dossier {dossier.reference}")
    page.wait_for_timeout(1_000)  # what a hidden iframe would have loaded by now
    assert piece_requests(page) == 0
    visited(page, "file")

    page.get_by_role("button", name="Passeport (pages").click()
    preview = page.get_by_title("Aperçu de la pièce : Passeport (pages d'identité et de validité)")
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("src", f"/backoffice/dossiers/{dossier.pk}/pieces/"
                                      f"{dossier.attachments.get(document_type__code='passeport').pk}/")
    page.wait_for_timeout(500)
    assert piece_requests(page) == 1
