"""Benchmark: the filing receipt's PDF (French, bilingual) against a bare WeasyPrint floor, same run.

    .venv/bin/python bench/pdf.py [--runs 10] [--rounds 3] [--compare GIT_REF] [--out DIR]

or, from another script (no database either)::

    from bench.pdf import measure, goal_lines
    rows = measure(runs=10, rounds=3)   # one dict per case and clock, with its ratios and goal
    print("\n".join(goal_lines(rows)))  # "receipt, French ≤ 1.5× its floor (CPU time): met (1.32×)"

No database: the receipt is rendered through the project's real path (``render_to_string`` of the
real template with the context ``documents.services.document_pdf_context`` builds, the static-only
URL fetcher, the font configuration kept per thread, ``write_pdf(pdf_tags=True)`` as
``documents.rendering.render_pdf`` does), from a fixed context, with the shared stylesheet
render_pdf applies to issued documents.
The floor of each receipt is a bare one-page WeasyPrint document holding the same text (that
receipt's words with today's templates, as plain paragraphs in one font face, no tags), rendered
as bare WeasyPrint renders it: a new font configuration per document. For information, the same
floors are also rendered with a kept font configuration ("floor, kept fonts"), the ratio against
them is printed beside the goal's.
Layout (``HTML(...).render()``) and write
(``document.write_pdf()``) are timed separately. The cases are interleaved, render after
render, for each of ``--rounds`` rounds; each round's median is taken, and the table gives the
median of the round medians, and the ratios against the floor of the same run.
``--compare GIT_REF`` adds the two receipts with the PDF templates of that commit (against the
same floors); templates only: a commit that already has static/documents/pdf.css gets today's copy.
``--out DIR`` also writes the PDFs there (to look at them: ``pdftoppm -r 70 -png``).
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
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
import segno  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402
from django.utils.safestring import mark_safe  # noqa: E402

from documents.qr import qr_image  # noqa: E402
from documents.rendering import (  # noqa: E402
    DOCUMENT_STYLESHEET,
    PDF_BASE_URL,
    parsed_stylesheet,
    pdf_font_config,
    static_only_url_fetcher,
)

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


def receipt_context(language: str, *, svg_qr: bool = False) -> dict:
    """What ``document_pdf_context`` gives a receipt, without the database row. ``svg_qr``: the QR
    code as the inline SVG (``qr_svg``) the templates before ``qr_image`` expect (``--compare``)."""
    issued_at = datetime.datetime(2026, 3, 12, 9, 15, tzinfo=datetime.UTC)
    token = "eyJuIjoiUkVDLTIwMjYtMDAwMDQyIiwiYyI6IjdLM1BYUTlNIn0:1vABCD:" + "x" * 43  # a real one's length
    qr_data = f"{settings.SITE_URL}/verifier/q/{token}/"
    if svg_qr:
        svg = segno.make(qr_data, error="m", micro=False).svg_inline(
            omitsize=True, border=4, title="QR code de vérification", svgclass="qr", lineclass=None)
        qr = {"qr_svg": mark_safe(svg)}  # noqa: S308 (segno's own markup)
    else:
        qr = {"qr_image": qr_image(data=qr_data, title="QR code de vérification")}
    return {
        **qr,
        "document": {
            "kind": "filing_receipt", "number": "REC-2026-000042", "verification_code": "7K3P-XQ9M",
            "issued_at": issued_at, "valid_from": None, "valid_until": None,
            "holder_name": DATA["applicant"]["name"], "holder_birth_date": datetime.date(1990, 3, 2),
            "language": language,
        },
        "data": DATA,
        "verification_url": settings.SITE_URL + reverse("documents:verify"),
        "translation_language": language if language != "fr" else None,
    }


def receipt_html(language: str, engine=None) -> str:
    with translation.override("fr"):  # as documents.services.document_render
        if engine is None:
            return render_to_string(TEMPLATE, receipt_context(language))
        return engine.get_template(TEMPLATE).render(receipt_context(language, svg_qr="qr_svg" in engine.base_html))


def engine_at(ref: str):
    """A template engine that finds the PDF templates as they were at a git ref (the rest as now)."""
    from django.template.backends.django import DjangoTemplates

    directory = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    archive = subprocess.run(  # noqa: S603 -- the developer's own git ref, on their machine
        ["git", "archive", ref, "templates/documents/pdf"], cwd=ROOT, check=True, capture_output=True,  # noqa: S607
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    params = {key: value for key, value in settings.TEMPLATES[0].items() if key != "BACKEND"}
    params.update(NAME=f"at-{ref}", DIRS=[directory / "templates", *params.get("DIRS", [])])
    engine = DjangoTemplates(params)
    engine.base_html = (directory / "templates/documents/pdf/base.html").read_text()
    engine.uses_stylesheet = "pdf.css" in engine.base_html
    return engine


def floor_html(receipt: str) -> str:
    """The receipt's words as plain paragraphs, one font face, nothing else."""
    body = receipt.split("<body>", 1)[1]
    body = re.sub(r"<svg.*?</svg>", " ", body, flags=re.S)  # a QR code of a --compare ref
    lines = [unescape(line).strip() for line in re.sub(r"<[^>]+>", "\n", body).splitlines()]
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
    return ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><style>'
            '@page { size: A4; margin: 14mm 17mm; } html { font-family: "DejaVu Sans"; font-size: 7pt; '
            'line-height: 1.2; } p { margin: 0; }</style></head><body>' + paragraphs + "</body></html>")


def clocks() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def spans(*marks: tuple[float, float]) -> tuple[list[float], list[float]]:
    """Milliseconds between successive marks: (CPU times, wall times)."""
    return ([(b[0] - a[0]) * 1000 for a, b in zip(marks, marks[1:], strict=False)],
            [(b[1] - a[1]) * 1000 for a, b in zip(marks, marks[1:], strict=False)])


def timed_receipt(language: str, html_cls, engine=None):
    """render_pdf's steps (template, layout, write), timed one by one: ((cpu), (wall)), PDF.
    The shared stylesheet (parsed once per process, as render_pdf does) only with today's
    templates: a ``--compare`` ref before it existed has the rules in its base.html."""
    started = clocks()
    html = receipt_html(language, engine)
    templated = clocks()
    stylesheets = [parsed_stylesheet(DOCUMENT_STYLESHEET)] if engine is None or engine.uses_stylesheet else None
    document = html_cls(string=html, base_url=PDF_BASE_URL, url_fetcher=static_only_url_fetcher()).render(
        stylesheets=stylesheets, font_config=pdf_font_config())
    laid_out = clocks()
    pdf = document.write_pdf(pdf_tags=True)
    return spans(started, templated, laid_out, clocks()), pdf


def timed_floor(html: str, html_cls, font_config=None):
    started = clocks()
    templated = clocks()
    document = html_cls(string=html).render(font_config=font_config)
    laid_out = clocks()
    pdf = document.write_pdf()
    return spans(started, templated, laid_out, clocks()), pdf


def pdf_pages_and_fonts(pdf: bytes) -> tuple[int, list[str]]:
    """Page count and embedded font names (subset prefix dropped)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    fonts = set()
    for page in reader.pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont", "")).lstrip("/").split("+")[-1])
    return len(reader.pages), sorted(fonts)


#: The goals of issue 14: each receipt's CPU time at most this many times its floor's, same run.
GOALS = {"receipt, French": 1.5, "receipt, bilingual": 2.0}
CLOCKS = ("CPU time of the process (time.process_time)", "wall time")


def measure(*, runs: int = 10, rounds: int = 3, compare: str | None = None, out: Path | None = None,
            progress=None) -> list[dict]:
    """Renders every case interleaved, ``rounds`` rounds of ``runs`` renders each, and returns one
    row per case and clock (``clock``: "cpu" or "wall"), each the median of the round medians:
    ``case``, ``template``, ``layout``, ``write``, ``total`` (ms), ``floor`` (the case's floor),
    ``ratio_layout``, ``ratio_write``, ``ratio`` (total; None for a floor), ``ratio_kept_fonts``
    (total against the floor rendered with a kept font configuration), ``goal`` (the largest
    ratio allowed, CPU rows of today's receipts only, else None), ``met``, ``pages``, ``bytes``,
    ``fonts`` (embedded font names), and ``load`` (the load averages after the run).
    ``progress``, if given, is called with a line of text (the WeasyPrint import's cost and load)."""
    started = time.perf_counter()
    from weasyprint import HTML

    if progress:
        progress(f"weasyprint import: {(time.perf_counter() - started) * 1000:.0f} ms; "
                 f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")

    engine = engine_at(compare) if compare else None
    floors = {language: floor_html(receipt_html(language)) for language in ("fr", "en")}  # today's text
    kept = pdf_font_config()
    cases = {"floor, French": lambda: timed_floor(floors["fr"], HTML),
             "floor, bilingual": lambda: timed_floor(floors["en"], HTML),
             "floor, French, kept fonts": lambda: timed_floor(floors["fr"], HTML, kept),
             "floor, bilingual, kept fonts": lambda: timed_floor(floors["en"], HTML, kept)}
    if engine is not None:
        cases[f"receipt, French, at {compare}"] = lambda: timed_receipt("fr", HTML, engine)
        cases[f"receipt, bilingual, at {compare}"] = lambda: timed_receipt("en", HTML, engine)
    cases["receipt, French"] = lambda: timed_receipt("fr", HTML)
    cases["receipt, bilingual"] = lambda: timed_receipt("en", HTML)
    pdfs = {name: case()[1] for name, case in cases.items()}  # warm-up: fonts, imports, caches
    if out:
        out.mkdir(parents=True, exist_ok=True)
        for name, pdf in pdfs.items():
            (out / (re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") + ".pdf")).write_bytes(pdf)

    # rounds[clock][case]: one (template, layout, write, total) median per round
    by_round: list[dict[str, list[list[float]]]] = [{name: [] for name in cases} for _ in CLOCKS]
    for _ in range(rounds):
        samples: list[dict[str, list[list[float]]]] = [{name: [] for name in cases} for _ in CLOCKS]
        for _ in range(runs):
            for name, case in cases.items():  # interleaved
                for clock, values in enumerate(case()[0]):
                    samples[clock][name].append([*values, sum(values)])
        for clock in range(len(CLOCKS)):
            for name, values in samples[clock].items():
                by_round[clock][name].append([statistics.median(column) for column in zip(*values, strict=True)])
    load = os.getloadavg()

    rows = []
    for clock, clock_name in enumerate(("cpu", "wall")):
        medians = {name: [statistics.median(r[i] for r in values) for i in range(4)]
                   for name, values in by_round[clock].items()}
        for name, (template, layout, write, total) in medians.items():
            pages, fonts = pdf_pages_and_fonts(pdfs[name])
            floor = None if name.startswith("floor") else (
                "floor, bilingual" if "bilingual" in name else "floor, French")
            row = {"case": name, "clock": clock_name, "template": template, "layout": layout, "write": write,
                   "total": total, "floor": floor, "ratio_layout": None, "ratio_write": None, "ratio": None,
                   "ratio_kept_fonts": None, "goal": None, "met": None, "pages": pages, "bytes": len(pdfs[name]),
                   "fonts": fonts, "load": load}
            if floor is not None:
                _, floor_layout, floor_write, floor_total = medians[floor]
                row.update(ratio_layout=layout / floor_layout, ratio_write=write / floor_write,
                           ratio=total / floor_total, ratio_kept_fonts=total / medians[f"{floor}, kept fonts"][3])
                if clock_name == "cpu" and name in GOALS:
                    row.update(goal=GOALS[name], met=row["ratio"] <= GOALS[name])
            rows.append(row)
    return rows


def goal_lines(rows: list[dict]) -> list[str]:
    """One line per goal: "<case> ≤ <goal>× its floor (CPU time, same run): met|not met (<ratio>×)"."""
    return [f"{row['case']} ≤ {row['goal']}× its floor (CPU time, same run, medians of the rounds): "
            f"{'met' if row['met'] else 'not met'} ({row['ratio']:.2f}×)"
            for row in rows if row["goal"] is not None]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10, help="renders of each case per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", metavar="GIT_REF", help="also the receipt with the PDF templates at GIT_REF")
    parser.add_argument("--goals-json", action="store_true", help="print only the goals, as one JSON line")
    args = parser.parse_args()
    if args.goals_json:  # for bench/pages.py --pdf
        rows = measure(runs=args.runs, rounds=args.rounds)
        print("GOALS-JSON " + json.dumps([
            {"goal": f"{row['case']} PDF, CPU time against its floor in the same run (a bare WeasyPrint "
                     f"document of the same words): {row['total']:.1f} against {row['total'] / row['ratio']:.1f} ms",
             "value": round(row["ratio"], 2), "unit": "×", "op": "≤", "target": row["goal"], "met": row["met"]}
            for row in rows if row["goal"] is not None]))
        return

    rows = measure(runs=args.runs, rounds=args.rounds, compare=args.compare, out=args.out, progress=print)
    load = rows[0]["load"]
    print(f"\n{args.rounds} rounds x {args.runs} renders per case, interleaved; medians of the round medians; "
          f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for clock, title in zip(("cpu", "wall"), CLOCKS, strict=True):
        print(f"\n{title}\n")
        print("| case | template | layout | write | total | ratio to the floor: layout / write / total "
              "| total against the floor with kept fonts | pages, bytes | embedded fonts |")
        print("|---|---|---|---|---|---|---|---|---|")
        for row in rows:
            if row["clock"] != clock:
                continue
            ratio = "-" if row["ratio"] is None else (
                f"{row['ratio_layout']:.2f}x / {row['ratio_write']:.2f}x / **{row['ratio']:.2f}x**")
            kept = "-" if row["ratio_kept_fonts"] is None else f"{row['ratio_kept_fonts']:.2f}x"
            print(f"| {row['case']} | {row['template']:.1f} ms | {row['layout']:.1f} ms | {row['write']:.1f} ms "
                  f"| {row['total']:.1f} ms | {ratio} | {kept} | {row['pages']}, {row['bytes']:,} "
                  f"| {len(row['fonts'])}: {', '.join(row['fonts'])} |")
    print()
    for line in goal_lines(rows):
        print(line)


if __name__ == "__main__":
    main()
