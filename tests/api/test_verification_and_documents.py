"""Public verification through the API says what /verifier/ says, under the same limit; the
holder's documents and messages."""

import pytest

from documents.views import VERIFY_LOOKUP_LIMIT
from tests.api.conftest import client_for, token_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def receipt(applicant, api, django_capture_on_commit_callbacks):
    from tests.api.test_filing import test_a_renewal_filed_end_to_end

    with django_capture_on_commit_callbacks(execute=True):  # the receipt's PDF is rendered after commit
        test_a_renewal_filed_end_to_end(applicant, api)
    return applicant.issued_documents.get(kind="filing_receipt")


def test_a_code_is_verified_with_the_minimal_facts(receipt):
    response = client_for(language="en").post("/api/v1/verify/", {"code": receipt.verification_code}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["found"] is True
    assert body["number"] == receipt.number
    assert body["holder_name"] == receipt.holder_name
    assert "address" not in str(body).lower()
    assert client_for().post("/api/v1/verify/", {"code": "ABCDE-23456"}, format="json").json() == {"found": False}


def test_a_malformed_code_is_a_validation_error_in_english():
    response = client_for(language="en").post("/api/v1/verify/", {"code": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["code"][0]["code"] == "format"
    assert "10" in response.json()["fields"]["code"][0]["message"]


def test_lookups_share_the_limit_of_the_verification_page(client):
    api = client_for()
    for _ in range(VERIFY_LOOKUP_LIMIT):
        assert api.post("/api/v1/verify/", {"code": "ABCDE-23456"}, format="json").status_code == 200
    refused = api.post("/api/v1/verify/", {"code": "ABCDE-23456"}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert client.post("/verifier/", {"code": "ABCDE-23456"}).status_code == 429


def test_the_holder_lists_and_downloads_their_documents(applicant, api, receipt):
    listed = api.get("/api/v1/documents/").json()["results"]
    assert [d["number"] for d in listed] == [receipt.number]
    response = api.get(f"/api/v1/documents/{receipt.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    stranger = client_for(token_for(UserFactory()))
    assert stranger.get(f"/api/v1/documents/{receipt.pk}/pdf/").status_code == 404
    assert stranger.get("/api/v1/documents/").json()["results"] == []
    messages = api.get("/api/v1/messages/").json()["results"]
    assert messages and all(m["subject"] for m in messages)
