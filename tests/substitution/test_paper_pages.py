"""The paper path's pages: the act on the staff page of a report, the supervisors' list of reports
without a slot, and the invitation on the person's status page."""

from __future__ import annotations

import html

import pytest
import time_machine
from django.urls import reverse

from documents.services import document_render
from substitution import services
from substitution.models import BlockingReport, Impossibility, Invitation
from tests.factories import REPORT_SECRET, BlockingReportFactory, StaffFactory, prefecture
from tests.substitution.test_paper import TODAY, paper_slot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def page(response) -> str:
    return html.unescape(response.content.decode())


def act_url(report) -> str:
    return reverse("substitution_backoffice:impossibility", args=[report.reference])


def test_an_agent_of_the_prefecture_records_the_act_from_the_report_page(staff_client):
    paper_slot("2026-03-05")
    report = BlockingReportFactory(unresolved=True)
    client = staff_client(StaffFactory(with_totp=True))
    detail = reverse("substitution_backoffice:detail", args=[report.reference])
    assert "Constater l'impossibilité" in page(client.get(detail))

    empty = client.post(act_url(report), {"impossibility-grounds": " "})
    assert empty.status_code == 400 and not Impossibility.objects.exists()
    response = client.post(act_url(report), {"impossibility-grounds": "Aucune solution trouvée par le CCC."})

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "invited"
    shown = page(client.get(detail))
    assert "Convocation au dépôt papier" in shown and "05/03/2026" in shown
    assert "Constater l'impossibilité" not in shown


def test_an_agent_of_another_prefecture_gets_a_404_on_the_report(staff_client):
    report = BlockingReportFactory(unresolved=True)
    client = staff_client(StaffFactory(with_totp=True, role__code="13"))

    assert client.get(reverse("substitution_backoffice:detail", args=[report.reference])).status_code == 404
    assert client.post(act_url(report), {"impossibility-grounds": "Motifs"}).status_code == 404
    assert not Impossibility.objects.exists()


def test_a_ccc_agent_does_not_record_the_act(staff_client, ccc):
    report = BlockingReportFactory(unresolved=True)
    client = staff_client(ccc)

    assert "Constater l'impossibilité" not in page(
        client.get(reverse("substitution_backoffice:detail", args=[report.reference])))
    assert client.post(act_url(report), {"impossibility-grounds": "Motifs"}).status_code == 403
    assert BlockingReport.objects.get(pk=report.pk).status == "unresolved"


def test_supervisors_see_the_reports_without_a_slot(staff_client, django_assert_max_num_queries):
    flagged = [BlockingReportFactory(overdue=True) for _ in range(3)]
    elsewhere = BlockingReportFactory(overdue=True, prefecture=prefecture("13"), postal_code="13001")
    services.deadline_job()
    client = staff_client(StaffFactory(supervisor=True, with_totp=True))

    home = page(client.get(reverse("backoffice:home")))
    assert "3 personnes à convoquer sans créneau de dépôt papier" in home
    with django_assert_max_num_queries(12):
        listing = page(client.get(reverse("substitution_backoffice:without_slot")))
    assert all(report.reference in listing for report in flagged)
    assert elsewhere.reference not in listing
    BlockingReportFactory.create_batch(5, overdue=True)
    services.deadline_job()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("substitution_backoffice:without_slot")).status_code == 200
    # An agent who is not a supervisor: refused.
    agent_client = staff_client(StaffFactory(with_totp=True))
    assert agent_client.get(reverse("substitution_backoffice:without_slot")).status_code == 403


def test_the_follow_link_shows_the_invitation_and_downloads_its_letter(client):
    paper_slot("2026-03-05")
    report = BlockingReportFactory(overdue=True)
    services.deadline_job()
    letter = Invitation.objects.get(report=report).letter
    document_render(document=letter)
    follow = reverse("substitution:follow", args=[report.reference, REPORT_SECRET])

    shown = page(client.get(follow))

    url = reverse("substitution:follow_letter", args=[report.reference, REPORT_SECRET, letter.pk])
    assert url in shown and "Demander une autre date" in shown
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert client.get(reverse("substitution:follow_letter", args=[report.reference, "wrong", letter.pk])
                      ).status_code == 404
    assert client.get(reverse("substitution:follow_letter", args=[report.reference, REPORT_SECRET, letter.pk + 99])
                      ).status_code == 404


def test_the_signed_in_owner_asks_for_another_date_from_their_space(client):
    paper_slot("2026-03-05"), paper_slot("2026-03-10")
    report = BlockingReportFactory(overdue=True, with_account=True)
    services.deadline_job()
    client.force_login(report.person)
    detail = reverse("substitution:mine_detail", args=[report.reference])
    letter = Invitation.objects.get(report=report).letter
    assert reverse("documents:download", args=[letter.pk]) in page(client.get(detail))

    response = client.post(reverse("substitution:mine_another_date", args=[report.reference]))

    assert response.status_code == 302
    assert Invitation.objects.get(report=report, status="scheduled").asked_by_person
    assert "10/03/2026" in page(client.get(detail))
    refused = client.post(reverse("substitution:mine_another_date", args=[report.reference]), follow=True)
    assert "déjà demandé une autre date" in page(refused)


def test_staff_who_see_the_report_print_its_letter_and_others_do_not(staff_client, pan_site):
    paper_slot("2026-03-05")
    mediator = StaffFactory(mediator=True, role__site=pan_site, with_totp=True)
    report = BlockingReportFactory(overdue=True, channel="pan", site=pan_site, opened_by=mediator)
    services.deadline_job()
    letter = Invitation.objects.get(report=report).letter
    document_render(document=letter)
    download = reverse("documents:download", args=[letter.pk])

    assert staff_client(mediator).get(download).status_code == 200
    assert staff_client(StaffFactory(with_totp=True, role__code="13")).get(download).status_code == 404
