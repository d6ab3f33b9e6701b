"""A visit ends once, even from two tabs at the same instant (PostgreSQL, threads released together):
the row lock of ``visit_end`` lets one end it; the other is told it is already ended."""

import pytest
from django.db import connection

from accounts.models import AuditEvent
from mediation import services
from mediation.models import Visit
from tests.appointments.test_concurrency import outcomes, race
from tests.mediation.helpers import visit

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (CI runs it)"),
    pytest.mark.django_db(transaction=True),
]


def test_two_tabs_ending_a_visit_at_once_end_it_once(mediator, pan):
    made = visit(by=mediator, site=pan)
    services.visit_record(visit=made, by=mediator, need="other", outcome="done_online")

    results = race([lambda: services.visit_end(visit=made, by=mediator),
                    lambda: services.visit_end(visit=made, by=mediator, duration_minutes=45)])

    assert outcomes(results) == {"Visit": 1, "ValidationError": 1}
    ended = Visit.objects.get(pk=made.pk)
    assert ended.duration_minutes == next(r for r in results if isinstance(r, Visit)).duration_minutes
    assert AuditEvent.objects.filter(action="mediation.visit_ended").count() == 1
