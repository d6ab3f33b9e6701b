"""Fault tests of the renewal reminders with a real Celery worker (a ``celery -A anef worker``
process, solo pool) on Redis and the committed test database: kill -9 the worker in the middle of
a sweep and of a delivery batch, restart it, run again; restart Redis in the middle of a run. Each
time every due reminder is delivered exactly once: counted by the outbox's unique key and by what
the e-mail sink received (tests/reminder_sink.py: a table that, like a mailbox, knows a message by
its Message-ID, and counts the copies of the one a kill caught in flight).

The sweep's claims (``RenewalReminder``) and the outbox's unique key make a second run write
nothing twice; the outbox's delivery claims rows under a lease, and its retry sweep hands a killed
worker's claims back once the lease has run out.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from applications.models import RenewalReminder
from notifications.models import Notification
from tests.factories import PermitFactory, UserFactory
from tests.reminder_sink import SINK_DDL

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real worker needs PostgreSQL"),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="a real worker needs Redis: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]
PERMITS = 120
TIMEOUT = 90


def _database_url() -> str:
    """The committed test database, by name, for the worker process."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, redis_url: str, queue: str, log: Path) -> None:
        self.redis_url, self.queue, self.log = redis_url, queue, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": self.redis_url,
               "DJANGO_SETTINGS_MODULE": "tests.reminder_worker_settings", "TEST_CELERY_QUEUE": self.queue}
        with self.log.open("a") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                [sys.executable, "-m", "celery", "-A", "anef", "worker", "--pool=solo", "-Q", self.queue,
                 "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def app_on():
    """Points the test's Celery app at a broker (tasks really sent); returns a queue of the test's
    own, which the worker consumes and tasks are sent to by name (``apply_async(queue=…)``): the
    app's default queue is left alone, other tests' workers use it."""
    from anef.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)
    queue = f"test-reminders-{uuid.uuid4().hex[:8]}"

    def fresh_connections() -> None:
        # The app's connection and producer pools were made for the previous broker: new ones.
        app._pool = None
        app.amqp._producer_pool = None

    def configure(redis_url: str) -> str:
        app.conf.task_always_eager = False
        app.conf.broker_url = redis_url
        fresh_connections()
        return queue

    yield configure
    app.conf.task_always_eager, app.conf.broker_url = saved
    fresh_connections()


@pytest.fixture
def sink():
    with connection.cursor() as cursor:
        cursor.execute(SINK_DDL)
        cursor.execute("TRUNCATE test_mail_sink")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS test_mail_sink")


def _due_permits() -> list:
    today = timezone.localdate()
    return [PermitFactory(holder=UserFactory(), valid_until=today + timedelta(days=(120, 90, 70, 60, 59)[i % 5]))
            for i in range(PERMITS)]


def _sink_counts() -> tuple[int, int]:
    """(messages held, copies received beyond the first of each)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(sum(copies - 1), 0) FROM test_mail_sink")
        held, extra = cursor.fetchone()
    return held, extra


def _wait(condition, what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what}")


def _send_sweep(queue: str) -> None:
    from applications.tasks import send_renewal_reminders

    send_renewal_reminders.apply_async(queue=queue)


def _delivered_after_restart(queue: str) -> Callable[[], bool]:
    """The check of ``_all_delivered``, which also runs the outbox's retry sweep (the beat's every
    minute) every couple of seconds: it hands back what the killed worker had claimed once the
    claim's lease has run out (3 s in the worker's settings)."""
    from notifications.tasks import retry_pending_notifications

    last = [0.0]

    def check() -> bool:
        if time.monotonic() - last[0] > 2:
            retry_pending_notifications.apply_async(queue=queue)
            last[0] = time.monotonic()
        return _all_delivered()

    return check


def _all_delivered() -> bool:
    return (RenewalReminder.objects.count() == PERMITS
            and not Notification.objects.filter(channel="email").exclude(status="sent").exists()
            and _sink_counts()[0] >= PERMITS)


def _assert_exactly_once(permits, *, in_flight: int = 0) -> None:
    """Each reminder written once and received once; ``in_flight``: how many messages a kill may
    have caught between the mail server's acceptance and the row's "sent" (sent again, with the
    same Message-ID)."""
    assert RenewalReminder.objects.count() == PERMITS
    emails = Notification.objects.filter(channel="email")
    assert emails.count() == PERMITS
    assert emails.values("object_id", "event").distinct().count() == PERMITS
    assert set(emails.values_list("status", flat=True)) == {"sent"}
    assert Notification.objects.filter(channel="inbox").count() == PERMITS
    held, extra = _sink_counts()
    assert held == PERMITS and extra <= in_flight
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT recipient FROM test_mail_sink")
        assert {row[0] for row in cursor.fetchall()} == {p.holder.email for p in permits}


def test_worker_killed_in_the_middle_of_a_sweep_then_restarted_delivers_each_reminder_once(
        app_on, sink, tmp_path):
    permits = _due_permits()
    redis_url = os.environ["REDIS_URL"]
    queue = app_on(redis_url)
    worker = Worker(redis_url, queue, tmp_path / "worker.log")
    try:
        worker.start()
        _send_sweep(queue)
        # Batches of 5 permits: kill once the first ones are committed, long before the last one.
        _wait(lambda: RenewalReminder.objects.count() >= 10, "the first batches of the sweep")
        worker.kill()
        claimed = RenewalReminder.objects.count()
        assert claimed < PERMITS, "the sweep ended before the kill: nothing was tested"
        worker.start()
        _send_sweep(queue)  # run again (tomorrow's beat, or an operator)
        _wait(_delivered_after_restart(queue), "every reminder delivered")
        time.sleep(1)  # a duplicate delivery, if any, would land now
    finally:
        worker.stop()
    _assert_exactly_once(permits)


def test_worker_killed_in_the_middle_of_a_delivery_batch_then_restarted_delivers_each_reminder_once(
        app_on, sink, tmp_path):
    permits = _due_permits()
    redis_url = os.environ["REDIS_URL"]
    queue = app_on(redis_url)
    worker = Worker(redis_url, queue, tmp_path / "worker.log")
    try:
        worker.start()
        _send_sweep(queue)  # the sweep first (solo pool), then its deliveries, one task per e-mail
        _wait(lambda: _sink_counts()[0] >= 5, "the first e-mails")
        worker.kill()
        sent = _sink_counts()[0]
        assert sent < PERMITS, "the deliveries ended before the kill: nothing was tested"
        worker.start()
        _send_sweep(queue)  # run again: queues the reminders' e-mails still pending
        _wait(_delivered_after_restart(queue), "every reminder delivered")
        time.sleep(1)
    finally:
        worker.stop()
    # One delivery task holds one message at a time (prefetch 1): at most the one in flight.
    _assert_exactly_once(permits, in_flight=1)


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own (the shared one serves other people): started, stopped
    and started again by the test. Skipped without redis-server, except in CI where it must run."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not on PATH: the Redis restart test must run in CI")
        pytest.skip("redis-server is not on PATH: cannot restart a Redis of the test's own")
    port = 6390 + os.getpid() % 50

    def start() -> None:
        subprocess.run([binary, "--port", str(port), "--save", "", "--appendonly", "no", "--daemonize", "yes",  # noqa: S603
                        "--dir", str(tmp_path), "--pidfile", str(tmp_path / "redis.pid")], check=True)
        _wait(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,  # noqa: S607
                                     check=False).stdout.strip() == b"PONG", "redis to start", 10)

    def stop() -> None:
        pid = int((tmp_path / "redis.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        _wait(lambda: not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text(),
              "redis to stop", 10)

    start()
    yield f"redis://127.0.0.1:{port}/0", start, stop
    try:
        stop()
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass


def test_redis_restarted_in_the_middle_of_a_run_the_run_completes_once_it_is_back(
        app_on, sink, tmp_path, own_redis):
    permits = _due_permits()
    redis_url, start_redis, stop_redis = own_redis
    queue = app_on(redis_url)
    worker = Worker(redis_url, queue, tmp_path / "worker.log")
    try:
        worker.start()
        _send_sweep(queue)
        _wait(lambda: RenewalReminder.objects.count() >= 10, "the first batches of the sweep")
        stop_redis()  # messages in Redis are lost with it (no persistence): the worst case
        time.sleep(2)
        start_redis()
        # The sweep goes on without the broker (its deliveries are queued robustly) and ends.
        _wait(lambda: RenewalReminder.objects.count() == PERMITS, "the sweep to end")
        _send_sweep(queue)  # run again once Redis is back: queues what is still pending
        _wait(_delivered_after_restart(queue), "every reminder delivered")
        time.sleep(1)
    finally:
        worker.stop()
    _assert_exactly_once(permits)
