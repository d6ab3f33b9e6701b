"""Checks of what a person says about themselves, shared by every form that asks it (the profile
here, the identity step and its corrections in applications)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: No applicant was born before 1 January 1900: an earlier date (0001-01-01) is a typing error.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def birth_date_check(value: date, *, today: date) -> None:
    """Raises ``ValidationError`` unless the birth date lies between 1900 and today."""
    if not EARLIEST_BIRTH_DATE <= value <= today:
        raise ValidationError(
            _("Indiquez une date de naissance comprise entre le %(earliest)s et aujourd'hui."),
            code="birth_date_out_of_range", params={"earliest": EARLIEST_BIRTH_DATE.strftime("%d/%m/%Y")},
        )
