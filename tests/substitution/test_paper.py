"""The paper path: the act of impossibility, the deadline job, invitations, a missed convocation,
another date once, and what the person and the staff see (issue 11, items 4 and 5)."""

from __future__ import annotations

import html
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from appointments.dates import PARIS
from appointments.models import Booking, Desk, Motive, Slot
from appointments.services import booking_mark
from documents.models import IssuedDocument
from notifications.models import Notification
from substitution import services
from substitution.models import BlockingReport, Impossibility, Invitation, ReportEvent
from tests.factories import REPORT_SECRET, BlockingReportFactory, StaffFactory, UserFactory, prefecture

pytestmark = pytest.mark.django_db

#: A Monday; with the 3 working days of notice, the first paper-filing slot is Thursday's.
TODAY = "2026-03-02 20:00 +01:00"


def paper_slot(day: str, hour: int = 9, *, code: str = "69", capacity: int = 1) -> Slot:
    """A free paper-filing slot at the first site of the prefecture."""
    site = prefecture(code).sites.first()
    desk, _ = Desk.objects.get_or_create(site=site, name="Guichet 3 – Dépôt sur papier")
    motive = Motive.objects.get(code=Motive.Code.PAPER_FILING)
    desk.motives.add(motive)
    starts = datetime.combine(datetime.fromisoformat(day).date(), time(hour), tzinfo=PARIS)
    return Slot.objects.create(desk=desk, motive=motive, starts_at=starts, ends_at=starts + timedelta(minutes=45),
                               capacity=capacity)


def invitations(report) -> list[Invitation]:
    return list(Invitation.objects.filter(report=report).order_by("id"))


def kinds(report) -> list[str]:
    return list(ReportEvent.objects.filter(report=report).order_by("at", "id").values_list("kind", flat=True))


@pytest.fixture
def clock():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


# --- The act of impossibility --------------------------------------------------------------------

def test_an_agent_of_the_prefecture_records_the_act_and_the_person_is_invited_at_once(clock):
    slot = paper_slot("2026-03-05")
    report = BlockingReportFactory(unresolved=True, with_account=True)
    agent = StaffFactory()

    services.impossibility_record(report=report, by=agent, grounds="Le téléversement échoue depuis 3 semaines.")

    report.refresh_from_db()
    act = Impossibility.objects.get(report=report)
    assert (act.recorded_by, act.grounds) == (agent, "Le téléversement échoue depuis 3 semaines.")
    assert report.status == "invited"
    [invitation] = invitations(report)
    assert invitation.booking.slot == slot and invitation.booking.kind == "convocation"
    assert invitation.booking.person == report.person and invitation.created_by == agent
    assert invitation.letter is not None and invitation.letter.kind == "convocation"
    assert kinds(report)[-2:] == ["impossibility", "invited"]
    assert AuditEvent.objects.filter(actor=agent, action="report.impossibility").exists()
    assert Notification.objects.filter(recipient=report.person, event="report.invited").exists()


@pytest.mark.parametrize("who", ["other_prefecture", "support", "unverified", "person"])
def test_only_a_verified_agent_of_the_competent_prefecture_records_the_act(clock, who):
    report = BlockingReportFactory(unresolved=True)
    by = {
        "other_prefecture": lambda: StaffFactory(role__code="13"),
        "support": lambda: StaffFactory(support=True),
        "unverified": lambda: StaffFactory(verified=False),
        "person": lambda: UserFactory(),
    }[who]()

    with pytest.raises(PermissionDenied):
        services.impossibility_record(report=report, by=by, grounds="Motifs")

    assert BlockingReport.objects.get(pk=report.pk).status == "unresolved"
    assert not Impossibility.objects.exists()


def test_the_portal_records_the_act_only_once_the_deadline_has_passed(clock):
    report = BlockingReportFactory(unresolved=True)  # deadline in 15 days

    with pytest.raises(PermissionDenied):
        services.impossibility_record(report=report, by=None, grounds="Délai dépassé")


def test_the_act_needs_grounds_and_an_active_report(clock):
    agent = StaffFactory()
    with pytest.raises(ValidationError):
        services.impossibility_record(report=BlockingReportFactory(), by=agent, grounds="  ")
    with pytest.raises(ValidationError):
        services.impossibility_record(report=BlockingReportFactory(resolved=True), by=agent, grounds="Motifs")


# --- The deadline job ----------------------------------------------------------------------------

def test_the_whole_path_for_a_person_without_an_account(client, django_capture_on_commit_callbacks):
    """Report without an account; the deadline passes; the job records the impossibility, books
    the earliest slot, issues a verifiable letter and writes the messages to the outbox."""
    with time_machine.travel("2026-02-10 10:00 +01:00", tick=False):
        report = BlockingReportFactory(email="awa@example.org", phone="", first_name="Awa")
        assert report.person is None
    later, earliest = paper_slot("2026-03-06"), paper_slot("2026-03-05", 10)
    paper_slot("2026-03-04")  # before the 3 working days of notice

    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = services.deadline_job()

    report.refresh_from_db()
    assert result.impossibilities == 1
    assert report.status == "invited" and report.person is not None
    assert report.person.email == "awa@example.org" and report.person.origin == "assisted"
    act = report.impossibility
    assert act.recorded_by is None and "25/02/2026" in act.grounds
    [invitation] = invitations(report)
    assert invitation.booking.slot == earliest and invitation.booking.slot != later
    assert invitation.booking.subject_id == str(report.pk)
    # The letter: date, place, desk, reference, the documents to bring, what if one cannot come.
    letter = IssuedDocument.objects.get(pk=invitation.letter_id)
    data = letter.context
    assert data["file_reference"].startswith(report.reference)
    assert data["documents_list"] and data["cannot_come"] == {"phone": "0 806 001 620"}
    assert data["desk"] == "Guichet 3 – Dépôt sur papier"
    assert letter.is_rendered
    verified = client.post(reverse("documents:verify"), {"code": letter.verification_code_display})
    assert letter.number in html.unescape(verified.content.decode())
    # Messages: e-mail (and inbox) for the account found or made from the report's details.
    channels = set(Notification.objects.filter(recipient=report.person, event="report.invited")
                   .values_list("channel", flat=True))
    assert channels == {"inbox", "email"}
    # The follow link keeps working, and shows the invitation.
    page = client.get(reverse("substitution:follow", args=[report.reference, REPORT_SECRET]))
    assert page.status_code == 200
    assert "05/03/2026" in page.content.decode()


def test_the_letter_lists_the_documents_of_the_procedure(clock):
    from applications.models import ProcedureDocument
    from tests.factories import procedure

    paper_slot("2026-03-05")
    chosen = procedure()
    report = BlockingReportFactory(overdue=True, procedure=chosen)
    required = [str(row.document_type.name) for row in ProcedureDocument.objects.filter(
        procedure=chosen, required=True).order_by("position", "id")]

    services.deadline_job()

    letter = Invitation.objects.get(report=report).letter
    assert required and letter.context["documents_list"] == required
    assert letter.context["procedure"] == chosen.name


def test_without_a_slot_the_report_is_flagged_and_the_supervisors_alerted_once(clock):
    report = BlockingReportFactory(overdue=True)
    supervisor, agent = StaffFactory(supervisor=True), StaffFactory()
    paper_slot("2026-05-20")  # beyond the horizon

    services.deadline_job()
    services.deadline_job()

    report.refresh_from_db()
    assert report.status == "impossibility_established" and report.no_slot_flagged_at is not None
    assert not invitations(report)
    assert kinds(report).count("no_slot") == 1
    alerts = Notification.objects.filter(event="report.no_slot")
    assert {n.recipient for n in alerts} == {supervisor}
    assert alerts.filter(channel="inbox").count() == 1
    assert not Notification.objects.filter(recipient=agent).exists()

    # A slot opens: the next run invites, and the flag goes.
    slot = paper_slot("2026-03-09")
    services.deadline_job()
    report.refresh_from_db()
    assert report.status == "invited" and report.no_slot_flagged_at is None
    assert invitations(report)[0].booking.slot == slot


def test_the_job_leaves_alone_reports_within_their_deadline_and_resolved_ones(clock):
    paper_slot("2026-03-05", capacity=5)
    waiting = BlockingReportFactory(unresolved=True)
    resolved = BlockingReportFactory(overdue=True, resolved=True)
    due_today = BlockingReportFactory(deadline=timezone.localdate())

    services.deadline_job()

    for report in (waiting, resolved, due_today):
        assert not Impossibility.objects.filter(report=report).exists()


def test_invariant_after_the_job_every_overdue_report_is_invited_or_flagged_and_a_second_run_changes_nothing(clock):
    paper_slot("2026-03-05", capacity=2)
    reports = [BlockingReportFactory(overdue=True) for _ in range(4)] + [
        BlockingReportFactory(overdue=True, answered=True), BlockingReportFactory(overdue=True, with_account=True)]

    services.deadline_job()

    for report in BlockingReport.objects.filter(pk__in=[r.pk for r in reports]):
        assert report.status in ("invited", "impossibility_established")
        assert (report.invitations.filter(status="scheduled").count() == 1) or report.no_slot_flagged_at
    snapshot = (Impossibility.objects.count(), Invitation.objects.count(), Booking.objects.count(),
                Notification.objects.count(), ReportEvent.objects.count(), IssuedDocument.objects.count())
    assert snapshot[1] == 2

    services.deadline_job()

    assert snapshot == (Impossibility.objects.count(), Invitation.objects.count(), Booking.objects.count(),
                        Notification.objects.count(), ReportEvent.objects.count(), IssuedDocument.objects.count())


# --- A missed convocation, another date ----------------------------------------------------------

def test_a_missed_convocation_leads_to_a_new_one(clock):
    first = paper_slot("2026-03-05")
    report = BlockingReportFactory(overdue=True)
    services.deadline_job()
    second = paper_slot("2026-03-12")
    desk_agent = StaffFactory()

    clock.move_to("2026-03-05 11:00 +01:00")
    booking_mark(booking=Invitation.objects.get(report=report).booking, by=desk_agent, status="no_show")
    services.deadline_job()
    services.deadline_job()

    report.refresh_from_db()
    old, new = invitations(report)
    assert (old.status, old.booking.slot) == ("missed", first)
    assert (new.status, new.booking.slot, new.asked_by_person) == ("scheduled", second, False)
    assert report.status == "invited"
    assert kinds(report)[-2:] == ["invitation_missed", "invited"]


def test_the_person_asks_for_another_date_once_through_the_follow_link(client, clock):
    first, second = paper_slot("2026-03-05"), paper_slot("2026-03-06")
    third = paper_slot("2026-03-09")
    report = BlockingReportFactory(overdue=True)
    services.deadline_job()
    follow = reverse("substitution:follow", args=[report.reference, REPORT_SECRET])
    assert "Demander une autre date" in client.get(follow).content.decode()

    response = client.post(reverse("substitution:follow_another_date", args=[report.reference, REPORT_SECRET]))

    assert response.status_code == 302
    old, new = invitations(report)
    assert old.status == "replaced" and old.booking.status == "cancelled"
    assert new.status == "scheduled" and new.asked_by_person and new.booking.slot == second
    assert Slot.objects.get(pk=first.pk).booked == 0
    page = client.get(follow).content.decode()
    assert "Demander une autre date" not in page
    # Once: refused the second time, nothing changes.
    with pytest.raises(ValidationError):
        services.invitation_ask_another_date(report=report, by=None, secret=REPORT_SECRET)
    assert Invitation.objects.filter(report=report).count() == 2
    assert Slot.objects.get(pk=third.pk).booked == 0


def test_another_date_needs_the_secret_or_the_account(clock):
    paper_slot("2026-03-05"), paper_slot("2026-03-06")
    report = BlockingReportFactory(overdue=True)
    services.deadline_job()

    with pytest.raises(PermissionDenied):
        services.invitation_ask_another_date(report=report, by=None, secret="not-the-secret")
    with pytest.raises(PermissionDenied):
        services.invitation_ask_another_date(report=report, by=UserFactory())
    assert Invitation.objects.filter(report=report).count() == 1


def test_another_date_without_a_later_slot_is_refused_and_the_convocation_kept(clock):
    only = paper_slot("2026-03-05")
    report = BlockingReportFactory(overdue=True, with_account=True)
    services.deadline_job()

    with pytest.raises(ValidationError):
        services.invitation_ask_another_date(report=report, by=report.person)

    [invitation] = invitations(report)
    assert invitation.status == "scheduled" and invitation.booking.status == "booked"
    assert Slot.objects.get(pk=only.pk).booked == 1
