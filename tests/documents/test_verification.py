"""The public verification page: by code, by the PDF's QR code; what it says and what it never says."""

import datetime
import html
import re
import subprocess

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pyzbar.pyzbar import decode

from documents.models import DocumentKind
from documents.services import document_issue, document_revoke
from documents.views import VERIFY_LOOKUP_LIMIT
from tests.documents.support import RECEIPT_TEMPLATE, receipt_context

pytestmark = pytest.mark.django_db

VERIFY = reverse("documents:verify")
NOT_FOUND = "Aucun document ne correspond à ce code. Vérifiez la saisie."
REJECTED = "Ce QR code n'a pas été émis par l'administration ou a été modifié."


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _qr_url_on_page_one(document, tmp_path) -> str:
    pdf = tmp_path / "document.pdf"
    with document.file.open("rb") as handle:
        pdf.write_bytes(handle.read())
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    [page] = tmp_path.glob("page*.png")
    symbols = decode(Image.open(page))
    assert len(symbols) == 1
    return symbols[0].data.decode()


def _assert_only_public_facts(page: str) -> None:
    """The page names the holder and their birth date, and nothing else about them."""
    for private in ("0123456789", "sénégalaise", "Lilas", "69003", "Lyon", "DOS-2026-000042",
                    "Passeport", "@example.org"):
        assert private not in page, private


def test_the_qr_code_leads_to_a_page_saying_the_document_is_genuine(client, holder, issue_receipt, tmp_path):
    document = issue_receipt(holder)

    url = _qr_url_on_page_one(document, tmp_path)

    assert url.startswith(settings.SITE_URL)
    path = url.removeprefix(settings.SITE_URL)
    assert re.fullmatch(r"/verifier/q/[^/]+/", path)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    page = _page(response)
    assert "Document authentique" in page
    assert "Attestation de dépôt" in page
    assert document.number in page
    assert "Awa NDIAYE" in page
    assert "12 avril 1990" in page
    assert "sans durée de validité" in page
    assert "Ce document n'est pas un titre de séjour." in page
    _assert_only_public_facts(page)


def test_a_tampered_qr_token_is_rejected(client, holder, issue_receipt, tmp_path):
    document = issue_receipt(holder)
    token = _qr_url_on_page_one(document, tmp_path).rstrip("/").rsplit("/", 1)[1]
    signed, signature = token.rsplit(":", 1)
    position = len(signed) // 2
    replacement = "A" if signed[position] != "A" else "B"
    forged = signed[:position] + replacement + signed[position + 1:] + ":" + signature

    response = client.get(reverse("documents:verify_token", args=[forged]))

    assert response.status_code == 400
    page = _page(response)
    assert REJECTED in page
    assert document.number not in page
    assert client.get(reverse("documents:verify_token", args=["not-a-token"])).status_code == 400


def test_a_code_typed_in_lower_case_without_the_dash_is_found(client, holder, issue_receipt):
    document = issue_receipt(holder)

    response = client.post(VERIFY, {"code": f"  {document.verification_code.lower()} "})

    assert response.status_code == 200
    page = _page(response)
    assert "Document authentique" in page
    assert document.number in page
    _assert_only_public_facts(page)
    dashed = client.post(VERIFY, {"code": document.verification_code_display.lower()})
    assert document.number in _page(dashed)


def test_an_unknown_code_says_so_and_a_malformed_one_explains_the_format(client, holder, issue_receipt):
    issue_receipt(holder)

    unknown = client.post(VERIFY, {"code": "ABCDE-23456"})
    malformed = client.post(VERIFY, {"code": "ABC-1"})

    assert NOT_FOUND in _page(unknown)
    assert "comporte 10 lettres et chiffres" in _page(malformed)
    assert "Document authentique" not in _page(unknown)


def test_lookups_are_limited_per_address(client, holder, issue_receipt):
    document = issue_receipt(holder)
    for _ in range(VERIFY_LOOKUP_LIMIT):
        assert client.post(VERIFY, {"code": "ABCDE-23456"}).status_code == 200

    response = client.post(VERIFY, {"code": document.verification_code})

    assert response.status_code == 429
    assert "Trop de codes ont été vérifiés depuis votre connexion" in _page(response)
    assert document.number not in _page(response)
    # Another address is not affected.
    other = client.post(VERIFY, {"code": document.verification_code}, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


def test_behind_a_proxy_the_limit_applies_to_the_client_address(client, settings, holder, issue_receipt):
    settings.CLIENT_IP_PROXY_COUNT = 1
    document = issue_receipt(holder)
    for _ in range(VERIFY_LOOKUP_LIMIT):
        client.post(VERIFY, {"code": "ABCDE-23456"}, HTTP_X_FORWARDED_FOR="198.51.100.1")

    # The client cannot escape by sending its own X-Forwarded-For entries: only the last counts.
    blocked = client.post(VERIFY, {"code": document.verification_code},
                          HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1")
    another_client = client.post(VERIFY, {"code": document.verification_code},
                                 HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert blocked.status_code == 429
    assert another_client.status_code == 200


def test_a_superseded_document_is_shown_as_replaced(client, holder, issue_receipt):
    old = issue_receipt(holder)
    issue_receipt(holder, supersedes=old)

    page = _page(client.post(VERIFY, {"code": old.verification_code}))

    assert "Document authentique, mais plus en vigueur" in page
    assert "remplacé par un document plus récent" in page


def test_revoked_expired_and_future_documents_are_shown_as_such(client, holder, issue_receipt):
    today = timezone.localdate()
    revoked = issue_receipt(holder)
    document_revoke(document=revoked, by=None, reason="Fraude")
    certificate = receipt_context(
        permit={"number": "TS1", "category": "Salarié", "valid_until": "2026-01-01"}, allows_work=True)
    expired = document_issue(
        kind=DocumentKind.EXTENSION_CERTIFICATE, holder=holder, subject=holder,
        template=RECEIPT_TEMPLATE, context=certificate,
        valid_from=today - datetime.timedelta(days=100), valid_until=today - datetime.timedelta(days=10),
    )
    future = document_issue(
        kind=DocumentKind.EXTENSION_CERTIFICATE, holder=holder, subject=holder,
        template=RECEIPT_TEMPLATE, context=certificate,
        valid_from=today + datetime.timedelta(days=5), valid_until=today + datetime.timedelta(days=95),
    )

    def status_of(document):
        return _page(client.post(VERIFY, {"code": document.verification_code}))

    assert "révoqué" in status_of(revoked)
    expired_page = status_of(expired)
    assert "expiré" in expired_page
    assert "Attestation de prolongation d" in expired_page
    assert "n'est pas un titre de séjour" not in expired_page
    assert "pas encore en vigueur" in status_of(future)


def test_the_verification_page_has_one_heading_and_a_labelled_field(client):
    page = _page(client.get(VERIFY))

    assert page.count("<h1") == 1
    assert re.search(r'<label class="fr-label" for="id_code">\s*Code de vérification', page)
