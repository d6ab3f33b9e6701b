"""Dates, versions and file names the filing form must bound (issue 8, item 8): a typing error is a
message next to its field, never a stored answer or a silent cut."""

from datetime import timedelta
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.forms import QuestionsForm
from applications.models import Attachment, Procedure, Status
from applications.rules import MAX_PIECE_VERSIONS
from applications.services import attachment_add, complements_request, dossier_amend, draft_start
from tests.applications.helpers import IDENTITY, pdf_file
from tests.factories import DossierFactory, StaffFactory, UserFactory, procedure

pytestmark = pytest.mark.django_db

BIRTH_MESSAGE = "Indiquez une date de naissance comprise entre le 01/01/1900 et aujourd'hui."


def html(response) -> str:
    return unescape(response.content.decode())


@pytest.mark.parametrize("birth_date", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_an_impossible_birth_date_is_refused_on_the_identity_step(client, birth_date):
    user = UserFactory()
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    client.force_login(user)

    response = client.post(reverse("applications:step", args=[dossier.pk, "identity"]),
                           {**IDENTITY, "birth_date": birth_date})

    assert response.status_code == 200
    assert BIRTH_MESSAGE in html(response)
    dossier.refresh_from_db()
    assert "identity" not in dossier.answers


def test_tomorrow_is_no_birth_date_but_today_and_1900_are(client):
    user = UserFactory()
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    client.force_login(user)
    url = reverse("applications:step", args=[dossier.pk, "identity"])
    tomorrow = timezone.localdate() + timedelta(days=1)

    assert BIRTH_MESSAGE in html(client.post(url, {**IDENTITY, "birth_date": tomorrow.isoformat()}))
    assert client.post(url, {**IDENTITY, "birth_date": "1900-01-01"}).status_code == 302


@pytest.mark.parametrize("value", ["0001-01-01", "31/12/9999", "hier"])
def test_a_birth_date_corrected_after_filing_is_a_real_date(client, value):
    dossier = DossierFactory(status="submitted", answers={"identity": dict(IDENTITY)})
    with pytest.raises(ValidationError):
        dossier_amend(dossier=dossier, by=dossier.applicant, step="identity", field="birth_date", value=value)
    client.force_login(dossier.applicant)

    response = client.post(reverse("applications:amend", args=[dossier.pk, "identity", "birth_date"]),
                           {"value": value})

    assert response.status_code == 200
    dossier.refresh_from_db()
    assert dossier.answers["identity"]["birth_date"] == IDENTITY["birth_date"]


def test_a_birth_date_corrected_as_people_write_it_is_stored_as_the_form_stores_it():
    dossier = DossierFactory(status="submitted", answers={"identity": dict(IDENTITY)})
    dossier_amend(dossier=dossier, by=dossier.applicant, step="identity", field="birth_date", value="03/02/1990")
    dossier.refresh_from_db()
    assert dossier.answers["identity"]["birth_date"] == "1990-02-03"


@pytest.mark.parametrize("answer", ["0001-01-01", "9999-12-31"])
def test_a_date_question_refuses_a_date_out_of_range(answer):
    questions = [{"code": "entree", "label": "Date d'entrée en France", "kind": "date", "required": True}]
    form = QuestionsForm({"entree": answer}, procedure=Procedure(questions=questions))

    assert not form.is_valid()
    assert form.errors["entree"][0].startswith("Indiquez une date comprise entre le 01/01/1900 et le 31/12/")


def question_form(answer: str) -> QuestionsForm:
    questions = [{"code": "entree", "label": "Date d'entrée en France", "kind": "date", "required": True}]
    return QuestionsForm({"entree": answer}, procedure=Procedure(questions=questions))


def test_a_date_question_takes_both_ends_of_its_range_and_refuses_the_days_beyond():
    last_day = f"{timezone.localdate().year + 10}-12-31"
    for answer in ("1900-01-01", last_day, timezone.localdate().isoformat()):
        assert question_form(answer).is_valid(), answer
    for answer in ("1899-12-31", f"{timezone.localdate().year + 11}-01-01"):
        form = question_form(answer)
        assert not form.is_valid()
        assert form.errors.as_data()["entree"][0].code == "date_out_of_range"
        assert form.errors["entree"] == [f"Indiquez une date comprise entre le 01/01/1900 et le 31/12/{last_day[:4]}."]


def test_a_complement_deadline_further_than_a_year_is_refused(client):
    agent = StaffFactory()
    dossier = DossierFactory(status="under_review")
    with pytest.raises(ValidationError) as error:
        complements_request(dossier=dossier, by=agent, document_types=[], message="Passeport illisible.",
                            due_on=timezone.localdate() + timedelta(days=366))
    assert error.value.message_dict == {"due_on": ["La date limite ne peut pas dépasser un an."]}
    dossier.refresh_from_db()
    assert dossier.status == Status.UNDER_REVIEW


# --- Versions of a piece after filing ----------------------------------------------------------

def test_a_filed_dossier_takes_a_limited_number_of_versions_of_a_piece(client):
    dossier = DossierFactory(status="submitted")
    passport = dossier.procedure.requirements.first().document_type
    for n in range(MAX_PIECE_VERSIONS):
        attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file(f"v{n}.pdf"),
                       by=dossier.applicant)
    with pytest.raises(ValidationError) as error:
        attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file("encore.pdf"),
                       by=dossier.applicant)
    assert error.value.code == "too_many_versions"
    client.force_login(dossier.applicant)

    response = client.post(reverse("applications:upload", args=[dossier.pk, passport.pk]),
                           {f"t{passport.pk}-file": pdf_file("encore.pdf")}, follow=True)

    assert f"Vous avez déjà envoyé {MAX_PIECE_VERSIONS} versions de cette pièce, le maximum." in html(response)
    assert Attachment.objects.filter(dossier=dossier, document_type=passport).count() == MAX_PIECE_VERSIONS
    assert Attachment.objects.get(dossier=dossier, document_type=passport, is_current=True).original_name == \
        f"v{MAX_PIECE_VERSIONS - 1}.pdf"


def test_a_draft_replaces_its_piece_as_often_as_needed():
    user = UserFactory()
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    passport = dossier.procedure.requirements.first().document_type
    for n in range(MAX_PIECE_VERSIONS + 2):
        attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file(f"v{n}.pdf"), by=user)
    assert Attachment.objects.filter(dossier=dossier, document_type=passport).count() == 1


# --- File names ----------------------------------------------------------------------------------

def test_a_300_character_file_name_is_refused_with_the_name_too_long_message(client):
    user = UserFactory()
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    passport = dossier.procedure.requirements.first().document_type
    client.force_login(user)

    response = client.post(reverse("applications:upload", args=[dossier.pk, passport.pk]),
                           {f"t{passport.pk}-file": pdf_file("a" * 296 + ".pdf")}, follow=True)

    assert "Le nom de ce fichier est trop long" in html(response)
    assert not Attachment.objects.filter(dossier=dossier).exists()
