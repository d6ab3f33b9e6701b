"""The rules of the walk-in log, through its services: each rule has a test that fails without it."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AuditEvent
from mediation import services
from mediation.models import Visit
from tests.factories import BlockingReportFactory, StaffFactory, UserFactory
from tests.mediation.helpers import visit

pytestmark = pytest.mark.django_db


def walk_in_report(site, **extra):
    return BlockingReportFactory(channel="pan", site=site, opened_by=StaffFactory(mediator=True, role__site=site),
                                 **extra)


# --- Check-in ---------------------------------------------------------------------------------------

def test_a_mediator_checks_in_a_visitor_without_an_account(mediator, pan):
    made = services.visit_check_in(by=mediator, site=pan, need="create_account", need_details="Pas d'e-mail",
                                   visitor=services.Visitor(first_name=" Ibrahim ", last_name="Koné ", phone="06 11"))
    assert (made.first_name, made.last_name, made.phone, made.person) == ("Ibrahim", "Koné", "06 11", None)
    assert made.mediator == mediator and made.site == pan and made.in_progress
    assert made.visitor_name == "Ibrahim KONÉ"
    event = AuditEvent.objects.get(action="mediation.visit_checked_in")
    assert (event.actor, event.object_id, event.data["with_account"]) == (mediator, str(made.pk), False)


def test_a_visitor_with_an_account_is_named_by_the_account_only(mediator, pan):
    person = UserFactory(first_name="Awa", last_name="Diallo")
    made = services.visit_check_in(by=mediator, site=pan, need="follow_file", person=person,
                                   visitor=services.Visitor(last_name="ignored"))
    assert made.person == person and made.last_name == ""
    assert made.visitor_name == "Awa DIALLO"


def test_a_visitor_without_an_account_needs_a_last_name(mediator, pan):
    with pytest.raises(ValidationError) as refusal:
        services.visit_check_in(by=mediator, site=pan, need="other", visitor=services.Visitor(last_name="  "))
    assert "last_name" in refusal.value.error_dict
    assert not Visit.objects.exists()


def test_the_need_must_be_one_of_the_list(mediator, pan):
    with pytest.raises(ValidationError):
        services.visit_check_in(by=mediator, site=pan, need="anything", visitor=services.Visitor(last_name="Koné"))


def test_a_visit_does_not_begin_in_the_future(mediator, pan):
    with pytest.raises(ValidationError):
        services.visit_check_in(by=mediator, site=pan, need="other", visitor=services.Visitor(last_name="Koné"),
                                at=timezone.now() + timedelta(minutes=5))


def test_a_member_of_staff_is_not_a_visitor_account(mediator, pan):
    with pytest.raises(ValidationError):
        services.visit_check_in(by=mediator, site=pan, need="other", person=StaffFactory())


def test_a_mediator_of_another_pan_may_not_check_in_here(other_mediator, pan):
    with pytest.raises(PermissionDenied):
        services.visit_check_in(by=other_mediator, site=pan, need="other", visitor=services.Visitor(last_name="K"))


def test_a_mediator_without_a_verified_second_factor_may_not_check_in(pan):
    unverified = StaffFactory(mediator=True, role__site=pan, verified=False)
    with pytest.raises(PermissionDenied):
        services.visit_check_in(by=unverified, site=pan, need="other", visitor=services.Visitor(last_name="K"))


def test_an_agent_may_not_check_in(pan):
    with pytest.raises(PermissionDenied):
        services.visit_check_in(by=StaffFactory(), site=pan, need="other", visitor=services.Visitor(last_name="K"))


def test_the_log_is_kept_at_a_pan_only(db):
    from tests.factories import prefecture

    desk_site = prefecture("69").sites.exclude(kind="pan").first()
    mediator = StaffFactory(mediator=True, role__site=desk_site)
    with pytest.raises(ValidationError):
        services.visit_check_in(by=mediator, site=desk_site, need="other", visitor=services.Visitor(last_name="K"))


# --- Record -------------------------------------------------------------------------------------------

def test_recording_writes_the_need_the_help_and_the_outcome_and_audits_the_change(mediator, pan):
    made = visit(by=mediator, site=pan)
    services.visit_record(visit=made, by=mediator, need="upload_piece", need_details="  Justificatif ",
                          help_given=" Scan du justificatif ", outcome="done_online")
    made.refresh_from_db()
    assert (made.need, made.need_details, made.help_given, made.outcome) == (
        "upload_piece", "Justificatif", "Scan du justificatif", "done_online")
    event = AuditEvent.objects.get(action="mediation.visit_recorded")
    assert event.data["before"]["need"] == "file_request" and event.data["after"]["outcome"] == "done_online"


def test_a_referral_says_to_whom(mediator, pan):
    made = visit(by=mediator, site=pan)
    with pytest.raises(ValidationError) as refusal:
        services.visit_record(visit=made, by=mediator, need="other", outcome="referred", referred_to=" ")
    assert "referred_to" in refusal.value.error_dict
    services.visit_record(visit=made, by=mediator, need="other", outcome="referred", referred_to="CCAS de Lyon")
    made.refresh_from_db()
    assert made.referred_to == "CCAS de Lyon"


def test_referred_to_is_dropped_for_another_outcome(mediator, pan):
    made = visit(by=mediator, site=pan)
    services.visit_record(visit=made, by=mediator, need="other", outcome="will_come_back", referred_to="CCAS")
    made.refresh_from_db()
    assert made.referred_to == ""


def test_report_opened_names_a_walk_in_report_of_this_pan(mediator, pan, other_pan):
    made = visit(by=mediator, site=pan)
    with pytest.raises(ValidationError) as refusal:
        services.visit_record(visit=made, by=mediator, need="other", outcome="report_opened")
    assert "report" in refusal.value.error_dict
    with pytest.raises(ValidationError):
        services.visit_record(visit=made, by=mediator, need="other", outcome="report_opened",
                              report=walk_in_report(other_pan))
    with pytest.raises(ValidationError):  # an online report, not opened at the desk
        services.visit_record(visit=made, by=mediator, need="other", outcome="report_opened",
                              report=BlockingReportFactory())
    report = walk_in_report(pan)
    services.visit_record(visit=made, by=mediator, need="other", outcome="report_opened", report=report)
    made.refresh_from_db()
    assert made.report == report


def test_a_report_belongs_to_one_visit(mediator, pan):
    report = walk_in_report(pan)
    first, second = visit(by=mediator, site=pan), visit(by=mediator, site=pan)
    services.visit_record(visit=first, by=mediator, need="other", outcome="report_opened", report=report)
    with pytest.raises(ValidationError):
        services.visit_record(visit=second, by=mediator, need="other", outcome="report_opened", report=report)


def test_another_outcome_unlinks_the_report(mediator, pan):
    made = visit(by=mediator, site=pan)
    report = walk_in_report(pan)
    services.visit_record(visit=made, by=mediator, need="other", outcome="report_opened", report=report)
    services.visit_record(visit=made, by=mediator, need="other", outcome="done_online", report=report)
    made.refresh_from_db()
    assert made.report is None


def test_an_unknown_outcome_is_refused(mediator, pan):
    with pytest.raises(ValidationError):
        services.visit_record(visit=visit(by=mediator, site=pan), by=mediator, need="other", outcome="lost")


def test_an_unknown_need_is_refused_when_recording(mediator, pan):
    with pytest.raises(ValidationError):
        services.visit_record(visit=visit(by=mediator, site=pan), by=mediator, need="lost")


def test_only_a_mediator_of_the_pan_records(mediator, other_mediator, pan):
    made = visit(by=mediator, site=pan)
    with pytest.raises(PermissionDenied):
        services.visit_record(visit=made, by=other_mediator, need="other", outcome="done_online")
    colleague = StaffFactory(mediator=True, role__site=pan)
    services.visit_record(visit=made, by=colleague, need="other", outcome="done_online")


def test_an_ended_visit_is_not_changed(mediator, pan):
    made = visit(by=mediator, site=pan, minutes=10)
    with pytest.raises(ValidationError):
        services.visit_record(visit=made, by=mediator, need="other", outcome="will_come_back")


# --- End ------------------------------------------------------------------------------------------

def test_ending_counts_the_minutes_since_arrival(mediator, pan):
    arrived = timezone.now() - timedelta(minutes=30)
    made = services.visit_check_in(by=mediator, site=pan, need="other", at=arrived,
                                   visitor=services.Visitor(last_name="Koné"))
    services.visit_record(visit=made, by=mediator, need="other", outcome="done_online")
    ended = services.visit_end(visit=made, by=mediator, at=arrived + timedelta(minutes=24, seconds=10))
    assert (ended.duration_minutes, ended.duration_entered, ended.ended_by) == (25, False, mediator)
    event = AuditEvent.objects.get(action="mediation.visit_ended")
    assert event.data == {"outcome": "done_online", "duration_minutes": 25, "duration_entered": False}


def test_a_visit_logged_afterwards_takes_the_minutes_entered(mediator, pan):
    made = visit(by=mediator, site=pan)
    services.visit_record(visit=made, by=mediator, need="other", outcome="will_come_back")
    ended = services.visit_end(visit=made, by=mediator, duration_minutes=45)
    assert (ended.duration_minutes, ended.duration_entered) == (45, True)


def test_a_visit_needs_an_outcome_to_end(mediator, pan):
    with pytest.raises(ValidationError) as refusal:
        services.visit_end(visit=visit(by=mediator, site=pan), by=mediator)
    assert "outcome" in refusal.value.error_dict


def test_a_visit_ends_once(mediator, pan):
    made = visit(by=mediator, site=pan, minutes=10)
    with pytest.raises(ValidationError):
        services.visit_end(visit=made, by=mediator, duration_minutes=20)
    made.refresh_from_db()
    assert made.duration_minutes == 10
    assert AuditEvent.objects.filter(action="mediation.visit_ended").count() == 1


@pytest.mark.parametrize("minutes", [0, -5, 481])
def test_an_entered_duration_lies_between_one_minute_and_eight_hours(mediator, pan, minutes):
    made = visit(by=mediator, site=pan)
    services.visit_record(visit=made, by=mediator, need="other", outcome="done_online")
    with pytest.raises(ValidationError) as refusal:
        services.visit_end(visit=made, by=mediator, duration_minutes=minutes)
    assert "duration_minutes" in refusal.value.error_dict


def test_a_visit_left_open_for_more_than_eight_hours_asks_for_its_duration(mediator, pan):
    made = visit(by=mediator, site=pan, at=timezone.now() - timedelta(hours=9))
    services.visit_record(visit=made, by=mediator, need="other", outcome="done_online")
    with pytest.raises(ValidationError) as refusal:
        services.visit_end(visit=made, by=mediator)
    assert "8 heures" in str(refusal.value.error_dict["duration_minutes"])
    assert services.visit_end(visit=made, by=mediator, duration_minutes=50).duration_minutes == 50


def test_a_visit_does_not_end_before_it_began(mediator, pan):
    made = visit(by=mediator, site=pan)
    services.visit_record(visit=made, by=mediator, need="other", outcome="done_online")
    with pytest.raises(ValidationError):
        services.visit_end(visit=made, by=mediator, at=made.arrived_at - timedelta(minutes=1))


def test_only_a_mediator_of_the_pan_ends_a_visit(mediator, other_mediator, pan):
    made = visit(by=mediator, site=pan)
    services.visit_record(visit=made, by=mediator, need="other", outcome="done_online")
    with pytest.raises(PermissionDenied):
        services.visit_end(visit=made, by=other_mediator)


# --- The database keeps the invariants, whatever writes ------------------------------------------

def _write(made, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=made.pk).update(**fields)


def test_the_database_refuses_a_broken_visit(mediator, pan):
    made = visit(by=mediator, site=pan)
    _write(made, outcome="report_opened")  # without its report
    _write(made, person=None, last_name="")  # nobody
    _write(made, outcome="referred", referred_to="")
    _write(made, need="lost")
    _write(made, outcome="lost")
    now = timezone.now()
    _write(made, ended_at=now, ended_by=mediator, duration_minutes=10)  # ended without an outcome
    _write(made, outcome="done_online", ended_at=now, ended_by=mediator)  # ended without a duration
    _write(made, outcome="done_online", duration_minutes=10)  # a duration, not ended
    for minutes in (0, 481):
        _write(made, outcome="done_online", ended_at=now, ended_by=mediator, duration_minutes=minutes)
    _write(made, outcome="done_online", ended_at=made.arrived_at - timedelta(minutes=1), ended_by=mediator,
           duration_minutes=5)


def test_the_database_refuses_a_report_on_two_visits_or_without_its_outcome(mediator, pan):
    report = walk_in_report(pan)
    first, second = visit(by=mediator, site=pan), visit(by=mediator, site=pan)
    services.visit_record(visit=first, by=mediator, need="other", outcome="report_opened", report=report)
    _write(second, outcome="report_opened", report=report)
    _write(first, outcome="done_online")  # the report stays without its outcome
