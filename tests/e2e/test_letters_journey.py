"""Letters by post (issue 12, item 4): a prefecture agent builds a batch of the pending letters,
downloads its PDF and marks it printed; the person, who has neither e-mail nor phone, then finds
the letter under "Courriers envoyés par la poste" in their space."""

import pytest
from playwright.sync_api import Page, expect

from documents.models import LetterBatch
from notifications.models import Notification
from tests.documents.letters_support import person_by_post, send_letter
from tests.factories import PASSWORD, StaffFactory, totp_code

# The browser talks to a live server in another thread: the data must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Page, live_server, login: str) -> None:
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()


def test_an_agent_prints_a_batch_and_the_person_sees_the_letter(page: Page, live_server, visited):
    person = person_by_post("69", first_name="Moussa", last_name="Traoré")
    person.set_password(PASSWORD)
    person.save(update_fields=["password"])
    letter = send_letter(person)
    agent = StaffFactory(with_totp=True, first_name="Jeanne", last_name="Martin")

    # --- The agent signs in with the second factor and goes to the printing desk from the home.
    sign_in(page, live_server, agent.email)
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Espace agent")
    page.get_by_role("link", name="Courriers à imprimer").click()
    expect(page.locator("h1")).to_have_text("Courriers à imprimer")
    expect(page.locator("main")).to_contain_text("Préfecture du Rhône")
    visited(page, "desk")

    # --- Build a batch: the PDF is rendered by the worker after commit (eager in tests).
    page.get_by_role("button", name="Préparer un lot").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Lot LOT-")
    batch = LetterBatch.objects.get()
    expect(page.locator("main")).to_contain_text(batch.number)
    visited(page, "batch-built")
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Télécharger le PDF du lot {batch.number}").click()
    assert download.value.suggested_filename == f"{batch.number}.pdf"

    # --- Mark it printed: the letter is sent.
    page.get_by_role("button", name=f"Marquer imprimé le lot {batch.number}").click()
    expect(page.locator("main")).to_contain_text("marqué imprimé")
    visited(page, "batch-printed")
    letter.refresh_from_db()
    assert letter.status == "sent"
    assert Notification.objects.filter(channel="letter", status="pending").count() == 0

    # --- The person signs in with their identifier and finds the letter in their space.
    page.context.clear_cookies()
    sign_in(page, live_server, person.login_id)
    page.goto(live_server.url + "/messages/")
    page.get_by_role("link", name="Courriers envoyés par la poste").click()
    expect(page.locator("h1")).to_have_text("Courriers envoyés par la poste")
    expect(page.locator("main table")).to_contain_text(letter.subject)
    visited(page, "letters-sent")
