"""A mediator of a PAN receives a walk-in visitor without an account, opens a blocking report for
them from the visit (substitution's form, the name already typed), comes back to the visit with the
report chosen as its outcome, ends it, and finds it on the day view and in the figures."""

import pytest
from playwright.sync_api import Page, expect

from mediation.models import Visit
from substitution.models import BlockingReport
from territory.models import Site
from tests.factories import PASSWORD, StaffFactory, prefecture, totp_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mediator_logs_a_walk_in_visit(page: Page, live_server, visited):
    rhone = prefecture("69")
    pan = Site.objects.create(prefecture=rhone, kind=Site.Kind.PAN, name="PAN de Lyon 3e", postal_code="69003",
                              city="Lyon")
    mediator = StaffFactory(mediator=True, role__site=pan, with_totp=True, first_name="Maël", last_name="Médiateur")

    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(mediator.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Espace agent")
    visited(page, "backoffice-home")

    # Check-in: the person has no account; a first try without the name keeps what was typed.
    page.get_by_role("link", name="Accueillir un visiteur").click()
    expect(page.locator("h1")).to_have_text("Accueillir un visiteur")
    page.get_by_label("Rechercher un compte").fill("Koné")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#matches")).to_contain_text("Aucun compte ne correspond")
    visited(page, "check-in-search")
    page.get_by_label("Prénom(s)").fill("Ibrahim")
    page.locator("label[for=id_need_0]").click()  # DSFR radios: the label is what one taps
    page.get_by_role("button", name="Commencer la visite").click()
    expect(page.locator("#error-summary")).to_contain_text("Indiquez au moins le nom de famille du visiteur.")
    expect(page.get_by_label("Prénom(s)")).to_have_value("Ibrahim")
    visited(page, "check-in-errors")
    page.get_by_label("Nom de famille").fill("Koné")
    page.get_by_label("Téléphone (facultatif)").fill("06 12 34 56 78")
    page.get_by_role("button", name="Commencer la visite").click()
    expect(page.locator("h1")).to_have_text("Visite de Ibrahim KONÉ")
    expect(page.locator("#visit-status")).to_have_text("En cours")
    visited(page, "visit")

    # He has no e-mail address and cannot create his account: a walk-in report, his name already typed.
    page.get_by_label("Aide apportée").fill("Création du compte impossible sans adresse e-mail.")
    page.get_by_role("button", name="Ouvrir un signalement pour cette personne").click()
    expect(page.locator("h1")).to_have_text("Enregistrer un signalement au guichet")
    expect(page.get_by_label("Nom de famille de la personne")).to_have_value("Koné")
    page.locator("label[for=id_kind_0]").click()
    page.get_by_label("Code postal du domicile").fill("69003")
    page.get_by_role("button", name="Enregistrer le signalement").click()
    report = BlockingReport.objects.get()
    expect(page.locator("h1")).to_have_text(f"Signalement {report.reference} enregistré")
    visited(page, "report-recorded")
    page.get_by_role("link", name="Revenir à la visite").click()
    expect(page.locator("h1")).to_have_text("Visite de Ibrahim KONÉ")
    expect(page.locator("#id_outcome_1")).to_be_checked()  # "Signalement ouvert", the report chosen
    expect(page.get_by_label("Signalement ouvert (si signalement)")).to_have_value(str(report.pk))
    visited(page, "visit-report-chosen")

    # What was typed before leaving was kept.
    expect(page.get_by_label("Aide apportée")).to_have_value("Création du compte impossible sans adresse e-mail.")
    page.get_by_role("button", name="Enregistrer et terminer la visite").click()
    expect(page.locator("h1")).to_contain_text("Visites du")
    expect(page.locator("#visits")).to_contain_text("Ibrahim KONÉ")
    expect(page.locator("#visits")).to_contain_text(f"Signalement ouvert ({report.reference})")
    visited(page, "day")
    visit = Visit.objects.get()
    assert (visit.outcome, visit.report, visit.last_name, visit.person) == ("report_opened", report, "Koné", None)
    assert report.channel == "pan" and report.site == pan and not visit.in_progress

    page.get_by_role("link", name="Ibrahim KONÉ").click()
    expect(page.locator("#visit-status")).to_have_text("Terminée")
    visited(page, "visit-ended")

    page.goto(live_server.url + "/backoffice/mediation/")
    expect(page.locator("h1")).to_contain_text("Visites du")
    page.get_by_role("link", name="Chiffres des visites").click()
    expect(page.locator("h1")).to_have_text("Chiffres des visites")
    expect(page.locator("#figure-visits")).to_have_text("1")
    expect(page.locator("#figures-by-site")).to_contain_text("PAN de Lyon 3e")
    visited(page, "figures")
