"""A CCC agent triages a report and links it to an anomaly; the technical team fixes the anomaly;
the person (without an account) sees the fix on their status page."""

import pytest
from playwright.sync_api import Page, expect

from notifications.models import Notification
from tests.factories import (
    PASSWORD,
    REPORT_SECRET,
    AnomalyFactory,
    BlockingReportFactory,
    StaffFactory,
    procedure,
    totp_code,
)

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in_staff(page: Page, live_server, email: str) -> None:
    page.context.clear_cookies()  # a new session for the next agent
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Espace agent")


def test_a_ccc_agent_links_a_report_and_the_technical_team_fixes_it(page: Page, live_server, settings, visited):
    settings.SITE_URL = live_server.url
    ccc = StaffFactory(support=True, with_totp=True)
    tech = StaffFactory(technical=True, with_totp=True)
    report = BlockingReportFactory(procedure=procedure(), error_code="UPLOAD_MIME", first_name="Awa",
                                   last_name="Diallo")
    anomaly = AnomalyFactory(title="Les PDF scannés sont refusés", error_code="UPLOAD_MIME", procedure=procedure())

    # The CCC agent: the queue, the report, an answer, then the suggested anomaly in one click.
    sign_in_staff(page, live_server, ccc.email)
    page.locator("header").get_by_role("link", name="Signalements").click()
    expect(page.locator("h1")).to_have_text("Signalements")
    visited(page, "queue")
    page.get_by_role("link", name=report.reference).click()
    expect(page.locator("h1")).to_have_text(f"Signalement {report.reference}")
    visited(page, "report")
    page.get_by_label("Réponse").first.fill("Nous regardons pourquoi votre PDF est refusé.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.locator("#report-status")).to_have_text("Répondu")
    visited(page, "report-answered")
    page.get_by_role("button", name=f"Rattacher à « {anomaly.title} »").click()
    expect(page.locator("main")).to_contain_text("Le signalement est rattaché à l'anomalie.")
    visited(page, "report-linked")
    report.refresh_from_db()
    assert report.anomaly_id == anomaly.pk

    # The technical team: the ranking, the anomaly, the fix.
    sign_in_staff(page, live_server, tech.email)
    page.locator("header").get_by_role("link", name="Anomalies").click()
    expect(page.locator("h1")).to_have_text("Anomalies")
    expect(page.locator("#anomalies tbody tr").first).to_contain_text(anomaly.title)
    visited(page, "anomalies")
    page.get_by_role("link", name=anomaly.title).click()
    expect(page.locator("#anomaly-reports")).to_contain_text(report.reference)
    expect(page.locator("#anomaly-blocked")).to_have_text("1")
    visited(page, "anomaly")
    page.get_by_role("button", name="Marquer comme corrigée").click()
    expect(page.locator("#anomaly-status")).to_have_text("Corrigée")
    expect(page.locator("main")).to_contain_text("1 personne est prévenue")
    visited(page, "anomaly-fixed")
    assert Notification.objects.filter(event="anomaly.fixed", object_id=str(report.pk), channel="sms").exists()

    # The person, through their secret link.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/signaler/suivi/{report.reference}/{REPORT_SECRET}/")
    expect(page.locator("main")).to_contain_text("Le problème est corrigé : vous pouvez réessayer en ligne")
    expect(page.locator("main")).to_contain_text("Nous regardons pourquoi votre PDF est refusé.")
    visited(page, "status-fixed")
