"""Two technical agents fixing the same anomaly at once (PostgreSQL threads, committed
transactions): one fix, each linked person told once."""

from __future__ import annotations

import pytest
from django.db import connection

from notifications.models import Notification
from substitution import services
from substitution.models import Anomaly, ReportEvent
from tests.appointments.test_concurrency import outcomes, race
from tests.factories import AnomalyFactory, BlockingReportFactory, StaffFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (CI runs it)"),
    pytest.mark.django_db(transaction=True),
]


def test_two_agents_fixing_at_once_tell_each_person_once():
    anomaly = AnomalyFactory()
    reports = [BlockingReportFactory(anomaly=anomaly) for _ in range(5)]  # a phone each: one SMS
    agents = [StaffFactory(technical=True, with_totp=True) for _ in range(4)]

    results = race([lambda a=a: services.anomaly_fix(anomaly=anomaly, by=a) for a in agents])

    assert outcomes(results) == {"Fixed": 1, "AnomalyTransitionNotAllowed": 3}
    assert Anomaly.objects.get().status == "fixed"
    rows = Notification.objects.filter(event="anomaly.fixed")
    assert sorted(rows.values_list("object_id", flat=True)) == sorted(str(r.pk) for r in reports)
    assert ReportEvent.objects.filter(kind=ReportEvent.Kind.ANOMALY_FIXED).count() == len(reports)
