"""Filing a renewal through the API calls the same services as the filing pages."""

import pytest

from applications.models import Dossier, DossierEvent, Status
from tests.applications.helpers import IDENTITY, pdf_file, renewable_permit, situation
from tests.backoffice.conftest import EPHOTO, STAMP

pytestmark = pytest.mark.django_db


def test_a_renewal_filed_end_to_end(applicant, api):
    permit = renewable_permit(applicant)
    created = api.post("/api/v1/dossiers/", {"procedure": "renouvellement-salarie"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert api.post("/api/v1/dossiers/", {"procedure": "renouvellement-salarie"}, format="json").status_code == 200
    for step in created.json()["steps"]:
        if step == "eligibility":
            answers = {"titre_meme_motif": "yes"}
        elif step == "identity":
            answers = IDENTITY
        elif step == "situation":
            answers = situation(permit)
        elif step == "questions":
            answers = {"employeur": "ACME", "type_contrat": "CDI"}
        else:
            continue
        response = api.put(f"/api/v1/dossiers/{pk}/steps/{step}/", {"answers": answers}, format="json")
        assert response.status_code == 200, response.json()
    detail = api.get(f"/api/v1/dossiers/{pk}/").json()
    assert detail["prefecture"]
    refused = api.post(f"/api/v1/dossiers/{pk}/submit/", {"certify": True, "tax_stamp_number": STAMP,
                                                          "ephoto_code": EPHOTO}, format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"]["__all__"]
    for requirement in detail["requirements"]:
        if requirement["required"]:
            response = api.post(f"/api/v1/dossiers/{pk}/attachments/",
                                {"document_type": requirement["document_type"], "file": pdf_file()},
                                format="multipart")
            assert response.status_code == 201, response.json()
    filed = api.post(f"/api/v1/dossiers/{pk}/submit/", {"certify": True, "tax_stamp_number": STAMP,
                                                        "ephoto_code": EPHOTO}, format="json")
    assert filed.status_code == 200, filed.json()
    assert filed.json()["status"] == Status.SUBMITTED
    assert filed.json()["reference"]
    dossier = Dossier.objects.get(pk=pk)
    assert dossier.renewed_permit == permit
    kinds = [e["kind"] for e in api.get(f"/api/v1/dossiers/{pk}/timeline/").json()]
    assert DossierEvent.Kind.SUBMITTED in kinds


def test_wrong_answers_come_back_by_field_with_their_codes(applicant, api):
    pk = api.post("/api/v1/dossiers/", {"procedure": "renouvellement-salarie"}, format="json").json()["id"]
    response = api.put(f"/api/v1/dossiers/{pk}/steps/identity/", {"answers": {**IDENTITY, "birth_date": "x"}},
                       format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["birth_date"]
    assert body["fields"]["birth_date"][0]["code"] == "invalid"
