"""Reads for the applicant's pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from accounts.models import User
from applications.models import Permit
from applications.rules import RenewalWindow, renewal_window


@dataclass(frozen=True)
class PermitStatus:
    permit: Permit
    days_left: int
    window: RenewalWindow
    window_state: str

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def permits_for_holder(*, user: User, today: date | None = None) -> list[PermitStatus]:
    today = today or timezone.localdate()
    return [
        PermitStatus(
            permit=permit,
            days_left=(permit.valid_until - today).days,
            window=(window := renewal_window(permit.valid_until)),
            window_state=window.state(today),
        )
        for permit in Permit.objects.filter(holder=user).order_by("-valid_until")
    ]
