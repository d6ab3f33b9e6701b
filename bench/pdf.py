"""Benchmark: the filing receipt's PDF (French, bilingual) against a bare WeasyPrint floor, same run.

    .venv/bin/python bench/pdf.py [--runs 10] [--rounds 3] [--out DIR]

No database: the receipt is rendered through the project's real path (``render_to_string`` of the
real template with the context ``documents.services.document_pdf_context`` builds, the static-only
URL fetcher, ``write_pdf(pdf_tags=True)`` as ``documents.rendering.render_pdf`` does), from a fixed
context. The floor is a bare one-page WeasyPrint document holding the same text (the receipt's
words, as plain paragraphs in one font face, no tags). Layout (``HTML(...).render()``) and write
(``document.write_pdf()``) are timed separately. The three cases are interleaved, render after
render, for each of ``--rounds`` rounds; each round's median is taken, and the table gives the
median of the round medians, and the ratios against the floor of the same run.
``--out DIR`` also writes the three PDFs there (to look at them: ``pdftoppm -r 70 -png``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics
import sys
import time
from html import escape, unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anef.settings.base")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 40)
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")  # never queried
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from documents.qr import qr_svg  # noqa: E402
from documents.rendering import PDF_BASE_URL, _static_only_url_fetcher  # noqa: E402

TEMPLATE = "documents/pdf/filing_receipt.html"
DATA = {
    "reference": "DOS-2026-000042",
    "filed_at": "2026-03-12T09:15:00+00:00",
    "procedure": "Renouvellement du titre de séjour « Salarié »",
    "applicant": {"name": "Amina DIALLO", "birth_date": "1990-03-02", "foreigner_number": "1234567890"},
    "documents": ["Passeport", "Titre de séjour actuel", "Justificatif de domicile", "Contrat de travail"],
    "on_time": True,
    "channel": "online",
}


def receipt_context(language: str) -> dict:
    """What ``document_pdf_context`` gives a receipt, without the database row."""
    issued_at = datetime.datetime(2026, 3, 12, 9, 15, tzinfo=datetime.UTC)
    token = "eyJuIjoiUkVDLTIwMjYtMDAwMDQyIiwiYyI6IjdLM1BYUTlNIn0:1vABCD:" + "x" * 43  # a real one's length
    return {
        "document": {
            "kind": "filing_receipt", "number": "REC-2026-000042", "verification_code": "7K3P-XQ9M",
            "issued_at": issued_at, "valid_from": None, "valid_until": None,
            "holder_name": DATA["applicant"]["name"], "holder_birth_date": datetime.date(1990, 3, 2),
            "language": language,
        },
        "data": DATA,
        "qr_svg": qr_svg(data=f"{settings.SITE_URL}/verifier/q/{token}/", title="QR code de vérification"),
        "verification_url": settings.SITE_URL + reverse("documents:verify"),
        "translation_language": language if language != "fr" else None,
    }


def receipt_html(language: str) -> str:
    with translation.override("fr"):  # as documents.services.document_render
        return render_to_string(TEMPLATE, receipt_context(language))


def floor_html(receipt: str) -> str:
    """The receipt's words as plain paragraphs, one font face, nothing else."""
    body = receipt.split("<body>", 1)[1]
    body = re.sub(r"<svg.*?</svg>", " ", body, flags=re.S)
    lines = [unescape(line).strip() for line in re.sub(r"<[^>]+>", "\n", body).splitlines()]
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
    return ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><style>'
            '@page { size: A4; margin: 14mm 17mm; } html { font-family: "DejaVu Sans"; font-size: 7pt; '
            'line-height: 1.2; } p { margin: 0; }</style></head><body>' + paragraphs + "</body></html>")


def timed_receipt(language: str, html_cls) -> tuple[float, float, float, bytes]:
    """(template, layout, write) in ms, and the PDF: render_pdf's steps, timed one by one."""
    started = time.perf_counter()
    html = receipt_html(language)
    templated = time.perf_counter()
    document = html_cls(string=html, base_url=PDF_BASE_URL, url_fetcher=_static_only_url_fetcher()).render()
    laid_out = time.perf_counter()
    pdf = document.write_pdf(pdf_tags=True)
    written = time.perf_counter()
    return ((templated - started) * 1000, (laid_out - templated) * 1000, (written - laid_out) * 1000, pdf)


def timed_floor(html: str, html_cls) -> tuple[float, float, float, bytes]:
    started = time.perf_counter()
    document = html_cls(string=html).render()
    laid_out = time.perf_counter()
    pdf = document.write_pdf()
    written = time.perf_counter()
    return (0.0, (laid_out - started) * 1000, (written - laid_out) * 1000, pdf)


def pdf_pages_and_fonts(pdf: bytes) -> tuple[int, list[str]]:
    """Page count and embedded font names (subset prefix dropped)."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    fonts = set()
    for page in reader.pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont", "")).lstrip("/").split("+")[-1])
    return len(reader.pages), sorted(fonts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10, help="renders of each case per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    started = time.perf_counter()
    from weasyprint import HTML
    print(f"weasyprint import: {(time.perf_counter() - started) * 1000:.0f} ms; "
          f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")

    floor = floor_html(receipt_html("en"))  # the longer text: the same floor for both receipts
    cases = {
        "floor": lambda: timed_floor(floor, HTML),
        "receipt, French": lambda: timed_receipt("fr", HTML),
        "receipt, bilingual": lambda: timed_receipt("en", HTML),
    }
    pdfs = {name: case()[3] for name, case in cases.items()}  # warm-up: fonts, imports, caches
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, pdf in pdfs.items():
            (args.out / (name.replace(", ", "-").replace(" ", "-") + ".pdf")).write_bytes(pdf)

    rounds: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, case in cases.items():  # interleaved
                samples[name].append(case()[:3])
        for name, values in samples.items():
            rounds[name].append(tuple(statistics.median(column) for column in (
                [v[0] for v in values], [v[1] for v in values], [v[2] for v in values],
                [sum(v) for v in values],
            )))
    load = os.getloadavg()
    medians = {name: [statistics.median(r[i] for r in values) for i in range(4)] for name, values in rounds.items()}
    floor_layout, floor_write, floor_total = medians["floor"][1], medians["floor"][2], medians["floor"][3]
    print(f"\n{args.rounds} rounds × {args.runs} renders per case, interleaved; medians of the round medians; "
          f"load average after: {load[0]:.2f} {load[1]:.2f}\n")
    print("| case | template | layout | write | total | ratio layout / write / total | pages, bytes | embedded fonts |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (template, layout, write, total) in medians.items():
        pdf = pdfs[name]
        pages, fonts = pdf_pages_and_fonts(pdf)
        ratio = ("—" if name == "floor" else
                 f"{layout / floor_layout:.2f}× / {write / floor_write:.2f}× / **{total / floor_total:.2f}×**")
        print(f"| {name} | {template:.1f} ms | {layout:.1f} ms | {write:.1f} ms | {total:.1f} ms | {ratio} "
              f"| {pages}, {len(pdf):,} | {len(fonts)}: {', '.join(fonts)} |")


if __name__ == "__main__":
    main()
