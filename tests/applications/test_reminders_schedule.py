"""The renewal reminder schedule (applications/reminders.py): which milestone is due on which day."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from applications.reminders import CATCH_UP_DAYS, SCHEDULE, due_ranges, milestone_due, next_reminder


def due(valid_until: date, today: date, filed: bool = False) -> str | None:
    milestone = milestone_due(valid_until=valid_until, today=today, renewal_filed=filed)
    return milestone.key if milestone else None


def test_each_milestone_is_due_on_its_day():
    expiry = date(2027, 6, 15)
    assert due(expiry, expiry - timedelta(days=121)) is None
    assert due(expiry, expiry - timedelta(days=120)) == "j120"
    assert due(expiry, expiry - timedelta(days=90)) == "j90"
    assert due(expiry, expiry - timedelta(days=70)) == "j70"
    assert due(expiry, expiry - timedelta(days=60)) == "j60"
    assert due(expiry, expiry - timedelta(days=59)) == "late"
    assert due(expiry, expiry + timedelta(days=1)) is None


@pytest.mark.parametrize(("expiry", "day", "key"), [
    # Month ends: 31 March minus 120 days is 1 December; 60 days before 1 March (non-leap) is 31 December.
    (date(2027, 3, 31), date(2026, 12, 1), "j120"),
    (date(2027, 3, 1), date(2026, 12, 31), "j60"),
    (date(2027, 4, 30), date(2027, 2, 19), "j70"),
    # Leap years: 29 February counts as a day (2028), and a permit ending on 29 February.
    (date(2028, 4, 29), date(2028, 2, 29), "j60"),
    (date(2028, 3, 1), date(2028, 1, 1), "j60"),
    (date(2027, 3, 1), date(2027, 1, 1), "late"),  # no 29 February in 2027: one day less
    (date(2028, 2, 29), date(2027, 11, 1), "j120"),
    (date(2028, 2, 29), date(2027, 12, 31), "j60"),
])
def test_milestones_around_month_ends_and_leap_years(expiry, day, key):
    assert due(expiry, day) == key
    assert next(m for m in SCHEDULE if m.key == key).day(expiry) == day


def test_a_filed_renewal_stops_every_milestone():
    expiry = date(2027, 6, 15)
    for days in range(0, 130):
        assert due(expiry, expiry - timedelta(days=days), filed=True) is None
    assert next_reminder(valid_until=expiry, today=expiry - timedelta(days=100), renewal_filed=True) is None


def test_a_missed_milestone_is_caught_up_while_it_still_holds():
    expiry = date(2027, 6, 15)
    j120 = expiry - timedelta(days=120)
    assert due(expiry, j120 + timedelta(days=3)) == "j120"
    assert due(expiry, j120 + timedelta(days=CATCH_UP_DAYS)) == "j120"
    assert due(expiry, j120 + timedelta(days=CATCH_UP_DAYS + 1)) is None  # too old: not sent weeks late


def test_a_missed_milestone_is_replaced_by_the_one_that_holds_now():
    expiry = date(2027, 6, 15)
    # Down from J-92 to J-89: "window opens" is never sent after J-90; J-90 is.
    assert due(expiry, expiry - timedelta(days=89)) == "j90"
    # Down on J-60 (last day): the next day it is the late notice, never "last day today".
    assert due(expiry, expiry - timedelta(days=58)) == "late"
    assert due(expiry, expiry - timedelta(days=63)) == "j70"  # 7 days late: still "last days"


def test_due_ranges_are_what_milestone_due_says():
    today = date(2027, 3, 28)
    ranges = due_ranges(today)
    for offset in range(-5, 135):
        expiry = today + timedelta(days=offset)
        expected = due(expiry, today)
        found = [r.milestone.key for r in ranges if r.first <= expiry <= r.last]
        assert found == ([expected] if expected else [])


def test_the_next_reminder_is_the_first_milestone_still_to_come():
    expiry = date(2027, 6, 15)
    day, milestone = next_reminder(valid_until=expiry, today=expiry - timedelta(days=120), renewal_filed=False)
    assert (day, milestone.key) == (expiry - timedelta(days=90), "j90")
    day, milestone = next_reminder(valid_until=expiry, today=date(2026, 1, 1), renewal_filed=False)
    assert (day, milestone.key) == (expiry - timedelta(days=120), "j120")
    assert next_reminder(valid_until=expiry, today=expiry - timedelta(days=59), renewal_filed=False) is None


@pytest.mark.parametrize("utc", [
    # The night clocks go forward (29 March 2026, 02:00 -> 03:00) and back (25 October 2026).
    datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 on 29 March in Paris (UTC+1)
    datetime(2026, 3, 29, 22, 30, tzinfo=UTC),  # 00:30 on 30 March in Paris (UTC+2)
    datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # 00:30 on 25 October in Paris (UTC+2)
    datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # 00:30 on 26 October in Paris (UTC+1)
])
def test_days_are_counted_in_paris_across_daylight_saving_changes(utc):
    paris_day = (utc + timedelta(hours=2)).date()  # 00:30 Paris is the next UTC day either way
    expiry = paris_day + timedelta(days=120)
    with time_machine.travel(utc, tick=False):
        today = timezone.localdate()
    assert today == paris_day
    assert due(expiry, today) == "j120"
    assert due(expiry, utc.date()) is None  # the UTC date would be a day early
