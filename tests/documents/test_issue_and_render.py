"""Issuing documents: the filing receipt's PDF, its languages, numbering, superseding, revoking."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import trans_real
from pypdf import PdfReader

from accounts.models import AuditEvent
from documents.models import DocumentKind, DocumentStatus, IssuedDocument
from documents.selectors import documents_for_subject
from documents.services import document_issue, document_pdf_context, document_render, document_revoke
from documents.tasks import render_document
from tests.documents.support import RECEIPT_TEMPLATE, pdf_runs, pdf_text, receipt_context, squash
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WARNING = "Cette attestation n'est pas une preuve de la régularité du séjour."


def test_issuing_a_receipt_renders_a_pdf_stating_the_filing(holder, issue_receipt):
    document = issue_receipt(holder)

    assert document.rendered_at is not None
    assert document.file.name == f"documents/{timezone.now():%Y/%m}/{document.number}.pdf"
    text = pdf_text(document)
    for expected in (
        "RÉPUBLIQUE FRANÇAISE", "Ministère de l'Intérieur", "Attestation de dépôt",
        document.number, document.verification_code_display,
        "DOS-2026-000042", "Renouvellement du titre de séjour « salarié »",
        "12/03/2026 à 10:15 (heure de Paris)",  # 09:15 UTC, in Europe/Paris
        "Awa NDIAYE", "12/04/1990", "0123456789",
        "Passeport", "Justificatif de domicile", "Photographie d'identité",
        "demande déposée dans les délais", "en ligne", WARNING,
        "http://127.0.0.1:8000/verifier/",
    ):
        assert expected in text, expected
    assert "{#" not in text and "#}" not in text and "{%" not in text  # no template comment printed
    runs = pdf_runs(document)
    # The warning stands out by its size (and its frame): larger than the facts.
    [fact_size] = {size for font, run, size in runs if run.startswith("Référence du dossier")}
    assert min(size for font, run, size in runs if WARNING.startswith(run)) > fact_size
    # One font face (docs/benchmarks.md, PDF): no bold, no italics, no monospace.
    assert {font.split("+")[-1] for font, run, size in runs} == {"DejaVu-Sans"}


def test_every_page_names_the_document_and_its_code_at_the_foot(holder, issue_receipt):
    """The running footer (static/documents/pdf.css's @page, its words from the template's
    <html data-footer>): number · verification code · page n / N, on every page."""
    document = issue_receipt(holder, documents=[f"Pièce justificative n° {n}" for n in range(1, 90)])

    reader = PdfReader(io.BytesIO(document.file.read()))
    feet = [squash(page.extract_text()) for page in reader.pages]
    assert len(feet) >= 2  # the list runs onto further pages
    for number, text in enumerate(feet, start=1):
        foot = f"{document.number} · Code de vérification {document.verification_code_display} · {number} / {len(feet)}"
        assert foot in text


def test_the_receipts_html_has_no_stylesheet_and_no_white_space_between_tags_to_parse(holder, issue_receipt):
    """Its rules are all in static/documents/pdf.css, parsed once per process; white space between
    tags would be parsed, styled and dropped at each render (docs/benchmarks.md, PDF, fourth pass)."""
    document = issue_receipt(holder)

    with translation.override("fr"):
        html = render_to_string(RECEIPT_TEMPLATE, document_pdf_context(document=document))

    assert "<style" not in html
    assert re.search(r">\s+<", html[html.index("<html"):]) is None
    assert f'data-footer="{document.number} · Code de vérification' in html


def test_a_late_paper_filing_says_so_and_a_first_request_has_no_deadline_line(holder, issue_receipt):
    late = issue_receipt(holder, on_time=False, channel="paper")
    first = issue_receipt(holder, on_time=None)
    context = receipt_context()
    del context["on_time"]
    document_issue(kind=DocumentKind.FILING_RECEIPT, holder=holder, subject=holder,
                   template=RECEIPT_TEMPLATE, context=context)
    assert IssuedDocument.objects.latest("pk").context["on_time"] is None

    assert "demande déposée hors délai" in pdf_text(late)
    assert "sur papier" in pdf_text(late)
    assert "Délai de renouvellement" not in pdf_text(first)
    assert "dans les délais" not in pdf_text(first)


def test_applicant_data_is_printed_as_text_never_as_markup(holder, issue_receipt):
    document = issue_receipt(holder, applicant={
        "name": "<b>Awa</b> <img src='http://example.org/x.png'>", "birth_date": "1990-04-12",
        "foreigner_number": "",
    })

    assert "<b>Awa</b> <img src='http://example.org/x.png'>" in pdf_text(document)


@pytest.fixture
def english_messages(monkeypatch):
    """Translations for a few of the receipt's messages, whether or not the English catalogue
    already has them (translations are done later): the test is about where they appear."""
    english = {
        "Attestation de dépôt": "Filing receipt",
        WARNING: "This receipt is not a proof of lawful stay.",
        "Référence du dossier": "File reference",
    }
    catalogue = trans_real.translation("en")
    original = catalogue.gettext
    monkeypatch.setattr(catalogue, "gettext", lambda message: english.get(message) or original(message))
    return english


def test_a_holder_reading_english_gets_each_paragraph_in_english_after_the_french(
    holder, issue_receipt, english_messages
):
    holder.preferred_language = "en"
    holder.save()

    document = issue_receipt(holder)

    assert document.language == "en"
    text = pdf_text(document)
    assert text.index("Attestation de dépôt") < text.index("Filing receipt")
    assert text.index("Référence du dossier") < text.index("File reference")
    assert text.index(WARNING) < text.index("This receipt is not a proof of lawful stay.")
    runs = pdf_runs(document)
    # The translation follows the French in the same face: the warning as large as the French one
    # (set apart by its grey), a label after a slash in the label's own run ("Référence du dossier /
    # File reference").
    [warning_size] = {size for font, run, size in runs if WARNING.startswith(run)}
    assert {size for font, run, size in runs if run.startswith("This receipt")} == {warning_size}
    assert any(run.startswith("Référence du dossier / File reference") for font, run, size in runs)
    assert "Référence du dossier / File reference" in text
    assert {font.split("+")[-1] for font, run, size in runs} == {"DejaVu-Sans"}


def test_an_untranslated_message_is_printed_once_in_french(holder, issue_receipt, english_messages):
    holder.preferred_language = "en"
    holder.save()
    message = "L'administration atteste avoir reçu la demande décrite ci-dessous."

    document = issue_receipt(holder)

    # Untranslated, it is not repeated; translated, the French is still there once.
    assert pdf_text(document).count(message) == 1


def test_a_french_holder_gets_no_translation_even_when_one_exists(holder, issue_receipt, english_messages):
    document = issue_receipt(holder)

    assert "Filing receipt" not in pdf_text(document)


def test_documents_of_a_kind_get_distinct_increasing_numbers_per_year(holder, issue_receipt):
    year = timezone.localdate().year

    first = issue_receipt(holder)
    second = issue_receipt(holder)
    convocation = document_issue(
        kind=DocumentKind.CONVOCATION, holder=holder, subject=holder, template=RECEIPT_TEMPLATE,
        context={"person": "Awa NDIAYE", "motive": "Relevé d'empreintes", "starts_at": "2026-12-01T09:00:00+01:00",
                 "duration_minutes": 15, "site": "Préfecture du Rhône", "address": "Lyon", "desk": "Guichet 1",
                 "documents_to_bring": "", "file_reference": "", "booking": 1},
    )

    assert re.fullmatch(rf"ANEF-ADD-{year}-\d{{8}}", first.number)
    assert int(second.number[-8:]) == int(first.number[-8:]) + 1
    assert convocation.number == f"ANEF-CNV-{year}-00000001"
    assert first.verification_code != second.verification_code
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{10}", first.verification_code)


def test_rendering_again_changes_nothing(holder, issue_receipt, monkeypatch):
    document = issue_receipt(holder)
    rendered_at, name = document.rendered_at, document.file.name
    calls = []
    monkeypatch.setattr("documents.services.render_pdf", lambda *args: calls.append(args) or b"%PDF")

    document_render(document=document)
    render_document(document.pk)
    # A duplicated message read before the first rendering finished: the row lock's re-check.
    stale = IssuedDocument.objects.get(pk=document.pk)
    stale.rendered_at = None
    document_render(document=stale)

    document.refresh_from_db()
    assert calls == []
    assert (document.rendered_at, document.file.name) == (rendered_at, name)


def test_issuing_snapshots_the_holder_and_is_audited(holder, issue_receipt):
    document = issue_receipt(holder)
    holder.last_name = "Diop"
    holder.save()

    document.refresh_from_db()
    assert document.holder_name == "Awa NDIAYE"
    assert document.holder_birth_date == holder.birth_date
    assert document.subject_type == "accounts.user"
    assert list(documents_for_subject(subject=holder)) == [document]
    event = AuditEvent.objects.get(action="document.issued")
    assert event.object_id == str(document.pk)
    assert event.data["number"] == document.number


def test_a_context_that_breaks_the_contract_is_refused_at_issue_time(holder):
    context = receipt_context()
    del context["procedure"]

    with pytest.raises(ValueError, match="procedure"):
        document_issue(kind=DocumentKind.FILING_RECEIPT, holder=holder, subject=holder,
                       template=RECEIPT_TEMPLATE, context=context)
    assert not IssuedDocument.objects.exists()


def test_a_new_document_supersedes_the_previous_one(holder, issue_receipt):
    old = issue_receipt(holder)

    new = issue_receipt(holder, supersedes=old)

    old.refresh_from_db()
    assert old.status == DocumentStatus.SUPERSEDED
    assert old.superseded_by == new
    assert new.status == DocumentStatus.VALID
    assert AuditEvent.objects.filter(action="document.superseded", object_id=str(old.pk)).exists()
    with pytest.raises(ValidationError):
        issue_receipt(holder, supersedes=old)  # supersede the newest, not an old one
    with pytest.raises(ValueError):
        issue_receipt(UserFactory(), supersedes=new)  # nor someone else's


def test_revoking_is_audited_and_final(holder, issue_receipt):
    document = issue_receipt(holder)
    agent = UserFactory()

    document_revoke(document=document, by=agent, reason="Délivré par erreur")
    document_revoke(document=document, by=agent, reason="Encore")

    document.refresh_from_db()
    assert document.status == DocumentStatus.REVOKED
    assert document.revocation_reason == "Délivré par erreur"
    assert AuditEvent.objects.filter(action="document.revoked", actor=agent).count() == 1
    with pytest.raises(ValidationError) as no_reason:
        document_revoke(document=issue_receipt(holder), by=agent, reason="  ")
    assert no_reason.value.messages == ["Indiquez le motif de la révocation."]
