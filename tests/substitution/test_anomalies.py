"""Anomalies (issue 11, item 3): the technical team's ranking, workarounds and fixes; a fix tells
each linked person not yet invited, once; link suggestions by kind, error code and procedure."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from notifications.models import Notification
from substitution import selectors, services
from substitution.models import Anomaly, ReportEvent
from substitution.workflow import AnomalyTransitionNotAllowed
from tests.factories import AnomalyFactory, BlockingReportFactory, StaffFactory, procedure

pytestmark = pytest.mark.django_db

RANKING = reverse("substitution_backoffice:anomalies")


@pytest.fixture
def tech(db):
    return StaffFactory(technical=True, with_totp=True)


def days(n):
    return timezone.localdate() + timedelta(days=n)


def test_the_ranking_puts_most_people_blocked_first_then_the_oldest_deadline(django_assert_num_queries):
    two_late = AnomalyFactory(title="deux, tardif")
    two_soon = AnomalyFactory(title="deux, proche")
    one = AnomalyFactory(title="une")
    none = AnomalyFactory(title="aucune")
    AnomalyFactory(fixed=True, title="corrigée")
    for deadline in (days(10), days(12)):
        BlockingReportFactory(anomaly=two_late, deadline=deadline)
    BlockingReportFactory(anomaly=two_soon, deadline=days(2))
    BlockingReportFactory(anomaly=two_soon, deadline=days(30), status="invited")  # still blocked
    for status in ("resolved", "closed", "filed_on_paper"):  # no longer blocked: not counted
        BlockingReportFactory(anomaly=one, deadline=days(-30), status=status)
    BlockingReportFactory(anomaly=one, deadline=days(5), unresolved=True)
    BlockingReportFactory(anomaly=none, resolved=True)

    with django_assert_num_queries(1):
        ranked = list(selectors.anomalies_ranked())
        [a.procedure for a in ranked]

    assert [a.title for a in ranked] == ["deux, proche", "deux, tardif", "une", "aucune"]
    assert [a.blocked for a in ranked] == [2, 2, 1, 0]
    assert ranked[0].oldest_deadline == days(2) and ranked[2].oldest_deadline == days(5)
    assert ranked[3].oldest_deadline is None


def test_the_ranking_page_costs_the_same_queries_for_many_anomalies(staff_client, tech, django_assert_max_num_queries):
    client = staff_client(tech)
    for _n in range(3):
        BlockingReportFactory(anomaly=AnomalyFactory(procedure=procedure()))
    with django_assert_max_num_queries(12) as few:
        assert client.get(RANKING).status_code == 200
    for _n in range(20):
        BlockingReportFactory(anomaly=AnomalyFactory(procedure=procedure()))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(RANKING)
    assert page.content.decode().count('class="blocked"') == 23


@pytest.mark.parametrize("who,expected", [
    ({"technical": True}, 200), ({"support": True}, 200), ({}, 403), ({"mediator": True}, 403),
])
def test_who_sees_the_anomalies(staff_client, who, expected):
    client = staff_client(StaffFactory(with_totp=True, **who))
    anomaly = AnomalyFactory()
    assert client.get(RANKING).status_code == expected
    assert client.get(reverse("substitution_backoffice:anomaly", args=[anomaly.pk])).status_code == expected


def test_an_applicant_does_not_reach_an_anomaly(client):
    from tests.factories import UserFactory

    anomaly = AnomalyFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("substitution_backoffice:anomaly", args=[anomaly.pk])).status_code in (302, 403, 404)
    with pytest.raises(Exception) as refused:
        selectors.anomaly_get_for_user(user=UserFactory(), pk=anomaly.pk)
    assert type(refused.value).__name__ == "Http404"


def test_the_detail_lists_the_linked_reports(staff_client, ccc):
    anomaly = AnomalyFactory()
    linked = BlockingReportFactory(anomaly=anomaly)
    other = BlockingReportFactory()
    page = staff_client(ccc).get(reverse("substitution_backoffice:anomaly", args=[anomaly.pk])).content.decode()
    assert linked.reference in page and other.reference not in page


def test_the_technical_team_records_a_workaround(tech):
    anomaly = services.anomaly_record_workaround(anomaly=AnomalyFactory(), by=tech, text="Envoyer en PDF.")
    assert anomaly.status == Anomaly.Status.WORKAROUND and anomaly.workaround == "Envoyer en PDF."
    assert AuditEvent.objects.filter(action="anomaly.workaround", actor=tech).exists()
    with pytest.raises(ValidationError):
        services.anomaly_record_workaround(anomaly=anomaly, by=tech, text="  ")


def test_a_ccc_agent_neither_fixes_nor_records_a_workaround(ccc, staff_client):
    anomaly = AnomalyFactory()
    with pytest.raises(PermissionDenied):
        services.anomaly_fix(anomaly=anomaly, by=ccc)
    with pytest.raises(PermissionDenied):
        services.anomaly_record_workaround(anomaly=anomaly, by=ccc, text="x")
    client = staff_client(ccc)
    assert client.post(reverse("substitution_backoffice:anomaly_fix", args=[anomaly.pk])).status_code == 403
    anomaly.refresh_from_db()
    assert anomaly.status == Anomaly.Status.OPEN


def test_a_technical_agent_without_second_factor_does_not_fix():
    with pytest.raises(PermissionDenied):
        services.anomaly_fix(anomaly=AnomalyFactory(), by=StaffFactory(technical=True, verified=False))


def test_a_fix_tells_each_linked_person_not_yet_invited_once(tech, django_capture_on_commit_callbacks):
    anomaly = AnomalyFactory()
    by_phone = BlockingReportFactory(anomaly=anomaly, procedure=procedure())
    with_account = BlockingReportFactory(anomaly=anomaly, with_account=True, answered=True)
    by_mail = BlockingReportFactory(anomaly=anomaly, phone="", email="awa@example.org", unresolved=True)
    established = BlockingReportFactory(anomaly=anomaly, status="impossibility_established")
    untold = [BlockingReportFactory(anomaly=anomaly, status=s)
              for s in ("invited", "filed_on_paper", "closed", "resolved")]
    BlockingReportFactory()  # not linked

    with django_capture_on_commit_callbacks(execute=True):
        fixed = services.anomaly_fix(anomaly=anomaly, by=tech, note="Le contrôle du format est corrigé.")

    told = {by_phone, with_account, by_mail, established}
    assert set(fixed.notified) == told
    assert fixed.anomaly.status == "fixed" and fixed.anomaly.fixed_by == tech and fixed.anomaly.fixed_at
    events = ReportEvent.objects.filter(kind=ReportEvent.Kind.ANOMALY_FIXED)
    assert {e.report_id for e in events} == {r.pk for r in told}
    rows = Notification.objects.filter(event="anomaly.fixed")
    assert {r.object_id for r in rows} == {str(r.pk) for r in told}
    assert not rows.filter(object_id__in=[str(r.pk) for r in untold]).exists()
    sms = rows.get(object_id=str(by_phone.pk), channel="sms")
    assert "/demarches/renouvellement-salarie/commencer/" in sms.body and "/suivi/" not in sms.body
    (mail_to_awa,) = [m for m in mail.outbox if m.to == ["awa@example.org"]]
    assert "continue de courir" in mail_to_awa.body and "/demarches/" in mail_to_awa.body
    assert "/suivi/" not in mail_to_awa.body
    assert rows.filter(recipient=with_account.person, channel="inbox").exists()
    for report in told:  # the status and the deadline do not move
        before = report.status
        report.refresh_from_db()
        assert report.status == before
    assert AuditEvent.objects.filter(action="anomaly.fixed", actor=tech).count() == 1

    count = rows.count()
    with pytest.raises(AnomalyTransitionNotAllowed):
        services.anomaly_fix(anomaly=anomaly, by=tech)
    assert Notification.objects.filter(event="anomaly.fixed").count() == count
    assert events.count() == len(told)


def test_the_fix_notice_is_on_the_person_status_page(client, tech):
    from tests.factories import REPORT_SECRET

    report = BlockingReportFactory(anomaly=AnomalyFactory())
    services.anomaly_fix(anomaly=report.anomaly, by=tech)
    page = client.get(reverse("substitution:follow", args=[report.reference, REPORT_SECRET])).content.decode()
    assert "Le problème est corrigé : vous pouvez réessayer en ligne" in page


def test_a_fix_through_the_page(staff_client, tech):
    report = BlockingReportFactory(anomaly=AnomalyFactory())
    response = staff_client(tech).post(reverse("substitution_backoffice:anomaly_fix", args=[report.anomaly_id]),
                                       {"fix-note": "Corrigé."})
    assert response.status_code == 302
    assert Notification.objects.filter(event="anomaly.fixed", object_id=str(report.pk)).exists()


def test_suggestions_same_kind_best_match_first():
    report = BlockingReportFactory(procedure=procedure(), error_code="UPLOAD_MIME")
    kind_only = AnomalyFactory(title="type seul")
    same_procedure = AnomalyFactory(title="même démarche", procedure=procedure())
    same_code = AnomalyFactory(title="même code", error_code="UPLOAD_MIME")
    best = AnomalyFactory(title="tout pareil", error_code="UPLOAD_MIME", procedure=procedure())
    AnomalyFactory(title="autre type", kind="login", error_code="UPLOAD_MIME", procedure=procedure())
    AnomalyFactory(title="corrigée", fixed=True, error_code="UPLOAD_MIME", procedure=procedure())

    assert selectors.anomaly_suggestions(report=report) == [best, same_code, same_procedure, kind_only]
    assert list(selectors.anomalies_to_link(report=report))[:4] == [best, same_code, same_procedure, kind_only]


def test_one_click_links_a_report_to_a_suggested_anomaly(staff_client, ccc):
    report = BlockingReportFactory(error_code="UPLOAD_MIME")
    anomaly = AnomalyFactory(error_code="UPLOAD_MIME")
    client = staff_client(ccc)
    page = client.get(reverse("substitution_backoffice:detail", args=[report.reference])).content.decode()
    assert 'id="anomaly-suggestions"' in page and f'value="{anomaly.pk}"' in page
    response = client.post(reverse("substitution_backoffice:link_anomaly", args=[report.reference]),
                           {"anomaly-anomaly": anomaly.pk})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.anomaly == anomaly


def test_the_technical_team_links_a_report_from_the_anomaly(staff_client, tech):
    report = BlockingReportFactory()
    anomaly = AnomalyFactory()
    client = staff_client(tech)
    url = reverse("substitution_backoffice:anomaly_link_report", args=[anomaly.pk])
    assert client.post(url, {"link-reference": report.reference.lower()}).status_code == 302
    report.refresh_from_db()
    assert report.anomaly == anomaly
    assert client.post(url, {"link-reference": "SIG-2099-999999"}).status_code == 400


def test_a_prefecture_agent_links_nothing(staff_client):
    agent = StaffFactory(with_totp=True)
    report = BlockingReportFactory()
    anomaly = AnomalyFactory()
    with pytest.raises(PermissionDenied):
        services.report_link_anomaly(report=report, by=agent, anomaly=anomaly)
    url = reverse("substitution_backoffice:anomaly_link_report", args=[anomaly.pk])
    assert staff_client(agent).post(url, {"link-reference": report.reference}).status_code == 403


def test_a_fixed_anomaly_takes_no_more_reports(ccc):
    with pytest.raises(ValidationError):
        services.report_link_anomaly(report=BlockingReportFactory(), by=ccc, anomaly=AnomalyFactory(fixed=True))


def test_the_technical_team_finds_the_anomalies_from_the_back_office_home(staff_client, tech):
    page = staff_client(tech).get(reverse("backoffice:home")).content.decode()
    assert RANKING in page
