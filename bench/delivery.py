"""Benchmark: outbox delivery throughput to a local SMTP sink, with one real Celery worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_outbox REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python bench/delivery.py

Starts a minimal SMTP sink (asyncio, in a process of its own: it accepts every message and counts
it) and one Celery worker (prefork, 2 processes, prefetch 1, acks_late: the production settings)
on the broker ``REDIS_URL`` names, with ``EMAIL_URL`` pointing at the sink. Then, for each shape:

- ``per-row tasks``: BENCH_MESSAGES outbox rows, one ``send_notification(id)`` task each (what
  ``notify`` queues after a commit): claim, SMTP session, record, for every message;
- ``batched tasks``: the same number of rows, one ``send_notification_many(ids)`` task per 50 (what
  the sweep queues): one claim, one SMTP session and one record per 50;

times from the first task queued to the last row marked ``sent`` (polled in the database), and
checks that the sink received exactly one message per row. The floor, in the same run: the same
number of messages sent to the same sink by a bare ``smtplib`` loop on one connection, and one
connection per message. The rows are deleted at the end; the worker and the sink are stopped.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = int(os.environ.get("BENCH_MESSAGES", 2000))
BATCH = 50
BODY = ("Bonjour,\n\nVotre rendez-vous du 12 janvier 2027 à 9 h 30 à la préfecture du Rhône est confirmé. "
        "Présentez-vous à l'accueil avec votre convocation et les pièces demandées.\n\n") * 4
EVENT = "bench.delivery"


# --- The sink ---------------------------------------------------------------------------------------

def _sink(port: int, counter, ready) -> None:
    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go on\r\n")
                await writer.drain()
                while (data := await reader.readline()) and data != b".\r\n":
                    pass
                with counter.get_lock():
                    counter.value += 1
                writer.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(session, "127.0.0.1", port, backlog=512)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- The floor --------------------------------------------------------------------------------------

def _message(n: int) -> EmailMessage:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = f"Message {n}", "anef@example.org", f"p{n}@example.org"
    message.set_content(BODY)
    return message


def floor(port: int, *, one_connection: bool) -> float:
    started = time.perf_counter()
    if one_connection:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for n in range(MESSAGES):
                smtp.send_message(_message(n))
    else:
        for n in range(MESSAGES):
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                smtp.send_message(_message(n))
    return time.perf_counter() - started


# --- The outbox -------------------------------------------------------------------------------------

def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def make_rows(tag: str, count: int = MESSAGES) -> list[int]:
    from accounts.models import User
    from notifications.models import Channel, Notification

    person, _ = User.objects.get_or_create(email="bench.delivery@example.org", defaults={"first_name": "Bench"})
    Notification.objects.bulk_create(
        [Notification(recipient=person, event=EVENT, object_type=tag, object_id=str(n), channel=Channel.EMAIL,
                      subject=f"Votre rendez-vous {n}", body=BODY) for n in range(count)],
        batch_size=1000,
    )
    return list(Notification.objects.filter(event=EVENT, object_type=tag).order_by("id").values_list("id", flat=True))


def run_outbox(tag: str, ids: list[int], *, batched: bool) -> float:
    from notifications.models import Notification, Status
    from notifications.tasks import send_notification, send_notification_many

    started = time.perf_counter()
    if batched:
        for at in range(0, len(ids), BATCH):
            send_notification_many.delay(ids[at:at + BATCH])
    else:
        for pk in ids:
            send_notification.delay(pk)
    rows = Notification.objects.filter(event=EVENT, object_type=tag)
    deadline = time.monotonic() + 600
    while rows.filter(status=Status.SENT).count() < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"{tag}: not all sent after 600 s: {dict(rows.values_list('status').annotate())}")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    assert not rows.exclude(status=Status.SENT).exists() and not rows.exclude(attempts=1).exists()
    return elapsed


def main() -> None:
    database = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/anef_outbox")
    broker = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8")
    port = free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "anef.settings.base", "DATABASE_URL": database, "REDIS_URL": broker,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}", "DEBUG": "0", "SECRET_KEY": "benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1", "CONN_MAX_AGE": "600",
    }
    counter, ready = multiprocessing.Value("l", 0), multiprocessing.Event()
    sink = multiprocessing.Process(target=_sink, args=(port, counter, ready), daemon=True)
    sink.start()
    ready.wait(10)

    setup_django(env)
    from django.core.management import call_command

    from anef.celery import app
    from notifications.models import Notification

    call_command("migrate", verbosity=0)
    Notification.objects.filter(event=EVENT).delete()
    app.control.purge()

    results: list[tuple[str, float]] = []
    for label, one in (("floor: bare smtplib loop, one connection", True),
                       ("floor: bare smtplib loop, one connection per message", False)):
        before = counter.value
        results.append((label, floor(port, one_connection=one)))
        assert counter.value - before == MESSAGES

    worker = subprocess.Popen(  # noqa: S603 - our own venv's celery
        [str(ROOT / ".venv/bin/celery"), "-A", "anef", "worker", "--pool=prefork", "--concurrency=2",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
        cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not app.control.ping(timeout=1):  # the worker's start (Django set-up in both processes)
            if time.monotonic() > deadline:
                raise SystemExit("the worker did not start")
        run_outbox("bench.warmup", make_rows("bench.warmup", count=20), batched=False)  # both processes' connections
        for label, tag, batched in (("outbox: per-row tasks (send_notification)", "bench.row", False),
                                    ("outbox: batched tasks of 50 (send_notification_many)", "bench.batch", True)):
            ids = make_rows(tag)
            before = counter.value
            results.append((label, run_outbox(tag, ids, batched=batched)))
            assert counter.value - before == MESSAGES, (label, counter.value - before)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        Notification.objects.filter(event=EVENT).delete()
        sink.terminate()

    print(f"\n{MESSAGES} messages each; sink received {counter.value} in all (20 of them the worker's warm-up)\n")
    print("| shape | seconds | messages/s |")
    print("|---|---|---|")
    for label, seconds in results:
        print(f"| {label} | {seconds:.2f} | {MESSAGES / seconds:.0f} |")


if __name__ == "__main__":
    main()
