"""Benchmark: the CCC support queue and the deadline job of substitution (issue 11), with
1,000,000 dossiers and 5,000 open blocking reports (the national rate), and the figures page.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE anef_bench11"   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench11 .venv/bin/python bench/substitution.py
    # smaller, same shape: --scale 0.1 (100,000 dossiers, 500 open reports); see --help

Creates once, with COPY, ``N`` dossiers (``--scale`` × 1,000,000) of ``N / 10`` applicants over
the 101 prefectures (18 large ones weigh four times the others), filed over the last two years;
a CCC agent and a supervisor of Seine-Saint-Denis, each with a confirmed authenticator; and, for
the deadline job, a paper-filing desk per prefecture with 15-minute slots on the working days of
the next 45 days. Then, on every run (so that each run of the job meets the same work), it
reloads the blocking reports: ``--reports`` open ones (default 5,000 × scale: 4 to 5 per 1,000
dossiers, the national rate) opened over the last 20 days, so that about a quarter are past their
15-day deadline, plus as many closed over the last year (resolved, or filed on paper after an
impossibility and an invitation) for the figures, each with its timeline, and 30 anomalies.
Everything the previous run's job created (bookings, letters, notifications, audit lines) is
deleted first.

Measures, in-process (Django test client: middleware, session and second-factor checks, queries,
template rendering; no network):

(a) the CCC queue, first page and a filtered page (kind + prefecture), as a CCC agent signed in
    with a verified second factor, against a floor measured in the same run: a bare Django
    template of the same HTML size (a 25-row loop and padding) behind the same middleware, the
    requests interleaved (floor, page, floor, page...), in 3 rounds; each round gives a p50 and a
    p95, the table shows the median of the 3 (PERFORMANCE.md);
(b) the figures page, national and for Seine-Saint-Denis (fewer requests: a statistics page);
(c) the deadline job, ``substitution.tasks.deadline_job`` (or another task of that module whose
    name has "deadline"), if this branch defines it ("skipped: job not present" otherwise), run
    once in-process with its follow-up tasks published to Redis (``BENCH_BROKER_URL``, database 14
    by default, purged afterwards).

``BENCH_EXPLAIN=1`` (the default) prints EXPLAIN (ANALYZE, BUFFERS) of the queue's and the
figures' queries. Prints a Markdown table; docs/benchmarks.md keeps the results.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import types
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anef.settings.base")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import AuditEvent, Membership, Role, User  # noqa: E402
from applications.models import Dossier, Procedure  # noqa: E402
from appointments.models import Booking, Desk, Motive, Slot  # noqa: E402
from documents.models import IssuedDocument  # noqa: E402
from notifications.models import Notification  # noqa: E402
from substitution.models import (  # noqa: E402
    Anomaly,
    BlockingReport,
    Impossibility,
    Invitation,
    ReportEvent,
    ReportKind,
    ReportSequence,
)
from territory.models import Prefecture  # noqa: E402

FULL_SCALE = 1_000_000
OPEN_REPORTS_AT_FULL_SCALE = 5_000
MEASURED = "93"  # the supervisor's prefecture, and the filtered page's: one of the large ones
LARGE = {"75", "93", "92", "94", "69", "13", "59", "91", "95", "78", "77", "06", "33", "31", "67", "34", "38", "44"}
PREFIX = "bench11-"
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
ROUNDS = 3


# --- Data -----------------------------------------------------------------------------------------

def _state(key: str, value: str | None = None) -> str | None:
    """A small key-value table of the benchmark's own."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_state (key text PRIMARY KEY, value text NOT NULL)")
        if value is not None:
            cursor.execute("INSERT INTO bench_state VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = %s",
                           [key, value, value])
            return value
        cursor.execute("SELECT value FROM bench_state WHERE key = %s", [key])
        row = cursor.fetchone()
        return row[0] if row else None


def _copy(model, rows, columns: list[str]) -> None:
    """COPY rows (tuples in ``columns`` order) into the model's table; every other column gets the
    field's default (as bench/backoffice_queue.py does), a callable one (a unique login identifier)
    computed for each row."""
    fields = [f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key]
    constants = [f for f in fields if not callable(f.default)]
    computed = [f for f in fields if callable(f.default)]
    values = [f.get_db_prep_save(f.get_default(), connection) for f in constants]
    names = columns + [f.column for f in constants] + [f.column for f in computed]
    with connection.cursor() as cursor, cursor.cursor.copy(
        f"COPY {model._meta.db_table} ({', '.join(names)}) FROM STDIN"  # noqa: S608 (names from the model)
    ) as copy:
        for row in rows:
            copy.write_row((*row, *values, *(f.get_db_prep_save(f.get_default(), connection) for f in computed)))


def _setval(model) -> None:
    with connection.cursor() as cursor:
        table = model._meta.db_table
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608


def _weighted_prefectures() -> list[Prefecture]:
    prefectures = list(Prefecture.objects.select_related("department").order_by("department__code"))
    return [p for p in prefectures for _ in range(4 if p.department.code in LARGE else 1)]


def populate(dossiers: int) -> None:
    """The dossiers, applicants, staff and paper-filing slots: once per database."""
    done = _state("dossiers")
    if done is not None:
        if int(done) != dossiers:
            sys.exit(f"This database holds {int(done):,} dossiers, not {dossiers:,}: use another database, "
                     "or the same --scale.")
        return
    from psycopg.types.json import Jsonb

    applicants = max(1_000, dossiers // 10)
    print(f"Creating {applicants:,} applicants and {dossiers:,} dossiers…", flush=True)
    started = time.perf_counter()
    rng = random.Random(11)
    now = timezone.now()
    password = make_password("bench-password-not-used")
    first_user = (User.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    _copy(User, ((first_user + i, f"{PREFIX}{i}@example.org", password, "Awa", f"Bench{i}", now, now)
                 for i in range(applicants)),
          ["id", "email", "password", "first_name", "last_name", "email_verified_at", "date_joined"])
    _setval(User)
    _state("first_applicant", str(first_user))
    _state("applicants", str(applicants))

    weighted = _weighted_prefectures()
    procedures = list(Procedure.objects.all())
    statuses = ["submitted", "under_review", "card_delivered", "decided_unfavourable", "withdrawn"]

    def rows():
        for i in range(dossiers):
            procedure = rng.choice(procedures)
            submitted = now - timedelta(days=rng.uniform(0, 730))
            yield (f"B11-{i:08d}", first_user + rng.randrange(applicants), procedure.pk, procedure.group,
                   rng.choice(weighted).pk, rng.choice(statuses), "online", Jsonb({}), "done",
                   submitted, submitted, submitted)

    _copy(Dossier, rows(), ["reference", "applicant_id", "procedure_id", "family", "prefecture_id", "status",
                            "channel", "answers", "current_step", "created_at", "updated_at", "submitted_at"])
    print(f"  dossiers {time.perf_counter() - started:.0f} s", flush=True)

    ccc = User.objects.create(email=f"{PREFIX}ccc@example.org", password=password, first_name="Agent",
                              last_name="CCC", email_verified_at=now)
    Membership.objects.create(user=ccc, role=Role.SUPPORT)
    supervisor = User.objects.create(email=f"{PREFIX}supervisor@example.org", password=password,
                                     first_name="Superviseur", last_name="Bench", email_verified_at=now)
    Membership.objects.create(user=supervisor, role=Role.SUPERVISOR,
                              prefecture=Prefecture.objects.get(department__code=MEASURED))
    for user in (ccc, supervisor):
        TOTPDevice.objects.create(user=user, name="totp", key="31" * 20, confirmed=True)

    # Paper filing: one desk per prefecture (its first site), 12 slots each working morning.
    motive = Motive.objects.get(code=Motive.Code.PAPER_FILING)
    tz = timezone.get_default_timezone()
    today = timezone.localdate()
    slots = []
    for prefecture in Prefecture.objects.all():
        site = prefecture.sites.order_by("id").first()
        if site is None:
            continue
        desk = Desk.objects.create(site=site, name="Dépôt papier (banc d'essai)")
        desk.motives.add(motive)
        for n in range(1, 46):
            day = today + timedelta(days=n)
            if day.weekday() >= 5:
                continue
            for quarter in range(12):
                starts = datetime.combine(day, clock(9), tzinfo=tz) + timedelta(minutes=15 * quarter)
                slots.append(Slot(desk=desk, motive=motive, starts_at=starts, ends_at=starts + timedelta(minutes=15),
                                  capacity=1))
    Slot.objects.bulk_create(slots, batch_size=5_000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    _state("dossiers", str(dossiers))
    print(f"…done in {time.perf_counter() - started:.0f} s ({len(slots):,} paper-filing slots)", flush=True)


def reload_reports(open_reports: int) -> None:
    """The reports, their timelines and anomalies, as on the first run; whatever the previous
    run's deadline job made is deleted first."""
    started = time.perf_counter()
    since = _state("job_started_at")
    if since is not None:  # the previous run's job: its bookings, letters, messages and audit lines
        job_start = datetime.fromisoformat(since)
        Invitation.objects.all().delete()
        Booking.objects.filter(created_at__gte=job_start).delete()
        Slot.objects.filter(booked__gt=0).update(booked=0)
        IssuedDocument.objects.filter(issued_at__gte=job_start).delete()
        Notification.objects.filter(created_at__gte=job_start).delete()
        AuditEvent.objects.filter(at__gte=job_start).delete()
    with connection.cursor() as cursor:
        tables = ", ".join(m._meta.db_table for m in (Invitation, Impossibility, ReportEvent, BlockingReport, Anomaly))
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")  # noqa: S608 (names from the models)
    if since is not None:
        # Accounts the job made for people without one (none here: every report has an account).
        User.objects.filter(date_joined__gte=datetime.fromisoformat(since)).exclude(
            email__startswith=PREFIX).delete()

    rng = random.Random(1111)
    now = timezone.now()
    today = timezone.localdate(now)
    first_user, applicants = int(_state("first_applicant")), int(_state("applicants"))
    ccc = User.objects.get(email=f"{PREFIX}ccc@example.org")
    weighted = _weighted_prefectures()
    kinds = ReportKind.values
    kind_weights = [8, 20, 12, 25, 10, 15, 10]
    anomalies = [Anomaly(title=f"Anomalie {n}", kind=rng.choice(kinds), created_at=now - timedelta(days=n))
                 for n in range(30)]
    Anomaly.objects.bulk_create(anomalies)
    anomaly_ids = list(Anomaly.objects.values_list("id", flat=True))
    year = today.year
    reports, events, impossibilities = [], [], []
    for n in range(2 * open_reports):
        pk = n + 1
        active = n < open_reports
        if active:
            opened = now - timedelta(days=rng.uniform(0, 20))
            status = rng.choices(["open", "answered", "unresolved"], [50, 30, 20])[0]
        else:
            opened = now - timedelta(days=rng.uniform(21, 365))
            status = rng.choices(["resolved", "filed_on_paper"], [75, 25])[0]
        deadline = timezone.localdate(opened) + timedelta(days=settings.SUBSTITUTION_REASONABLE_DELAY_DAYS)
        phone = rng.random() < 0.2
        resolved_at = opened + timedelta(days=rng.lognormvariate(1.2, 0.8)) if status == "resolved" else None
        anomaly = rng.choice(anomaly_ids) if status == "unresolved" and rng.random() < 0.5 else None
        reports.append((
            pk, f"SIG-{year}-{pk:06d}", "phone" if phone else "online", first_user + rng.randrange(applicants),
            "Awa", f"Bench{pk}", rng.choice(weighted).pk, rng.choices(kinds, kind_weights)[0], status, deadline,
            opened, resolved_at, ccc.pk if phone else None, anomaly,
        ))
        events.append((pk, "opened", opened, "", status if status == "open" else "open"))
        if status == "filed_on_paper":
            at = datetime.combine(deadline + timedelta(days=1), clock(2), tzinfo=timezone.get_default_timezone())
            impossibilities.append((pk, at, "Délai dépassé (banc d'essai)"))
            invited = at + timedelta(minutes=rng.uniform(0, 60) if rng.random() < 0.9 else 60 * 24 * 3)
            events.append((pk, "invited", invited, "", "invited"))
    _copy(BlockingReport, reports, ["id", "reference", "channel", "person_id", "first_name", "last_name",
                                    "prefecture_id", "kind", "status", "deadline", "opened_at", "resolved_at",
                                    "opened_by_id", "anomaly_id"])
    _setval(BlockingReport)
    _copy(ReportEvent, events, ["report_id", "kind", "at", "from_status", "to_status"])
    _copy(Impossibility, impossibilities, ["report_id", "recorded_at", "grounds"])
    ReportSequence.objects.update_or_create(year=year, defaults={"last_value": 2 * open_reports})
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {BlockingReport._meta.db_table}")  # noqa: S608
        cursor.execute(f"ANALYZE {ReportEvent._meta.db_table}")  # noqa: S608
    overdue = BlockingReport.objects.filter(status__in=["open", "answered", "unresolved"], deadline__lt=today).count()
    print(f"Reports reloaded in {time.perf_counter() - started:.1f} s: {open_reports:,} open ({overdue:,} past "
          f"their deadline), {open_reports:,} closed", flush=True)


# --- Measures -------------------------------------------------------------------------------------

FLOOR_TEMPLATE = (
    '<!DOCTYPE html><html lang="fr"><head><title>floor</title></head><body><table>'
    "{% for row in rows %}<tr><td>{{ row.reference }}</td><td>{{ row.name }}</td><td>{{ row.kind }}</td>"
    "<td>{{ row.deadline|date:'d/m/Y' }}</td></tr>{% endfor %}</table>{{ pad }}</body></html>"
)
FLOOR_ROWS = [{"reference": f"SIG-2026-{n:06d}", "name": f"Awa BENCH{n}", "kind": "Un document est refusé",
               "deadline": date(2026, 12, 1)} for n in range(25)]


def floor_view(request, size: int):
    """The floor: a bare template of ``size`` bytes (25 rows and padding), same middleware."""
    template = engines["django"].from_string(FLOOR_TEMPLATE)
    request.user.is_authenticated  # noqa: B018 (loads the session and the user, as every page does)
    html = template.render({"rows": FLOOR_ROWS, "pad": ""})
    html = template.render({"rows": FLOOR_ROWS, "pad": "x" * max(0, size - len(html))})
    return HttpResponse(html)


def bench_urls() -> str:
    from anef import urls as anef_urls

    module = types.ModuleType("bench_substitution_urls")
    module.urlpatterns = [path("bench-floor/<int:size>/", floor_view), *anef_urls.urlpatterns]  # type: ignore[attr-defined]
    for name in dir(anef_urls):
        if name.startswith("handler"):
            setattr(module, name, getattr(anef_urls, name))
    sys.modules[module.__name__] = module
    return module.__name__


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def signed_in(email: str) -> Client:
    user = User.objects.get(email=email)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    assert client.get("/backoffice/").status_code == 200  # the session's first request writes it
    return client


def get(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def explain(client: Client, label: str, url: str, tables: tuple[str, ...]) -> None:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for query in queries.captured_queries:
        sql = query["sql"]
        if not any(f'FROM "{table}"' in sql for table in tables):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n--- {label}: {sql[:160]}…\n{plan}")


def measure_queue(requests: int) -> dict[str, tuple[float, float, int]]:
    """(a): each page and its floor, interleaved, 3 rounds; the median of the rounds' p50 and p95."""
    client = signed_in(f"{PREFIX}ccc@example.org")
    measured = Prefecture.objects.get(department__code=MEASURED)
    pages = {"first": "/backoffice/signalements/",
             "filtered": f"/backoffice/signalements/?kind=upload_refused&prefecture={measured.pk}"}
    sizes = {}
    for label, url in list(pages.items()):
        for _ in range(10):  # warm-up
            response = client.get(url)
        sizes[label] = len(response.content)
        pages[f"floor {label}"] = f"/bench-floor/{sizes[label]}/"
        assert abs(len(client.get(pages[f"floor {label}"]).content) - sizes[label]) < 100
    if os.environ.get("BENCH_EXPLAIN", "1") == "1":
        for label in ("first", "filtered"):
            explain(client, f"queue, {label}", pages[label], (BlockingReport._meta.db_table,))
    rounds: dict[str, list[tuple[float, float]]] = {label: [] for label in pages}
    for _ in range(ROUNDS):
        timings: dict[str, list[float]] = {label: [] for label in pages}
        for _ in range(requests):
            for label, url in pages.items():
                timings[label].append(get(client, url))
        for label, values in timings.items():
            rounds[label].append((statistics.median(values), percentile(values, 0.95)))
    return {label: (statistics.median(r[0] for r in values), statistics.median(r[1] for r in values),
                    sizes[label.removeprefix("floor ")]) for label, values in rounds.items()}


def measure_figures(requests: int) -> dict[str, tuple[float, float]]:
    """(b): the figures page, national (CCC) and one prefecture (its supervisor)."""
    ccc = signed_in(f"{PREFIX}ccc@example.org")
    supervisor = signed_in(f"{PREFIX}supervisor@example.org")
    url = "/backoffice/signalements/chiffres/"
    if os.environ.get("BENCH_EXPLAIN", "1") == "1":
        explain(ccc, "figures, national", url, (Dossier._meta.db_table, BlockingReport._meta.db_table))
    result = {}
    for label, client in (("national", ccc), (MEASURED, supervisor)):
        for _ in range(3):
            client.get(url)
        values = [get(client, url) for _ in range(requests)]
        result[label] = (statistics.median(values), percentile(values, 0.95))
    return result


def deadline_task():
    try:
        from substitution import tasks
    except ImportError:
        return None
    task = getattr(tasks, "deadline_job", None)
    if task is None:
        task = next((getattr(tasks, name) for name in dir(tasks)
                     if "deadline" in name and hasattr(getattr(tasks, name), "apply")), None)
    return task


def measure_job() -> tuple[str, float, object] | None:
    """(c): the deadline job, once, in-process; its follow-up tasks go to a broker of our own."""
    task = deadline_task()
    if task is None:
        return None
    from anef.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER_URL
    app.conf.broker_transport_options = {}
    _state("job_started_at", timezone.now().isoformat())
    started = time.perf_counter()
    outcome = task.apply(throw=True).result
    elapsed = time.perf_counter() - started
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    return task.name, elapsed, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of 1,000,000 dossiers (and of 5,000 open reports): 0.1 for 100,000")
    parser.add_argument("--reports", type=int, default=None,
                        help="open reports (default 5,000 x scale: the national rate)")
    parser.add_argument("--requests", type=int, default=100, help="requests per page and per round (3 rounds)")
    args = parser.parse_args()
    dossiers = int(FULL_SCALE * args.scale)
    open_reports = args.reports if args.reports is not None else int(OPEN_REPORTS_AT_FULL_SCALE * args.scale)

    assert connection.vendor == "postgresql", "Run against PostgreSQL: set DATABASE_URL."
    call_command("migrate", verbosity=0)
    # Production static storage needs the manifest; collecting takes minutes on a loaded machine, so
    # only when there is none (BENCH_COLLECTSTATIC=1 forces it, after a change of static files).
    if os.environ.get("BENCH_COLLECTSTATIC") == "1" or not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    populate(dossiers)
    reload_reports(open_reports)
    load_before = os.getloadavg()[0]
    with override_settings(ROOT_URLCONF=bench_urls()):
        queue = measure_queue(args.requests)
        figures = measure_figures(max(10, args.requests // 5))
    load_after = os.getloadavg()[0]
    job = measure_job()

    print(f"\nDataset: {Dossier.objects.count():,} dossiers, {BlockingReport.objects.count():,} reports "
          f"({open_reports:,} open), scale {args.scale}; CONN_MAX_AGE="
          f"{settings.DATABASES['default'].get('CONN_MAX_AGE')}; load average {load_before:.1f} before the "
          f"page measures, {load_after:.1f} after; {os.cpu_count()} CPUs")
    print(f"\n| measure ({ROUNDS} rounds of {args.requests} requests, interleaved; median of the rounds) "
          "| HTML | p50 | p95 | goal |\n|---|---|---|---|---|")
    labels = {"first": "CCC queue, first page (25 rows)", "filtered": "CCC queue, kind + prefecture filter",
              "floor first": "floor: bare template, same size as the first page",
              "floor filtered": "floor: bare template, same size as the filtered page"}
    for label in ("first", "floor first", "filtered", "floor filtered"):
        p50, p95, size = queue[label]
        goal = "" if label.startswith("floor") else "p95 < 100 ms"
        print(f"| {labels[label]} | {size / 1024:.0f} KB | {p50:.1f} ms | {p95:.1f} ms | {goal} |")
    for label, (p50, p95) in figures.items():
        print(f"| figures page, {label} ({max(10, args.requests // 5)} requests) | | {p50:.1f} ms | {p95:.1f} ms | |")
    if job is None:
        print("| deadline job | skipped: job not present (substitution.tasks has no deadline task on this "
              "branch) | | | < 10 s |")
    else:
        name, elapsed, outcome = job
        print(f"| deadline job `{name}` ({outcome}) | | {elapsed:.2f} s | | < 10 s |")


if __name__ == "__main__":
    main()
