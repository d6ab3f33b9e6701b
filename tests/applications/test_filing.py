"""From the catalogue to the filing receipt, through the services and HTTP."""

import os

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.formats import date_format

from applications import rules
from applications.models import Attachment, Dossier, DossierEvent, Status, search_name
from applications.services import (
    attachment_add,
    complements_answer,
    dossier_amend,
    dossier_submit,
    dossier_transition,
    dossier_withdraw,
    draft_abandon,
    draft_save_step,
    draft_start,
)
from documents.models import IssuedDocument
from tests.applications.helpers import IDENTITY, pdf_file, renewable_permit, situation
from tests.factories import DossierFactory, StaffFactory, UserFactory, procedure, tax_stamp

pytestmark = pytest.mark.django_db

RENEWAL = "renouvellement-salarie"
STAMP = "1234567890123456"
EPHOTO = "ABCDEFGHJK2345678901XY"


def filled_renewal(user, *, days_left=90):
    permit = renewable_permit(user, days_left)
    dossier, _ = draft_start(applicant=user, procedure=procedure(RENEWAL))
    draft_save_step(dossier=dossier, step="eligibility", data={"titre_meme_motif": "yes"}, by=user)
    draft_save_step(dossier=dossier, step="identity", data=IDENTITY, by=user)
    draft_save_step(dossier=dossier, step="situation", data=situation(permit), by=user)
    draft_save_step(dossier=dossier, step="questions", data={"employeur": "ACME", "type_contrat": "CDI"}, by=user)
    for requirement in dossier.procedure.requirements.select_related("document_type"):
        attachment_add(dossier=dossier, document_type=requirement.document_type, uploaded_file=pdf_file(), by=user)
    dossier.refresh_from_db()
    return dossier


def test_one_open_draft_per_applicant_and_procedure():
    user = UserFactory()
    first, created = draft_start(applicant=user, procedure=procedure(RENEWAL))
    again, created_again = draft_start(applicant=user, procedure=procedure(RENEWAL))
    assert created and not created_again and first.pk == again.pk
    # Several procedures may run at once.
    other, created_other = draft_start(applicant=user, procedure=procedure("changement-adresse"))
    assert created_other and other.pk != first.pk
    # And the database itself refuses a second draft.
    with pytest.raises(IntegrityError), transaction.atomic():
        Dossier.objects.create(applicant=user, procedure=procedure(RENEWAL))


def test_submission_files_the_dossier_and_issues_the_receipt_at_once(mails):
    user = UserFactory(preferred_language="en")
    dossier = filled_renewal(user)
    with mails():
        dossier = dossier_submit(dossier=dossier, by=user, tax_stamp_number="1234 5678 9012 3456",
                                 ephoto_code=EPHOTO)
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED
    assert dossier.reference.startswith(f"{dossier.submitted_at:%Y}-69-")
    assert dossier.filed_on_time is True
    assert dossier.tax_stamp_number == STAMP
    receipt = IssuedDocument.objects.get(subject_id=str(dossier.pk), kind="filing_receipt")
    assert receipt.holder == user and receipt.rendered_at is not None
    assert receipt.context["reference"] == dossier.reference
    assert (receipt.context["channel"], receipt.context["on_time"]) == ("online", True)
    assert DossierEvent.objects.get(dossier=dossier, kind="submitted").actor == user
    assert len(receipt.context["documents"]) == dossier.procedure.requirements.count()
    kinds = list(DossierEvent.objects.filter(dossier=dossier).values_list("kind", flat=True))
    assert kinds == ["created", "submitted", "receipt_issued"]
    assert any(dossier.reference in message.subject for message in mail.outbox)


def test_a_filed_dossier_is_searched_by_the_name_and_number_typed_in_the_form_not_the_account(mails):
    user = UserFactory()  # the account says "Awa Ndiaye…"; the identity step says "Amina Diallo"
    dossier = filled_renewal(user)
    with mails():
        dossier_submit(dossier=dossier, by=user, tax_stamp_number=STAMP, ephoto_code=EPHOTO)
    dossier.refresh_from_db()
    assert (dossier.search_name, dossier.search_foreigner_number) == (search_name("Diallo", "Amina"), "1234567890")


def test_the_receipt_lists_the_pieces_of_this_dossier_only(mails):
    filled_renewal(UserFactory())  # another person's draft, with the same pieces
    user = UserFactory()
    dossier = filled_renewal(user)
    with mails():
        dossier_submit(dossier=dossier, by=user, tax_stamp_number=STAMP, ephoto_code=EPHOTO)
    receipt = IssuedDocument.objects.get(subject_id=str(dossier.pk), kind="filing_receipt")
    names = [r.document_type.name for r in dossier.procedure.requirements.order_by("position")]
    assert sorted(receipt.context["documents"]) == sorted(names)


def test_incomplete_dossier_lists_what_is_missing():
    user = UserFactory()
    dossier, _ = draft_start(applicant=user, procedure=procedure(RENEWAL))
    draft_save_step(dossier=dossier, step="eligibility", data={"titre_meme_motif": "yes"}, by=user)
    with pytest.raises(ValidationError) as error:
        dossier_submit(dossier=dossier, by=user, tax_stamp_number="12", ephoto_code="")
    messages = error.value.message_dict
    assert any("Pièce manquante" in m for m in messages["__all__"])
    assert any("Identité" in m for m in messages["__all__"])
    assert "16 chiffres" in messages["tax_stamp_number"][0]
    assert "22" in messages["ephoto_code"][0]
    assert Dossier.objects.get(pk=dossier.pk).status == Status.DRAFT


def test_late_renewal_needs_explicit_consent_and_is_recorded_late(mails):
    user = UserFactory()
    dossier = filled_renewal(user, days_left=30)
    with pytest.raises(ValidationError) as error:
        dossier_submit(dossier=dossier, by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO)
    assert error.value.message_dict == {
        "accept_late": ["Confirmez que vous avez compris les conséquences d'une demande tardive."]}
    with mails():
        dossier = dossier_submit(dossier=dossier, by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO,
                                 accept_late=True)
    assert dossier.filed_on_time is False


def test_the_stamp_and_photo_codes_are_stored_as_printed_whatever_the_spaces_dashes_and_case(mails):
    user = UserFactory()
    stamp = tax_stamp()
    typed_stamp = f"{stamp[:4]} {stamp[4:8]}-{stamp[8:12]} {stamp[12:]}"
    with mails():
        dossier = dossier_submit(dossier=filled_renewal(user), by=user, tax_stamp_number=typed_stamp,
                                 ephoto_code="abcd efgh-jk23 4567 8901-xy")

    dossier.refresh_from_db()
    assert (dossier.tax_stamp_number, dossier.ephoto_code) == (stamp, EPHOTO)


def test_renewal_cannot_be_filed_before_the_window_opens():
    user = UserFactory()
    dossier = filled_renewal(user, days_left=200)
    with pytest.raises(ValidationError) as error:
        dossier_submit(dossier=dossier, by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO)
    opens = rules.renewal_window(dossier.renewed_permit.valid_until).opens
    assert error.value.message_dict == {
        "__all__": [f"Vous pourrez demander le renouvellement à partir du {date_format(opens, 'DATE_FORMAT')}."]}


def test_after_filing_the_applicant_adds_amends_answers_and_withdraws(mails):
    user = UserFactory()
    with mails():
        dossier = dossier_submit(
            dossier=filled_renewal(user), by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO
        )
        passport = dossier.procedure.requirements.first().document_type
        attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file("nouveau.pdf"), by=user)
        dossier_amend(dossier=dossier, by=user, step="situation", field="phone", value="06 01 02 03 04")
        dossier_transition(dossier=dossier, to=Status.COMPLEMENTS_REQUESTED,
                           by=StaffFactory(role__code=dossier.prefecture.department.code))
        attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file("encore.pdf"), by=user)
        complements_answer(dossier=dossier, by=user, message="Voici la pièce.")
        dossier_withdraw(dossier=dossier, by=user, reason="Je quitte la France.")
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWN
    assert dossier.answers["situation"]["phone"] == "06 01 02 03 04"
    # Every version of a filed document is kept; one is current.
    assert Attachment.objects.filter(dossier=dossier, document_type=passport).count() == 3
    assert Attachment.objects.filter(dossier=dossier, document_type=passport, is_current=True).count() == 1
    kinds = list(DossierEvent.objects.filter(dossier=dossier).values_list("kind", flat=True))
    assert kinds[-6:] == ["document_added", "amended", "status_changed", "document_added",
                          "complements_answered", "withdrawn"]
    amended = DossierEvent.objects.get(dossier=dossier, kind="amended")
    assert amended.data == {"step": "situation", "field": "phone", "before": "", "after": "06 01 02 03 04"}
    with pytest.raises(ValidationError):
        dossier_amend(dossier=dossier, by=user, step="situation", field="phone", value="07")


def test_abandoning_a_draft_deletes_it_and_its_files(django_capture_on_commit_callbacks):
    user = UserFactory()
    dossier, _ = draft_start(applicant=user, procedure=procedure(RENEWAL))
    attachment = attachment_add(dossier=dossier, document_type=dossier.procedure.requirements.first().document_type,
                                uploaded_file=pdf_file(), by=user)
    path = attachment.file.path
    assert os.path.exists(path)
    with django_capture_on_commit_callbacks(execute=True):  # files go after commit, as in production
        draft_abandon(dossier=dossier, by=user)
    assert not Dossier.objects.filter(pk=dossier.pk).exists()
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not os.path.exists(path)
    filed = DossierFactory(status="submitted")
    with pytest.raises(ValidationError) as refusal:
        draft_abandon(dossier=filed, by=user)
    assert refusal.value.messages == ["Seul un brouillon peut être abandonné. Une demande envoyée peut être retirée."]
    assert Dossier.objects.filter(pk=filed.pk).exists()


def test_another_applicants_dossier_attachment_and_receipt_answer_404(client, mails):
    owner = UserFactory()
    with mails():
        dossier = dossier_submit(
            dossier=filled_renewal(owner), by=owner, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO
        )
    attachment = dossier.attachments.first()
    receipt = IssuedDocument.objects.get(subject_id=str(dossier.pk))
    urls = [
        reverse("applications:dossier", args=[dossier.pk]),
        reverse("applications:attachment", args=[dossier.pk, attachment.pk]),
        reverse("applications:withdraw", args=[dossier.pk]),
        reverse("documents:download", args=[receipt.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    client.force_login(UserFactory())
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(owner)
    for url in urls:
        assert client.get(url).status_code == 200


def test_a_dossier_number_beyond_any_dossier_answers_404_not_an_error(client):
    """The getter's SQL is built once (``core.prepared``) and the number passed as it comes: one
    past the column's range is no one's dossier, as the ORM said, not a database error."""
    client.force_login(UserFactory())
    for pk in (0, 2**63 - 1, 2**63, 10**30):
        assert client.get(f"/dossiers/{pk}/").status_code == 404


def test_dashboard_and_dossier_page_queries_do_not_grow(client, django_assert_max_num_queries, mails):
    user = UserFactory()
    client.force_login(user)
    with mails():
        dossier = dossier_submit(
            dossier=filled_renewal(user), by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO
        )

    def count(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    dashboard = reverse("applications:dashboard")
    page = reverse("applications:dossier", args=[dossier.pk])
    count(dashboard)  # the first request of a session also writes the session
    count(page)  # the first visit of a procedure's page reads its pieces, kept since (issue 17)
    few_dashboard, few_page = count(dashboard), count(page)
    assert few_dashboard <= 6 and few_page <= 8
    for _ in range(5):
        DossierFactory(applicant=user, status="under_review")
    with mails():
        for _ in range(5):
            dossier_amend(dossier=dossier, by=user, step="situation", field="city", value=f"Lyon {_}")
    assert count(dashboard) == few_dashboard
    assert count(page) == few_page


def review_post(client, dossier):
    return client.post(reverse("applications:step", args=[dossier.pk, "review"]),
                       {"certify": "on", "tax_stamp_number": STAMP, "ephoto_code": EPHOTO})


def test_sending_the_filing_form_twice_lands_on_the_dossier_page_saying_it_is_already_filed(client, mails):
    user = UserFactory()
    dossier = filled_renewal(user)
    client.force_login(user)
    with mails():
        first = review_post(client, dossier)
    page = reverse("applications:dossier", args=[dossier.pk])
    assert first.status_code == 302 and first["Location"] == page

    again = review_post(client, dossier)

    assert again.status_code == 302 and again["Location"] == page
    html = client.get(page).content.decode().replace("&#x27;", "'")
    assert "Cette demande est déjà envoyée : voici son suivi." in html
    assert DossierEvent.objects.filter(dossier=dossier, kind="submitted").count() == 1
    assert IssuedDocument.objects.filter(subject_id=str(dossier.pk), kind="filing_receipt").count() == 1
