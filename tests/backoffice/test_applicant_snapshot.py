"""One applicant snapshot: the filing receipt, the certificate, their /verifier/ page and the
back-office name the same person the same way (``applications.selectors.applicant_snapshot``)."""

from datetime import date

import pytest
from django.urls import reverse

from applications.services import dossier_decide
from documents.models import DocumentKind, IssuedDocument
from documents.selectors import document_verification_facts
from tests.backoffice.conftest import file_renewal
from tests.factories import StaffFactory, UserFactory, biometrics_taken

pytestmark = pytest.mark.django_db


def issued(dossier, kind):
    return IssuedDocument.objects.get(subject_type="applications.dossier", subject_id=str(dossier.pk), kind=kind)


def test_receipt_certificate_and_file_page_name_the_applicant_alike(agent_client, instructor, mails):
    """Three copies disagreed: the receipt took a foreigner number left blank in the identity step
    over the account's, and the back-office wrote "DIALLO Amina" where the PDFs wrote "Amina DIALLO"."""
    applicant = UserFactory(first_name="Awa", last_name="Ndiaye", foreigner_number="9876543210")
    with mails():
        dossier = file_renewal(applicant=applicant, first_name="Amina", last_name="Diallo", foreigner_number="")
        type(dossier).objects.filter(pk=dossier.pk).update(status="under_review")
        dossier.refresh_from_db()
        biometrics_taken(dossier)
        dossier_decide(dossier=dossier, by=StaffFactory(), outcome="decided_favourable")

    receipt_document = issued(dossier, DocumentKind.FILING_RECEIPT)
    certificate_document = issued(dossier, DocumentKind.FAVOURABLE_DECISION)
    receipt, certificate = receipt_document.context["applicant"], certificate_document.context["applicant"]
    page = agent_client.get(reverse("backoffice_instruction:dossier", args=[dossier.pk])).content.decode()

    expected = {"name": "Amina DIALLO", "birth_date": "1990-03-02", "foreigner_number": "9876543210"}
    assert receipt == certificate == expected
    assert "Amina DIALLO – " in page
    # /verifier/ names the holder as the paper does, not as the account does ("Awa NDIAYE").
    for document in (receipt_document, certificate_document):
        facts = document_verification_facts(document=document)
        assert (facts.holder_name, facts.holder_birth_date) == ("Amina DIALLO", date(1990, 3, 2))
