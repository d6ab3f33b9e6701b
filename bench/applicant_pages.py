"""Benchmark: the applicant's dashboard and dossier page at scale, and the filing receipt render.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anef_bench .venv/bin/python bench/applicant_pages.py

Creates (once) 100,000 applicants and 200,000 dossiers with their timeline in that PostgreSQL
database, then measures the server time of the two pages in-process (Django test client: request
handling, queries and template rendering, no network) and the WeasyPrint render of a receipt.
Prints a Markdown table; docs/benchmarks.md keeps the results beside the floors of the bare stack.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anef.settings.base")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from applications.models import Dossier, DossierEvent, Procedure, Status  # noqa: E402
from territory.models import Prefecture  # noqa: E402

APPLICANTS = int(os.environ.get("BENCH_APPLICANTS", 100_000))
DOSSIERS = int(os.environ.get("BENCH_DOSSIERS", 200_000))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 300))
BATCH = 5_000


def populate() -> None:
    if User.objects.filter(email__startswith="bench-").count() >= APPLICANTS:
        return
    print(f"Creating {APPLICANTS:,} applicants and {DOSSIERS:,} dossiers…", flush=True)
    from django.contrib.auth.hashers import make_password

    password = make_password("bench-password-not-used")
    prefectures = list(Prefecture.objects.all())
    procedures = list(Procedure.objects.all())
    statuses = [Status.SUBMITTED, Status.UNDER_REVIEW, Status.COMPLEMENTS_REQUESTED, Status.DECIDED_FAVOURABLE]
    now = timezone.now()
    started = time.perf_counter()
    for start in range(0, APPLICANTS, BATCH):
        User.objects.bulk_create(
            User(email=f"bench-{i}@example.org", password=password, first_name="Awa", last_name=f"N{i}",
                 email_verified_at=now)
            for i in range(start, min(start + BATCH, APPLICANTS))
        )
    user_ids = list(User.objects.filter(email__startswith="bench-").values_list("id", flat=True))
    rng = random.Random(1)
    for start in range(0, DOSSIERS, BATCH):
        with transaction.atomic():
            rows = []
            for i in range(start, min(start + BATCH, DOSSIERS)):
                prefecture = prefectures[i % len(prefectures)]
                rows.append(Dossier(
                    applicant_id=user_ids[i % len(user_ids)], procedure=rng.choice(procedures),
                    prefecture=prefecture, status=rng.choice(statuses), submitted_at=now,
                    reference=f"B-{prefecture.department.code}-{i:08d}", answers={"identity": {"first_name": "Awa"}},
                ))
            created = Dossier.objects.bulk_create(rows)
            DossierEvent.objects.bulk_create(
                DossierEvent(dossier=d, kind=kind, at=now, to_status=d.status)
                for d in created for kind in ("created", "submitted", "receipt_issued", "status_changed")
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"…done in {time.perf_counter() - started:.0f} s", flush=True)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def measure_pages() -> dict[str, list[float]]:
    rng = random.Random(2)
    ids = list(Dossier.objects.filter(reference__startswith="B-").values_list("id", "applicant_id")[:50_000])
    timings: dict[str, list[float]] = {"dashboard": [], "dossier": []}
    client = Client()
    for n in range(REQUESTS + 20):
        dossier_id, applicant_id = rng.choice(ids)
        client.force_login(User.objects.get(pk=applicant_id))
        client.get("/espace/")  # the session's first request writes it; not what is measured
        for name, url in (("dashboard", "/espace/"), ("dossier", f"/dossiers/{dossier_id}/")):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if n >= 20:  # warm-up
                timings[name].append(elapsed)
    return timings


def measure_receipt(runs: int = 20) -> list[float]:
    from documents.rendering import DOCUMENT_STYLESHEET, render_pdf

    context = {
        "reference": "2026-69-0000001", "filed_at": timezone.now().isoformat(),
        "procedure": "Renouvellement du titre de séjour « Salarié »",
        "applicant": {"name": "Amina DIALLO", "birth_date": "1990-03-02", "foreigner_number": "1234567890"},
        "documents": ["Passeport", "Titre de séjour actuel", "Justificatif de domicile", "Contrat de travail"],
        "on_time": True, "channel": "online",
    }
    from django.utils import translation

    from documents.services import document_issue, document_pdf_context

    holder = User.objects.filter(email__startswith="bench-").first()
    holder.preferred_language = "en"  # bilingual receipt: the longer of the two layouts
    document = document_issue(kind="filing_receipt", holder=holder, subject=Dossier.objects.first(),
                              template="documents/pdf/filing_receipt.html", context=context)
    with translation.override("fr"):
        full_context = document_pdf_context(document=document)
        # With the shared stylesheet, as documents.services renders it (the page and footer are in it).
        render_pdf(document.template, full_context, stylesheet=DOCUMENT_STYLESHEET)  # the first pays for fonts
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            render_pdf(document.template, full_context, stylesheet=DOCUMENT_STYLESHEET)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    assert connection.vendor == "postgresql", "Run against PostgreSQL: set DATABASE_URL."
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production static storage
    populate()
    pages = measure_pages()
    receipt = measure_receipt()
    print(f"\nDataset: {User.objects.count():,} users, {Dossier.objects.count():,} dossiers, "
          f"{DossierEvent.objects.count():,} timeline events; "
          f"CONN_MAX_AGE={settings.DATABASES['default'].get('CONN_MAX_AGE')}")
    print("\n| measure | p50 | p95 | goal |\n|---|---|---|---|")
    for name, goal in (("dashboard", "p95 < 50 ms"), ("dossier", "p95 < 50 ms")):
        values = pages[name]
        print(f"| {name} page, server time ({len(values)} requests) | {statistics.median(values):.1f} ms "
              f"| {percentile(values, 0.95):.1f} ms | {goal} |")
    print(f"| filing receipt render ({len(receipt)} renders) | {statistics.median(receipt):.0f} ms "
          f"| {percentile(receipt, 0.95):.0f} ms | median < 250 ms |")


if __name__ == "__main__":
    main()
