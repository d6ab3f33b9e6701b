"""Legal rules on dates and formats, computed in one place (CESEDA)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

#: R.431-5: a renewal is filed between the 120th and the 60th day before the permit expires.
RENEWAL_WINDOW_OPENS_DAYS = 120
RENEWAL_WINDOW_CLOSES_DAYS = 60
#: A renewal filed after the window costs an extra fee and gets no automatic extension certificate.
LATE_RENEWAL_FEE_EUR = 180

#: A filed dossier keeps every version of a piece the agents may have seen; an applicant sends at
#: most this many versions of one document type (the first one included), then asks the prefecture.
MAX_PIECE_VERSIONS = 10

TAX_STAMP_RE = re.compile(r"^\d{16}$")
#: The e-photo code printed by an approved photo booth ("code e-photo", ANTS): 22 characters.
EPHOTO_RE = re.compile(r"^[A-Z0-9]{22}$")


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


def renewal_on_time(valid_until: date, filed_on: date) -> bool:
    """Filed on time: inside the window (submission before it opens is refused altogether)."""
    return renewal_window(valid_until).state(filed_on) == "open"


def normalise_tax_stamp(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def normalise_ephoto(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()
