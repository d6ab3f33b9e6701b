"""R.431-5: a renewal is filed between the 120th and the 60th day before the permit ends, both
days included (applications/rules.py)."""

from datetime import date, timedelta

from applications.rules import renewal_window

PERMIT_ENDS = date(2027, 6, 30)


def test_the_window_opens_on_the_120th_day_before_the_permit_ends_and_closes_after_the_60th():
    window = renewal_window(PERMIT_ENDS)
    opens, closes = PERMIT_ENDS - timedelta(days=120), PERMIT_ENDS - timedelta(days=60)

    assert (window.opens, window.closes) == (opens, closes)
    assert window.state(opens - timedelta(days=1)) == "not_yet"
    assert window.state(opens) == "open"
    assert window.state(closes) == "open"
    assert window.state(closes + timedelta(days=1)) == "closed"
