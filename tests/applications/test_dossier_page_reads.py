"""Issue 17, third round: the applicant's dossier page reads the dossier and its pieces in one
statement (``selectors.dossier_page_get_for_user``, a ``core.prepared.PreparedPair``). It must give
what each query gives on its own, and nothing about another person's dossier."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from applications import selectors
from applications.models import Attachment
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
            assert len(captured) == 1
            assert as_rows([found]) == as_rows(selectors._USER_DOSSIER_PAGE.build(
                pk=dossier.pk, user_id=dossier.applicant_id))
            assert as_rows(pieces) == as_rows(selectors._DOSSIER_PAGE_ATTACHMENTS.build(dossier_id=dossier.pk))
            # the page's data reads them from the maker, not a second time
            with CaptureQueriesContext(connection) as captured:
                data = selectors.dossier_page_data(dossier=found, html=True, attachments=lambda: pieces)
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
