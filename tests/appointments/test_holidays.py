"""French public holidays, computed from the date of Easter."""

from datetime import date

import pytest

from appointments.holidays import easter, is_public_holiday, public_holidays


@pytest.mark.parametrize("year, sunday", [
    (2024, date(2024, 3, 31)),
    (2025, date(2025, 4, 20)),
    (2026, date(2026, 4, 5)),
    (2027, date(2027, 3, 28)),
    (2019, date(2019, 4, 21)),  # the latest of the decade
    (2008, date(2008, 3, 23)),  # one of the earliest possible
    (2038, date(2038, 4, 25)),  # the latest possible date
])
def test_easter_sunday_matches_the_published_dates(year, sunday):
    assert easter(year) == sunday


def test_movable_holidays_follow_easter():
    holidays = public_holidays(2027)
    assert date(2027, 3, 29) in holidays  # Lundi de Pâques
    assert date(2027, 5, 6) in holidays  # Ascension, a Thursday
    assert date(2027, 5, 17) in holidays  # Lundi de Pentecôte
    assert date(2027, 3, 28) not in holidays  # Easter Sunday itself is not a working day anyway


def test_a_year_has_eleven_public_holidays_and_ordinary_days_are_not_among_them():
    for year in (2024, 2025, 2026, 2027, 2028):
        assert len(public_holidays(year)) == 11
    assert is_public_holiday(date(2026, 7, 14))
    assert is_public_holiday(date(2026, 12, 25))
    assert not is_public_holiday(date(2026, 12, 24))
    assert not is_public_holiday(date(2026, 4, 3))  # Good Friday: a holiday only in Alsace-Moselle
