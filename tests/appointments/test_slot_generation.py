"""Slot generation: public holidays, closures, the two daylight-saving changes, and re-runs."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from appointments.dates import local_instant
from appointments.models import Booking, Closure, Desk, OpeningRule, Slot, SlotOffer
from appointments.services import SlotTaken, booking_cancel, booking_create, slots_generate, waitlist_join
from tests.appointments.conftest import RULES_FROM

PARIS = ZoneInfo("Europe/Paris")
# Last Sundays of March and October 2028: 02:00 becomes 03:00, then 03:00 becomes 02:00 again.
SPRING_FORWARD = date(2028, 3, 26)
FALL_BACK = date(2028, 10, 29)


def local_days(desk, motive) -> set[date]:
    return {timezone.localtime(s.starts_at).date() for s in Slot.objects.filter(desk=desk, motive=motive)}


def local_times(desk, motive, day: date) -> list[time]:
    return [timezone.localtime(s.starts_at).time() for s in Slot.objects.filter(desk=desk, motive=motive)
            if timezone.localtime(s.starts_at).date() == day]


def snapshot():
    return list(Slot.objects.order_by("id").values())


def sunday_rule(desk, motive, opens_at: time, closes_at: time) -> OpeningRule:
    # Sunday is not offered in the admin's choices; a rule can still hold it (night desks, tests).
    return OpeningRule.objects.create(desk=desk, motive=motive, weekday=6, opens_at=opens_at,
                                      closes_at=closes_at, capacity=1, valid_from=RULES_FROM)


@pytest.mark.django_db
def test_a_week_with_ascension_and_8_may_has_no_slot_on_those_days(desk_69, pan_assistance):
    created = slots_generate(start=date(2027, 5, 3), weeks=1, desk_ids=[desk_69.pk])

    # Monday 3 to Saturday 8 May 2027: Thursday 6 is Ascension, Saturday 8 is Victoire 1945.
    assert local_days(desk_69, pan_assistance) == {date(2027, 5, 3), date(2027, 5, 4), date(2027, 5, 5),
                                                   date(2027, 5, 7)}
    # 4 days x (6 PAN slots of 30 min + 12 biometrics slots of 15 min), 09:00-12:00.
    assert created == 4 * (6 + 12)


@pytest.mark.django_db
def test_easter_monday_has_no_slot(desk_69, pan_assistance):
    slots_generate(start=date(2027, 3, 29), weeks=1, desk_ids=[desk_69.pk])

    days = local_days(desk_69, pan_assistance)
    assert date(2027, 3, 29) not in days
    assert date(2027, 3, 30) in days


@pytest.mark.django_db
@pytest.mark.parametrize("saturday, monday", [(SPRING_FORWARD - timedelta(days=1), SPRING_FORWARD + timedelta(days=1)),
                                              (FALL_BACK - timedelta(days=1), FALL_BACK + timedelta(days=1))])
def test_opening_hours_keep_their_wall_clock_time_across_a_clock_change(desk_69, pan_assistance, saturday, monday):
    slots_generate(start=saturday, weeks=1, desk_ids=[desk_69.pk])

    for day in (saturday, monday):
        assert local_times(desk_69, pan_assistance, day) == [time(9), time(9, 30), time(10), time(10, 30),
                                                              time(11), time(11, 30)]
    nine = {day: Slot.objects.get(desk=desk_69, motive=pan_assistance, starts_at=local_instant(day, time(9)))
            for day in (saturday, monday)}
    for slot in nine.values():
        assert timezone.localtime(slot.starts_at).time() == time(9)
        assert slot.ends_at - slot.starts_at == timedelta(minutes=30)
    offsets = {day: timezone.localtime(slot.starts_at).utcoffset() for day, slot in nine.items()}
    assert offsets[saturday] != offsets[monday]
    # 09:00 in Paris is 08:00 UTC in winter time and 07:00 UTC in summer time.
    utc_hours = {day: slot.starts_at.astimezone(ZoneInfo("UTC")).hour for day, slot in nine.items()}
    assert sorted(utc_hours.values()) == [7, 8]


@pytest.mark.django_db
def test_the_skipped_hour_of_the_spring_change_has_no_slot(desk_69, pan_assistance):
    sunday_rule(desk_69, pan_assistance, time(1), time(4))

    slots_generate(start=SPRING_FORWARD, weeks=1, desk_ids=[desk_69.pk])

    # 02:00 and 02:30 do not exist that night: the clocks go from 01:59 to 03:00.
    assert local_times(desk_69, pan_assistance, SPRING_FORWARD) == [time(1), time(1, 30), time(3), time(3, 30)]
    slots = _on(desk_69, pan_assistance, SPRING_FORWARD)
    assert slots[1].ends_at == slots[2].starts_at  # 01:30 CET + 30 min is 03:00 CEST: no gap, no overlap


@pytest.mark.django_db
def test_the_repeated_hour_of_the_autumn_change_has_one_slot_per_wall_clock_time(desk_69, pan_assistance):
    sunday_rule(desk_69, pan_assistance, time(1), time(4))

    slots_generate(start=FALL_BACK, weeks=1, desk_ids=[desk_69.pk])

    assert local_times(desk_69, pan_assistance, FALL_BACK) == [time(1), time(1, 30), time(2), time(2, 30),
                                                                time(3), time(3, 30)]
    slots = _on(desk_69, pan_assistance, FALL_BACK)
    # 02:00 is its first occurrence (summer time, 00:00 UTC); the second 02:00-03:00 gets no slot.
    assert slots[2].starts_at == datetime(2028, 10, 29, 0, 0, tzinfo=ZoneInfo("UTC"))
    assert timezone.localtime(slots[2].starts_at).utcoffset() == timedelta(hours=2)
    assert timezone.localtime(slots[4].starts_at).utcoffset() == timedelta(hours=1)
    for earlier, later in zip(slots, slots[1:], strict=False):
        assert earlier.ends_at <= later.starts_at  # no two appointments overlap in real time


def _on(desk, motive, day: date) -> list[Slot]:
    start = local_instant(day, time(0))
    end = local_instant(day + timedelta(days=1), time(0))
    return list(Slot.objects.filter(desk=desk, motive=motive, starts_at__gte=start, starts_at__lt=end)
                .order_by("starts_at"))


@pytest.mark.django_db
def test_generating_again_creates_nothing_and_changes_nothing(desk_69):
    assert slots_generate(start=date(2027, 1, 4), weeks=2, desk_ids=[desk_69.pk]) == 2 * 6 * 18
    Slot.objects.filter(pk=Slot.objects.first().pk).update(booked=1)  # a booking taken since
    before = snapshot()

    assert slots_generate(start=date(2027, 1, 4), weeks=2, desk_ids=[desk_69.pk]) == 0
    assert snapshot() == before
    # A longer window (the nightly job moving forward) adds only the days not generated yet.
    assert slots_generate(start=date(2027, 1, 4), weeks=3, desk_ids=[desk_69.pk]) == 6 * 18
    assert snapshot()[: len(before)] == before


@pytest.mark.django_db
def test_a_closure_cancels_the_days_slots_and_keeps_the_bookings_for_an_agent_to_move(
    desk_69, pan_assistance, applicant_69,
):
    tuesday = date(2027, 1, 19)
    with time_machine.travel(datetime(2027, 1, 11, 8, tzinfo=PARIS)):
        slots_generate(start=date(2027, 1, 18), weeks=1, desk_ids=[desk_69.pk])
        nine = Slot.objects.get(desk=desk_69, motive=pan_assistance, starts_at=local_instant(tuesday, time(9)))
        kept = booking_create(person=(person := applicant_69()), slot=nine, by=person)

        Closure.objects.create(site=desk_69.site, starts_on=tuesday, ends_on=tuesday, reason="Grève")
        assert slots_generate(start=date(2027, 1, 18), weeks=1, desk_ids=[desk_69.pk]) == 0

        tuesday_slots = _on(desk_69, pan_assistance, tuesday)
        assert [s.is_cancelled for s in tuesday_slots] == [True] * 6
        kept.refresh_from_db()
        nine.refresh_from_db()
        assert kept.status == Booking.Status.BOOKED and nine.booked == 1  # the agent moves them
        assert not any(s.is_cancelled for s in _on(desk_69, pan_assistance, tuesday + timedelta(days=1)))

        # Regression: the half-booked slot stayed open, so the closed day still took bookings.
        with pytest.raises(SlotTaken):
            booking_create(person=(other := applicant_69()), slot=nine, by=other)


@pytest.mark.django_db
def test_a_closure_of_one_desk_leaves_the_other_desks_open(desk_69, pan_assistance):
    other = Desk.objects.create(site=desk_69.site, name="Guichet 2")
    OpeningRule.objects.create(desk=other, motive=pan_assistance, weekday=1, opens_at=time(9),
                               closes_at=time(10), valid_from=RULES_FROM)
    Closure.objects.create(site=desk_69.site, desk=desk_69, starts_on=date(2027, 1, 19), ends_on=date(2027, 1, 19),
                           reason="Travaux")

    slots_generate(start=date(2027, 1, 18), weeks=1)

    assert _on(desk_69, pan_assistance, date(2027, 1, 19)) == []
    assert len(_on(other, pan_assistance, date(2027, 1, 19))) == 2


@pytest.mark.django_db
def test_a_closure_on_the_25_hour_day_of_the_autumn_change_cancels_its_late_slots(desk_69, pan_assistance):
    # The closed day runs from midnight to midnight: 25 hours that day, not 24.
    sunday_rule(desk_69, pan_assistance, time(22), time(23, 59))
    slots_generate(start=FALL_BACK, weeks=1, desk_ids=[desk_69.pk])
    assert len(_on(desk_69, pan_assistance, FALL_BACK)) == 3  # 22:00, 22:30, 23:00

    Closure.objects.create(site=desk_69.site, starts_on=FALL_BACK, ends_on=FALL_BACK, reason="Maintenance")
    slots_generate(start=FALL_BACK, weeks=1, desk_ids=[desk_69.pk])

    assert [s.is_cancelled for s in _on(desk_69, pan_assistance, FALL_BACK)] == [True, True, True]
    assert not any(s.is_cancelled for s in _on(desk_69, pan_assistance, FALL_BACK + timedelta(days=1)))


@pytest.mark.django_db
def test_a_cancelled_booking_on_a_closed_day_frees_no_seat_for_the_waiting_list(
    desk_69, pan_assistance, applicant_69, mails,
):
    tuesday = date(2027, 1, 19)
    with time_machine.travel(datetime(2027, 1, 11, 8, tzinfo=PARIS)):
        slots_generate(start=date(2027, 1, 18), weeks=1, desk_ids=[desk_69.pk])
        nine = Slot.objects.get(desk=desk_69, motive=pan_assistance, starts_at=local_instant(tuesday, time(9)))
        booking = booking_create(person=(person := applicant_69()), slot=nine, by=person)
        Closure.objects.create(site=desk_69.site, starts_on=tuesday, ends_on=tuesday, reason="Grève")
        slots_generate(start=date(2027, 1, 18), weeks=1, desk_ids=[desk_69.pk])
        waitlist_join(person=applicant_69(), motive=pan_assistance, site=desk_69.site)

        with mails():
            booking_cancel(booking=booking, by=person)

    assert not SlotOffer.objects.exists()
    nine.refresh_from_db()
    assert nine.booked == 0


@pytest.mark.django_db
def test_a_rule_makes_slots_from_its_first_day_to_its_last_and_no_other_rule_is_skipped(site_69, pan_assistance):
    desk = Desk.objects.create(site=site_69, name="Guichet temporaire")
    mondays = [date(2027, 1, 4) + timedelta(weeks=n) for n in range(4)]
    # 08:00-08:30 only on the second and third Mondays; 09:00-09:30 every Monday (ordered after it).
    OpeningRule.objects.create(desk=desk, motive=pan_assistance, weekday=0, opens_at=time(8), closes_at=time(8, 30),
                               valid_from=mondays[1], valid_until=mondays[2])
    OpeningRule.objects.create(desk=desk, motive=pan_assistance, weekday=0, opens_at=time(9), closes_at=time(9, 30),
                               valid_from=RULES_FROM)

    slots_generate(start=mondays[0], weeks=4, desk_ids=[desk.pk])

    assert [local_times(desk, pan_assistance, monday) for monday in mondays] == [
        [time(9)], [time(8), time(9)], [time(8), time(9)], [time(9)]]


@pytest.mark.django_db
def test_an_inactive_desk_gets_no_slot(desk_69, pan_assistance):
    Desk.objects.filter(pk=desk_69.pk).update(is_active=False)

    assert slots_generate(start=date(2027, 1, 4), weeks=1) == 0
    assert not Slot.objects.filter(desk=desk_69).exists()


@pytest.mark.django_db
def test_a_closure_of_several_days_closes_each_of_them_and_makes_no_slot_there(desk_69, pan_assistance):
    Closure.objects.create(site=desk_69.site, starts_on=date(2027, 1, 19), ends_on=date(2027, 1, 21),
                           reason="Déménagement")

    created = slots_generate(start=date(2027, 1, 18), weeks=1, desk_ids=[desk_69.pk])

    assert local_days(desk_69, pan_assistance) == {date(2027, 1, 18), date(2027, 1, 22), date(2027, 1, 23)}
    assert created == 3 * 18  # nothing made for the closed days, not even cancelled slots
