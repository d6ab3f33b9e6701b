"""The support desk, staff recording, and who sees what."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from substitution import services
from substitution.models import Anomaly, BlockingReport
from substitution.workflow import TransitionNotAllowed
from tests.factories import BlockingReportFactory, DossierFactory, StaffFactory, UserFactory, prefecture

pytestmark = pytest.mark.django_db

QUEUE = reverse("substitution_backoffice:queue")


def detail(report):
    return reverse("substitution_backoffice:detail", args=[report.reference])


def test_the_queue_lists_the_nearest_deadline_first_with_filters(ccc, staff_client, django_assert_max_num_queries):
    today = timezone.localdate()
    late = BlockingReportFactory(overdue=True, kind="login")
    soon = BlockingReportFactory(deadline=today + timedelta(days=2), prefecture=prefecture("33"), channel="phone",
                                 opened_by=ccc)
    later = BlockingReportFactory(deadline=today + timedelta(days=9), answered=True)
    BlockingReportFactory(resolved=True)  # done: not in the default queue
    for _ in range(20):
        BlockingReportFactory()
    client = staff_client(ccc)
    with django_assert_max_num_queries(12):
        response = client.get(QUEUE)
    rows = list(response.context["page"])
    assert rows[:3] == [late, soon, later]
    assert len(rows) == 23

    def refs(**params):
        return [r.reference for r in client.get(QUEUE, params).context["page"]]

    assert refs(overdue="on") == [late.reference]
    assert refs(kind="login") == [late.reference]
    assert refs(channel="phone") == [soon.reference]
    assert refs(prefecture=soon.prefecture_id) == [soon.reference]
    assert refs(status="answered") == [later.reference]
    assert refs(q=soon.reference) == [soon.reference]
    assert refs(q=late.last_name) == [late.reference]
    assert len(refs(status="resolved")) == 1


def test_query_count_does_not_grow_with_the_page(ccc, staff_client, django_assert_max_num_queries):
    client = staff_client(ccc)
    BlockingReportFactory.create_batch(3)
    with django_assert_max_num_queries(12) as few:
        client.get(QUEUE)
    BlockingReportFactory.create_batch(30, procedure=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(QUEUE)


def test_a_ccc_agent_answers_resolves_and_marks_unresolved(ccc, staff_client):
    report = BlockingReportFactory()
    client = staff_client(ccc)
    client.post(reverse("substitution_backoffice:answer", args=[report.reference]),
                {"answer-text": "Essayez depuis un ordinateur."})
    report.refresh_from_db()
    assert report.status == "answered"
    client.post(reverse("substitution_backoffice:unresolved", args=[report.reference]),
                {"unresolved-why": "Le paiement échoue pour tous les timbres de ce type."})
    report.refresh_from_db()
    assert report.status == "unresolved"
    client.post(reverse("substitution_backoffice:resolve", args=[report.reference]),
                {"answer-text": "Le correctif est en ligne."})
    report.refresh_from_db()
    assert report.status == "resolved" and report.resolved_at
    assert [e.kind for e in report.events.all()] == ["answered", "unresolved", "resolved"]
    assert AuditEvent.objects.filter(object_id=str(report.pk), action="report.answered", actor=ccc).exists()
    # The internal reason is not shown to the person.
    from tests.factories import REPORT_SECRET

    page = client.get(reverse("substitution:follow", args=[report.reference, REPORT_SECRET])).content.decode()
    assert "Essayez depuis un ordinateur." in page and "tous les timbres" not in page


def test_an_empty_answer_comes_back_with_its_error(ccc, staff_client):
    report = BlockingReportFactory()
    response = staff_client(ccc).post(reverse("substitution_backoffice:answer", args=[report.reference]),
                                      {"answer-text": "  "})
    assert response.status_code == 400
    assert response.context["answer_form"].errors


def test_transitions_not_in_the_table_are_refused(ccc):
    with pytest.raises(TransitionNotAllowed):
        services.report_mark_unresolved(report=BlockingReportFactory(resolved=True), by=ccc, why="x")
    with pytest.raises(TransitionNotAllowed):
        services.report_resolve(report=BlockingReportFactory(status="closed"), by=ccc)
    with pytest.raises(TransitionNotAllowed):
        services.report_answer(report=BlockingReportFactory(unresolved=True), by=ccc, text="x")


def test_only_a_verified_ccc_agent_answers():
    report = BlockingReportFactory()
    for someone in (StaffFactory(), StaffFactory(mediator=True), StaffFactory(support=True, verified=False)):
        with pytest.raises(PermissionDenied):
            services.report_answer(report=report, by=someone, text="x")


def test_linking_to_an_existing_or_a_new_anomaly(ccc, staff_client):
    first, second = BlockingReportFactory(kind="payment"), BlockingReportFactory(kind="payment")
    client = staff_client(ccc)
    client.post(reverse("substitution_backoffice:link_anomaly", args=[first.reference]),
                {"anomaly-title": "Timbre fiscal refusé"})
    anomaly = Anomaly.objects.get()
    assert (anomaly.kind, anomaly.created_by) == ("payment", ccc)
    page = client.get(detail(second))
    assert anomaly in page.context["anomalies"]
    client.post(reverse("substitution_backoffice:link_anomaly", args=[second.reference]),
                {"anomaly-anomaly": anomaly.pk})
    assert set(anomaly.reports.all()) == {first, second}
    assert second.events.get().kind == "anomaly_linked"


def test_a_ccc_agent_records_a_phone_report(ccc, staff_client):
    response = staff_client(ccc).post(reverse("substitution_backoffice:record"), {
        "kind": "login", "last_name": "Diallo", "phone": "06 98 76 54 32", "postal_code": "20200", "language": "fr"})
    report = BlockingReport.objects.get()
    assert response.status_code == 302
    assert (report.channel, report.opened_by, report.site) == ("phone", ccc, None)
    assert report.prefecture.department.code == "2B"
    assert AuditEvent.objects.filter(action="report.opened", actor=ccc).exists()


def test_a_mediator_records_a_walk_in_at_their_site(staff_client, pan_site):
    mediator = StaffFactory(mediator=True, role__site=pan_site, with_totp=True)
    client = staff_client(mediator)
    assert reverse("substitution_backoffice:record") in client.get(reverse("backoffice:home")).content.decode()
    response = client.post(reverse("substitution_backoffice:record"), {
        "kind": "appointment", "last_name": "Sow", "email": "sow@example.org", "postal_code": "69003",
        "language": "fr"})
    report = BlockingReport.objects.get()
    assert (report.channel, report.site, report.opened_by) == ("pan", pan_site, mediator)
    page = client.get(response["Location"])
    assert "/signaler/suivi/" in page.content.decode()  # the follow link to give the person


def test_a_mediator_cannot_record_for_another_site(pan_site):
    from territory.models import Site

    other = Site.objects.create(prefecture=prefecture("33"), kind="pan", name="PAN Bordeaux", postal_code="33000",
                                city="Bordeaux")
    mediator = StaffFactory(mediator=True, role__site=pan_site)
    with pytest.raises(PermissionDenied):
        services.report_open(channel="pan", by=mediator, site=other, prefecture=prefecture("33"),
                             contact=services.Contact(last_name="X", phone="0612345678"),
                             blockage=services.Blockage(kind="other"))


def test_a_ccc_agent_cannot_see_dossiers(ccc, staff_client):
    dossier = DossierFactory(filed=True)
    client = staff_client(ccc)
    assert client.get(reverse("backoffice_instruction:queue")).status_code == 403
    assert client.get(reverse("backoffice_instruction:dossier", args=[dossier.pk])).status_code in (403, 404)


@pytest.mark.parametrize(("who", "sees"), [
    ("ccc", True), ("agent_69", True), ("supervisor_69", True), ("agent_33", False),
    ("mediator_of_site", True), ("other_mediator_same_site", False), ("mediator_other_site", False),
])
def test_access_matrix_for_staff(who, sees, staff_client, pan_site):
    from territory.models import Site

    opener = StaffFactory(mediator=True, role__site=pan_site, with_totp=True)
    report = BlockingReportFactory(channel="pan", site=pan_site, opened_by=opener)
    other_site = Site.objects.create(prefecture=prefecture("69"), kind="pan", name="PAN Villeurbanne",
                                     postal_code="69100", city="Villeurbanne")
    people = {
        "ccc": lambda: StaffFactory(support=True, with_totp=True),
        "agent_69": lambda: StaffFactory(with_totp=True),
        "supervisor_69": lambda: StaffFactory(supervisor=True, with_totp=True),
        "agent_33": lambda: StaffFactory(role__code="33", with_totp=True),
        "mediator_of_site": lambda: opener,
        "other_mediator_same_site": lambda: StaffFactory(mediator=True, role__site=pan_site, with_totp=True),
        "mediator_other_site": lambda: StaffFactory(mediator=True, role__site=other_site, with_totp=True),
    }
    client = staff_client(people[who]())
    assert client.get(detail(report)).status_code == (200 if sees else 404)
    listed = [r.reference for r in client.get(QUEUE).context["page"]] if client.get(QUEUE).status_code == 200 else []
    assert (report.reference in listed) == sees


def test_prefecture_agents_read_but_do_not_act(staff_client):
    report = BlockingReportFactory()
    client = staff_client(StaffFactory(with_totp=True))
    page = client.get(detail(report))
    assert page.status_code == 200 and not page.context["may_answer"]
    response = client.post(reverse("substitution_backoffice:answer", args=[report.reference]), {"answer-text": "x"})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == "open"


def test_applicants_and_anonymous_do_not_reach_the_desk(client):
    report = BlockingReportFactory(with_account=True)
    assert client.get(detail(report)).status_code == 302  # to the login page
    client.force_login(report.person)  # even the person: their page is elsewhere
    assert client.get(detail(report)).status_code == 403
    client.force_login(UserFactory())
    assert client.get(QUEUE).status_code == 403


def test_evidence_download_by_staff_who_may_see_the_report(ccc, staff_client):
    from tests.applications.helpers import pdf_file

    opened = services.report_open(channel="online", prefecture=prefecture("69"),
                                  contact=services.Contact(last_name="X", phone="0612345678"),
                                  blockage=services.Blockage(kind="other", files=[pdf_file()]))
    item = opened.report.evidence.get()
    url = reverse("substitution_backoffice:evidence", args=[opened.report.reference, item.pk])
    assert staff_client(ccc).get(url).status_code == 200
    assert staff_client(StaffFactory(role__code="33", with_totp=True)).get(url).status_code == 404
