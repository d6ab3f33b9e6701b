"""Shared fixtures of the appointments tests: a desk of prefecture 69 with its weekly rules, the
people who book at it, and slots placed at chosen times.

Names are specific (``desk_69``, ``applicant_69``) so that a test module can define its own
without surprise."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from appointments.models import Desk, Motive, OpeningRule, Slot
from territory.models import Department, Site
from tests.factories import StaffFactory, UserFactory

#: Rules start well before any date a test uses, so that generation over past weeks works too.
RULES_FROM = date(2020, 1, 1)


@pytest.fixture
def pan_assistance(db) -> Motive:
    return Motive.objects.get(code=Motive.Code.PAN_ASSISTANCE)  # self-bookable, 30 minutes


@pytest.fixture
def biometrics(db) -> Motive:
    return Motive.objects.get(code=Motive.Code.BIOMETRICS)  # convocation only, 15 minutes


@pytest.fixture
def site_69(db) -> Site:
    return Site.objects.get(prefecture__department__code="69", kind=Site.Kind.PREFECTURE)


@pytest.fixture
def desk_69(site_69, pan_assistance, biometrics) -> Desk:
    """Guichet 1 of the prefecture of the Rhône: open Monday to Saturday, 09:00-12:00, for PAN
    assistance (2 seats per 30-minute slot) and biometrics (1 seat per 15-minute slot)."""
    desk = Desk.objects.create(site=site_69, name="Guichet 1")
    desk.motives.set([pan_assistance, biometrics])
    for weekday in range(6):
        OpeningRule.objects.create(desk=desk, motive=pan_assistance, weekday=weekday, opens_at=time(9),
                                   closes_at=time(12), capacity=2, valid_from=RULES_FROM)
        OpeningRule.objects.create(desk=desk, motive=biometrics, weekday=weekday, opens_at=time(9),
                                   closes_at=time(12), capacity=1, valid_from=RULES_FROM)
    return desk


@pytest.fixture
def applicant_69(db):
    """Makes applicants living in the Rhône: ``applicant_69()``, ``applicant_69(first_name=...)``."""
    department = Department.objects.get(code="69")

    def make(**fields):
        return UserFactory(department=department, **fields)

    return make


@pytest.fixture
def agent_69(db):
    return StaffFactory()


@pytest.fixture
def slot_69(desk_69, pan_assistance):
    """Makes a slot of ``desk_69`` starting ``in_hours`` from now (on the hour, Paris time):
    ``slot_69(in_hours=72, capacity=1, motive=biometrics)``."""

    def make(*, in_hours: float = 72, capacity: int = 1, motive: Motive | None = None, booked: int = 0) -> Slot:
        motive = motive or pan_assistance
        starts_at = timezone.localtime(timezone.now() + timedelta(hours=in_hours)).replace(
            minute=0, second=0, microsecond=0)
        return Slot.objects.create(desk=desk_69, motive=motive, starts_at=starts_at, capacity=capacity,
                                   ends_at=starts_at + timedelta(minutes=motive.duration_minutes), booked=booked)

    return make

