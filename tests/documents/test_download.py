"""Downloading an issued PDF: the holder only (or staff a hook allows), as an attachment."""

import pytest
from django.urls import reverse

from documents import selectors
from documents.models import DocumentKind
from documents.services import document_issue
from tests.backoffice.conftest import sign_in
from tests.documents.support import RECEIPT_TEMPLATE, receipt_context
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_holder_downloads_the_pdf_as_an_attachment(client, holder, issue_receipt):
    document = issue_receipt(holder)
    client.force_login(holder)

    response = client.get(reverse("documents:download", args=[document.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.number}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_another_applicant_gets_404(client, holder, issue_receipt):
    document = issue_receipt(holder)
    client.force_login(UserFactory())

    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 404
    assert client.get(reverse("documents:download", args=[document.pk + 1000])).status_code == 404


def test_anonymous_is_sent_to_the_login_page(client, holder, issue_receipt):
    document = issue_receipt(holder)
    url = reverse("documents:download", args=[document.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=" in response["Location"]


def test_a_document_not_yet_rendered_shows_a_page_to_come_back_to(client, holder):
    # Without running the after-commit callbacks, the rendering task has not run.
    document = document_issue(
        kind=DocumentKind.FILING_RECEIPT, holder=holder, subject=holder,
        template=RECEIPT_TEMPLATE, context=receipt_context(),
    )
    client.force_login(holder)

    response = client.get(reverse("documents:download", args=[document.pk]))

    assert response.status_code == 202
    page = response.content.decode()
    assert "en cours de préparation" in page
    assert reverse("documents:download", args=[document.pk]) in page


def test_staff_access_comes_only_from_registered_checks(client, holder, issue_receipt, monkeypatch):
    document = issue_receipt(holder)
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)  # password and code: staff power needs the second factor
    url = reverse("documents:download", args=[document.pk])
    assert client.get(url).status_code == 404

    monkeypatch.setattr(selectors, "STAFF_ACCESS_CHECKS", [lambda user, doc: user.pk == agent.pk])

    assert client.get(url).status_code == 200
