"""Issue 9, item 6: in English, procedure names, "Pour qui", questions, document names and help
texts stayed French. The catalogue is translated per field (edited in the admin), the questions
inside their JSON, and the whole demo catalogue has its English."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Role
from applications.models import DocumentType, Procedure
from documents.models import IssuedDocument
from tests.applications.test_filing import EPHOTO, filled_renewal
from tests.factories import PASSWORD, StaffFactory, UserFactory, tax_stamp, totp_code

pytestmark = pytest.mark.django_db


def in_english(client, url):
    client.post(reverse("set_language"), {"language": "en", "next": url})
    response = client.get(url)
    assert '<html lang="en"' in response.content.decode()
    return response


def test_the_whole_demo_catalogue_has_its_english():
    for document_type in DocumentType.objects.all():
        assert document_type.name_en and document_type.help_text_en, document_type.code
    for procedure in Procedure.objects.all():
        assert procedure.name_en and procedure.audience_en and procedure.help_en, procedure.code
        for question in procedure.eligibility:
            assert question["text_en"] and question["message_en"], (procedure.code, question["code"])
        for question in procedure.questions:
            assert question["label_en"], (procedure.code, question["code"])
            assert len(question.get("choices_en", [])) == len(question.get("choices", [])), question["code"]


def test_the_catalogue_page_reads_in_english(client):
    html = in_english(client, reverse("applications:catalogue")).content.decode().replace("&#x27;", "'")

    assert "Renewal of the “Employee” residence permit" in html
    assert "You work in France under an employment contract." in html  # "Pour qui"
    assert "Do you hold a residence permit on these grounds, valid or expired for less than a year?" in html
    assert "Proof of address less than 6 months old" in html
    assert "Renouvellement du titre de séjour" not in html
    assert "Justificatif de domicile" not in html


def test_the_filing_steps_ask_their_questions_in_english_and_store_the_french_choice(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("applications:start", args=["renouvellement-salarie"]))
    dossier = user.dossiers.get()

    html = in_english(client, reverse("applications:step", args=[dossier.pk, "eligibility"])).content.decode()
    assert "Do you hold a residence permit on these grounds" in html

    # "No" rules the procedure out: the message says why, in English.
    response = client.post(reverse("applications:step", args=[dossier.pk, "eligibility"]), {"titre_meme_motif": "no"})
    assert "Without a permit on these grounds, you must make a first application" in response.content.decode()

    dossier.answers = {**dossier.answers, "eligibility": {"titre_meme_motif": "yes"}, "identity": {}, "situation": {}}
    dossier.save(update_fields=["answers"])
    html = client.get(reverse("applications:step", args=[dossier.pk, "questions"])).content.decode()
    assert "Name of your employer" in html and "Type of contract" in html
    assert '<option value="CDI">Permanent (CDI)</option>' in html
    client.post(reverse("applications:step", args=[dossier.pk, "questions"]),
                {"employeur": "ACME", "type_contrat": "CDI"})
    dossier.refresh_from_db()
    assert dossier.answers["questions"] == {"employeur": "ACME", "type_contrat": "CDI"}

    html = client.get(reverse("applications:step", args=[dossier.pk, "documents"])).content.decode()
    assert "Last three payslips" in html and "Together in a single PDF file." in html


def test_an_untranslated_text_falls_back_to_french(client):
    procedure = Procedure.objects.get(code="changement-adresse")
    procedure.name_en = ""
    procedure.save()
    html = in_english(client, reverse("applications:catalogue")).content.decode().replace("&#x27;", "'")
    assert "Changement d'adresse" in html


def test_the_filing_receipt_names_the_procedure_in_french_when_filed_in_english(mails):
    from applications.services import dossier_submit

    user = UserFactory(preferred_language="en")
    dossier = filled_renewal(user)
    with translation.override("en"), mails():
        dossier_submit(dossier=dossier, by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO)

    receipt = IssuedDocument.objects.get(subject_id=str(dossier.pk), kind="filing_receipt")
    assert receipt.context["procedure"] == "Renouvellement du titre de séjour « Salarié »"
    assert "Passeport (pages d'identité et de validité)" in receipt.context["documents"]


def test_an_administrator_edits_the_english_of_a_procedure_in_the_admin(client):
    administrator = StaffFactory(role=Role.ADMINISTRATOR, with_totp=True)
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    client.post(reverse("accounts:login"), {"username": administrator.email, "password": PASSWORD})
    client.post(reverse("accounts:totp_verify"), {"code": totp_code()})
    procedure = Procedure.objects.get(code="changement-adresse")

    html = client.get(reverse("admin:applications_procedure_change", args=[procedure.pk])).content.decode()

    for field in ("name_fr", "name_en", "audience_en", "help_en"):
        assert f'name="{field}"' in html
    assert 'name="name"' not in html  # one field per language, not a third copy to keep in step
    html = client.get(reverse("admin:applications_documenttype_change",
                              args=[DocumentType.objects.get(code="passeport").pk])).content.decode()
    assert 'name="name_en"' in html and 'name="help_text_en"' in html
