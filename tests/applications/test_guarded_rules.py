"""Rules that once had no test: each was removed in turn and the suite stayed green (issue 8).
Each test here goes through the service and, where a page exists, through the page."""

import os
from datetime import timedelta
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.models import Attachment, Dossier, DossierEvent, Status
from applications.services import (
    attachment_add,
    attachment_remove,
    biometrics_request,
    complements_answer,
    dossier_amend,
    dossier_withdraw,
    draft_abandon,
    draft_start,
    extension_grant,
)
from tests.applications.helpers import IDENTITY, pdf_file, situation
from tests.factories import DossierFactory, StaffFactory, UserFactory, prefecture, procedure

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return unescape(response.content.decode())


def passport_of(dossier):
    return dossier.procedure.requirements.select_related("document_type").first().document_type


def draft_with_a_piece(user=None):
    user = user or UserFactory()
    dossier, _ = draft_start(applicant=user, procedure=procedure("renouvellement-salarie"))
    attachment = attachment_add(dossier=dossier, document_type=passport_of(dossier), uploaded_file=pdf_file(),
                                by=user)
    return dossier, attachment


# --- An empty answer to a complement request ------------------------------------------------------

def test_an_empty_answer_to_a_complement_request_is_refused():
    dossier = DossierFactory(complements=True)

    with pytest.raises(ValidationError) as error:
        complements_answer(dossier=dossier, by=dossier.applicant, message="   ")

    assert "Ajoutez les documents demandés ou écrivez une réponse" in error.value.messages[0]
    dossier.refresh_from_db()
    assert dossier.status == Status.COMPLEMENTS_REQUESTED


def test_an_empty_answer_to_a_complement_request_is_refused_on_the_page(client):
    dossier = DossierFactory(complements=True)
    client.force_login(dossier.applicant)

    response = client.post(reverse("applications:complements", args=[dossier.pk]), {"message": ""}, follow=True)

    assert "Ajoutez les documents demandés ou écrivez une réponse avant d'envoyer." in html(response)
    dossier.refresh_from_db()
    assert dossier.status == Status.COMPLEMENTS_REQUESTED
    assert not DossierEvent.objects.filter(dossier=dossier, kind="complements_answered").exists()


def test_a_too_long_answer_is_shown_again_with_its_message_and_nothing_is_lost(client):
    # Regression: a form error here redirected to the dossier page silently, losing the text.
    dossier = DossierFactory(complements=True)
    client.force_login(dossier.applicant)
    text = "Voici mes explications. " * 100  # 2,400 characters

    response = client.post(reverse("applications:complements", args=[dossier.pk]), {"message": text})

    assert response.status_code == 400
    page = html(response)
    assert "2000 caractères" in page
    assert text.strip() in page
    dossier.refresh_from_db()
    assert dossier.status == Status.COMPLEMENTS_REQUESTED


def test_a_piece_sent_after_the_request_is_an_answer_without_a_message(mails):
    dossier = DossierFactory(complements=True)
    with mails():
        attachment_add(dossier=dossier, document_type=passport_of(dossier), uploaded_file=pdf_file(),
                       by=dossier.applicant)
        complements_answer(dossier=dossier, by=dossier.applicant, message="")
    dossier.refresh_from_db()
    assert dossier.status == Status.UNDER_REVIEW


# --- Uploads to a closed or withdrawn dossier -----------------------------------------------------

@pytest.mark.parametrize("status", ["withdrawn", "closed_without_action", "decided_unfavourable"])
def test_no_upload_to_a_closed_or_withdrawn_dossier(client, status):
    dossier = DossierFactory(status=status)
    passport = passport_of(dossier)
    with pytest.raises(ValidationError) as error:
        attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file(), by=dossier.applicant)
    assert error.value.messages == ["Ce dossier est clos : vous ne pouvez plus y ajouter de pièce."]
    client.force_login(dossier.applicant)

    response = client.post(reverse("applications:upload", args=[dossier.pk, passport.pk]),
                           {f"t{passport.pk}-file": pdf_file()}, follow=True)

    assert "Ce dossier est clos : vous ne pouvez plus y ajouter de pièce." in html(response)
    assert not Attachment.objects.filter(dossier=dossier).exists()


# --- Removing an attachment -----------------------------------------------------------------------

def test_a_piece_of_a_filed_dossier_cannot_be_removed(client):
    dossier = DossierFactory(status="submitted")
    attachment = attachment_add(dossier=dossier, document_type=passport_of(dossier), uploaded_file=pdf_file(),
                                by=dossier.applicant)
    with pytest.raises(ValidationError) as refusal:
        attachment_remove(attachment=attachment, by=dossier.applicant)
    assert refusal.value.messages == ["Une pièce d'une demande envoyée ne peut plus être retirée ; vous pouvez en "
                                      "envoyer une nouvelle version."]
    client.force_login(dossier.applicant)

    response = client.post(reverse("applications:attachment_remove", args=[dossier.pk, attachment.pk]), follow=True)

    assert "Une pièce d'une demande envoyée ne peut plus être retirée" in html(response)
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert os.path.exists(attachment.file.path)


def test_a_piece_of_a_draft_is_removed_with_its_file(client, django_capture_on_commit_callbacks):
    dossier, attachment = draft_with_a_piece()
    path = attachment.file.path
    client.force_login(dossier.applicant)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("applications:attachment_remove", args=[dossier.pk, attachment.pk]),
                               follow=True)

    assert "Le fichier est retiré." in html(response)
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not os.path.exists(path)


def test_removing_a_piece_through_the_service_deletes_its_file(django_capture_on_commit_callbacks):
    dossier, attachment = draft_with_a_piece()
    path = attachment.file.path
    with django_capture_on_commit_callbacks(execute=True):
        attachment_remove(attachment=attachment, by=dossier.applicant)
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not os.path.exists(path)


# --- What an applicant may amend after filing -----------------------------------------------------

def filed_with_answers():
    return DossierFactory(status="submitted", answers={"identity": dict(IDENTITY), "situation": situation(),
                                                       "questions": {"employeur": "ACME"}})


@pytest.mark.parametrize(("section", "field"), [("situation", "department"), ("questions", "employeur"),
                                                ("identity", "email")])
def test_only_the_listed_answers_can_be_amended_after_filing(client, section, field):
    dossier = filed_with_answers()
    before = dossier.answers
    with pytest.raises(ValidationError):
        dossier_amend(dossier=dossier, by=dossier.applicant, step=section, field=field, value="33")
    client.force_login(dossier.applicant)
    url = reverse("applications:amend", args=[dossier.pk, section, field])

    assert client.get(url).status_code == 404
    assert client.post(url, {"value": "33"}).status_code == 404
    dossier.refresh_from_db()
    assert dossier.answers == before
    assert not DossierEvent.objects.filter(dossier=dossier, kind="amended").exists()


def test_an_applicant_amends_a_listed_answer_through_the_page(client):
    dossier = filed_with_answers()
    client.force_login(dossier.applicant)
    url = reverse("applications:amend", args=[dossier.pk, "situation", "phone"])

    assert "Téléphone mobile" in html(client.get(url))
    response = client.post(url, {"value": "06 01 02 03 04"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("applications:dossier", args=[dossier.pk])
    assert "Votre correction est enregistrée et apparaît dans l'historique." in html(response)
    dossier.refresh_from_db()
    assert dossier.answers["situation"]["phone"] == "06 01 02 03 04"


def test_a_decided_dossier_can_no_longer_be_amended_through_the_page(client):
    dossier = DossierFactory(status="decided_favourable", answers={"situation": situation()})
    client.force_login(dossier.applicant)

    response = client.post(reverse("applications:amend", args=[dossier.pk, "situation", "phone"]),
                           {"value": "06 01 02 03 04"})

    assert response.status_code == 200
    assert "Une fois la décision prise, les réponses ne peuvent plus être corrigées." in html(response)
    dossier.refresh_from_db()
    assert dossier.answers["situation"]["phone"] == ""


# --- The prefecture check of extension_grant ------------------------------------------------------

def test_an_agent_of_another_prefecture_cannot_grant_an_extension():
    dossier = DossierFactory(status="under_review", filed_on_time=False, prefecture=prefecture("33"))

    with pytest.raises(PermissionDenied):
        extension_grant(dossier=dossier, by=StaffFactory(), reason="Hospitalisation.")  # an agent of the Rhône

    dossier.refresh_from_db()
    assert dossier.extension_granted is False
    assert not DossierEvent.objects.filter(dossier=dossier, kind="extension_granted").exists()


# --- Files of an abandoned draft -------------------------------------------------------------------

def test_abandoning_a_draft_through_the_page_deletes_its_files(client, django_capture_on_commit_callbacks):
    dossier, attachment = draft_with_a_piece()
    path = attachment.file.path
    client.force_login(dossier.applicant)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("applications:abandon", args=[dossier.pk]))

    assert response["Location"] == reverse("applications:catalogue")
    assert not Dossier.objects.filter(pk=dossier.pk).exists()
    assert not os.path.exists(path)


def test_abandoning_a_draft_keeps_its_files_until_the_commit(django_capture_on_commit_callbacks):
    dossier, attachment = draft_with_a_piece()
    path = attachment.file.path
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        draft_abandon(dossier=dossier, by=dossier.applicant)
    assert os.path.exists(path)  # a rollback would still find them
    for callback in callbacks:
        callback()
    assert not os.path.exists(path)


# --- The withdrawal reason -------------------------------------------------------------------------

def test_the_withdrawal_reason_is_stored(mails):
    dossier = DossierFactory(status="submitted")
    with mails():
        dossier_withdraw(dossier=dossier, by=dossier.applicant, reason="  Je quitte la France.  ")
    event = DossierEvent.objects.get(dossier=dossier, kind="withdrawn")
    assert event.data == {"reason": "Je quitte la France."}


def test_the_withdrawal_reason_given_on_the_page_shows_in_the_history(client, mails):
    dossier = DossierFactory(status="under_review")
    client.force_login(dossier.applicant)
    with mails():
        response = client.post(reverse("applications:withdraw", args=[dossier.pk]),
                               {"reason": "J'ai obtenu la nationalité française.", "confirm": "on"}, follow=True)

    assert "Votre demande est retirée." in html(response)
    assert "J'ai obtenu la nationalité française." in html(response)
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWN
    assert DossierEvent.objects.get(dossier=dossier, kind="withdrawn").data["reason"] == \
        "J'ai obtenu la nationalité française."


# --- The "already convoked" branch of the biometrics action --------------------------------------

def biometrics_slots(dossier, count=2):
    from appointments.models import Desk, Motive, Slot

    motive = Motive.objects.get(code=Motive.Code.BIOMETRICS)
    desk = Desk.objects.create(site=dossier.prefecture.sites.first(), name="Guichet biométrie")
    desk.motives.add(motive)
    # Ten days ahead: beyond the minimum notice of an automatic convocation (3 working days).
    first = (timezone.now() + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    return [Slot.objects.create(desk=desk, motive=motive, starts_at=first + timedelta(minutes=15 * n),
                                ends_at=first + timedelta(minutes=15 * (n + 1)), capacity=1)
            for n in range(count)]


def test_a_second_biometrics_convocation_is_refused_as_already_convoked(mails):
    agent = StaffFactory()
    dossier = DossierFactory(status="under_review")
    biometrics_slots(dossier)  # a free slot remains after the first convocation
    with mails():
        biometrics_request(dossier=dossier, by=agent)

    with pytest.raises(ValidationError) as error:
        biometrics_request(dossier=dossier, by=agent)

    assert error.value.code == "already_convoked"
    assert DossierEvent.objects.filter(dossier=dossier, kind="biometrics_requested").count() == 1


def test_a_second_biometrics_convocation_is_refused_on_the_file_page(client, mails):
    from tests.backoffice.conftest import sign_in

    agent = StaffFactory(with_totp=True)
    dossier = DossierFactory(status="under_review")
    biometrics_slots(dossier)
    sign_in(client, agent)
    url = reverse("backoffice_instruction:biometrics", args=[dossier.pk])
    with mails():
        assert client.post(url).status_code == 302

    response = client.post(url)

    assert response.status_code == 200
    assert "Le demandeur est déjà convoqué pour le relevé d'empreintes." in html(response)
    assert DossierEvent.objects.filter(dossier=dossier, kind="biometrics_requested").count() == 1


# --- Document types: only those the procedure asks for (issue 10: the check moved into services) --

def not_asked_of(dossier):
    """A document type of the catalogue that this dossier's procedure does not ask for."""
    from applications.models import DocumentType

    return DocumentType.objects.exclude(procedures=dossier.procedure).first()


def test_a_file_of_a_document_type_the_procedure_does_not_ask_for_is_refused(mails):
    dossier = DossierFactory(status="under_review")
    with pytest.raises(ValidationError) as error, mails():
        attachment_add(dossier=dossier, document_type=not_asked_of(dossier), uploaded_file=pdf_file(),
                       by=dossier.applicant)
    assert error.value.messages == ["Cette pièce n'est pas demandée pour cette démarche."]
    assert not Attachment.objects.filter(dossier=dossier).exists()
    assert not DossierEvent.objects.filter(dossier=dossier).exists()


def test_complements_ask_only_for_document_types_of_the_procedure(mails):
    from applications.models import ComplementRequest
    from applications.services import complements_request

    dossier = DossierFactory(status="under_review")
    agent = StaffFactory(role__code=dossier.prefecture.department.code)
    with pytest.raises(ValidationError) as error, mails():
        complements_request(dossier=dossier, by=agent, document_types=[passport_of(dossier), not_asked_of(dossier)],
                            message="", due_on=timezone.localdate() + timedelta(days=10))
    assert error.value.message_dict == {
        "document_types": ["Choisissez les pièces parmi celles que demande cette démarche."]}
    dossier.refresh_from_db()
    assert dossier.status == Status.UNDER_REVIEW
    assert not ComplementRequest.objects.filter(dossier=dossier).exists()
