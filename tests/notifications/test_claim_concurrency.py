"""Two deliverers at once (PostgreSQL, threads with their own connections): the claim skips the
rows the other holds (SKIP LOCKED) instead of waiting, and each message leaves once."""

import threading
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend
from django.db import connection, connections, transaction

from notifications import delivery
from notifications.models import Channel, Notification, Status
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED: PostgreSQL"),
]


class SlowEmailBackend(LocmemEmailBackend):
    """An SMTP server taking 2 ms a message, so that the deliverers overlap."""

    def send_messages(self, email_messages):
        time.sleep(0.002)
        return super().send_messages(email_messages)


def _rows(n: int) -> list[int]:
    person = UserFactory()
    return [
        Notification.objects.create(recipient=person, event="test.concurrent", object_type="x", object_id=str(i),
                                    channel=Channel.EMAIL, subject=f"Message {i}", body="Bonjour").pk
        for i in range(n)
    ]


def _in_thread(target, *args):
    result = {}

    def run():
        try:
            result["value"] = target(*args)
        except Exception as error:  # reported to the test
            result["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_a_claim_skips_the_rows_another_deliverer_holds(settings):
    ids = _rows(6)
    held, release = threading.Event(), threading.Event()

    def hold_first_half():
        with transaction.atomic():
            list(Notification.objects.select_for_update().filter(pk__in=ids[:3]))
            held.set()
            release.wait(10)

    holder, _ = _in_thread(hold_first_half)
    assert held.wait(10)
    try:
        deliverer, result = _in_thread(lambda: delivery.deliver(ids))
        deliverer.join(10)
        assert not deliverer.is_alive(), "the claim waited for the locked rows"
    finally:
        release.set()
        holder.join(10)
    assert "error" not in result, result.get("error")
    assert sorted(result["value"].sent) == ids[3:]
    assert list(Notification.objects.filter(pk__in=ids[:3]).values_list("status", flat=True)) == [Status.PENDING] * 3


def test_two_concurrent_deliverers_send_each_row_once(settings):
    settings.EMAIL_BACKEND = f"{__name__}.SlowEmailBackend"
    ids = _rows(60)
    start = threading.Barrier(2)

    def deliverer(order):
        start.wait(10)
        sent = []
        for at in range(0, len(order), 5):  # small batches, as the sweep queues them
            sent += delivery.deliver(order[at:at + 5]).sent
        return sent

    one, first = _in_thread(deliverer, ids)
    two, second = _in_thread(deliverer, [ids[i] for i in range(len(ids)) if i % 2] + ids[::2])
    one.join(60)
    two.join(60)
    assert "error" not in first and "error" not in second, (first.get("error"), second.get("error"))
    assert sorted(first["value"] + second["value"]) == ids  # every row, by one deliverer only
    assert len(mail.outbox) == 60
    assert sorted(m.subject for m in mail.outbox) == sorted(f"Message {i}" for i in range(60))
    assert set(Notification.objects.filter(pk__in=ids).values_list("status", "attempts")) == {(Status.SENT, 1)}
