"""Benchmark: the renewal reminder sweep (issue 13), 1,000,000 permits of which about 20,000 are due.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE anef_bench13"   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench13 REDIS_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/reminders.py
    # smaller, same shape: --scale 0.1 (100,000 permits, about 2,000 due)

Creates once per database, with COPY, ``N`` permits (``--scale`` × 1,000,000) of ``N / 10`` holders,
ending uniformly over the next 1,250 days (800 a day), so that the sweep's ranges for the day the
data was made (``bench_state.today``: 33 days of expiry, applications/reminders.py with its 7 days
of catch-up) hold about 26,000 permits; a quarter of the permits ending within 120 days have a
renewal filed, which leaves about 20,000 due. Holders: all with an e-mail (e-mail chosen), 20 % with a
mobile phone and SMS chosen, 1 % asking for letters, 10 % in English.

Measures, 3 rounds, interleaved (sweep, floor, sweep, floor…), the outbox rows and claims of each
run deleted before the next one:
- the sweep, ``renewal_reminders_sweep`` in-process, end to end: keyset batches, claims, bodies,
  ``bulk_create``, the fan-out tasks published to Redis (``REDIS_URL``, purged afterwards);
- the floor: one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` in raw SQL, the same selection (the
  same ranges, no filed renewal, not replaced, not reminded) writing the same outbox rows (one per
  chosen channel) with constant texts.
Prints the medians, the rows written and the load average, and EXPLAIN (ANALYZE) of one batch.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anef.settings.base")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from applications.models import Dossier, Permit, Procedure, RenewalReminder  # noqa: E402
from applications.reminders import EVENTS, due_ranges  # noqa: E402
from applications.services.reminders import (  # noqa: E402
    FILED_STATUSES,
    RENEWING_FAMILIES,
    due_permits,
    renewal_reminders_sweep,
)
from notifications.models import Notification  # noqa: E402
from territory.models import Prefecture  # noqa: E402

FULL_SCALE = 1_000_000
SPREAD_DAYS = 1250
ROUNDS = 3
PREFIX = "bench13-"


def _state(key: str, value: str | None = None) -> str | None:
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
    """COPY rows into the model's table; other columns get the field's default (a callable one
    computed per row), as bench/substitution.py does."""
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


def populate(permits: int) -> date:
    """Holders, permits and filed renewals: once per database. Returns the day the data is for."""
    done = _state("permits")
    if done is not None:
        if int(done) != permits:
            sys.exit(f"This database holds {int(done):,} permits, not {permits:,}: use another database.")
        return date.fromisoformat(_state("today") or "")
    today = timezone.localdate()
    holders = max(1_000, permits // 10)
    print(f"Creating {holders:,} holders and {permits:,} permits…", flush=True)
    started = time.perf_counter()
    rng = random.Random(13)
    now = timezone.now()
    password = make_password("bench-password-not-used")
    first_user = (User.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    def users():
        for i in range(holders):
            sms = rng.random() < 0.2
            yield (first_user + i, f"{PREFIX}{i}@example.org", password, "Awa", f"Bench{i}", now, now,
                   "0612345678" if sms else "", sms, rng.random() < 0.01, "en" if rng.random() < 0.1 else "fr")

    _copy(User, users(), ["id", "email", "password", "first_name", "last_name", "email_verified_at",
                          "date_joined", "phone", "notify_by_sms", "notify_by_post", "preferred_language"])
    _setval(User)
    first_permit = (Permit.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    ends = [today + timedelta(days=rng.randrange(SPREAD_DAYS)) for _ in range(permits)]
    _copy(Permit, ((first_permit + i, first_user + rng.randrange(holders), "salarie", f"B13{i:09d}",
                    end - timedelta(days=365), end, True) for i, end in enumerate(ends)),
          ["id", "holder_id", "category", "number", "valid_from", "valid_until", "allows_work"])
    _setval(Permit)
    print(f"  permits {time.perf_counter() - started:.0f} s", flush=True)

    procedure = Procedure.objects.filter(group=Procedure.Group.RENEWAL).order_by("id").first()
    assert procedure is not None
    prefecture = Prefecture.objects.order_by("id").first()
    from psycopg.types.json import Jsonb

    filed = [i for i, end in enumerate(ends) if (end - today).days <= 120 and rng.random() < 0.25]
    holders_of = dict(Permit.objects.filter(id__in=[first_permit + i for i in filed]).values_list("id", "holder_id"))
    _copy(Dossier, ((f"B13-{i:08d}", holders_of[first_permit + i], procedure.pk, procedure.group, prefecture.pk,
                     "submitted", "online", Jsonb({}), "done", now, now, now, first_permit + i) for i in filed),
          ["reference", "applicant_id", "procedure_id", "family", "prefecture_id", "status", "channel", "answers",
           "current_step", "created_at", "updated_at", "submitted_at", "renewed_permit_id"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _state("today", today.isoformat())
    _state("permits", str(permits))
    print(f"  done in {time.perf_counter() - started:.0f} s ({len(filed):,} renewals filed)", flush=True)
    return today


def reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM notifications_notification WHERE event = ANY(%s)", [list(EVENTS)])
        cursor.execute("TRUNCATE applications_renewalreminder")
        cursor.execute("VACUUM ANALYZE notifications_notification")
        cursor.execute("VACUUM ANALYZE applications_renewalreminder")


FLOOR_SQL = """
INSERT INTO notifications_notification
    (recipient_id, contact_name, contact_email, contact_phone, contact_postal_address, event, object_type,
     object_id, channel, subject, body, status, attempts, last_error, created_at, sent_at)
SELECT u.id, '', '', '', '', r.event, 'applications.permit', p.id::text, c.channel, 'Rappel', 'Bonjour',
       CASE WHEN c.channel = 'inbox' THEN 'sent' ELSE 'pending' END, 0, '', now(),
       CASE WHEN c.channel = 'inbox' THEN now() END
FROM (SELECT * FROM unnest(%(events)s::text[], %(keys)s::text[], %(firsts)s::date[], %(lasts)s::date[])
      AS t(event, key, first, last)) r
JOIN applications_permit p ON p.valid_until BETWEEN r.first AND r.last AND p.replaced_by_id IS NULL
JOIN accounts_user u ON u.id = p.holder_id
CROSS JOIN LATERAL (VALUES ('inbox'), ('email'), ('sms'), ('letter')) c(channel)
WHERE NOT EXISTS (SELECT 1 FROM applications_dossier d WHERE d.renewed_permit_id = p.id
                  AND d.family = ANY(%(families)s) AND d.status = ANY(%(statuses)s))
  AND NOT EXISTS (SELECT 1 FROM applications_renewalreminder rr WHERE rr.permit_id = p.id AND rr.milestone = r.key)
  AND (c.channel = 'inbox' OR (c.channel = 'email' AND u.email IS NOT NULL AND u.notify_by_email)
       OR (c.channel = 'sms' AND u.notify_by_sms AND u.phone <> '')
       OR (c.channel = 'letter' AND u.notify_by_post))
ON CONFLICT DO NOTHING
"""


def floor(today: date) -> int:
    ranges = due_ranges(today)
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {
            "events": [r.milestone.event for r in ranges], "keys": [r.milestone.key for r in ranges],
            "firsts": [r.first for r in ranges], "lasts": [r.last for r in ranges],
            "families": list(RENEWING_FAMILIES), "statuses": list(FILED_STATUSES),
        })
        return cursor.rowcount


def outbox_rows() -> int:
    return Notification.objects.filter(event__in=EVENTS).count()


def purge_broker() -> None:
    from anef.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 1,000,000 permits")
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "Run against PostgreSQL: set DATABASE_URL."
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "Set REDIS_URL (a database of your own, e.g. /10)."
    call_command("migrate", verbosity=0)
    today = populate(int(FULL_SCALE * args.scale))

    reset()
    first = due_ranges(today)[0]
    sql, params = due_permits(due=first).values("id", "valid_until", "holder__email")[:2000].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)  # noqa: S608 (Django's own SQL)
        print("EXPLAIN (ANALYZE) of one batch (J-120 range):")
        print("\n".join(f"    {line}" for (line,) in cursor.fetchall()))

    load_before = os.getloadavg()
    sweeps, floors, written, floor_rows, reminded = [], [], 0, 0, 0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        reminded = renewal_reminders_sweep(today=today)
        sweeps.append(time.perf_counter() - started)
        written = outbox_rows()
        reset()
        purge_broker()
        started = time.perf_counter()
        floor_rows = floor(today)
        floors.append(time.perf_counter() - started)
        reset()
    load_after = os.getloadavg()
    sweep, bare = statistics.median(sweeps), statistics.median(floors)
    print(f"\nDataset: {Permit.objects.count():,} permits, {Dossier.objects.count():,} dossiers, day {today}; "
          f"load average {load_before[0]:.2f} / {load_before[1]:.2f} before, {load_after[0]:.2f} / "
          f"{load_after[1]:.2f} after (1 / 5 min); {os.cpu_count()} CPUs")
    print(f"\n| measure ({ROUNDS} rounds, interleaved; median) | permits reminded | outbox rows | time | goal |")
    print("|---|---|---|---|---|")
    print(f"| sweep `renewal_reminders_sweep`, end to end | {reminded:,} | {written:,} | {sweep:.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in sweeps)}) | < 60 s, ≤ 5× floor |")
    print(f"| floor: one `INSERT … SELECT … ON CONFLICT DO NOTHING` | | {floor_rows:,} | {bare:.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in floors)}) | |")
    print(f"| ratio | | | {sweep / bare:.1f}× | ≤ 5× |")
    RenewalReminder.objects.all().delete()


if __name__ == "__main__":
    main()
