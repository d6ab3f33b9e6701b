"""Issue 17, third round: the applicant's dossier page reads the dossier and its pieces in one
statement (``selectors.dossier_page_get_for_user``, a ``core.prepared.PreparedPair``). It must give
what each query gives on its own, and nothing about another person's dossier."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from applications import selectors
from applications.models import Attachment
from documents.models import IssuedDocument
from tests.backoffice.conftest import file_renewal
from tests.core.test_prepared import as_rows
from tests.factories import UserFactory


@pytest.mark.django_db
def test_the_dossier_and_its_pieces_in_one_statement_as_each_query_gives_them():
    dossier = file_renewal()
    assert Attachment.objects.filter(dossier=dossier).count() > 1  # a list in order to compare
    applicant = dossier.applicant
    for language in ("fr", "en"):
        with translation.override(language):
            with CaptureQueriesContext(connection) as captured:
                found, attachments = selectors.dossier_page_get_for_user(user=applicant, pk=dossier.pk)
                pieces = attachments()
            assert len(captured) == (1 if connection.vendor == "postgresql" else 2)  # one statement there only
            assert as_rows([found]) == as_rows(selectors._USER_DOSSIER_PAGE.build(
                pk=dossier.pk, user_id=dossier.applicant_id))
            assert as_rows(pieces) == as_rows(selectors._DOSSIER_PAGE_ATTACHMENTS.build(dossier_id=dossier.pk))
            # the page's data reads them from the maker, not a second time
            with CaptureQueriesContext(connection) as captured:
                data = selectors.dossier_page_data(dossier=found, html=True, attachments=lambda pieces=pieces: pieces)
            assert not any('"applications_attachment"' in query["sql"] for query in captured.captured_queries)
            assert [a.pk for a in data["attachments"]] == [
                a.pk for a in selectors.dossier_page_data(dossier=found, html=True)["attachments"]]


@pytest.mark.django_db
def test_another_persons_dossier_is_a_404_whatever_its_pieces():
    dossier = file_renewal()
    with pytest.raises(Http404):
        selectors.dossier_page_get_for_user(user=UserFactory(), pk=dossier.pk)
    with pytest.raises(Http404):
        selectors.dossier_page_get_for_user(user=dossier.applicant, pk=dossier.pk + 1000)


def _document(dossier, n: int, **fields):
    values = {"kind": "filing_receipt", "number": f"ANEF-P-{n:08d}", "verification_code": f"PAGE{n:06d}",
              "holder": dossier.applicant, "holder_name": "Awa <Ndiaye>", "subject_type": "applications.dossier",
              "subject_id": str(dossier.pk), "template": "documents/pdf/filing_receipt.html", **fields}
    return IssuedDocument.objects.create(**values)


@pytest.mark.django_db
def test_the_documents_read_with_the_dossier_are_what_their_query_gives():
    """``_PageDocuments``' JSON, made into instances, equals ``_DOSSIER_DOCUMENTS``' rows on the
    fields the page shows: instants to the microsecond, null and set dates, a file or none; newest
    issue first. Another dossier's documents, or another kind of subject with the same id, are not
    taken."""
    from documents.models import DocumentStatus

    dossier = file_renewal()
    other = file_renewal()
    now = timezone.now().replace(microsecond=123456)
    successor = _document(dossier, 1, kind="extension_certificate", valid_from=date(2026, 3, 1),
                          valid_until=date(2026, 6, 1), issued_at=now - timedelta(days=1), file="documents/x.pdf",
                          rendered_at=now)
    _document(dossier, 2, kind="extension_certificate", valid_from=date(2026, 1, 1), valid_until=date(2026, 3, 31),
              status=DocumentStatus.SUPERSEDED, superseded_by=successor, superseded_on=date(2026, 3, 1),
              issued_at=now - timedelta(days=40))
    _document(dossier, 3, issued_at=now - timedelta(seconds=1), revoked_at=now)
    _document(other, 4)
    _document(dossier, 5, subject_type="appointments.booking")
    applicant = dossier.applicant
    for language in ("fr", "en"):
        with translation.override(language):
            found, _attachments = selectors.dossier_page_get_for_user(user=applicant, pk=dossier.pk)
            with CaptureQueriesContext(connection) as captured:
                documents = selectors.dossier_page_data(dossier=found, html=True)["documents"]
            assert not any('"documents_issueddocument"' in query["sql"] for query in captured.captured_queries)
            expected = selectors._DOSSIER_DOCUMENTS.build(subject_type="applications.dossier",
                                                          subject_id=str(dossier.pk))
            assert len(documents) == len(expected) >= 4  # with the filing receipt
            shown = ("pk", "kind", "number", "issued_at", "rendered_at", "status", "superseded_on", "valid_from",
                     "valid_until")
            assert [[getattr(d, name) for name in shown] + [d.file.name, d.is_rendered] for d in documents] == [
                [getattr(d, name) for name in shown] + [d.file.name, d.is_rendered] for d in expected]
            assert all(d.issued_at.tzinfo is not None for d in documents)


@pytest.mark.django_db
def test_the_pieces_read_with_the_dossier_come_in_their_order_whatever_the_statement_gives(monkeypatch):
    dossier = file_renewal()
    applicant = dossier.applicant
    expected = [a.pk for a in selectors._DOSSIER_PAGE_ATTACHMENTS(dossier_id=dossier.pk)]
    pair = selectors._USER_DOSSIER_PAGE_AND_ATTACHMENTS

    def reversed_pair(**values):
        ones, many = pair(**values)
        return ones, lambda: list(reversed(many()))

    monkeypatch.setattr(selectors, "_USER_DOSSIER_PAGE_AND_ATTACHMENTS", reversed_pair)
    _found, attachments = selectors.dossier_page_get_for_user(user=applicant, pk=dossier.pk)
    assert [a.pk for a in attachments()] == expected
