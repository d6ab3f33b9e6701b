"""Legal rules on dates and formats, computed in one place (CESEDA)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.validators import EARLIEST_BIRTH_DATE

#: R.431-5: a renewal is filed between the 120th and the 60th day before the permit expires.
RENEWAL_WINDOW_OPENS_DAYS = 120
RENEWAL_WINDOW_CLOSES_DAYS = 60
#: A renewal filed after the window costs an extra fee (``settings.LATE_RENEWAL_FEE_EUR``) and gets no
#: automatic extension certificate.

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


def normalise_tax_stamp(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def normalise_ephoto(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


# --- Bounds of the dates people type ------------------------------------------------------------
# A date far outside these is a typing error (0001-01-01, 9999-12-31), never a real answer; the
# form says so next to the field instead of storing it.

#: Dates answered in the filing form's questions: from 1900 to the end of the year this many years ahead.
QUESTION_DATE_YEARS_AHEAD = 10
#: A complement request's deadline is at most this many days away.
COMPLEMENTS_MAX_DAYS = 365


def _french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def date_window_check(value: date, *, earliest: date, latest: date) -> None:
    """Raises ``ValidationError`` unless ``earliest <= value <= latest``."""
    if not earliest <= value <= latest:
        raise ValidationError(
            _("Indiquez une date comprise entre le %(earliest)s et le %(latest)s."),
            code="date_out_of_range", params={"earliest": _french(earliest), "latest": _french(latest)},
        )


def question_date_check(value: date, *, today: date) -> None:
    """Raises ``ValidationError`` for a date answer outside 1900 .. the end of the year ten years ahead."""
    date_window_check(value, earliest=EARLIEST_BIRTH_DATE,
                      latest=date(today.year + QUESTION_DATE_YEARS_AHEAD, 12, 31))
