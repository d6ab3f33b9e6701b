"""Legal rules on dates, computed in one place (CESEDA)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

#: R.431-5: a renewal is filed between the 120th and the 60th day before the permit expires.
RENEWAL_WINDOW_OPENS_DAYS = 120
RENEWAL_WINDOW_CLOSES_DAYS = 60


@dataclass(frozen=True)
class RenewalWindow:
    opens: date
    closes: date

    def state(self, today: date) -> str:
        """'not_yet', 'open' or 'closed' (late filing) on the given day."""
        if today < self.opens:
            return "not_yet"
        if today <= self.closes:
            return "open"
        return "closed"


def renewal_window(valid_until: date) -> RenewalWindow:
    return RenewalWindow(
        opens=valid_until - timedelta(days=RENEWAL_WINDOW_OPENS_DAYS),
        closes=valid_until - timedelta(days=RENEWAL_WINDOW_CLOSES_DAYS),
    )
