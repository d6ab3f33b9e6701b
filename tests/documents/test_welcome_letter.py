"""The welcome letter of an account made at a desk (issue 12): what the stored copy says, and the
copy printed at the desk with the one-time activation code, which nothing keeps."""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AuditEvent, OneTimeCode
from accounts.services import account_create_for_person
from documents.models import DocumentKind, DocumentStatus, IssuedDocument
from documents.services import welcome_letter_issue, welcome_letter_pdf
from tests.documents.letters_support import pan_site
from tests.documents.support import squash
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mediator():
    return StaffFactory(mediator=True, role__site=pan_site())


@pytest.fixture
def made(mediator):
    return account_create_for_person(
        first_name="Fatou", last_name="Diallo", birth_date=datetime.date(1988, 2, 3), address="5 rue Marc Bloch",
        postal_code="69007", city="Lyon", phone="0612345678", language="fr", by=mediator,
    )


def read(pdf: bytes) -> tuple[str, set[str]]:
    """The PDF's text (white space squashed) and the names of the fonts its text is set in."""
    reader = PdfReader(io.BytesIO(pdf))
    fonts: set[str] = set()

    def visit(text, cm, tm, font, size):
        if text.strip() and font:
            fonts.add(str(font.get("/BaseFont", "")).split("+")[-1])

    text = "\n".join(page.extract_text(visitor_text=visit) for page in reader.pages)
    return squash(text), fonts


def test_the_desk_copy_prints_the_code_with_the_identifier_and_the_address(made):
    letter = IssuedDocument.objects.get(pk=made.letter_id)

    text, fonts = read(welcome_letter_pdf(document=letter, activation_code=made.activation_code))

    user = made.user
    for expected in (made.activation_code, user.login_id, f"Bonjour {user.get_full_name()}", "5 rue Marc Bloch",
                     "69007 Lyon", letter.number):
        assert expected in text, expected
    assert "Remis en main propre" not in text  # the desk copy has the code, not the stored copy's words
    # The documents' stylesheet is applied: one face (no browser default serif, no bold).
    assert fonts == {"DejaVu-Sans"}


def test_the_desk_copy_is_in_french_whatever_language_is_active(made):
    letter = IssuedDocument.objects.get(pk=made.letter_id)
    from django.utils import translation

    with translation.override("en"):
        text, _fonts = read(welcome_letter_pdf(document=letter, activation_code=made.activation_code))

    assert "Votre identifiant de connexion" in text


def test_only_a_welcome_letter_takes_an_activation_code(made):
    letter = IssuedDocument.objects.get(pk=made.letter_id)
    letter.kind = DocumentKind.FILING_RECEIPT

    with pytest.raises(ValueError, match="^Only a welcome letter carries an activation code.$"):
        welcome_letter_pdf(document=letter, activation_code=made.activation_code)


def test_the_stored_letter_holds_what_the_desk_copy_needs_but_the_code(made):
    letter = IssuedDocument.objects.get(pk=made.letter_id)
    user = made.user
    code = user.one_time_codes.get(purpose="activation", status="open")

    assert letter.kind == DocumentKind.WELCOME_LETTER and letter.status == DocumentStatus.VALID
    assert letter.template == "documents/pdf/welcome_letter.html"
    assert letter.context["login_id"] == user.login_id
    assert letter.context["address"] == [user.get_full_name(), "5 rue Marc Bloch", "69007 Lyon"]
    assert letter.context["applicant"]["name"] == user.get_full_name()
    assert letter.context["applicant"]["birth_date"] == "1988-02-03"
    assert letter.context["activation_until"] == timezone.localdate(code.expires_at).isoformat()
    assert letter.valid_until == timezone.localdate(code.expires_at)
    assert letter.context["activate_url"] == settings.SITE_URL + reverse("accounts:activate")
    assert letter.context["reset_by_sms"] is True  # a phone and no e-mail: the reset code comes by SMS
    assert made.activation_code not in str(letter.context)


def test_a_new_letter_replaces_the_previous_one_and_an_address_less_person_has_no_window_lines(made):
    user = made.user
    first = IssuedDocument.objects.get(pk=made.letter_id)
    user.address = ""
    user.save(update_fields=["address"])

    second = welcome_letter_issue(user=user, by=None)

    first.refresh_from_db()
    assert first.status == DocumentStatus.SUPERSEDED
    assert second.status == DocumentStatus.VALID
    assert second.context["address"] == []



def test_the_letter_is_recorded_as_issued_by_the_mediator(made, mediator):
    letter = IssuedDocument.objects.get(pk=made.letter_id)
    assert AuditEvent.objects.get(action="document.issued", object_id=str(letter.pk)).actor == mediator


def test_a_new_letter_leaves_the_persons_other_documents_in_force(made, mediator):
    from documents.services import document_issue
    from tests.documents.support import RECEIPT_TEMPLATE, receipt_context

    receipt = document_issue(kind=DocumentKind.FILING_RECEIPT, holder=made.user, subject=made.user,
                             template=RECEIPT_TEMPLATE, context=receipt_context(), by=None)

    welcome_letter_issue(user=made.user, by=mediator)

    receipt.refresh_from_db()
    assert receipt.status == DocumentStatus.VALID


def test_the_activation_date_is_that_of_the_open_activation_code_else_today(made, mediator):
    user = made.user
    activation = user.one_time_codes.get(purpose=OneTimeCode.Purpose.ACTIVATION, status=OneTimeCode.Status.OPEN)
    # Later codes that are not an open activation code say nothing of the letter's date.
    for purpose, status, days in ((OneTimeCode.Purpose.SMS_RESET, OneTimeCode.Status.OPEN, 1),
                                  (OneTimeCode.Purpose.ACTIVATION, OneTimeCode.Status.USED, 2)):
        OneTimeCode.objects.create(user=user, purpose=purpose, status=status, code_hash="x",
                                   expires_at=timezone.now() + datetime.timedelta(days=days))

    letter = welcome_letter_issue(user=user, by=mediator)
    assert letter.valid_until == timezone.localdate(activation.expires_at)
    assert letter.valid_until > timezone.localdate() + datetime.timedelta(days=2)

    activation.status = OneTimeCode.Status.USED
    activation.save(update_fields=["status"])
    assert welcome_letter_issue(user=user, by=mediator).valid_until == timezone.localdate()


def test_a_person_without_birth_date_or_reached_otherwise_than_by_sms(mediator):
    born = datetime.date(1990, 1, 1)
    by_post = account_create_for_person(first_name="Ali", last_name="Ben", birth_date=born, address="1 rue A",
                                        postal_code="69001", city="Lyon", by=mediator)
    by_mail = account_create_for_person(first_name="Lea", last_name="Moa", birth_date=born, phone="0611111111",
                                        email="lea@example.org", by=mediator)

    for made in (by_post, by_mail):
        made.user.birth_date = None  # an account from before the birth date was asked
        made.user.save(update_fields=["birth_date"])
        letter = welcome_letter_issue(user=made.user, by=mediator)
        assert letter.context["applicant"]["birth_date"] == ""
        assert letter.context["reset_by_sms"] is False  # no phone, or an e-mail to reset by
