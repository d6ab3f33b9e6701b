"""Figures of the walk-in log: counts, the split of outcomes and the median duration, per PAN and
per prefecture, for a period and within the person's reach; the CSV carries the same figures."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mediation.selectors import visit_figures
from tests.factories import BlockingReportFactory, StaffFactory
from tests.mediation.conftest import make_pan
from tests.mediation.helpers import visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(mediator, pan, other_mediator, other_pan):
    """Rhône: 10, 20 and 40 minutes, one in progress, one 60 days ago; Gironde: 15 and 25 minutes."""
    second = make_pan("69", "PAN de Villeurbanne")
    second_mediator = StaffFactory(mediator=True, role__site=second)
    visit(by=mediator, site=pan, minutes=10, outcome="done_online")
    visit(by=mediator, site=pan, minutes=20, outcome="referred")
    visit(by=mediator, site=pan, minutes=40, outcome="report_opened",
          report=BlockingReportFactory(channel="pan", site=pan, opened_by=mediator))
    visit(by=mediator, site=pan)  # in progress
    visit(by=mediator, site=pan, minutes=99, at=timezone.now() - timedelta(days=60))  # out of the period
    visit(by=second_mediator, site=second, minutes=30, outcome="will_come_back")
    visit(by=other_mediator, site=other_pan, minutes=15, outcome="done_online")
    visit(by=other_mediator, site=other_pan, minutes=25, outcome="done_online")
    return second


def _period():
    today = timezone.localdate()
    return {"start": today - timedelta(days=29), "end": today}


def test_figures_count_visits_and_outcomes_and_take_the_median(administrator, pan, other_pan, log):
    figures = visit_figures(user=administrator, **_period())
    by_site = {row.label: row for row in figures.by_site}
    lyon = by_site[f"69 – {pan.name}"]
    assert (lyon.visits, lyon.ended, lyon.median_minutes) == (4, 3, 20)
    assert lyon.outcomes == {"done_online": 1, "report_opened": 1, "referred": 1, "will_come_back": 0}
    bordeaux = by_site[f"33 – {other_pan.name}"]
    assert (bordeaux.visits, bordeaux.ended, bordeaux.median_minutes) == (2, 2, 20)  # (15 + 25) / 2
    assert bordeaux.outcomes["done_online"] == 2
    by_prefecture = {row.label.split(" – ")[0]: row for row in figures.by_prefecture}
    assert (by_prefecture["69"].visits, by_prefecture["69"].median_minutes) == (5, 25)  # 10 20 30 40
    assert by_prefecture["69"].outcomes["will_come_back"] == 1
    assert (figures.total.visits, figures.total.ended, figures.total.median_minutes) == (7, 6, 22.5)


def test_the_period_decides_which_visits_count(administrator, log):
    today = timezone.localdate()
    old = visit_figures(user=administrator, start=today - timedelta(days=61), end=today - timedelta(days=59))
    assert (old.total.visits, old.total.median_minutes) == (1, 99)


def test_a_mediator_sees_their_pan_and_a_supervisor_their_prefecture(mediator, pan, log):
    mine = visit_figures(user=mediator, **_period())
    assert [row.label for row in mine.by_site] == [f"69 – {pan.name}"] and mine.total.visits == 4
    supervisor = StaffFactory(supervisor=True)
    theirs = visit_figures(user=supervisor, **_period())
    assert len(theirs.by_site) == 2 and [row.label[:2] for row in theirs.by_prefecture] == ["69"]
    assert theirs.total.visits == 5


def test_no_visit_no_median(administrator):
    figures = visit_figures(user=administrator, **_period())
    assert (figures.total.visits, figures.total.median_minutes, figures.by_site) == (0, None, [])


def test_the_figures_page_and_its_csv(staff_client, administrator, pan, log, django_assert_max_num_queries):
    client = staff_client(administrator)
    client.get(reverse("mediation_backoffice:figures"))
    with django_assert_max_num_queries(14):
        page = client.get(reverse("mediation_backoffice:figures"))
    body = page.content.decode()
    assert page.status_code == 200 and pan.name in body and "PAN de Bordeaux" in body
    assert '<p class="fr-callout__title" id="figure-visits">7</p>' in body
    response = client.get(reverse("mediation_backoffice:figures_csv"))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    lines = [line.split(";") for line in text.splitlines()]
    assert lines[0][:4] == ["Périmètre", "Ligne", "Visites", "Visites terminées"]
    assert ["Total", "Toutes", "7", "6", "3", "1", "1", "1", "22,5"] in lines


def test_a_wrong_period_is_explained(staff_client, administrator):
    today = timezone.localdate()
    response = staff_client(administrator).get(reverse("mediation_backoffice:figures"), {
        "start": today.isoformat(), "end": (today - timedelta(days=3)).isoformat()})
    assert "La date de fin doit suivre la date de début." in response.content.decode()


def test_the_figures_count_the_same_queries_whatever_the_number_of_pans(staff_client, administrator, mediator, pan,
                                                                         django_assert_max_num_queries):
    client = staff_client(administrator)
    visit(by=mediator, site=pan, minutes=5)
    client.get(reverse("mediation_backoffice:figures"))
    for n in range(5):
        site = make_pan("93", f"PAN {n}")
        visit(by=StaffFactory(mediator=True, role__site=site), site=site, minutes=n + 1)
    with django_assert_max_num_queries(14):
        assert "PAN 4" in client.get(reverse("mediation_backoffice:figures")).content.decode()
