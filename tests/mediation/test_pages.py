"""The walk-in log's pages per role: mediators of the PAN act, supervisors and administrators read,
everyone else is refused (403 for a page reserved to a role, 404 for a visit or a PAN out of reach)."""

import re
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mediation.models import Visit
from tests.factories import BlockingReportFactory, StaffFactory, UserFactory
from tests.mediation.conftest import make_pan
from tests.mediation.helpers import visit

pytestmark = pytest.mark.django_db


def day_url(site, day=None):
    return reverse("mediation_backoffice:day", args=[site.pk, (day or timezone.localdate()).isoformat()])


# --- Check-in ---------------------------------------------------------------------------------------

def test_a_mediator_checks_in_a_visitor_without_an_account(staff_client, mediator, pan):
    client = staff_client(mediator)
    page = client.get(reverse("mediation_backoffice:check_in"))
    assert page.status_code == 200
    assert "Accueillir un visiteur" in page.content.decode()
    response = client.post(reverse("mediation_backoffice:check_in"), {
        "first_name": "Ibrahim", "last_name": "Koné", "phone": "", "need": "create_account"})
    made = Visit.objects.get()
    assert response.status_code == 302 and response.url == reverse("mediation_backoffice:visit", args=[made.pk])
    assert (made.site, made.mediator, made.last_name) == (pan, mediator, "Koné")


def test_a_check_in_without_a_name_keeps_what_was_typed(staff_client, mediator, pan):
    response = staff_client(mediator).post(reverse("mediation_backoffice:check_in"), {
        "first_name": "Ibrahim", "phone": "06 12 34 56 78", "need": "print_document",
        "need_details": "Sa convocation"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Indiquez au moins le nom de famille du visiteur." in body
    assert 'value="Ibrahim"' in body and 'value="06 12 34 56 78"' in body and "Sa convocation" in body
    assert not Visit.objects.exists()


def test_the_search_finds_an_applicant_and_shows_only_their_minimal_identity(staff_client, mediator, pan):
    person = UserFactory(first_name="Awa", last_name="Diallo", phone="0612345678", address="3 rue Secrète",
                         foreigner_number="1234567890")
    StaffFactory(first_name="Awa", last_name="Diallo-Agent")  # staff are never found
    client = staff_client(mediator)
    body = client.get(reverse("mediation_backoffice:check_in"), {"q": "awa diallo"}).content.decode()
    assert "Awa DIALLO" in body and "DIALLO-AGENT" not in body
    assert person.email not in body and "3 rue Secrète" not in body and "1234567890" not in body
    for query in (person.login_id, person.email.upper(), "06 12 34 56 78", "+33 6 12 34 56 78"):
        assert f"?personne={person.pk}" in client.get(reverse("mediation_backoffice:check_in"),
                                                      {"q": query}).content.decode(), query
    page = client.get(reverse("mediation_backoffice:check_in"), {"personne": person.pk})
    assert "Awa DIALLO" in page.content.decode()
    client.post(reverse("mediation_backoffice:check_in"), {"person": person.pk, "need": "follow_file"})
    assert Visit.objects.get().person == person


def test_the_blank_check_in_form_carries_each_visitors_own_csrf_token(mediator, other_mediator, pan):
    # Regression guard: the blank page's content is rendered once per process (issue 17); the token
    # put in must be this visitor's, or their check-in is refused.
    from django.test import Client

    from tests.backoffice.conftest import sign_in

    for who in (other_mediator, mediator):  # the first one fills the process's copy
        client = sign_in(Client(), who)
        client.handler.enforce_csrf_checks = True  # from here on, as a browser's requests
        body = client.get(reverse("mediation_backoffice:check_in")).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        response = client.post(reverse("mediation_backoffice:check_in"), {
            "csrfmiddlewaretoken": token, "last_name": f"Visitor of {who.pk}", "need": "other"})
        assert response.status_code == 302, who
    assert Visit.objects.filter(last_name=f"Visitor of {mediator.pk}", site=pan).exists()


def test_a_mediator_of_two_pans_chooses_where_the_visitor_is(staff_client, mediator, pan, other_pan):
    mediator.memberships.create(role="mediator", site=other_pan)
    body = staff_client(mediator).get(reverse("mediation_backoffice:check_in")).content.decode()
    assert 'name="site"' in body and "PAN de Bordeaux" in body and "PAN de Lyon 3e" in body


def test_a_staff_account_cannot_be_checked_in(staff_client, mediator):
    agent = StaffFactory()
    client = staff_client(mediator)
    assert client.get(reverse("mediation_backoffice:check_in"), {"personne": agent.pk}).status_code == 404
    response = client.post(reverse("mediation_backoffice:check_in"), {"person": agent.pk, "need": "other"})
    assert response.status_code == 404


# --- The visit page ---------------------------------------------------------------------------------

def test_a_mediator_records_and_ends_a_visit_in_one_step(staff_client, mediator, pan):
    made = visit(by=mediator, site=pan, at=timezone.now() - timedelta(minutes=12))
    response = staff_client(mediator).post(reverse("mediation_backoffice:visit", args=[made.pk]), {
        "need": "file_request", "help_given": "Dépôt de la demande avec elle.", "outcome": "done_online",
        "action": "end"})
    assert response.status_code == 302 and response.url == day_url(pan, timezone.localdate(made.arrived_at))
    made.refresh_from_db()
    assert (made.outcome, made.duration_minutes) == ("done_online", 13)
    assert made.help_given == "Dépôt de la demande avec elle."


def test_ending_without_an_outcome_saves_nothing_and_keeps_what_was_typed(staff_client, mediator, pan):
    made = visit(by=mediator, site=pan)
    response = staff_client(mediator).post(reverse("mediation_backoffice:visit", args=[made.pk]), {
        "need": "upload_piece", "help_given": "Photo du passeport", "outcome": "", "action": "end"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Indiquez l&#x27;issue de la visite" in body and "Photo du passeport" in body
    made.refresh_from_db()
    assert (made.help_given, made.ended_at) == ("", None)  # the record and the end go together


def test_report_opened_asks_for_the_report_and_links_one_opened_here(staff_client, mediator, pan):
    made = visit(by=mediator, site=pan)
    client = staff_client(mediator)
    url = reverse("mediation_backoffice:visit", args=[made.pk])
    response = client.post(url, {"need": "other", "outcome": "report_opened", "action": "save"})
    assert response.status_code == 400
    assert "Choisissez le signalement ouvert" in response.content.decode()
    report = BlockingReportFactory(channel="pan", site=pan, opened_by=mediator)
    elsewhere = BlockingReportFactory(channel="pan", site=make_pan("33", "PAN de Mérignac"), opened_by=mediator)
    page = client.get(url).content.decode()
    assert report.reference in page and elsewhere.reference not in page
    assert 'value="report"' in page and "Ouvrir un signalement pour cette personne" in page
    response = client.post(url, {"need": "other", "outcome": "report_opened", "report": report.pk, "action": "save"})
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.report == report


def test_an_entered_duration_out_of_bounds_is_explained(staff_client, mediator, pan):
    made = visit(by=mediator, site=pan)
    response = staff_client(mediator).post(reverse("mediation_backoffice:visit", args=[made.pk]), {
        "need": "other", "outcome": "done_online", "duration_minutes": "600", "action": "end"})
    assert response.status_code == 400
    assert "ne peut pas dépasser 480 minutes" in response.content.decode()


def test_an_ended_visit_is_read_only(staff_client, mediator, pan):
    made = visit(by=mediator, site=pan, minutes=20)
    body = staff_client(mediator).get(reverse("mediation_backoffice:visit", args=[made.pk])).content.decode()
    assert "Terminée" in body and "Enregistrer et terminer" not in body and "20 minutes" in body


# --- Who may see what ------------------------------------------------------------------------------

def test_a_mediator_of_another_pan_gets_404_on_the_visit_and_the_day(staff_client, mediator, other_mediator, pan):
    made = visit(by=mediator, site=pan)
    client = staff_client(other_mediator)
    assert client.get(reverse("mediation_backoffice:visit", args=[made.pk])).status_code == 404
    assert client.post(reverse("mediation_backoffice:visit", args=[made.pk]),
                       {"need": "other", "outcome": "done_online", "action": "end"}).status_code == 404
    assert client.get(day_url(pan)).status_code == 404
    made.refresh_from_db()
    assert made.in_progress


def test_a_supervisor_reads_the_log_of_the_pans_of_their_prefecture_without_acting(staff_client, mediator, pan):
    made = visit(by=mediator, site=pan)
    client = staff_client(StaffFactory(supervisor=True, with_totp=True))  # the Rhône's
    assert client.get(day_url(pan)).status_code == 200
    page = client.get(reverse("mediation_backoffice:visit", args=[made.pk]))
    assert page.status_code == 200 and "Enregistrer et terminer" not in page.content.decode()
    response = client.post(reverse("mediation_backoffice:visit", args=[made.pk]),
                           {"need": "other", "outcome": "done_online", "action": "end"})
    assert response.status_code == 403
    assert client.get(reverse("mediation_backoffice:check_in")).status_code == 403


def test_a_supervisor_of_another_prefecture_gets_404(staff_client, mediator, pan):
    made = visit(by=mediator, site=pan)
    client = staff_client(StaffFactory(supervisor=True, role__code="33", with_totp=True))
    assert client.get(reverse("mediation_backoffice:visit", args=[made.pk])).status_code == 404
    assert client.get(day_url(pan)).status_code == 404


def test_an_administrator_reads_every_pan(staff_client, administrator, mediator, pan, other_pan):
    client = staff_client(administrator)
    assert client.get(day_url(other_pan)).status_code == 200
    made = visit(by=mediator, site=pan)
    assert client.get(reverse("mediation_backoffice:visit", args=[made.pk])).status_code == 200
    home = client.get(reverse("mediation_backoffice:home")).content.decode()
    assert pan.name in home and other_pan.name in home


@pytest.mark.parametrize("who", ["ccc", "agent"])
def test_a_ccc_agent_or_a_prefecture_agent_is_refused(staff_client, mediator, pan, who):
    made = visit(by=mediator, site=pan)
    client = staff_client(StaffFactory(support=True, with_totp=True) if who == "ccc" else StaffFactory(with_totp=True))
    for url in (reverse("mediation_backoffice:check_in"), reverse("mediation_backoffice:home"), day_url(pan),
                reverse("mediation_backoffice:visit", args=[made.pk]), reverse("mediation_backoffice:figures")):
        assert client.get(url).status_code == 403, url


def test_an_applicant_and_an_anonymous_visitor_are_turned_away(client, mediator, pan):
    made = visit(by=mediator, site=pan)
    urls = (reverse("mediation_backoffice:check_in"), day_url(pan),
            reverse("mediation_backoffice:visit", args=[made.pk]),
            reverse("mediation_backoffice:figures"), reverse("mediation_backoffice:figures_csv"))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/compte/connexion/" in response.url, url
    client.force_login(UserFactory())
    for url in urls:
        assert client.get(url).status_code == 403, url


# --- The day view ------------------------------------------------------------------------------------

def test_the_day_view_shows_the_visits_in_progress_first_with_durations(staff_client, mediator, pan,
                                                                          django_assert_max_num_queries):
    # A past day at fixed hours: "50 minutes ago" is yesterday just after midnight.
    day = timezone.localdate() - timedelta(days=2)
    ten = timezone.make_aware(datetime.combine(day, time(10)))
    visit(by=mediator, site=pan, minutes=35, last_name="Ended", at=ten)
    visit(by=mediator, site=pan, last_name="Ongoing", at=ten + timedelta(minutes=40))
    visit(by=mediator, site=pan, minutes=5, last_name="Yesterday", at=ten - timedelta(days=1))
    client = staff_client(mediator)
    client.get(day_url(pan, day))  # warm the session
    with django_assert_max_num_queries(12):
        body = client.get(day_url(pan, day)).content.decode()
    assert body.index("ONGOING") < body.index("ENDED") and "YESTERDAY" not in body
    assert "35 min" in body and "En cours" in body
    for n in range(10):
        visit(by=mediator, site=pan, minutes=n + 1, last_name=f"More{n}", at=ten + timedelta(minutes=n))
    with django_assert_max_num_queries(12):  # the same with 13 visits: no query per visit
        assert "MORE9" in client.get(day_url(pan, day)).content.decode()


def test_a_mediator_of_one_pan_reads_todays_log_on_the_log_home_itself(staff_client, mediator, pan):
    # Issue 17: the menu's "Visites" is one request, no redirect to the day's address.
    visit(by=mediator, site=pan, last_name="Ongoing")
    client = staff_client(mediator)
    home = client.get(reverse("mediation_backoffice:home"))
    assert home.status_code == 200
    body = home.content.decode()
    assert "ONGOING" in body and "Visites du" in body
    yesterday = day_url(pan, timezone.localdate() - timedelta(days=1))
    assert f'href="{yesterday}"' in body and reverse("mediation_backoffice:check_in") in body
    main = re.compile(r"<main.*</main>", re.S)
    assert main.search(body).group() == main.search(client.get(day_url(pan)).content.decode()).group()


def test_the_date_picker_of_the_log_home_goes_to_that_day(staff_client, mediator, pan):
    client = staff_client(mediator)
    response = client.get(reverse("mediation_backoffice:home"), {"day": "2026-03-02"})
    assert response.status_code == 302 and response.url == reverse("mediation_backoffice:day",
                                                                   args=[pan.pk, "2026-03-02"])
    wrong = client.get(reverse("mediation_backoffice:home"), {"day": "2026-02-31"})
    assert wrong.status_code == 200 and 'aria-invalid="true"' in wrong.content.decode()


def test_the_day_view_escapes_what_was_typed(staff_client, mediator, pan):
    visit(by=mediator, site=pan, last_name="<b>Zoé</b>")
    body = staff_client(mediator).get(day_url(pan)).content.decode()
    assert "&lt;B&gt;ZOÉ&lt;/B&gt;" in body and "<B>" not in body


def test_the_day_view_is_translated(staff_client, mediator, pan):
    monday = date(2026, 3, 2)
    visit(by=mediator, site=pan, minutes=20, at=timezone.make_aware(datetime.combine(monday, time(10))))
    client = staff_client(mediator)
    client.cookies["anef_language"] = "en"
    body = client.get(day_url(pan, monday)).content.decode()
    assert "<h1>Visits on Monday 2 March 2026</h1>" in body and "1 visit, 20 minutes" in body


def test_the_date_picker_goes_to_that_day(staff_client, mediator, pan):
    client = staff_client(mediator)
    response = client.get(reverse("mediation_backoffice:today", args=[pan.pk]), {"day": "2026-03-02"})
    assert response.status_code == 302 and response.url.endswith("/jour/2026-03-02/")
    assert client.get(reverse("mediation_backoffice:day", args=[pan.pk, "2026-02-31"])).status_code == 302


# --- Opening a report from a visit ---------------------------------------------------------------------

def test_a_report_opened_from_a_visit_comes_back_to_it_chosen(staff_client, mediator, pan):
    from substitution.models import BlockingReport

    made = visit(by=mediator, site=pan, last_name="Koné")
    Visit.objects.filter(pk=made.pk).update(first_name="Ibrahim", phone="0612345678")
    client = staff_client(mediator)
    response = client.post(reverse("mediation_backoffice:visit", args=[made.pk]), {
        "need": "create_account", "help_given": "Pas d'adresse e-mail.", "outcome": "report_opened",
        "action": "report"})
    assert response.status_code == 302 and response.url == reverse("substitution_backoffice:record")
    made.refresh_from_db()
    assert (made.need, made.help_given, made.outcome) == ("create_account", "Pas d'adresse e-mail.", "")
    form = client.get(response.url).content.decode()
    assert 'value="Koné"' in form and 'value="Ibrahim"' in form and 'value="0612345678"' in form
    response = client.post(reverse("substitution_backoffice:record"), {
        "kind": "account_creation", "first_name": "Ibrahim", "last_name": "Koné", "phone": "0612345678",
        "postal_code": "69003", "language": "fr"})
    report = BlockingReport.objects.get()
    assert (report.channel, report.site) == ("pan", pan)
    recorded = client.get(response.url).content.decode()
    visit_url = reverse("mediation_backoffice:visit", args=[made.pk])
    assert f'href="{visit_url}"' in recorded and "Revenir à la visite" in recorded
    page = client.get(visit_url).content.decode()
    assert f'<option value="{report.pk}" selected>' in page
    assert 'value="report_opened" id="id_outcome_1" checked' in page


def test_only_a_mediator_of_the_pan_opens_a_report_from_a_visit(staff_client, mediator, other_mediator, pan):
    made = visit(by=mediator, site=pan)
    response = staff_client(other_mediator).post(reverse("mediation_backoffice:visit", args=[made.pk]), {
        "need": "other", "action": "report"})
    assert response.status_code == 404


def test_a_report_recorded_without_a_visit_offers_no_way_back(staff_client, mediator, pan):
    client = staff_client(mediator)
    response = client.post(reverse("substitution_backoffice:record"), {
        "kind": "account_creation", "last_name": "Koné", "phone": "0612345678", "postal_code": "69003",
        "language": "fr"})
    assert "Revenir à la visite" not in client.get(response.url).content.decode()


def test_leaving_to_open_a_report_without_a_need_keeps_what_was_typed(staff_client, mediator, pan):
    made = visit(by=mediator, site=pan)
    response = staff_client(mediator).post(reverse("mediation_backoffice:visit", args=[made.pk]), {
        "need": "", "help_given": "Essai de connexion", "action": "report"})
    assert response.status_code == 400 and "Essai de connexion" in response.content.decode()
    made.refresh_from_db()
    assert made.help_given == ""


def test_the_walk_in_log_is_resolved_ahead_of_the_other_back_office_modules():
    """Regression (issue 17): behind the five other ``backoffice/`` includes, a mediator's page cost
    about 500 Python calls to resolve; under its own prefix, first, it tries none of theirs."""
    from django.urls import get_resolver, resolve

    routes = [str(pattern.pattern) for pattern in get_resolver().url_patterns]
    assert routes.index("backoffice/mediation/") < routes.index("backoffice/")
    for path in ("/backoffice/mediation/", "/backoffice/mediation/accueillir/", "/backoffice/mediation/chiffres/"):
        assert resolve(path).namespace == "mediation_backoffice"
    assert reverse("mediation_backoffice:day", args=[3, "2026-01-02"]) == "/backoffice/mediation/pan/3/jour/2026-01-02/"
