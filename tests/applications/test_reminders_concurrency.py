"""Two sweeps at once, on PostgreSQL: each reminder is claimed by one of them and written once."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection, connections

from applications.models import RenewalReminder
from applications.services.reminders import renewal_reminders_sweep
from notifications.models import Notification
from tests.factories import PermitFactory, UserFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (CI runs it)"),
    pytest.mark.django_db(transaction=True),
]

TODAY = date(2027, 3, 15)


def test_two_sweeps_at_once_write_each_reminder_once():
    holder = UserFactory(phone="0612345678", notify_by_sms=True)
    for i in range(30):
        PermitFactory(holder=holder if i % 3 == 0 else UserFactory(),
                      valid_until=TODAY + timedelta(days=(120, 90, 70, 60, 59, 117)[i % 6]))
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = renewal_reminders_sweep(today=TODAY, batch_size=4)
        except Exception as exc:  # reported below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 30  # type: ignore[arg-type]
    assert RenewalReminder.objects.count() == 30
    # 30 inbox + 30 e-mails + 10 SMS (the holder of every third permit chose SMS).
    assert Notification.objects.count() == 70
    assert Notification.objects.filter(channel="email").values("object_id", "event").distinct().count() == 30
    assert len(mail.outbox) == 30
