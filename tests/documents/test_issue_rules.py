"""What issuing a document checks and records before any PDF exists (documents/services.py):
the context's contract, the validity, the holder as printed, the audit trail, the day a successor
takes over, and revocation."""

import datetime
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from documents.models import DocumentKind, DocumentStatus, IssuedDocument
from documents.services import document_issue, document_render, document_revoke
from tests.documents.support import RECEIPT_TEMPLATE, receipt_context
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

CERTIFICATE_CONTEXT = {
    "reference": "DOS-2026-000042", "procedure": "Renouvellement", "filed_at": "2026-03-12T09:15:00+00:00",
    "prefecture": "Rhône",
    "applicant": {"name": "Awa NDIAYE", "birth_date": "1990-04-12", "foreigner_number": "0123456789"},
    "permit": {"number": "69X0001", "category": "Salarié", "valid_until": "2026-06-30"},
    "allows_work": True, "on_time": True,
}


def issue(holder, *, kind=DocumentKind.FILING_RECEIPT, context=None, **options) -> IssuedDocument:
    """Issues without running the after-commit rendering: only what is recorded at issue time."""
    return document_issue(kind=kind, holder=holder, subject=holder, template=RECEIPT_TEMPLATE,
                          context=receipt_context() if context is None else context, **options)


@pytest.mark.parametrize(("change", "complaint"), [
    ({"applicant": {"name": "Awa NDIAYE", "foreigner_number": ""}}, "lacks: applicant.birth_date"),
    ({"applicant": {"name": "Awa NDIAYE"}}, "lacks: applicant.birth_date, applicant.foreigner_number"),
    ({"on_time": "oui"}, "'on_time' must be true, false or null"),
    ({"channel": "fax"}, "Unknown channel 'fax'"),
    ({"documents": "Passeport"}, "'documents' must be a list of names"),
    ({"filed_at": datetime.date(2026, 3, 12)}, "A document's context must be JSON"),
], ids=["applicant-field", "applicant-fields", "on-time", "channel", "documents", "not-json"])
def test_a_receipt_whose_context_breaks_its_contract_is_never_issued(holder, change, complaint):
    with pytest.raises(ValueError) as error:
        issue(holder, context=receipt_context(**change))

    assert str(error.value).endswith(complaint) or str(error.value).startswith(complaint)
    assert not IssuedDocument.objects.exists()


def test_a_receipt_that_says_nothing_of_timeliness_records_it_as_unknown(holder):
    context = receipt_context()
    del context["on_time"]

    assert issue(holder, context=context).context["on_time"] is None


@pytest.mark.parametrize("on_time", [True, False, None])
def test_a_receipt_records_timeliness_as_given(holder, on_time):
    assert issue(holder, context=receipt_context(on_time=on_time, channel="paper")).context["on_time"] is on_time


def test_a_validity_that_ends_before_it_starts_is_refused_and_a_one_day_validity_is_not(holder):
    today = timezone.localdate()
    with pytest.raises(ValueError, match="valid_until is before valid_from"):
        issue(holder, valid_from=today, valid_until=today - timedelta(days=1))

    document = issue(holder, valid_from=today, valid_until=today)

    assert (document.valid_from, document.valid_until) == (today, today)


def test_the_holder_is_recorded_as_the_paper_names_them(holder):
    named = issue(holder, holder_as={"name": "Awa Marie NDIAYE", "birth_date": "1990-04-13"})
    undated = issue(holder, holder_as={"name": "Awa NDIAYE", "birth_date": ""})
    plain = issue(holder)

    assert (named.holder_name, named.holder_birth_date) == ("Awa Marie NDIAYE", datetime.date(1990, 4, 13))
    assert (undated.holder_name, undated.holder_birth_date) == ("Awa NDIAYE", None)
    assert (plain.holder_name, plain.holder_birth_date) == (holder.get_full_name(), holder.birth_date)


def test_a_document_is_issued_in_the_holders_language_french_by_default(holder):
    holder.preferred_language = "en"
    assert issue(holder).language == "en"
    holder.preferred_language = ""
    assert issue(holder).language == "fr"


def test_the_audit_trail_names_the_kind_the_subject_and_what_was_replaced(holder):
    agent = StaffFactory()
    old = issue(holder)
    new = issue(holder, supersedes=old, by=agent)

    issued = AuditEvent.objects.get(action="document.issued", object_id=str(new.pk))
    assert issued.actor == agent
    assert issued.data == {"kind": "filing_receipt", "number": new.number,
                           "subject": f"accounts.user#{holder.pk}", "supersedes": old.number}
    assert AuditEvent.objects.get(action="document.issued", object_id=str(old.pk)).data["supersedes"] is None
    superseded = AuditEvent.objects.get(action="document.superseded", object_id=str(old.pk))
    assert superseded.actor == agent
    assert superseded.data == {"number": old.number, "superseded_by": new.number,
                               "superseded_on": timezone.localdate().isoformat()}


def test_a_certificate_stays_in_force_until_its_successor_starts(holder):
    today = timezone.localdate()
    old = issue(holder, kind=DocumentKind.EXTENSION_CERTIFICATE, context=CERTIFICATE_CONTEXT,
                valid_from=today - timedelta(days=30), valid_until=today + timedelta(days=60))

    issue(holder, kind=DocumentKind.EXTENSION_CERTIFICATE, context=CERTIFICATE_CONTEXT,
          valid_from=today + timedelta(days=10), valid_until=today + timedelta(days=100), supersedes=old)

    old.refresh_from_db()
    assert old.status == DocumentStatus.SUPERSEDED
    assert old.superseded_on == today + timedelta(days=10)


def test_a_certificate_whose_successor_started_already_is_replaced_today(holder):
    today = timezone.localdate()
    old = issue(holder, kind=DocumentKind.EXTENSION_CERTIFICATE, context=CERTIFICATE_CONTEXT,
                valid_from=today - timedelta(days=30), valid_until=today + timedelta(days=60))

    issue(holder, kind=DocumentKind.EXTENSION_CERTIFICATE, context=CERTIFICATE_CONTEXT,
          valid_from=today - timedelta(days=2), valid_until=today + timedelta(days=100), supersedes=old)

    old.refresh_from_db()
    assert old.superseded_on == today


def test_a_receipt_is_replaced_the_day_its_successor_is_issued_whatever_its_start(holder):
    today = timezone.localdate()
    old = issue(holder)

    issue(holder, valid_from=today + timedelta(days=10), supersedes=old)

    old.refresh_from_db()
    assert old.superseded_on == today


def test_a_revocation_keeps_the_reason_as_typed_without_surrounding_spaces_and_audits_the_status_before(holder):
    document = issue(holder)

    document_revoke(document=document, by=None, reason="  Délivré par erreur \n")

    document.refresh_from_db()
    assert document.revocation_reason == "Délivré par erreur"
    assert document.revoked_at is not None
    event = AuditEvent.objects.get(action="document.revoked")
    assert event.data == {"number": document.number, "before": "valid", "reason": "Délivré par erreur"}


def test_a_superseded_document_can_still_be_revoked(holder):
    old = issue(holder)
    issue(holder, supersedes=old)

    assert document_revoke(document=old, by=None, reason="Fraude").status == DocumentStatus.REVOKED


def test_a_revoked_document_cannot_be_superseded_and_says_why(holder):
    old = issue(holder)
    document_revoke(document=old, by=None, reason="Fraude")

    with pytest.raises(ValidationError) as error:
        issue(holder, supersedes=old)

    assert error.value.messages == [f"Le document {old.number} est déjà révoqué."]


def test_every_template_receives_the_documents_marks_as_the_contract_says(holder, monkeypatch):
    """documents/services.py: "Every template also receives, from document_render: document (number,
    verification code, issue date, validity, holder snapshot, language), qr_image, verification_url
    and translation_language"."""
    today = timezone.localdate()
    holder.preferred_language = "en"
    document = issue(holder, valid_from=today, valid_until=today + timedelta(days=90),
                     holder_as={"name": "Awa Marie NDIAYE", "birth_date": "1990-04-13"})
    received = {}
    monkeypatch.setattr("documents.services.render_pdf",
                        lambda template, context, stylesheet: received.update(
                            template=template, stylesheet=stylesheet, **context) or b"%PDF")

    document_render(document=document)

    assert received["template"] == RECEIPT_TEMPLATE
    assert received["stylesheet"] == "documents/pdf.css"
    assert received["document"] == {
        "kind": "filing_receipt", "number": document.number,
        "verification_code": document.verification_code_display, "issued_at": document.issued_at,
        "valid_from": today, "valid_until": today + timedelta(days=90),
        "holder_name": "Awa Marie NDIAYE", "holder_birth_date": datetime.date(1990, 4, 13), "language": "en",
    }
    assert received["data"] == document.context
    assert received["translation_language"] == "en"
    assert received["verification_url"].endswith("/verifier/")
    assert received["qr_image"].startswith('<img class="qr" src="data:image/png;base64,')
    assert received["qr_image"].endswith('alt="QR code de vérification">')
