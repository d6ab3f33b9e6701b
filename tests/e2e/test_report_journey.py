"""A person without an account reports a blocking problem from a phone, then follows it."""

import pytest
from playwright.sync_api import Page, expect

from substitution.models import BlockingReport

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "is_mobile": True,
            "has_touch": True}


def test_a_person_without_an_account_reports_from_a_phone(page: Page, live_server, visited):
    page.goto(live_server.url + "/aide/")
    visited(page, "help")
    page.locator("main").get_by_role("link", name="Je n'arrive pas à faire ma démarche").first.click()
    expect(page.locator("h1")).to_have_text("Je n'arrive pas à faire ma démarche")
    visited(page, "report-form")

    # First try: no way to reach them.
    page.locator("label[for=id_kind_0]").click()  # DSFR radios: the label is what one taps
    page.get_by_label("Nom de famille").fill("Traoré")
    page.get_by_label("Code postal de votre domicile").fill("20200")
    page.get_by_role("button", name="Envoyer mon signalement").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Indiquez au moins un moyen de vous joindre")
    expect(page.get_by_label("Nom de famille")).to_have_value("Traoré")
    visited(page, "report-form-errors")

    page.locator("#id_phone").fill("06 12 34 56 78")
    page.get_by_role("button", name="Envoyer mon signalement").click()
    expect(page.locator("h1")).to_have_text("Votre signalement est enregistré")
    expect(page.locator("main")).to_contain_text("Nous vous répondrons au plus tard le")
    visited(page, "report-created")
    report = BlockingReport.objects.get()
    assert report.prefecture.department.code == "2B"

    page.locator("#follow-link").click()
    expect(page.locator("h1")).to_have_text(f"Signalement {report.reference}")
    expect(page.locator("#report-status")).to_have_text("Ouvert")
    visited(page, "report-status")
