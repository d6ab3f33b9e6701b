"""Benchmark: the back-office queue with 1,000,000 dossiers, the statistics page, a CSV export and
the nightly extension-certificate sweep.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE anef_bench4"   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench4 .venv/bin/python bench/backoffice_queue.py

Creates (once, with COPY) 100,000 applicants and 1,000,000 dossiers over the 101 prefectures (a
few large ones weigh four times the others), with the queue's denormalised fields as the services
and the daily sweeps keep them: 200,000 open renewals whose permits end over the next 120 days
(with their permits, and the extension certificates the previous nights issued), drafts, files
in instruction (some overdue, some paused), decided and closed files over two years, names drawn
from common family and first names, foreigner numbers, favourable-decision certificates.

Then, as an agent of the largest prefecture signed in with a verified second factor, it times
in-process (Django test client: request handling, queries and template rendering, no network) the
queue's first page, a filtered page (status + procedure), a deep keyset page (40 pages in), a name
search and the statistics page; prints EXPLAIN (ANALYZE) of the queue's queries; times the CSV
export of the whole queue; and runs the extension-certificate sweep of the next day, publishing
its tasks to Redis (``BENCH_BROKER_URL``, database 14 by default, purged afterwards).
Prints a Markdown table; docs/benchmarks.md keeps the results beside the floors of the bare stack.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

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
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import Membership, Role, User  # noqa: E402
from applications.clock import priority_for  # noqa: E402
from applications.models import (  # noqa: E402
    Dossier,
    Permit,
    Procedure,
    QueueExport,
    Status,
    search_name,  # noqa: E402
)
from documents.models import IssuedDocument  # noqa: E402
from territory.models import Prefecture  # noqa: E402

DOSSIERS = int(os.environ.get("BENCH_DOSSIERS", 1_000_000))
RENEWALS = int(os.environ.get("BENCH_RENEWALS", 200_000))
APPLICANTS = int(os.environ.get("BENCH_APPLICANTS", 100_000))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 200))
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
MEASURED = "93"  # the agent's prefecture: one of the large ones
LARGE = {"75", "93", "92", "94", "69", "13", "59", "91", "95", "78", "77", "06", "33", "31", "67", "34", "38", "44"}
DEEP_PAGES = 40
EMAIL_PREFIX = "bench4-"

FAMILY_NAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel "
    "Garcia David Bertrand Roux Vincent Fournier Morel Girard Andre Mercier Dupont Lambert Bonnet Francois "
    "Martinez Diallo Traore Diop Ndiaye Kone Camara Coulibaly Sow Ba Fall Toure Nguyen Tran Le Pham Benali "
    "Haddad Mansouri Belkacem Bouzid Cherif Amrani Rahmani Yilmaz Kaya Demir Silva Santos Ferreira Pereira "
    "Popescu Ionescu Kowalski Nowak Ivanov Petrov Wang Li Zhang Chen Liu Singh Kumar Khan Ahmed Hussain Ali"
).split()
FIRST_NAMES = (
    "Mohamed Ahmed Ali Youssef Amadou Mamadou Ibrahima Moussa Omar Karim Mehdi Adama Awa Aminata Fatoumata "
    "Mariam Fatima Amina Khadija Aicha Leila Nadia Sarah Ines Yasmine Minh Linh Anh Wei Li Mei Ana Maria Ion "
    "Elena Olga Ivan Priya Arjun Hassan Bilal Samir Rachid Sofia Lucia Jose Carlos Ayse Emre Mustafa"
).split()

PENDING_MIX = [(Status.SUBMITTED, 40), (Status.UNDER_REVIEW, 45), (Status.COMPLEMENTS_REQUESTED, 15)]
OTHER_MIX = [
    (Status.DRAFT, 2), (Status.SUBMITTED, 8), (Status.UNDER_REVIEW, 12), (Status.COMPLEMENTS_REQUESTED, 4),
    (Status.DECIDED_FAVOURABLE, 6), (Status.CARD_IN_PRODUCTION, 3), (Status.CARD_READY, 2),
    (Status.CARD_DELIVERED, 43), (Status.DECIDED_UNFAVOURABLE, 10), (Status.CLOSED_WITHOUT_ACTION, 4),
    (Status.WITHDRAWN, 6),
]
DECIDED = {Status.DECIDED_FAVOURABLE, Status.CARD_IN_PRODUCTION, Status.CARD_READY, Status.CARD_DELIVERED,
           Status.DECIDED_UNFAVOURABLE, Status.CLOSED_WITHOUT_ACTION}
FINAL = {Status.CARD_DELIVERED, Status.DECIDED_UNFAVOURABLE, Status.CLOSED_WITHOUT_ACTION, Status.WITHDRAWN}


# --- Data -----------------------------------------------------------------------------------------

def _state(key: str, value: str | None = None) -> str | None:
    """A small key-value table of the benchmark's own: the generation day, the last swept day."""
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
    field's default, converted once."""
    fields = [f for f in model._meta.concrete_fields if f.attname not in columns and not f.primary_key]
    constants = [f.get_db_prep_save(f.get_default(), connection) for f in fields]
    names = columns + [f.column for f in fields]
    with connection.cursor() as cursor, cursor.cursor.copy(
        f"COPY {model._meta.db_table} ({', '.join(names)}) FROM STDIN"  # noqa: S608 (names from the model)
    ) as copy:
        for row in rows:
            copy.write_row((*row, *constants))


def _setval(model) -> None:
    with connection.cursor() as cursor:
        table = model._meta.db_table
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608


def add_months(day: date, months: int) -> date:
    from applications.services.certificates import add_months as months_later

    return months_later(day, months)


def populate() -> None:
    if _state("generated_on"):
        return
    from psycopg.types.json import Jsonb

    print(f"Creating {APPLICANTS:,} applicants and {DOSSIERS:,} dossiers…", flush=True)
    started = time.perf_counter()
    rng = random.Random(4)
    now = timezone.now()
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()

    # Applicants, with explicit ids (the sequence is set after).
    first_user = (User.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    password = make_password("bench-password-not-used")
    # login_id is unique: its default, converted once by _copy, would repeat.
    _copy(User, ((first_user + i, f"{EMAIL_PREFIX}{i}@example.org", password, rng.choice(FIRST_NAMES),
                  rng.choice(FAMILY_NAMES), now, now, f"B{i // 10**6:02d}-{i // 1000 % 1000:03d}-{i % 1000:03d}")
                 for i in range(APPLICANTS)),
          ["id", "email", "password", "first_name", "last_name", "email_verified_at", "date_joined", "login_id"])
    _setval(User)
    print(f"  users {time.perf_counter() - started:.0f} s", flush=True)

    # Two agents per prefecture (assignments), and the measured agent with a confirmed device.
    prefectures = list(Prefecture.objects.select_related("department"))
    agents: dict[int, list[int]] = {}
    for prefecture in prefectures:
        for n in range(2):
            agent = User.objects.create(email=f"{EMAIL_PREFIX}agent-{prefecture.department.code}-{n}@example.org",
                                        password=password, first_name="Agent", last_name=f"N{n}",
                                        email_verified_at=now)
            Membership.objects.create(user=agent, role=Role.AGENT, prefecture=prefecture)
            agents.setdefault(prefecture.pk, []).append(agent.pk)
    measured = User.objects.get(email=f"{EMAIL_PREFIX}agent-{MEASURED}-0@example.org")
    TOTPDevice.objects.create(user=measured, name="totp", key="31" * 20, confirmed=True)

    weighted = [p for p in prefectures for _ in range(4 if p.department.code in LARGE else 1)]
    procedures = list(Procedure.objects.all())
    renewal_procedures = [p for p in procedures if p.is_renewal]
    other_procedures = [p for p in procedures if not p.is_renewal]
    statuses, weights = zip(*OTHER_MIX, strict=True)
    pending_statuses, pending_weights = zip(*PENDING_MIX, strict=True)
    horizon = today + timedelta(days=settings.EXTENSION_CERTIFICATE_LEAD_DAYS)

    # Permits of the open renewals, with explicit ids too.
    first_permit = (Permit.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    permit_rows, renewal_plan = [], []
    for i in range(RENEWALS):
        procedure = rng.choice(renewal_procedures)
        expires = today + timedelta(days=rng.randint(0, 120))
        holder = first_user + rng.randrange(APPLICANTS)
        permit_rows.append((first_permit + i, holder, procedure.permit_category or "salarie", f"B4P{i:08d}",
                            expires - timedelta(days=365), expires, procedure.permit_category != "visiteur"))
        renewal_plan.append((procedure, expires, holder, first_permit + i))
    _copy(Permit, permit_rows, ["id", "holder_id", "category", "number", "valid_from", "valid_until", "allows_work"])
    _setval(Permit)
    del permit_rows
    print(f"  permits {time.perf_counter() - started:.0f} s", flush=True)

    columns = ["reference", "applicant_id", "procedure_id", "prefecture_id", "status", "channel", "answers",
               "current_step", "renewed_permit_id", "filed_on_time", "created_at", "updated_at", "submitted_at",
               "closed_at", "assigned_to_id", "completed_at", "decided_at", "legal_deadline", "clock_paused_on",
               "extension_granted", "permit_expires_on", "certificate_valid_until", "priority",
               "priority_date", "search_name", "search_foreigner_number"]

    def dossiers():
        drafts = 0
        for i in range(DOSSIERS):
            prefecture = rng.choice(weighted)
            last, first = rng.choice(FAMILY_NAMES), rng.choice(FIRST_NAMES)
            foreigner = f"{1_000_000_000 + i * 7:010d}"
            row = SimpleNamespace(
                renewed_permit_id=None, filed_on_time=None, closed_at=None, assigned_to_id=None,
                completed_at=None, decided_at=None, legal_deadline=None, clock_paused_on=None,
                extension_granted=False, permit_expires_on=None, certificate_valid_until=None,
                submitted_at=None, reference=None,
            )
            if i < RENEWALS:
                procedure, expires, applicant, permit_id = renewal_plan[i]
                row.status = rng.choices(pending_statuses, pending_weights)[0]
                row.submitted_at = now - timedelta(days=rng.uniform(0, 60))
                row.renewed_permit_id, row.permit_expires_on = permit_id, expires
                row.filed_on_time = rng.random() < 0.9
                row.extension_granted = not row.filed_on_time and rng.random() < 0.3
                if (row.filed_on_time or row.extension_granted) and expires <= horizon:
                    # Issued by the previous nights (tonight's included): from the day after the
                    # permit, for three months. The next night issues one day's worth.
                    row.certificate_valid_until = add_months(expires + timedelta(days=1), 3) - timedelta(days=1)
            else:
                applicant = first_user + rng.randrange(APPLICANTS)
                row.status = rng.choices(statuses, weights)[0]
                if row.status == Status.DRAFT:
                    # One open draft per applicant and procedure: a distinct applicant for each.
                    applicant, drafts = first_user + drafts % APPLICANTS, drafts + 1
                    procedure = procedures[(drafts // APPLICANTS) % len(procedures)]
                elif row.status in (Status.SUBMITTED, Status.UNDER_REVIEW, Status.COMPLEMENTS_REQUESTED):
                    procedure = rng.choice(other_procedures)
                    row.submitted_at = now - timedelta(days=rng.uniform(0, 100))
                else:
                    procedure = rng.choice(procedures)
                    row.submitted_at = now - timedelta(days=rng.uniform(0, 730))
            if row.submitted_at is not None:
                filed_on = row.submitted_at.astimezone(tz).date()
                row.reference = f"{filed_on.year}-{prefecture.department.code}-{i:07d}"
                row.legal_deadline = filed_on + timedelta(days=30 if procedure.is_renewal else 90)
                if row.status != Status.SUBMITTED:
                    row.completed_at = row.submitted_at + timedelta(days=rng.uniform(0, 10))
                if row.status == Status.COMPLEMENTS_REQUESTED:
                    row.clock_paused_on = today - timedelta(days=rng.randint(0, 20))
                if row.status in DECIDED:
                    row.decided_at = min(now, row.submitted_at + timedelta(days=rng.lognormvariate(3.8, 0.6)))
                    if rng.random() < 0.2:  # a complement request pushed the deadline back
                        row.legal_deadline += timedelta(days=rng.randint(5, 40))
                if row.status in FINAL:
                    row.closed_at = row.decided_at or now
                if row.status != Status.SUBMITTED and rng.random() < 0.6:
                    row.assigned_to_id = agents[prefecture.pk][i % 2]
            created = row.submitted_at or now
            priority, priority_date = priority_for(SimpleNamespace(status=row.status, **{
                k: getattr(row, k) for k in ("permit_expires_on", "certificate_valid_until", "legal_deadline",
                                             "clock_paused_on", "submitted_at")}), today)
            yield (
                row.reference, applicant, procedure.pk, prefecture.pk, row.status,
                "paper" if i % 20 == 0 else "online",
                Jsonb({"identity": {"last_name": last, "first_name": first, "foreigner_number": foreigner}}),
                "review" if row.status == Status.DRAFT else "done", row.renewed_permit_id, row.filed_on_time,
                created, created, row.submitted_at, row.closed_at, row.assigned_to_id, row.completed_at,
                row.decided_at, row.legal_deadline, row.clock_paused_on, row.extension_granted,
                row.permit_expires_on, row.certificate_valid_until, priority, priority_date,
                search_name(last, first), foreigner,
            )

    _copy(Dossier, dossiers(), columns)
    print(f"  dossiers {time.perf_counter() - started:.0f} s", flush=True)

    # Certificates: the extension certificates the previous nights issued, and the favourable
    # decisions (valid until the card is delivered).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.id, d.applicant_id, d.certificate_valid_until, d.permit_expires_on, d.decided_at, d.status "
            "FROM applications_dossier d WHERE d.certificate_valid_until IS NOT NULL "
            "OR d.status IN ('decided_favourable', 'card_in_production', 'card_ready', 'card_delivered')"
        )
        subjects = cursor.fetchall()

    def documents():
        for n, (pk, holder, valid_until, expires, decided_at, status) in enumerate(subjects):
            if valid_until is not None:
                issued = datetime.combine(expires - timedelta(days=7), datetime.min.time(), tzinfo=tz)
                yield ("extension_certificate", f"BENCH-API-{n:08d}", f"B4{n:08d}", holder, "Bench",
                       "applications.dossier", str(pk), expires + timedelta(days=1), valid_until, "valid",
                       min(issued, now))
            else:
                yield ("favourable_decision", f"BENCH-ADF-{n:08d}", f"B4{n:08d}", holder, "Bench",
                       "applications.dossier", str(pk), decided_at.date(), None,
                       "revoked" if status == "card_delivered" else "valid", decided_at)

    _copy(IssuedDocument, documents(), ["kind", "number", "verification_code", "holder_id", "holder_name",
                                        "subject_type", "subject_id", "valid_from", "valid_until", "status",
                                        "issued_at"])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    _state("generated_on", today.isoformat())
    print(f"…done in {time.perf_counter() - started:.0f} s", flush=True)


# --- Measures -------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def agent_client() -> tuple[Client, User]:
    agent = User.objects.get(email=f"{EMAIL_PREFIX}agent-{MEASURED}-0@example.org")
    client = Client()
    client.force_login(agent)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=agent).persistent_id
    session.save()
    assert client.get("/backoffice/").status_code == 200  # the session's first request writes it
    return client, agent


def timed(client: Client, urls: list[str], runs: int) -> list[float]:
    timings = []
    for n in range(runs + 10):
        url = urls[n % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        if n >= 10:  # warm-up
            timings.append(elapsed)
    return timings


def deep_url(client: Client, start: str) -> str:
    """Follows the "next page" link ``DEEP_PAGES`` times (read from the HTML: no template
    instrumentation, which would slow every measured request down)."""
    url = start
    for _ in range(DEEP_PAGES):
        page = client.get(url).content.decode()
        found = re.search(r'fr-pagination__link--next[^"]*" href="([^"]+)"', page)
        if found is None:  # a small dataset: the last page
            break
        url = "/backoffice/dossiers/" + html.unescape(found.group(1))
    return url


def explain(client: Client, label: str, url: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the page's queries on the dossier table."""
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for query in queries.captured_queries:
        sql = query["sql"]
        if 'FROM "applications_dossier"' not in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n--- {label}: {sql[:160]}…\n{plan}")


def measure_pages(*, queue_only: bool = False) -> dict[str, list[float]]:
    client, agent = agent_client()
    prefecture = Prefecture.objects.get(department__code=MEASURED)
    procedure = Procedure.objects.get(code="premiere-demande-salarie")
    filtered = f"/backoffice/dossiers/?status=under_review&procedure={procedure.pk}"
    names = [f"/backoffice/dossiers/?q={name.lower()}" for name in FAMILY_NAMES[::3]]
    names += [f"/backoffice/dossiers/?q={name.lower()}+{first.lower()[:3]}"
              for name, first in zip(FAMILY_NAMES[1::3], FIRST_NAMES, strict=False)]
    deep = deep_url(client, "/backoffice/dossiers/")
    filed = Dossier.objects.filter(prefecture=prefecture).exclude(status="draft").count()
    print(f"Queue of {prefecture.name}: {filed:,} "
          f"filed dossiers; deep page: {deep}", flush=True)
    pages = {
        "home": ["/backoffice/"],  # the floor of this run: same middleware and layout, two queries
        "first": ["/backoffice/dossiers/"],
        "filtered": [filtered],
        "deep": [deep],
        "search": names,
        "statistics": ["/backoffice/statistiques/"],
    }
    if queue_only:
        del pages["statistics"]
    if os.environ.get("BENCH_EXPLAIN", "1") == "1" and not queue_only:
        for label, urls in pages.items():
            if label not in ("home", "statistics"):
                explain(client, label, urls[0])
        explain(client, "statistics", "/backoffice/statistiques/")
    return {label: timed(client, urls, REQUESTS if label != "statistics" else max(20, REQUESTS // 5))
            for label, urls in pages.items()}


def measure_export() -> tuple[float, int]:
    from applications.services import queue_export_write

    _, agent = agent_client()
    export = QueueExport.objects.create(requested_by=agent, filters={})
    started = time.perf_counter()
    queue_export_write(export=export)
    elapsed = time.perf_counter() - started
    export.file.delete()
    return elapsed, export.row_count


def measure_sweep() -> tuple[float, int, date] | None:
    try:
        from applications.services.certificates import extension_certificates_sweep
    except ImportError:
        return None
    from anef.celery import app

    # The night's tasks (PDF renders, notifications) go to a broker of the benchmark's own.
    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER_URL
    app.conf.broker_transport_options = {}
    generated = date.fromisoformat(_state("generated_on"))
    last = _state("last_swept")
    day = date.fromisoformat(last) + timedelta(days=1) if last else generated + timedelta(days=1)
    started = time.perf_counter()
    issued = extension_certificates_sweep(today=day)
    elapsed = time.perf_counter() - started
    _state("last_swept", day.isoformat())
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    return elapsed, issued, day


def queue_goals() -> list[dict]:
    """Issue 14's goal at this scale, for ``bench/pages.py --queue-db``: each queue page's p95,
    in-process, under 100 ms (``--goals-json`` prints them as one JSON line)."""
    pages = measure_pages(queue_only=True)
    labels = {"first": "queue, first page (50 rows)", "filtered": "queue, status + procedure filter",
              "deep": f"queue, keyset page {DEEP_PAGES + 1}", "search": "queue, name search"}
    floor = percentile(pages.pop("home"), 0.95)
    dossiers = Dossier.objects.count()
    goals = []
    for name, values in pages.items():
        p95 = percentile(values, 0.95)
        goals.append({"goal": f"{labels[name]} at {dossiers:,} dossiers, p95 in-process (the back-office "
                              f"home's: {floor:.1f} ms)", "value": round(p95, 1), "unit": "ms", "target": 100,
                      "met": p95 < 100})
    return goals


def main() -> None:
    assert connection.vendor == "postgresql", "Run against PostgreSQL: set DATABASE_URL."
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production static storage
    populate()
    if "--goals-json" in sys.argv:
        print("GOALS-JSON " + json.dumps(queue_goals()), flush=True)
        return
    load_before = os.getloadavg()[0]
    pages = measure_pages()
    load_after = os.getloadavg()[0]
    export_seconds, export_rows = measure_export()
    sweep = measure_sweep()
    print(f"\nDataset: {User.objects.count():,} users, {Dossier.objects.count():,} dossiers "
          f"({Dossier.objects.filter(priority=0).count():,} rights at risk, "
          f"{Dossier.objects.filter(priority=1).count():,} overdue), {IssuedDocument.objects.count():,} "
          f"documents; CONN_MAX_AGE={settings.DATABASES['default'].get('CONN_MAX_AGE')}; "
          f"load average {load_before:.1f} before the page measures, {load_after:.1f} after")
    print("\n| measure | p50 | p95 | goal |\n|---|---|---|---|")
    labels = {
        "home": "back-office home (floor of this run)", "first": "queue, first page (50 rows)",
        "filtered": "queue, status + procedure filter",
        "deep": f"queue, keyset page {DEEP_PAGES + 1}", "search": "queue, name search",
        "statistics": "statistics page",
    }
    for name, values in pages.items():
        goal = {"home": "", "statistics": "p95 < 500 ms"}.get(name, "p95 < 100 ms")
        print(f"| {labels[name]}, server time ({len(values)} requests) | {statistics.median(values):.1f} ms "
              f"| {percentile(values, 0.95):.1f} ms | {goal} |")
    print(f"| CSV export of the whole queue ({export_rows:,} rows) | {export_seconds:.2f} s | | < 30 s |")
    if sweep is None:
        print("| extension-certificate sweep | not measured: applications.services.certificates missing | | < 60 s |")
    else:
        elapsed, issued, day = sweep
        print(f"| extension-certificate sweep, night of {day} ({issued:,} certificates) | {elapsed:.1f} s | | < 60 s |")


if __name__ == "__main__":
    main()
