"""The deadline job by chunks (issue 11's benchmark goal: 5,000 open reports at the national rate,
the night's work under 10 s): its cost per report stays bounded, and a report that fails in a
chunk costs the others nothing (the chunk is rolled back and its reports taken one by one)."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Booking, Slot
from documents.models import IssuedDocument
from notifications.models import Notification
from substitution import services
from substitution.models import BlockingReport, Impossibility, Invitation
from substitution.services import deadline, paper
from tests.factories import BlockingReportFactory, prefecture
from tests.substitution.test_paper import clock, kinds, paper_slot  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def _run_job_counting() -> int:
    with CaptureQueriesContext(connection) as queries:
        services.deadline_job()
    return len(queries)


def test_the_job_costs_a_bounded_number_of_queries_per_report(clock):  # noqa: F811
    """About 10 queries a report (booking, letter, audit lines), the rest by chunk: it was 38,
    each report searching its slot and writing its rows and messages one by one."""
    paper_slot("2026-03-05", capacity=40)
    paper_slot("2026-03-05", 10, code="75", capacity=40)
    few = [BlockingReportFactory(overdue=True, with_account=True) for _ in range(2)]
    first = _run_job_counting()
    many = [BlockingReportFactory(overdue=True, with_account=True, prefecture=prefecture(code))
            for code in ("69", "75") * 6]
    second = _run_job_counting()

    assert Invitation.objects.filter(report__in=few + many, status="scheduled").count() == 14
    per_report = (second - first) / (len(many) - len(few))
    assert per_report <= 12, f"{per_report:.1f} queries per report"


def test_a_report_failing_in_a_chunk_is_left_for_the_next_run_and_the_others_are_invited(clock, monkeypatch,  # noqa: F811
                                                                                          caplog):
    paper_slot("2026-03-05", capacity=5)
    reports = [BlockingReportFactory(overdue=True) for _ in range(3)]
    broken = reports[1]
    real = paper.person_account

    def failing(*, report):
        if report.pk == broken.pk:
            raise RuntimeError("a bug on one report")
        return real(report=report)

    # The chunk and the one-by-one path both meet it.
    monkeypatch.setattr(deadline, "person_account", failing)
    monkeypatch.setattr(paper, "person_account", failing)
    with caplog.at_level(logging.WARNING, logger="substitution.services.deadline"):
        result = services.deadline_job()

    assert result.impossibilities == 2
    assert "left for the next run" in caplog.text
    for report in (reports[0], reports[2]):
        assert Invitation.objects.get(report=report).letter is not None
        assert kinds(report) == ["impossibility", "invited"]
        assert Notification.objects.filter(event="report.invited", object_id=str(report.invitations.get().pk)).exists()
    # Nothing of the broken one stays: the chunk's work was rolled back with it.
    broken.refresh_from_db()
    assert broken.status == "open"
    assert not Impossibility.objects.filter(report=broken).exists()
    assert Booking.objects.count() == 2 and IssuedDocument.objects.count() == 2
    assert Slot.objects.get().booked == 2

    monkeypatch.undo()
    services.deadline_job()

    broken.refresh_from_db()
    assert broken.status == "invited" and kinds(broken) == ["impossibility", "invited"]
    assert BlockingReport.objects.filter(status="invited").count() == 3
