"""Benchmark: 200 applicants booking the same 20-seat slot at the same instant, through gunicorn.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE anef_bench5"   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench5 .venv/bin/python bench/booking_burst.py

Prepares (migrate, collectstatic, then on every run) one slot of 20 seats for PAN assistance at a
site of the Rhône prefecture (69), 200 applicants living in the Rhône, each with a signed-in session
made server-side; starts gunicorn (2 sync workers, DEBUG=0, production settings otherwise) on a free
port of 127.0.0.1; fetches each applicant's booking page once (its CSRF token; warms the workers);
then 200 client threads, each already connected, POST the booking form at the same instant. Checks in
the database that exactly 20 bookings exist, the slot counts 20, and nobody is booked twice.

For a floor measured in the same run and with the same load shape (200 one-shot connections at
once, which a sync worker accepts one at a time), the same burst is then sent to a bare Django
``HttpResponse("ok")`` with CommonMiddleware only, served by the same gunicorn settings.

The server uses ``BENCH_REDIS_URL`` (default Redis database 13) for its cache (the booking rate
limit) and Celery broker, as in production; the notification tasks the bookings queue are purged at
the end (no worker runs). The load generator shares the machine's cores with the server.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = int(os.environ.get("BENCH_CLIENTS", 200))
SEATS = int(os.environ.get("BENCH_SEATS", 20))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
MOTIVE = "pan_assistance"
BOOK_PATH = f"/rendez-vous/prendre/{MOTIVE}/"
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "anef.settings.base",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/anef_bench5"),
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
    "DEBUG": "0",
    "SECRET_KEY": "benchmark-only-" + "x" * 40,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
}


# --- The floor: a bare Django app, served by gunicorn from this module ----------------------------

class _FloorUrls:
    urlpatterns: list = []


def floor_app():
    """``gunicorn 'booking_burst:floor_app()'``: HttpResponse("ok") behind CommonMiddleware only."""
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpResponse
    from django.urls import path

    settings.configure(
        DEBUG=False, SECRET_KEY="floor-only-" + "x" * 40, ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=_FloorUrls, MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        INSTALLED_APPS=[], DATABASES={},
    )
    _FloorUrls.urlpatterns = [path("", lambda request: HttpResponse("ok"))]
    return get_wsgi_application()


# --- Server and clients -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn as a subprocess, stopped (and waited for) on exit."""

    def __init__(self, app: str, *, chdir: Path = ROOT):
        self.port = free_port()
        self.log = open(ROOT / "var" / f"bench-booking-burst-{self.port}.log", "w")  # closed in __exit__
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "gunicorn", app, "--workers", str(WORKERS), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--chdir", str(chdir),
             "--timeout", "60"],
            cwd=ROOT, env={**os.environ, **SERVER_ENV}, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def __enter__(self) -> Gunicorn:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            try:
                status, _headers, _body = request(self.port, "GET", "/", {})
                if status < 500:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer; see {self.log.name}")

    def __exit__(self, *exc_info) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        if exc_info[0] is None:  # kept when something failed, for its traceback
            Path(self.log.name).unlink(missing_ok=True)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time consumed so far by these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def database_backends() -> list[int]:
    """The PostgreSQL server processes of the workers' connections (kept open: CONN_MAX_AGE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


def request(port: int, method: str, path: str, headers: dict, body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def burst(port: int, requests: list[tuple[str, str, dict, str | None]]) -> dict:
    """Sends every request from its own thread, each connected first, all released at once.
    Returns the statuses, latencies (ms) and wall time (s) of the burst."""
    barrier = threading.Barrier(len(requests))
    results: list[tuple[int, float, float, float] | None] = [None] * len(requests)

    def run(index: int, method: str, path: str, headers: dict, body: str | None) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.connect()
        barrier.wait()
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
            response = conn.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 0
        finished = time.perf_counter()
        conn.close()
        results[index] = (status, (finished - started) * 1000, started, finished)

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = [r[1] for r in results]
    wall = max(r[3] for r in results) - min(r[2] for r in results)
    return {"statuses": Counter(r[0] for r in results), "latencies": latencies, "wall": wall}


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


# --- The booking burst ------------------------------------------------------------------------------

def setup_django() -> None:
    os.environ.update(SERVER_ENV)  # the same database, cache and broker as the server
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare():
    """The slot, the applicants and their sessions; leftovers of a previous run are removed."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.cache import cache
    from django.utils import timezone

    from accounts.middleware import SESSION_SEEN_KEY, SESSION_STAFF_KEY, SESSION_STARTED_KEY
    from accounts.models import User
    from appointments.models import Booking, Desk, Motive, Slot
    from territory.models import Department, Site

    department = Department.objects.get(code="69")
    motive = Motive.objects.get(code=MOTIVE)
    site, _created = Site.objects.get_or_create(
        prefecture=department.prefecture, name="Point d'accueil numérique (banc d'essai)",
        defaults={"kind": Site.Kind.PAN, "postal_code": "69003", "city": "Lyon", "address": "1 rue du Test"},
    )
    desk, _created = Desk.objects.get_or_create(site=site, name="Guichet PAN")
    desk.motives.add(motive)
    Booking.objects.filter(slot__desk=desk).delete()
    Slot.objects.filter(desk=desk).delete()
    starts_at = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=3)
    slot = Slot.objects.create(desk=desk, motive=motive, starts_at=starts_at, capacity=SEATS,
                               ends_at=starts_at + timedelta(minutes=motive.duration_minutes))

    emails = [f"bench-burst-{i}@example.org" for i in range(CLIENTS)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    User.objects.bulk_create(
        User(email=email, first_name="Awa", last_name=f"Burst{i}", department=department,
             email_verified_at=timezone.now(), password=make_password(None))  # sessions are made below
        for i, email in enumerate(emails) if email not in existing
    )
    people = list(User.objects.filter(email__in=emails).order_by("id"))
    cache.delete_many([f"ratelimit:appointments:attempts:{p.pk}" for p in people])  # the per-person rate limit
    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    now = time.time()
    sessions = []
    for person in people:
        store = SessionStore()
        store.update({
            SESSION_KEY: str(person.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: person.get_session_auth_hash(),
            SESSION_STARTED_KEY: now, SESSION_SEEN_KEY: now, SESSION_STAFF_KEY: False,
        })
        store.create()
        sessions.append(store.session_key)
    return slot, site, people, sessions


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def fetch_forms(port: int, sessions: list[str], slot_id: int) -> list[tuple[str, str]]:
    """Each applicant opens the booking page once: their CSRF cookie and form token."""
    from concurrent.futures import ThreadPoolExecutor

    def one(session_key: str) -> tuple[str, str]:
        status, headers, body = request(port, "GET", BOOK_PATH, {"Cookie": f"sessionid={session_key}"})
        assert status == 200, f"booking page answered {status}"
        assert f'value="{slot_id}"' in body, "the slot is not offered on the booking page"
        cookie = next(v.split(";")[0] for k, v in headers if k.lower() == "set-cookie" and v.startswith("csrftoken="))
        return cookie, CSRF_INPUT.search(body).group(1)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, sessions))


def check_database(slot_id: int) -> dict:
    from django.db.models import Count

    from appointments.models import Booking, Slot

    slot = Slot.objects.get(pk=slot_id)
    active = Booking.objects.filter(slot=slot, status__in=[Booking.Status.BOOKED, Booking.Status.CHECKED_IN])
    twice = (Booking.objects.filter(motive=slot.motive, status=Booking.Status.BOOKED,
                                    person__email__startswith="bench-burst-")
             .values("person").annotate(n=Count("id")).filter(n__gt=1).count())
    return {"booked": slot.booked, "active": active.count(),
            "people": active.values("person").distinct().count(), "people_twice": twice}


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    assert connection.vendor == "postgresql", "Run against PostgreSQL: set DATABASE_URL."
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production static storage
    slot, site, people, sessions = prepare()
    connection.close()  # the server's workers are the only ones writing during the burst

    with Gunicorn("anef.wsgi:application") as server:
        forms = fetch_forms(server.port, sessions, slot.pk)
        load = os.getloadavg()  # other processes share the cores: say so beside the figures
        # CPU time per request, which other load on the machine inflates far less than latency.
        workers, backends = children(server.process.pid), database_backends()
        cpu_before = cpu_seconds(workers), cpu_seconds(backends)
        body = {token: urlencode({"csrfmiddlewaretoken": token, "site": site.pk, "slot": slot.pk})
                for _cookie, token in forms}
        requests = [
            ("POST", BOOK_PATH, {"Cookie": f"sessionid={key}; {cookie}",
                                 "Content-Type": "application/x-www-form-urlencoded"}, body[token])
            for key, (cookie, token) in zip(sessions, forms, strict=True)
        ]
        booking = burst(server.port, requests)
        booking["cpu"] = cpu_seconds(workers) - cpu_before[0], cpu_seconds(backends) - cpu_before[1]
    database = check_database(slot.pk)

    with Gunicorn("booking_burst:floor_app()", chdir=ROOT / "bench") as floor_server:
        request(floor_server.port, "GET", "/", {})
        workers = children(floor_server.process.pid)
        cpu_before = cpu_seconds(workers)
        floor = burst(floor_server.port, [("GET", "/", {}, None)] * CLIENTS)
        floor["cpu"] = cpu_seconds(workers) - cpu_before, 0.0

    from anef.celery import app

    app.control.purge()  # the confirmation e-mails the bookings queued: no worker will send them

    statuses = booking["statuses"]
    server_errors = sum(n for status, n in statuses.items() if status >= 500 or status == 0)
    twice = database["people_twice"] + database["active"] - database["people"]
    print(f"\n{CLIENTS} clients, one slot of {SEATS} seats, gunicorn {WORKERS} sync workers; "
          f"load average before the burst {load[0]:.1f} on {os.cpu_count()} cores")
    print(f"HTTP statuses: {dict(sorted(statuses.items()))} (302: booked; 200: refused, the page shown again "
          f"with the next free slots; 0: no answer)")
    print(f"Database: slot.booked={database['booked']}, active bookings={database['active']}, "
          f"distinct people={database['people']}, people booked twice={twice}")
    print("\n| burst | bookings made | slot.booked | double bookings | 5xx | p50 | p95 | p99 | throughput "
          "| CPU per request: gunicorn + PostgreSQL |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, run, made, booked, double in (
        (f"{CLIENTS} POST of the booking form at once", booking, database["active"], database["booked"], twice),
        (f"floor, same run: {CLIENTS} GET of `HttpResponse(\"ok\")` at once", floor, "–", "–", "–"),
    ):
        errors = sum(n for status, n in run["statuses"].items() if status >= 500 or status == 0)
        values = run["latencies"]
        print(f"| {name} | {made} | {booked} | {double} | {errors} | {statistics.median(values):.0f} ms "
              f"| {percentile(values, 0.95):.0f} ms | {percentile(values, 0.99):.0f} ms "
              f"| {len(values) / run['wall']:.0f} req/s "
              f"| {run['cpu'][0] * 1000 / len(values):.1f} + {run['cpu'][1] * 1000 / len(values):.1f} ms |")
    ok = (database["active"] == database["booked"] == database["people"] == SEATS == statuses.get(302, 0)
          and twice == 0 and server_errors == 0)
    print("\nOK" if ok else "\nFAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
