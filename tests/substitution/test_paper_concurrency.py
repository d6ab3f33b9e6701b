"""The paper path under real concurrency, on PostgreSQL (threads, one connection each, released
together): two deadline jobs at once, an agent's act racing the job, and two tabs asking for
another date. The row locks (SKIP LOCKED in the job), the one-to-one impossibility and the partial
unique indexes of invitations must keep one act, one scheduled invitation and one message each."""

from __future__ import annotations

from collections import Counter

import pytest
import time_machine
from django.db import connection

from appointments.models import Booking
from notifications.models import Notification
from substitution import services
from substitution.models import Impossibility, Invitation
from tests.appointments.test_concurrency import outcomes, race
from tests.factories import REPORT_SECRET, BlockingReportFactory, StaffFactory
from tests.substitution.test_paper import TODAY, paper_slot

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (CI runs it)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def test_two_deadline_jobs_at_once_invite_each_person_once():
    paper_slot("2026-03-05", capacity=2), paper_slot("2026-03-06", capacity=2)
    reports = [BlockingReportFactory(overdue=True) for _ in range(3)] + [BlockingReportFactory(overdue=True,
                                                                                              unresolved=True)]

    results = race([services.deadline_job, services.deadline_job])

    assert outcomes(results) == {"JobResult": 2}
    assert sum(r.impossibilities for r in results) == 4  # each report by one run only
    for report in reports:
        assert Impossibility.objects.filter(report=report).count() == 1
        assert Invitation.objects.filter(report=report).count() == 1
    assert Booking.objects.count() == 4
    invited = Counter(Notification.objects.filter(event="report.invited", channel="inbox")
                      .values_list("object_id", flat=True))
    assert len(invited) == 4 and set(invited.values()) == {1}

    # And a third run afterwards changes nothing.
    before = (Impossibility.objects.count(), Invitation.objects.count(), Notification.objects.count())
    services.deadline_job()
    assert before == (Impossibility.objects.count(), Invitation.objects.count(), Notification.objects.count())


def test_an_agent_and_the_job_at_once_record_one_act():
    paper_slot("2026-03-05", capacity=3)
    report = BlockingReportFactory(overdue=True, unresolved=True)
    agent = StaffFactory()

    results = race([
        lambda: services.impossibility_record(report=report, by=agent, grounds="Aucune solution"),
        services.deadline_job,
    ])

    assert Impossibility.objects.filter(report=report).count() == 1
    assert Invitation.objects.filter(report=report).count() == 1
    assert Booking.objects.count() == 1
    # Whoever came second was told, or did nothing: the agent gets "not allowed now", the job skips.
    assert outcomes(results)["JobResult"] == 1


def test_two_tabs_asking_for_another_date_at_once_get_one_new_date():
    paper_slot("2026-03-05"), paper_slot("2026-03-06"), paper_slot("2026-03-09")
    report = BlockingReportFactory(overdue=True)
    services.deadline_job()

    results = race([lambda: services.invitation_ask_another_date(report=report, by=None, secret=REPORT_SECRET)
                    for _ in range(2)])

    assert outcomes(results) == {"Invitation": 1, "ValidationError": 1}
    assert Invitation.objects.filter(report=report, status="scheduled").count() == 1
    assert Invitation.objects.filter(report=report, asked_by_person=True).count() == 1
    assert Booking.objects.filter(status="booked").count() == 1
