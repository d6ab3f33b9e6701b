"""Plain helpers for the documents tests (fixtures are in conftest.py)."""

import io

from pypdf import PdfReader

RECEIPT_TEMPLATE = "documents/pdf/filing_receipt.html"


def receipt_context(**overrides) -> dict:
    context = {
        "reference": "DOS-2026-000042",
        "filed_at": "2026-03-12T09:15:00+00:00",
        "procedure": "Renouvellement du titre de séjour « salarié »",
        "applicant": {"name": "Awa NDIAYE", "birth_date": "1990-04-12", "foreigner_number": "0123456789"},
        "documents": ["Passeport", "Justificatif de domicile", "Photographie d'identité"],
        "on_time": True,
        "channel": "online",
    }
    context.update(overrides)
    return context


def pdf_text(document) -> str:
    """The text of the document's stored PDF, white space squashed."""
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return squash("\n".join(page.extract_text() for page in reader.pages))


def pdf_runs(document) -> list[tuple[str, str, float]]:
    """(font name, text, font size) of each run of text on the PDF's pages, to check faces and sizes."""
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    runs: list[tuple[str, str, float]] = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font:
            runs.append((str(font.get("/BaseFont", "")), text.strip(), size))

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    return runs


def squash(text: str) -> str:
    """Text with every run of white space made one space: PDF lines break anywhere."""
    return " ".join(text.split())
