"""The figures of substitution: each one against data computed by hand, who may see which, the CSV."""

import csv
import io
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from applications.models import Dossier, Procedure
from substitution.models import Anomaly, Impossibility, Invitation, ReportEvent
from substitution.selectors import figures as selectors
from tests.factories import (
    BlockingReportFactory,
    DossierFactory,
    StaffFactory,
    UserFactory,
    biometrics_taken,
    prefecture,
)

pytestmark = pytest.mark.django_db

PAGE = reverse("substitution_backoffice:figures")
CSV = reverse("substitution_backoffice:figures_csv")


def noon(days_ago: int) -> datetime:
    """Noon in Paris, some days ago: far from midnight, so a date never moves with the hour. In
    UTC, so that adding days adds 24 hours each, across a change of summer time too."""
    day = timezone.localdate() - timedelta(days=days_ago)
    return datetime.combine(day, time(12), tzinfo=timezone.get_default_timezone()).astimezone(UTC)


def filed(code: str, count: int, *, days_ago: int = 10) -> None:
    applicant = UserFactory()
    procedure = Procedure.objects.filter(is_renewal=False).first()
    Dossier.objects.bulk_create(
        Dossier(applicant=applicant, procedure=procedure, family=procedure.group, prefecture=prefecture(code),
                status="submitted", reference=f"FIG-{code}-{days_ago}-{n:05d}", submitted_at=noon(days_ago))
        for n in range(count)
    )


def report(code: str = "69", *, opened: int = 60, kind: str = "upload_refused", status: str = "open", **extra):
    opened_at = noon(opened)
    return BlockingReportFactory(prefecture=prefecture(code), kind=kind, status=status, opened_at=opened_at,
                                 deadline=timezone.localdate(opened_at) + timedelta(days=15), **extra)


def on_paper(r, *, invited_after_days: float | None = None):
    Impossibility.objects.create(report=r, recorded_at=r.opened_at + timedelta(days=15), grounds="Délai dépassé")
    if invited_after_days is not None:
        ReportEvent.objects.create(report=r, kind=ReportEvent.Kind.INVITED,
                                   at=r.opened_at + timedelta(days=invited_after_days))
    return r


@pytest.fixture
def situation(db):
    """Rhône: 400 applications filed in the period and 7 reports; Gironde: 100 and 2. Outside the
    period (400 days ago): 50 applications and a report in the Rhône, which no figure counts."""
    filed("69", 400)
    filed("33", 100)
    filed("69", 50, days_ago=400)
    DossierFactory(prefecture=prefecture("69"))  # a draft: not an application
    day = timedelta(days=1)
    rhone = {
        "r1": report(status="resolved", resolved_at=noon(60) + 2 * day),
        "r2": report(status="resolved", resolved_at=noon(60) + 4 * day),
        "r3": report(kind="login", status="resolved", resolved_at=noon(60) + 10 * day),
        # On the paper path: invited on the deadline's day (in time), 5 days late, not yet (the
        # deadline to come: left out), not at all (the deadline passed: late).
        "r4": on_paper(report(kind="login", status="invited"), invited_after_days=15),
        "r5": on_paper(report(kind="account_creation", status="invited"), invited_after_days=20),
        "r6": on_paper(report(opened=5, kind="account_creation", status="impossibility_established")),
        "r7": on_paper(report(kind="payment", status="impossibility_established")),
    }
    report(opened=400, status="resolved", resolved_at=noon(399))  # before the period
    gironde = {"r8": report("33", kind="payment"), "r9": report("33", kind="payment", status="invited")}
    # r9's convocation known only by its Invitation (5 days after opening): the fallback.
    booking = biometrics_taken(DossierFactory(prefecture=prefecture("33")))  # a draft: not counted
    Invitation.objects.create(report=gironde["r9"], booking=booking, created_at=noon(55))
    # Anomalies: people still blocked = linked reports neither resolved nor filed nor closed.
    a1 = Anomaly.objects.create(title="Téléversement refusé", kind="upload_refused", created_at=noon(90))
    a2 = Anomaly.objects.create(title="Compte impossible", kind="account_creation", status="workaround")
    a3 = Anomaly.objects.create(title="Connexion", kind="login", status="fixed", fixed_at=noon(10))
    a4 = Anomaly.objects.create(title="Rien de lié", kind="other")
    for name in ("r1", "r6", "r7"):
        rhone[name].anomaly = a1
        rhone[name].save(update_fields=["anomaly"])
    gironde["r8"].anomaly = a1
    gironde["r8"].save(update_fields=["anomaly"])
    rhone["r5"].anomaly = a2
    rhone["r5"].save(update_fields=["anomaly"])
    rhone["r4"].anomaly = a3
    rhone["r4"].save(update_fields=["anomaly"])
    return {**rhone, **gironde, "a1": a1, "a2": a2, "a4": a4}


@pytest.fixture
def ccc():
    return StaffFactory(support=True, with_totp=True)


def figures_for(user, **kwargs):
    start, end = selectors.default_period(timezone.localdate())
    return selectors.substitution_figures(user=user, start=start, end=end, **kwargs)


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_figures_of_a_prefecture(situation, ccc, vendor, monkeypatch):
    if vendor == "sqlite":  # the Python fallback, run here on the same data
        monkeypatch.setattr(connection, "vendor", "sqlite")
    figures = figures_for(ccc, prefecture_id=prefecture("69").pk)
    assert (figures.applications, figures.reports) == (400, 7)
    assert figures.per_1000 == 17.5
    by_kind = {row.kind: (row.reports, row.per_1000) for row in figures.by_kind}
    assert by_kind["upload_refused"] == (2, 5.0)
    assert by_kind["login"] == (2, 5.0)
    assert by_kind["account_creation"] == (2, 5.0)
    assert by_kind["payment"] == (1, 2.5)
    assert by_kind["other"] == (0, 0.0)
    # Resolved after 2, 4 and 10 days: median 4; p90 = 4 + 0.8 × (10 − 4).
    assert figures.resolution.count == 3
    assert figures.resolution.p50_days == pytest.approx(4.0)
    assert figures.resolution.p90_days == pytest.approx(8.8)
    # Invited after 15 and 20 days: median 17.5; p90 = 15 + 0.9 × 5.
    assert figures.invitation.count == 2
    assert figures.invitation.p50_days == pytest.approx(17.5)
    assert figures.invitation.p90_days == pytest.approx(19.5)
    # Paper path: r4 (in time), r5 (late), r6 (pending, left out), r7 (never invited, late).
    assert (figures.paper_path, figures.paper_pending, figures.invited_within_deadline) == (4, 1, 1)
    assert figures.within_deadline_share == pytest.approx(100 / 3)
    assert figures.by_prefecture == []  # a prefecture's view has no per-prefecture table
    anomalies = [(a.title, a.people_blocked, a.oldest_deadline) for a in figures.anomalies]
    assert anomalies == [
        ("Téléversement refusé", 2, situation["r7"].deadline),  # r6, r7 (r1 is resolved)
        ("Compte impossible", 1, situation["r5"].deadline),
    ]


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_national_figures(situation, ccc, vendor, monkeypatch):
    if vendor == "sqlite":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    figures = figures_for(ccc)
    assert figures.prefecture is None
    assert (figures.applications, figures.reports, figures.per_1000) == (500, 9, 18.0)
    assert {row.kind: row.reports for row in figures.by_kind}["payment"] == 3
    # Invited after 5 (Invitation only), 15 and 20 days: median 15; p90 = 15 + 0.8 × 5.
    assert figures.invitation.count == 3
    assert figures.invitation.p50_days == pytest.approx(15.0)
    assert figures.invitation.p90_days == pytest.approx(19.0)
    assert (figures.paper_path, figures.paper_pending, figures.invited_within_deadline) == (5, 1, 2)
    assert figures.within_deadline_share == 50
    rows = [(r.code, r.applications, r.reports, r.per_1000) for r in figures.by_prefecture]
    assert rows == [("33", 100, 2, 20.0), ("69", 400, 7, 17.5)]
    # Nationally, every anomaly not fixed, even one nobody is blocked by (last).
    assert [(a.title, a.people_blocked) for a in figures.anomalies] == [
        ("Téléversement refusé", 3), ("Compte impossible", 1), ("Rien de lié", 0)]


def test_the_period_filter_counts_what_was_opened_and_filed_in_it(situation, ccc):
    today = timezone.localdate()
    figures = selectors.substitution_figures(user=ccc, start=today - timedelta(days=500),
                                             end=today - timedelta(days=100), prefecture_id=prefecture("69").pk)
    assert (figures.applications, figures.reports) == (50, 1)
    assert figures.resolution.count == 1
    assert figures.resolution.p50_days == pytest.approx(1.0)
    assert figures.invitation.p50_days is None
    assert figures.within_deadline_share is None


def test_empty_period_shows_dashes_not_errors(ccc):
    figures = figures_for(ccc)
    assert (figures.applications, figures.reports, figures.per_1000) == (0, 0, None)
    assert figures.resolution.p50_days is None


def test_the_page_for_a_ccc_agent(situation, ccc, staff_client, django_assert_max_num_queries):
    client = staff_client(ccc)
    with django_assert_max_num_queries(12) as national:
        response = client.get(PAGE)
    queries = len(national.captured_queries)  # read now: the next request clears the log
    assert response.status_code == 200
    html = response.content.decode()
    assert "France entière" in html
    assert '<p class="fr-callout__title" id="figure-per-1000">18,0</p>' in html
    assert "Référence nationale 2024 : 4,0 pour 1 000" in html
    assert '<th scope="row">33 – ' in html  # the table per prefecture
    assert html.count("<caption>") == 5
    assert response["Cache-Control"] == "private, no-store"
    # The same number of queries with a prefecture chosen, and with ten times the data.
    response = client.get(PAGE, {"prefecture": prefecture("33").pk})
    assert response.context["figures"].reports == 2
    for _ in range(10):
        on_paper(report(kind="login", status="invited"), invited_after_days=3)
    with django_assert_max_num_queries(queries):
        assert client.get(PAGE).context["figures"].reports == 19


def test_a_supervisor_sees_their_prefecture_only(situation, staff_client):
    supervisor = StaffFactory(supervisor=True, with_totp=True)
    client = staff_client(supervisor)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.context["figures"].prefecture == prefecture("69")
    assert response.context["figures"].reports == 7
    assert "France entière" not in response.content.decode()
    assert client.get(PAGE, {"prefecture": prefecture("33").pk}).status_code == 403
    assert client.get(CSV, {"prefecture": prefecture("33").pk}).status_code == 403


@pytest.mark.parametrize("role", [Role.AGENT, Role.MEDIATOR])
def test_other_staff_are_refused(situation, staff_client, role):
    user = StaffFactory(role=role, with_totp=True)
    assert staff_client(user).get(PAGE).status_code == 403


def test_the_selector_refuses_another_prefecture_and_the_national_view(situation):
    from django.core.exceptions import PermissionDenied

    supervisor = StaffFactory(supervisor=True)
    with pytest.raises(PermissionDenied):
        figures_for(supervisor, prefecture_id=prefecture("33").pk)
    with pytest.raises(PermissionDenied):
        figures_for(supervisor)
    assert figures_for(supervisor, prefecture_id=prefecture("69").pk).reports == 7


def test_the_csv_has_the_same_figures_for_excel(situation, ccc, staff_client):
    client = staff_client(ccc)
    response = client.get(CSV, {"prefecture": prefecture("69").pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Rubrique", "Ligne", "Mesure", "Valeur"]
    values = {(section, line, measure): value for section, line, measure, value in rows[1:]}
    per_1000 = "Signalements pour 1 000 demandes"
    assert values[(per_1000, "Toutes difficultés", "Demandes déposées")] == "400"
    assert values[(per_1000, "Toutes difficultés", "Pour 1 000 demandes")] == "17,5"
    assert values[(per_1000, "Toutes difficultés", "Référence nationale 2024, pour 1 000 demandes")] == "4,0"
    assert values[(per_1000, "Je n'arrive pas à me connecter", "Signalements")] == "2"
    assert values[("Délais (jours)", "Jusqu'à la résolution", "9 sur 10 en moins de")] == "8,8"
    assert values[("Délais (jours)", "Jusqu'à la convocation", "Médiane")] == "17,5"
    assert values[("Convocations dans le délai", "Dépôt papier", "Part convoquée dans le délai (%)")] == "33,3"
    assert values[("Anomalies ouvertes", "Téléversement refusé", "Personnes bloquées")] == "2"


def test_the_csv_follows_the_period_of_the_page(situation, ccc, staff_client):
    today = timezone.localdate()
    start = (today - timedelta(days=500)).isoformat()
    end = (today - timedelta(days=100)).isoformat()
    response = staff_client(ccc).get(CSV, {"start": start, "end": end})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert ["Périmètre", "France entière", "du", start] in rows
    assert ["Signalements pour 1 000 demandes", "Toutes difficultés", "Signalements", "1"] in rows


def test_an_inverted_period_is_an_error_on_the_form(ccc, staff_client):
    today = timezone.localdate()
    response = staff_client(ccc).get(PAGE, {"start": today.isoformat(), "end": (today - timedelta(days=9)).isoformat()})
    assert response.status_code == 200
    assert response.context["form"].errors["end"]
    assert response.context["figures"].end == today  # the default period instead


def test_the_back_office_home_links_to_the_figures(ccc, staff_client):
    assert PAGE in staff_client(ccc).get(reverse("backoffice:home")).content.decode()


@pytest.mark.parametrize(("invited_after_days", "on_time"), [(15, True), (15.6, True), (16, True), (17, False)])
def test_a_convocation_is_on_time_up_to_the_night_after_the_deadline(ccc, invited_after_days, on_time):
    """The deadline is the support's last day; the deadline job convokes in the night that follows
    (day 16 here): that convocation is on time, one a day later is not."""
    on_paper(report(opened=40), invited_after_days=invited_after_days)

    figures = figures_for(ccc, prefecture_id=prefecture("69").pk)

    assert figures.paper_counted == 1
    assert figures.invited_within_deadline == (1 if on_time else 0)


def test_a_report_not_yet_convoked_is_pending_until_the_night_after_its_deadline(ccc):
    on_paper(report(opened=16))  # deadline yesterday: the job may still convoke it tonight
    on_paper(report(opened=17))  # deadline the day before: late

    figures = figures_for(ccc, prefecture_id=prefecture("69").pk)

    assert (figures.paper_path, figures.paper_pending, figures.invited_within_deadline) == (2, 1, 0)
