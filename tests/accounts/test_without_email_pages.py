"""The pages of accounts without e-mail: the mediator's creation, confirmation and letter, the
activation page, the SMS reset, and the welcome letter on /verifier/ (issue 12, item 2)."""

import logging
import re
from datetime import date

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, OneTimeCode, User
from accounts.services import account_create_for_person
from documents.models import IssuedDocument
from tests.backoffice.conftest import sign_in
from tests.factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Long-Passphrase-42"
FORM = {"first_name": "Amadou", "last_name": "Diallo", "birth_date": "1980-05-17", "phone": "06 12 34 56 78",
        "address": "", "postal_code": "", "city": "", "email": "", "language": "fr"}


@pytest.fixture
def mediator():
    return StaffFactory(mediator=True, with_totp=True, first_name="Claire", last_name="Médiatrice")


@pytest.fixture
def mediator_client(client, mediator):
    return sign_in(client, mediator)


# --- Who may use the mediator's pages -----------------------------------------------------------

def test_the_back_office_home_offers_account_creation_to_mediators(mediator_client):
    html = mediator_client.get(reverse("backoffice:home")).content.decode()
    assert reverse("backoffice:person_account_create") in html
    assert reverse("backoffice:activation_reissue") in html


@pytest.mark.parametrize("url_name", ["backoffice:person_account_create", "backoffice:activation_reissue"])
def test_an_applicant_is_refused(client, url_name):
    client.force_login(UserFactory())
    assert client.get(reverse(url_name)).status_code == 403


@pytest.mark.parametrize("url_name", ["backoffice:person_account_create", "backoffice:activation_reissue"])
def test_an_agent_without_a_site_role_is_refused(client, url_name):
    sign_in(client, StaffFactory(with_totp=True))
    assert client.get(reverse(url_name)).status_code == 403
    assert client.post(reverse(url_name), FORM).status_code == 403
    assert not User.objects.filter(last_name="Diallo").exists()


def test_a_mediator_without_second_factor_is_sent_to_the_code_page(client):
    mediator = StaffFactory(mediator=True, with_totp=True)
    client.post(reverse("accounts:login"), {"username": mediator.email, "password": PASSWORD})
    response = client.post(reverse("backoffice:person_account_create"), FORM)
    assert response.status_code == 302 and reverse("accounts:totp_verify") in response["Location"]
    assert not User.objects.filter(last_name="Diallo").exists()


# --- Creation, the code shown once, the letter --------------------------------------------------

def test_a_mediator_creates_an_account_and_prints_the_letter(mediator_client, caplog):
    caplog.set_level(logging.DEBUG)
    response = mediator_client.post(reverse("backoffice:person_account_create"), FORM)
    person = User.objects.get(last_name="Diallo")
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:person_account_created", args=[person.pk])

    page = mediator_client.get(response["Location"]).content.decode()
    code = re.search(r'id="activation-code">([A-Z0-9-]+)<', page).group(1)
    assert person.login_id in page
    letter = IssuedDocument.objects.get(holder=person)

    pdf = mediator_client.post(reverse("backoffice:welcome_letter_print", args=[person.pk]),
                               {"code": code, "letter": letter.pk})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Cache-Control"] == "private, no-store"

    # Shown once: the page no longer has it, and a wrong code prints nothing.
    assert code not in mediator_client.get(response["Location"]).content.decode()
    assert mediator_client.post(reverse("backoffice:welcome_letter_print", args=[person.pk]),
                                {"code": "AAAAA-AAAAA", "letter": letter.pk}).status_code == 404
    letter.refresh_from_db()
    assert code not in str(letter.context)
    assert code not in caplog.text and code.replace("-", "") not in caplog.text
    assert AuditEvent.objects.filter(action="account.created_for_person", object_id=str(person.pk)).exists()


def test_the_creation_form_says_what_is_missing(mediator_client):
    response = mediator_client.post(reverse("backoffice:person_account_create"), {**FORM, "phone": ""})
    assert response.status_code == 200
    assert "adresse postale complète" in response.content.decode()
    assert not User.objects.filter(last_name="Diallo").exists()


def test_a_mediator_reissues_a_code_after_checking_identity(mediator_client, mediator):
    person = account_create_for_person(first_name="Awa", last_name="Ndiaye", birth_date=date(1990, 1, 2),
                                       phone="0612345678", by=mediator).user
    data = {"login_id": person.login_id.lower(), "birth_date": "1990-01-02", "identity_document": "passport"}
    response = mediator_client.post(reverse("backoffice:activation_reissue"), data)
    assert response.status_code == 200  # the box "identity checked" was not ticked
    response = mediator_client.post(reverse("backoffice:activation_reissue"), {**data, "identity_checked": "on"})
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="account.activation_reissued").data["identity_document_checked"] == "passport"
    wrong_birth = {**data, "identity_checked": "on", "birth_date": "1990-01-03"}
    response = mediator_client.post(reverse("backoffice:activation_reissue"), wrong_birth)
    assert "Aucun compte" in response.content.decode()


# --- The verification page ----------------------------------------------------------------------

def test_the_welcome_letter_is_verifiable_without_its_code(client, mediator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = account_create_for_person(first_name="Awa", last_name="Ndiaye", birth_date=date(1990, 1, 2),
                                         phone="0612345678", by=mediator)
    letter = IssuedDocument.objects.get(pk=made.letter_id)
    html = client.post(reverse("documents:verify"), {"code": letter.verification_code}).content.decode()
    assert "Lettre de bienvenue" in html and "Awa NDIAYE" in html
    assert made.activation_code not in html and made.user.login_id not in html


# --- Activation and SMS reset pages -------------------------------------------------------------

def _person(mediator, **extra):
    return account_create_for_person(first_name="Awa", last_name="Ndiaye", birth_date=date(1990, 1, 2),
                                      by=mediator, **{"phone": "0612345678", **extra})


def test_activation_page_then_login_with_the_identifier(client, mediator):
    made = _person(mediator)
    response = client.post(reverse("accounts:activate"), {
        "login_id": made.user.login_id, "code": made.activation_code,
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    response = client.post(reverse("accounts:login"), {"username": made.user.login_id, "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_activation_page_counts_wrong_codes_then_sends_to_a_help_point(client, mediator, settings):
    made = _person(mediator)
    data = {"login_id": made.user.login_id, "code": "AAAAA-AAAAA", "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD}
    for _i in range(settings.ACCOUNT_CODE_MAX_ATTEMPTS - 1):
        response = client.post(reverse("accounts:activate"), data)
        assert "Identifiant ou code incorrect" in response.content.decode()
    response = client.post(reverse("accounts:activate"), data)
    html = response.content.decode()
    assert response.status_code == 400 and "point d'accueil numérique" in html
    assert OneTimeCode.objects.get(user=made.user).status == OneTimeCode.Status.LOCKED


def test_activation_page_applies_the_password_validators(client, mediator):
    made = _person(mediator)
    response = client.post(reverse("accounts:activate"), {
        "login_id": made.user.login_id, "code": made.activation_code, "password1": "court", "password2": "court"})
    assert response.status_code == 200
    assert not User.objects.get(pk=made.user.pk).has_usable_password()


def test_password_reset_by_sms_for_a_person_without_email(client, mediator, django_capture_on_commit_callbacks):
    from notifications import channels

    channels.outbox.clear()
    made = _person(mediator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset_sms"), {"login_id": made.user.login_id})
    assert response.status_code == 302
    assert len(channels.outbox) == 1 and channels.outbox[0].phone == "0612345678"
    code = re.search(r"\b(\d{6})\b", channels.outbox[0].text).group(1)
    assert not OneTimeCode.objects.filter(code_hash__contains=code).exists()
    response = client.post(reverse("accounts:password_reset_sms_confirm"), {
        "login_id": made.user.login_id, "code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert User.objects.get(pk=made.user.pk).check_password(NEW_PASSWORD)
    channels.outbox.clear()


def test_no_sms_for_an_account_with_email_nor_without_phone_and_the_same_answer(client, mediator,
                                                                                  django_capture_on_commit_callbacks):
    from notifications import channels

    channels.outbox.clear()
    with_email = UserFactory(phone="0612345678")
    without_phone = _person(mediator, phone="", address="3 rue des Lilas", postal_code="69003", city="Lyon").user
    answers = []
    for login_id in (with_email.login_id, without_phone.login_id, "AAA-AAA-AAA"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:password_reset_sms"), {"login_id": login_id}, follow=True)
        answers.append(response.content.decode().count("un code vient d"))
    assert channels.outbox == []
    assert answers == [1, 1, 1]


def test_the_password_reset_page_points_to_sms_and_help_points(client):
    html = client.get(reverse("accounts:password_reset")).content.decode()
    assert reverse("accounts:password_reset_sms") in html and "point d'accueil numérique" in html
