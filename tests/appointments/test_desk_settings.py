"""A supervisor sets a desk's weekly hours and closures (``appointments/services/settings.py``):
what is refused and with which message, which free slots close, which bookings are handed back to
be moved (never cancelled), and the audit row each change leaves."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from appointments.models import Booking, Closure, Desk, OpeningRule, Site, Slot
from appointments.services import booking_create
from appointments.services.settings import closure_create, desk_slots_generate, rule_create, rule_delete
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
#: Tuesday 8 December 2026, 10:00 in Paris.
NOW = datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
WEDNESDAY, THURSDAY = date(2026, 12, 9), date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def supervisor(db):
    return StaffFactory(supervisor=True)


@pytest.fixture
def bare_desk(site_69, pan_assistance, biometrics) -> Desk:
    """A desk of the Rhône prefecture with no hours yet, for PAN assistance (30 min) and biometrics."""
    desk = Desk.objects.create(site=site_69, name="Guichet 2")
    desk.motives.set([pan_assistance, biometrics])
    return desk


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def slot(desk: Desk, motive, starts_at: datetime) -> Slot:
    return Slot.objects.create(desk=desk, motive=motive, starts_at=starts_at, capacity=2,
                               ends_at=starts_at + timedelta(minutes=motive.duration_minutes))


def open_slots(desk: Desk) -> list[datetime]:
    return [s.starts_at for s in Slot.objects.filter(desk=desk, is_cancelled=False).order_by("starts_at")]


def add_rule(desk, by, motive, **overrides) -> OpeningRule:
    fields = {"weekday": WEDNESDAY.weekday(), "opens_at": time(9), "closes_at": time(12), "capacity": 2,
              "valid_from": TODAY, **overrides}
    return rule_create(desk=desk, by=by, motive=motive, **fields)


def refusal(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


# --- Weekly hours --------------------------------------------------------------------------------

def test_a_supervisor_adds_weekly_hours_and_the_audit_row_says_exactly_what(bare_desk, supervisor, pan_assistance):
    rule = add_rule(bare_desk, supervisor, pan_assistance, valid_until=date(2027, 6, 30))

    rule.refresh_from_db()
    assert (rule.desk, rule.motive, rule.weekday, rule.opens_at, rule.closes_at, rule.capacity, rule.valid_from,
            rule.valid_until) == (bare_desk, pan_assistance, 2, time(9), time(12), 2, TODAY, date(2027, 6, 30))
    event = AuditEvent.objects.get(action="opening_rule.created", object_id=str(rule.pk))
    assert event.actor == supervisor
    assert event.data == {"desk": bare_desk.pk, "motive": "pan_assistance", "weekday": 2, "opens_at": "09:00",
                          "closes_at": "12:00", "capacity": 2, "valid_from": "2026-12-08",
                          "valid_until": "2027-06-30"}


def test_weekly_hours_without_an_end_are_audited_as_open_ended(bare_desk, supervisor, pan_assistance):
    rule = add_rule(bare_desk, supervisor, pan_assistance)
    assert AuditEvent.objects.get(action="opening_rule.created").data["valid_until"] is None
    assert rule.valid_until is None


def test_only_a_supervisor_of_the_prefecture_sets_the_hours(bare_desk, pan_assistance):
    # An agent, and a supervisor who typed only a password (no second factor).
    for someone in (StaffFactory(), StaffFactory(supervisor=True, verified=False)):
        with pytest.raises(PermissionDenied) as error:
            add_rule(bare_desk, someone, pan_assistance)
        assert str(error.value) == "Seul un chef de bureau de la préfecture règle les horaires de ce guichet."
    assert not OpeningRule.objects.filter(desk=bare_desk).exists()
    assert not AuditEvent.objects.filter(action="opening_rule.created").exists()


def test_hours_for_a_motive_the_desk_does_not_receive_are_refused(bare_desk, supervisor):
    from appointments.models import Motive

    collection = Motive.objects.get(code=Motive.Code.CARD_COLLECTION)
    assert refusal(lambda: add_rule(bare_desk, supervisor, collection)) == {
        "motive": ["Ce guichet ne reçoit pas pour ce motif."]}


@pytest.mark.parametrize(("opens_at", "closes_at", "message"), [
    (time(9), time(9), "L'heure de fermeture doit suivre l'heure d'ouverture."),
    (time(9), time(8, 59), "L'heure de fermeture doit suivre l'heure d'ouverture."),
    (time(9), time(9, 29), "La plage est plus courte qu'un rendez-vous (30 minutes)."),
])
def test_hours_closing_too_soon_are_refused_with_their_message(bare_desk, supervisor, pan_assistance, opens_at,
                                                                closes_at, message):
    assert refusal(lambda: add_rule(bare_desk, supervisor, pan_assistance, opens_at=opens_at,
                                    closes_at=closes_at)) == {"closes_at": [message]}
    assert not OpeningRule.objects.filter(desk=bare_desk).exists()


def test_the_shortest_hours_hold_one_appointment_for_one_person_on_a_single_day(
    bare_desk, supervisor, pan_assistance,
):
    rule = add_rule(bare_desk, supervisor, pan_assistance, opens_at=time(9), closes_at=time(9, 30), capacity=1,
                    valid_from=WEDNESDAY, valid_until=WEDNESDAY)
    assert (rule.closes_at, rule.capacity, rule.valid_until) == (time(9, 30), 1, WEDNESDAY)


def test_every_mistake_in_the_hours_is_named_at_once(bare_desk, supervisor, pan_assistance):
    errors = refusal(lambda: add_rule(bare_desk, supervisor, pan_assistance, capacity=0, valid_from=THURSDAY,
                                      valid_until=WEDNESDAY))
    assert errors == {"capacity": ["Au moins une personne par créneau."],
                      "valid_until": ["La fin de validité doit suivre son début."]}


@pytest.mark.parametrize("field", ["valid_from", "valid_until"])
def test_hours_dated_out_of_range_are_refused(bare_desk, supervisor, pan_assistance, field):
    errors = refusal(lambda: add_rule(bare_desk, supervisor, pan_assistance, **{field: date(2099, 1, 1)}))
    assert errors == {field: ["Indiquez une date comprise entre le 08/12/2025 et le 31/12/2031."]}


# --- Removing weekly hours ---------------------------------------------------------------------

def test_removing_hours_closes_their_future_free_slots_and_hands_back_the_bookings(
    bare_desk, supervisor, pan_assistance, biometrics, applicant_69,
):
    rule = add_rule(bare_desk, supervisor, pan_assistance, opens_at=time(9), closes_at=time(11))
    first, booked_later, booked_sooner = (slot(bare_desk, pan_assistance, at(WEDNESDAY, 9)),
                                          slot(bare_desk, pan_assistance, at(WEDNESDAY, 10, 30)),
                                          slot(bare_desk, pan_assistance, at(WEDNESDAY, 10)))
    at_closing = slot(bare_desk, pan_assistance, at(WEDNESDAY, 11))  # opened by nothing this rule says
    before_opening = slot(bare_desk, pan_assistance, at(WEDNESDAY, 8, 30))
    thursday = slot(bare_desk, pan_assistance, at(THURSDAY, 9))
    fingerprints = slot(bare_desk, biometrics, at(WEDNESDAY, 9))
    people = [applicant_69(), applicant_69(), applicant_69()]
    later = booking_create(person=people[0], slot=booked_later, by=people[0])
    sooner = booking_create(person=people[1], slot=booked_sooner, by=people[1])
    # Bookings on slots the rule does not take away stay where they are.
    booking_create(person=people[2], slot=thursday, by=people[2])

    rule_id = rule.pk
    to_move = rule_delete(rule=rule, by=supervisor)

    assert to_move == [sooner, later]  # in the order of the day
    assert open_slots(bare_desk) == [before_opening.starts_at, fingerprints.starts_at, booked_sooner.starts_at,
                                     booked_later.starts_at, at_closing.starts_at, thursday.starts_at]
    assert Slot.objects.get(pk=first.pk).is_cancelled
    assert {b.status for b in Booking.objects.all()} == {Booking.Status.BOOKED}
    assert not OpeningRule.objects.filter(pk=rule_id).exists()
    event = AuditEvent.objects.get(action="opening_rule.deleted", object_id=str(rule_id))
    assert event.actor == supervisor
    assert event.data["bookings_to_move"] == [sooner.pk, later.pk]
    assert (event.data["opens_at"], event.data["closes_at"], event.data["weekday"]) == ("09:00", "11:00", 2)


def test_removing_hours_keeps_the_slots_another_rule_still_opens(bare_desk, supervisor, pan_assistance):
    morning = add_rule(bare_desk, supervisor, pan_assistance, opens_at=time(9), closes_at=time(12))
    add_rule(bare_desk, supervisor, pan_assistance, opens_at=time(10), closes_at=time(11))
    nine, ten, half_past_ten, eleven = (slot(bare_desk, pan_assistance, at(WEDNESDAY, h, m))
                                        for h, m in [(9, 0), (10, 0), (10, 30), (11, 0)])

    assert rule_delete(rule=morning, by=supervisor) == []

    assert open_slots(bare_desk) == [ten.starts_at, half_past_ten.starts_at]
    assert Slot.objects.get(pk=nine.pk).is_cancelled and Slot.objects.get(pk=eleven.pk).is_cancelled


@pytest.mark.parametrize(("valid_from", "valid_until", "day", "closed"), [
    (THURSDAY, None, WEDNESDAY + timedelta(days=7), True),      # the next Wednesday is within
    (date(2026, 12, 17), None, WEDNESDAY, False),               # not valid yet that Wednesday
    (TODAY, date(2026, 12, 15), date(2026, 12, 16), False),     # no longer valid
    (TODAY, date(2026, 12, 16), date(2026, 12, 16), True),      # its last day
    (date(2026, 12, 16), None, date(2026, 12, 16), True),       # its first day
])
def test_removing_hours_closes_only_the_slots_of_their_weekday_and_validity(
    bare_desk, supervisor, pan_assistance, valid_from, valid_until, day, closed,
):
    rule = add_rule(bare_desk, supervisor, pan_assistance, valid_from=valid_from, valid_until=valid_until)
    that_day = slot(bare_desk, pan_assistance, at(day, 9, 30))
    other_weekday = slot(bare_desk, pan_assistance, at(day + timedelta(days=1), 9, 30))

    rule_delete(rule=rule, by=supervisor)

    assert Slot.objects.get(pk=that_day.pk).is_cancelled is closed
    assert not Slot.objects.get(pk=other_weekday.pk).is_cancelled


def test_removing_hours_leaves_past_slots_and_other_desks_alone(bare_desk, supervisor, pan_assistance, desk_69):
    rule = add_rule(bare_desk, supervisor, pan_assistance, weekday=TODAY.weekday())
    this_morning = slot(bare_desk, pan_assistance, at(TODAY, 9, 30))
    elsewhere = slot(desk_69, pan_assistance, at(TODAY, 11))

    rule_delete(rule=rule, by=supervisor)

    assert not Slot.objects.get(pk=this_morning.pk).is_cancelled
    assert not Slot.objects.get(pk=elsewhere.pk).is_cancelled


def test_only_a_supervisor_removes_hours(bare_desk, supervisor, pan_assistance):
    rule = add_rule(bare_desk, supervisor, pan_assistance)
    with pytest.raises(PermissionDenied):
        rule_delete(rule=rule, by=StaffFactory())
    assert OpeningRule.objects.filter(pk=rule.pk).exists()


# --- Closures ----------------------------------------------------------------------------------

def test_closing_a_desk_cancels_the_free_slots_of_those_days_only_and_hands_back_the_bookings(
    bare_desk, desk_69, supervisor, pan_assistance, applicant_69,
):
    tuesday_evening = slot(bare_desk, pan_assistance, at(TODAY, 23, 30))
    wednesday_first = slot(bare_desk, pan_assistance, at(WEDNESDAY, 0, 0))
    wednesday_booked = slot(bare_desk, pan_assistance, at(WEDNESDAY, 10))
    thursday_last = slot(bare_desk, pan_assistance, at(THURSDAY, 23, 30))
    friday_first = slot(bare_desk, pan_assistance, at(THURSDAY + timedelta(days=1), 0, 0))
    other_desk = slot(desk_69, pan_assistance, at(WEDNESDAY, 10))
    person = applicant_69()
    booking = booking_create(person=person, slot=wednesday_booked, by=person)
    someone_else = applicant_69()
    booking_create(person=someone_else, slot=other_desk, by=someone_else)  # another desk: still open

    closure, to_move = closure_create(desk=bare_desk, by=supervisor, starts_on=WEDNESDAY, ends_on=THURSDAY,
                                      reason="  Travaux  ")

    assert to_move == [booking]
    assert open_slots(bare_desk) == [tuesday_evening.starts_at, wednesday_booked.starts_at,
                                     friday_first.starts_at]
    assert Slot.objects.get(pk=wednesday_first.pk).is_cancelled and Slot.objects.get(pk=thursday_last.pk).is_cancelled
    assert not Slot.objects.get(pk=other_desk.pk).is_cancelled
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    closure.refresh_from_db()
    assert (closure.site, closure.desk, closure.starts_on, closure.ends_on, closure.reason) == (
        bare_desk.site, bare_desk, WEDNESDAY, THURSDAY, "Travaux")
    event = AuditEvent.objects.get(action="closure.created", object_id=str(closure.pk))
    assert event.actor == supervisor
    assert event.data == {"site": bare_desk.site_id, "desk": bare_desk.pk, "starts_on": "2026-12-09",
                          "ends_on": "2026-12-10", "reason": "Travaux", "bookings_to_move": [booking.pk]}


def test_closing_the_whole_site_cancels_every_desks_free_slots(bare_desk, desk_69, supervisor, pan_assistance):
    here, there = slot(bare_desk, pan_assistance, at(WEDNESDAY, 10)), slot(desk_69, pan_assistance, at(WEDNESDAY, 10))

    closure, to_move = closure_create(desk=bare_desk, by=supervisor, starts_on=WEDNESDAY, ends_on=WEDNESDAY,
                                      reason="Grève", whole_site=True)

    assert to_move == []
    assert Slot.objects.get(pk=here.pk).is_cancelled and Slot.objects.get(pk=there.pk).is_cancelled
    assert closure.desk is None
    assert AuditEvent.objects.get(action="closure.created").data["desk"] is None


def test_closing_a_whole_site_leaves_the_other_sites_slots_open(bare_desk, supervisor, pan_assistance):
    elsewhere = Desk.objects.create(site=Site.objects.exclude(pk=bare_desk.site_id).first(), name="Guichet A")
    there = slot(elsewhere, pan_assistance, at(WEDNESDAY, 10))

    closure_create(desk=bare_desk, by=supervisor, starts_on=WEDNESDAY, ends_on=WEDNESDAY, reason="Grève",
                   whole_site=True)

    assert not Slot.objects.get(pk=there.pk).is_cancelled


def test_a_closure_may_start_today_and_its_reason_is_cut_to_200_characters(bare_desk, supervisor):
    closure, _ = closure_create(desk=bare_desk, by=supervisor, starts_on=TODAY, ends_on=TODAY, reason="x" * 250)
    assert closure.starts_on == TODAY and closure.reason == "x" * 200


@pytest.mark.parametrize(("starts_on", "ends_on", "reason", "errors"), [
    (WEDNESDAY, WEDNESDAY, "   ", {"reason": ["Indiquez le motif de la fermeture."]}),
    (WEDNESDAY, WEDNESDAY, "", {"reason": ["Indiquez le motif de la fermeture."]}),
    (TODAY - timedelta(days=1), WEDNESDAY, "Travaux",
     {"starts_on": ["Une fermeture ne peut commencer dans le passé."]}),
    (THURSDAY, WEDNESDAY, "Travaux", {"ends_on": ["La date de fin doit suivre la date de début."]}),
])
def test_a_closure_is_refused_with_its_message_and_nothing_closes(
    bare_desk, supervisor, pan_assistance, starts_on, ends_on, reason, errors,
):
    free = slot(bare_desk, pan_assistance, at(WEDNESDAY, 10))
    assert refusal(lambda: closure_create(desk=bare_desk, by=supervisor, starts_on=starts_on, ends_on=ends_on,
                                          reason=reason)) == errors
    assert not Closure.objects.exists()
    assert not Slot.objects.get(pk=free.pk).is_cancelled


def test_a_closure_ending_out_of_range_names_that_date(bare_desk, supervisor):
    errors = refusal(lambda: closure_create(desk=bare_desk, by=supervisor, starts_on=TODAY,
                                            ends_on=date(2099, 1, 1), reason="Travaux"))
    assert list(errors) == ["ends_on"] and errors["ends_on"][0].startswith("Indiquez une date comprise entre le")


def test_a_closure_starting_out_of_range_names_both_dates(bare_desk, supervisor):
    errors = refusal(lambda: closure_create(desk=bare_desk, by=supervisor, starts_on=date(2099, 1, 1),
                                            ends_on=date(2099, 1, 2), reason="Travaux"))
    assert sorted(errors) == ["ends_on", "starts_on"]
    assert errors["starts_on"][0].startswith("Indiquez une date comprise entre le")


def test_removing_hours_ignores_the_same_hours_at_another_desk(bare_desk, supervisor, pan_assistance, desk_69):
    # desk_69 opens PAN assistance every weekday morning: that does not keep this desk's slots open.
    rule = add_rule(bare_desk, supervisor, pan_assistance)
    wednesday = slot(bare_desk, pan_assistance, at(WEDNESDAY, 9, 30))

    rule_delete(rule=rule, by=supervisor)

    assert Slot.objects.get(pk=wednesday.pk).is_cancelled


def test_only_a_supervisor_closes_a_desk(bare_desk):
    with pytest.raises(PermissionDenied):
        closure_create(desk=bare_desk, by=StaffFactory(), starts_on=WEDNESDAY, ends_on=WEDNESDAY, reason="Travaux")
    assert not Closure.objects.exists()


# --- Generating the slots ----------------------------------------------------------------------

def test_generating_opens_the_slots_of_the_hours_and_says_how_many(
    bare_desk, desk_69, supervisor, pan_assistance,
):
    add_rule(bare_desk, supervisor, pan_assistance, opens_at=time(9), closes_at=time(10))

    created = desk_slots_generate(desk=bare_desk, by=supervisor, weeks=1)

    assert not Slot.objects.filter(desk=desk_69).exists()  # the other desk of the site has its own turn

    assert created == 2  # Wednesday 09:00 and 09:30
    assert open_slots(bare_desk) == [at(WEDNESDAY, 9), at(WEDNESDAY, 9, 30)]
    event = AuditEvent.objects.get(action="desk.slots_generated", object_id=str(bare_desk.pk))
    assert event.actor == supervisor and event.data == {"weeks": 1, "created": 2}
    assert desk_slots_generate(desk=bare_desk, by=supervisor, weeks=1) == 0  # safe to run again


def test_generating_without_saying_how_far_opens_eight_weeks(bare_desk, supervisor, pan_assistance):
    add_rule(bare_desk, supervisor, pan_assistance, opens_at=time(9), closes_at=time(9, 30))

    assert desk_slots_generate(desk=bare_desk, by=supervisor) == 8
    assert AuditEvent.objects.get(action="desk.slots_generated").data == {"weeks": 8, "created": 8}


def test_only_a_supervisor_generates_slots(bare_desk, supervisor, pan_assistance):
    add_rule(bare_desk, supervisor, pan_assistance)
    with pytest.raises(PermissionDenied):
        desk_slots_generate(desk=bare_desk, by=StaffFactory())
    assert not Slot.objects.filter(desk=bare_desk).exists()
