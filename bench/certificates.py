"""The nightly extension-certificate sweep against its set-based floor, interleaved (issue 14, item 4).

Usage (PostgreSQL; a database of its own, generated once by ``bench/backoffice_queue.py``'s
``populate``: 1,000,000 dossiers, 200,000 open renewals whose permits end over the next 120 days):

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE anef_bench14s"   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench14s \\
        BENCH_BROKER_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/certificates.py

Each round runs, on the same night's rows (the night after generation):

- the sweep: ``extension_certificates_sweep(today=night)``, its tasks published to the broker
  above (purged after), then everything it wrote is removed and the dossiers put back as they were
  (``_reset``), so that every round meets the same work;
- the floor: the same selection and the same rows (certificates numbered from a sequence with
  random codes, dossier dates and priorities, timeline lines, two audit lines and two outbox rows
  per certificate) written in SQL, a few statements in one transaction, rolled back.

Three rounds, the order alternating; medians printed with the load average and the goal line
("met" / "not met"). ``measure(rounds)`` returns the same figures as a dict (for bench/pages.py).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_BROKER_URL", "redis://127.0.0.1:6379/5")

import backoffice_queue as generation  # noqa: E402  (sets Django up)
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import AuditEvent  # noqa: E402
from applications.models import Dossier, DossierEvent  # noqa: E402
from documents.models import IssuedDocument  # noqa: E402
from notifications.models import Notification  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
CHUNK = os.environ.get("BENCH_CHUNK")  # the sweep's chunk size, when not its default
GOAL = 5.0  # issue 14: the sweep at most 5 times its floor
SWEEP_CPU: list[float] = []  # the sweep's own CPU time (this process: Python, psycopg), per round
TABLES = [Notification, AuditEvent, DossierEvent]  # rows the sweep adds, removed after each round


def _high_water() -> dict:
    return {model: model.objects.order_by("-id").values_list("id", flat=True).first() or 0
            for model in [*TABLES, IssuedDocument]}


def _due(night: date):
    from applications.services.certificates import extension_certificates_due_filter

    return Dossier.objects.filter(extension_certificates_due_filter(night))


def _reset(marks: dict, saved: list[tuple]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for model in TABLES:
            model.objects.filter(id__gt=marks[model]).delete()
        documents = IssuedDocument._meta.db_table
        cursor.execute(f"UPDATE {documents} SET status = 'valid', superseded_by_id = NULL, superseded_on = NULL "  # noqa: S608
                       "WHERE superseded_by_id > %s", [marks[IssuedDocument]])
        cursor.execute(f"DELETE FROM {documents} WHERE id > %s", [marks[IssuedDocument]])  # noqa: S608
        cursor.executemany(
            "UPDATE applications_dossier SET certificate_valid_until = %s, priority = %s, priority_date = %s, "
            "updated_at = %s WHERE id = %s", [(*row[1:], row[0]) for row in saved])


FLOOR = """
CREATE TEMP TABLE floor_due ON COMMIT DROP AS
SELECT d.id, d.applicant_id, u.first_name || ' ' || u.last_name AS holder_name, u.birth_date,
       d.reference, p.name AS procedure, d.submitted_at, coalesce(f.name, '') AS prefecture,
       m.number AS permit_number, m.category, m.valid_until AS permit_until, m.allows_work, d.filed_on_time,
       greatest(d.permit_expires_on + 1, d.certificate_valid_until + 1, %(night)s::date) AS starts,
       u.email, u.preferred_language
FROM applications_dossier d
JOIN applications_procedure p ON p.id = d.procedure_id
JOIN applications_permit m ON m.id = d.renewed_permit_id
JOIN accounts_user u ON u.id = d.applicant_id
LEFT JOIN territory_prefecture f ON f.id = d.prefecture_id
WHERE p.is_renewal AND d.status IN ('submitted', 'under_review', 'complements_requested')
  AND d.permit_expires_on <= %(horizon)s AND (d.filed_on_time OR d.extension_granted)
  AND (d.certificate_valid_until IS NULL OR d.certificate_valid_until <= %(horizon)s)
ORDER BY d.permit_expires_on, d.id
FOR UPDATE OF d;

CREATE TEMP SEQUENCE floor_numbers;

CREATE TEMP TABLE floor_documents ON COMMIT DROP AS
WITH issued AS (
  INSERT INTO documents_issueddocument (kind, number, verification_code, holder_id, holder_name,
      holder_birth_date, subject_type, subject_id, valid_from, valid_until, status, revocation_reason,
      context, template, file, language, issued_at)
  SELECT 'extension_certificate', 'FLOOR-API-' || lpad(nextval('floor_numbers')::text, 8, '0'),
      upper(substr(md5(random()::text), 1, 10)), applicant_id, holder_name, birth_date,
      'applications.dossier', id::text, starts, (starts + interval '3 months' - interval '1 day')::date,
      'valid', '', jsonb_build_object('reference', reference, 'procedure', procedure, 'filed_at', submitted_at,
      'prefecture', prefecture, 'applicant', jsonb_build_object('name', holder_name, 'birth_date', birth_date,
      'foreigner_number', ''), 'permit', jsonb_build_object('number', permit_number, 'category', category,
      'valid_until', permit_until), 'allows_work', allows_work, 'on_time', filed_on_time),
      'documents/pdf/extension_certificate.html', '', preferred_language, now()
  FROM floor_due
  RETURNING id, subject_id, number, valid_from, valid_until, holder_id
) SELECT * FROM issued;

UPDATE applications_dossier d SET certificate_valid_until = f.valid_until, priority = 2,
    priority_date = NULL, updated_at = now()
FROM floor_documents f WHERE d.id = f.subject_id::bigint;

CREATE TEMP TABLE floor_events ON COMMIT DROP AS
WITH events AS (
  INSERT INTO applications_dossierevent (at, kind, from_status, to_status, data, dossier_id)
  SELECT now(), 'certificate_issued', '', '', jsonb_build_object('kind', 'extension_certificate',
      'number', number, 'document', id, 'valid_from', valid_from, 'valid_until', valid_until),
      subject_id::bigint
  FROM floor_documents RETURNING id, dossier_id, data
) SELECT * FROM events;

INSERT INTO accounts_auditevent (at, action, object_type, object_id, data)
SELECT now(), 'document.issued', 'documents.issueddocument', id::text,
       jsonb_build_object('kind', 'extension_certificate', 'number', number) FROM floor_documents
UNION ALL
SELECT now(), 'dossier.certificate_issued', 'applications.dossier', dossier_id::text, data FROM floor_events;

INSERT INTO notifications_notification (event, object_type, object_id, channel, subject, body, status,
    attempts, last_error, created_at, recipient_id, contact_email, contact_name, contact_phone,
    contact_postal_address, secret)
SELECT 'dossier.certificate_issued', 'applications.dossierevent', e.id::text, c.channel,
       'Votre attestation de prolongation d''instruction', 'Votre attestation n° ' || (e.data->>'number')
       || ' est disponible.', 'pending', 0, '', now(), d.applicant_id, '', '', '', '', ''
FROM floor_events e JOIN applications_dossier d ON d.id = e.dossier_id
CROSS JOIN (VALUES ('inbox'), ('email')) AS c(channel);
"""


def floor(night: date) -> tuple[float, int]:
    from django.conf import settings

    horizon = night + timedelta(days=settings.EXTENSION_CERTIFICATE_LEAD_DAYS)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        for statement in FLOOR.split(";\n"):
            if statement.strip():
                cursor.execute(statement, {"night": night, "horizon": horizon})
        cursor.execute("SELECT count(*) FROM floor_documents")
        count = cursor.fetchone()[0]
        cursor.execute("ROLLBACK")
    return time.perf_counter() - started, count


def sweep(night: date) -> tuple[float, int]:
    from anef.celery import app
    from applications.services.certificates import extension_certificates_sweep

    started, cpu = time.perf_counter(), time.process_time()
    issued = extension_certificates_sweep(today=night, **({"chunk_size": int(CHUNK)} if CHUNK else {}))
    elapsed = time.perf_counter() - started
    SWEEP_CPU.append(time.process_time() - cpu)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    return elapsed, issued


def measure(rounds: int = ROUNDS) -> dict:
    """Runs ``rounds`` rounds (sweep and floor, the order alternating) on the night after
    generation, puts the database back after each sweep, and returns the medians: ``sweep`` and
    ``floor`` (wall seconds), ``ratio`` (sweep / floor, the goal's measure), ``sweep_cpu`` (the
    sweep's CPU seconds in this process, which the load moves less), the rounds themselves,
    ``certificates`` (issued by each sweep), ``loads`` (1-minute load average at each round's start
    and at the end) and ``met`` (ratio <= GOAL). Sets the database up first (``populate``)."""
    assert connection.vendor == "postgresql", "Run against PostgreSQL: set DATABASE_URL."
    from anef.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = generation.BROKER_URL
    app.conf.broker_transport_options = {}
    call_command("migrate", verbosity=0)
    generation.populate()
    night = date.fromisoformat(generation._state("generated_on")) + timedelta(days=1)
    connection.set_autocommit(True)
    marks = _high_water()
    saved = list(_due(night).values_list("id", "certificate_valid_until", "priority", "priority_date", "updated_at"))
    print(f"Night of {night}: {len(saved):,} dossiers due; {Dossier.objects.count():,} dossiers, "
          f"{IssuedDocument.objects.count():,} documents", flush=True)
    if not saved:
        raise SystemExit("No dossier due that night: this database's night was already swept (docs/benchmarks.md, "
                         "the sweep's third pass, says how to put it back)")
    sweeps: list[float] = []
    floors: list[float] = []
    cpu: list[float] = []
    loads: list[float] = []
    issued = rows = 0
    for n in range(rounds):
        loads.append(os.getloadavg()[0])
        order = ("sweep", "floor") if n % 2 == 0 else ("floor", "sweep")
        for what in order:
            if what == "sweep":
                elapsed, issued = sweep(night)
                cpu.append(SWEEP_CPU[-1])
                _reset(marks, saved)
                sweeps.append(elapsed)
            else:
                elapsed, rows = floor(night)
                floors.append(elapsed)
            print(f"  round {n + 1} {what}: {elapsed:.2f} s ({issued if what == 'sweep' else rows:,} rows)",
                  flush=True)
    loads.append(os.getloadavg()[0])
    s, f = statistics.median(sweeps), statistics.median(floors)
    return {"sweep": s, "floor": f, "ratio": s / f, "sweep_cpu": statistics.median(cpu),
            "sweeps": sweeps, "floors": floors, "sweep_cpus": cpu, "certificates": issued, "floor_rows": rows,
            "loads": loads, "met": s / f <= GOAL}


def main() -> None:
    result = measure(ROUNDS)
    if "--goals-json" in sys.argv:  # for bench/pages.py --sweep-db
        print("GOALS-JSON " + json.dumps([{
            "goal": f"certificate sweep of one night ({result['certificates']:,} certificates) against its SQL floor "
                    f"in the same run: {result['sweep']:.2f} against {result['floor']:.2f} s",
            "value": round(result["ratio"], 1), "unit": "×", "op": "≤", "target": GOAL, "met": result["met"]}]))
        return
    rounds = len(result["sweeps"])
    print(f"\n| what | median of {rounds} | rounds |\n|---|---|---|")
    print(f"| sweep ({result['certificates']:,} certificates) | {result['sweep']:.2f} s | "
          f"{', '.join(f'{x:.2f}' for x in result['sweeps'])} |")
    print(f"| floor ({result['floor_rows']:,} certificates, SQL, rolled back) | {result['floor']:.3f} s | "
          f"{', '.join(f'{x:.3f}' for x in result['floors'])} |")
    print(f"| sweep / floor | {result['ratio']:.1f}x | goal <= {GOAL:g}x |")
    print(f"| the sweep's CPU time in this process (less sensitive to the load than wall time) | "
          f"{result['sweep_cpu']:.2f} s | {', '.join(f'{x:.2f}' for x in result['sweep_cpus'])} |")
    print(f"load average (1 min) at each round's start and at the end: "
          f"{', '.join(f'{x:.1f}' for x in result['loads'])}")
    print(f"Goal: certificate sweep <= {GOAL:g}x its same-run SQL floor: "
          f"{'met' if result['met'] else 'not met'} ({result['ratio']:.1f}x)")


if __name__ == "__main__":
    main()
