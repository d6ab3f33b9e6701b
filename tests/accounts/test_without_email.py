"""Accounts without e-mail (issue 12, item 2): the optional address, the login identifier, login and
lockout by either, the purge that spares them, and the services that make accounts for people."""

import logging
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import models as account_models
from accounts.models import AccountOrigin, AuditEvent, OneTimeCode, User
from accounts.services import (
    Redeemed,
    account_activation_reissue,
    account_create_for_person,
    one_time_code_redeem,
    person_account_for_contact,
)
from accounts.tasks import purge_unverified_accounts
from documents.models import DocumentKind, IssuedDocument
from tests.factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Long-Passphrase-42"


def make_person(by, **overrides):
    data = {"first_name": "Amadou", "last_name": "Diallo", "birth_date": date(1980, 5, 17),
            "phone": "06 12 34 56 78", "by": by, **overrides}
    return account_create_for_person(**data)


@pytest.fixture
def mediator():
    return StaffFactory(mediator=True, first_name="Claire", last_name="Médiatrice")


# --- The model ----------------------------------------------------------------------------------

def test_several_accounts_may_have_no_email_but_an_address_stays_unique_case_insensitively():
    UserFactory(without_email=True)
    UserFactory(without_email=True)
    UserFactory(email="awa@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="AWA@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(email__isnull=True).update(email="")  # "" is never stored: NULL is "none"


def test_every_account_has_a_distinct_readable_login_identifier():
    first, second = UserFactory(), UserFactory(without_email=True)
    assert first.login_id != second.login_id
    assert account_models.LOGIN_ID_RE.match(second.login_id)
    assert not set(second.login_id.replace("-", "")) & set("01ILO")


def test_a_repeated_identifier_is_drawn_again(monkeypatch):
    taken = UserFactory().login_id
    monkeypatch.setattr(account_models, "login_id_new", lambda: "ABC-DEF-GHJ")
    made = User.objects.create_user(email=None, password=None, login_id=taken)
    assert made.login_id == "ABC-DEF-GHJ"
    # Another constraint (an address in use) is not retried: it is the caller's error.
    UserFactory(email="awa@example.org")
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="awa@example.org", password=None)


def test_a_person_without_email_or_name_is_named_by_identifier():
    user = UserFactory(without_email=True, first_name="", last_name="")
    assert str(user) == user.login_id
    assert user.get_short_name() == user.login_id


# --- Login --------------------------------------------------------------------------------------

def _activated(user):
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.mark.parametrize("typed", ["identifier", "lowercase without dashes", "email"])
def test_login_by_email_or_identifier(client, typed):
    user = _activated(UserFactory())
    username = {"identifier": user.login_id, "lowercase without dashes": user.login_id.replace("-", "").lower(),
                "email": user.email.upper()}[typed]
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_person_without_email_signs_in_with_the_identifier(client):
    user = _activated(UserFactory(without_email=True))
    response = client.post(reverse("accounts:login"), {"username": user.login_id, "password": PASSWORD})
    assert response.status_code == 302


def test_switching_between_email_and_identifier_does_not_restart_the_lockout(client, settings):
    user = _activated(UserFactory())
    names = [user.email, user.login_id] * settings.AXES_FAILURE_LIMIT
    for name in names[: settings.AXES_FAILURE_LIMIT - 1]:
        assert client.post(reverse("accounts:login"), {"username": name, "password": "wrong"}).status_code == 200
    response = client.post(reverse("accounts:login"), {"username": user.login_id.lower(), "password": "wrong"})
    assert response.status_code == 429
    other = client.__class__()
    assert other.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD}).status_code == 429
    assert other.post(reverse("accounts:login"), {"username": user.login_id, "password": PASSWORD}).status_code == 429


def test_a_successful_login_by_identifier_resets_the_count(client, settings):
    user = _activated(UserFactory(without_email=True))
    for _i in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("accounts:login"), {"username": user.login_id, "password": "wrong"})
    assert client.post(reverse("accounts:login"), {"username": user.login_id, "password": PASSWORD}).status_code == 302
    client.post(reverse("accounts:logout"))
    for _i in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("accounts:login"), {"username": user.login_id, "password": "wrong"})
    assert response.status_code == 200


def test_an_assisted_account_with_an_unverified_address_may_sign_in(client, mediator):
    person = make_person(mediator, email="amadou@example.org").user
    _activated(person)
    response = client.post(reverse("accounts:login"), {"username": person.login_id, "password": PASSWORD})
    assert response.status_code == 302


# --- Purge --------------------------------------------------------------------------------------

def test_purge_spares_accounts_made_for_people_and_still_deletes_stale_sign_ups(mediator):
    old = timezone.now() - timedelta(days=30)
    stale = UserFactory(unverified=True, date_joined=old)
    without_email = UserFactory(without_email=True, date_joined=old)
    assisted_with_email = UserFactory(unverified=True, origin=AccountOrigin.ASSISTED, date_joined=old)
    purge_unverified_accounts()
    assert not User.objects.filter(pk=stale.pk).exists()
    assert User.objects.filter(pk__in=[without_email.pk, assisted_with_email.pk]).count() == 2


# --- Making an account for a person -------------------------------------------------------------

def test_a_mediator_makes_an_account_without_email(mediator, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        made = make_person(mediator)
    person = made.user
    assert made.created and person.email is None and person.origin == AccountOrigin.ASSISTED
    assert not person.has_usable_password()
    assert person.notify_by_sms and not person.notify_by_email
    code = made.activation_code
    stored = OneTimeCode.objects.get(user=person)
    assert stored.status == OneTimeCode.Status.OPEN and code not in stored.code_hash
    assert stored.expires_at.date() == (timezone.now() + timedelta(days=30)).date()

    event = AuditEvent.objects.get(action="account.created_for_person")
    assert event.actor == mediator and event.on_behalf_of == person
    assert event.data["by"] == "Claire MÉDIATRICE" and event.data["person"] == "Amadou DIALLO"
    assert code not in str(event.data)

    letter = IssuedDocument.objects.get(pk=made.letter_id)
    assert letter.kind == DocumentKind.WELCOME_LETTER and letter.holder == person
    assert letter.context["login_id"] == person.login_id
    assert code not in str(letter.context) and code.replace("-", "") not in str(letter.context)
    assert letter.is_rendered  # the stored copy, rendered by the worker, without the code
    assert code not in caplog.text and code.replace("-", "") not in caplog.text


def test_an_account_needs_a_phone_or_a_full_postal_address(mediator):
    with pytest.raises(ValidationError) as error:
        make_person(mediator, phone="", address="3 rue des Lilas", postal_code="", city="Lyon")
    assert "phone" in error.value.message_dict
    made = make_person(mediator, phone="", address="3 rue des Lilas", postal_code="69003", city="Lyon")
    assert made.user.notify_by_post and not made.user.notify_by_sms
    assert made.user.phone == ""


def test_an_address_already_used_is_refused(mediator):
    UserFactory(email="amadou@example.org")
    with pytest.raises(ValidationError) as error:
        make_person(mediator, email="Amadou@Example.org")
    assert "email" in error.value.message_dict


@pytest.mark.parametrize("who", ["applicant", "unverified mediator", "support"])
def test_only_verified_mediators_and_agents_make_accounts(who):
    by = {"applicant": lambda: UserFactory(),
          "unverified mediator": lambda: StaffFactory(mediator=True, verified=False),
          "support": lambda: StaffFactory(support=True)}[who]()
    with pytest.raises(PermissionDenied):
        make_person(by)
    assert not User.objects.filter(origin=AccountOrigin.ASSISTED).exists()


def test_an_agent_may_make_an_account_for_the_substitution_channel():
    assert make_person(StaffFactory()).created


def test_person_account_for_contact_finds_by_email_then_by_phone_name_and_birth_date(mediator):
    by_email = UserFactory(email="awa@example.org", first_name="Awa", last_name="Ndiaye")
    found = person_account_for_contact(first_name="X", last_name="Y", birth_date=None, email="AWA@example.org",
                                       by=mediator)
    assert found.user == by_email and not found.created and found.activation_code == ""

    first = make_person(mediator, first_name="Zoé", last_name="Nguyễn", phone="+33 6 12 34 56 78").user
    again = person_account_for_contact(first_name="zoe", last_name="NGUYỄN", birth_date=date(1980, 5, 17),
                                       phone="06.12.34.56.78", by=mediator)
    assert again.user == first and not again.created

    # The same phone with another name (a relative), or another birth date: a new account.
    relative = person_account_for_contact(first_name="Moussa", last_name="Nguyễn", birth_date=date(1980, 5, 17),
                                          phone="0612345678", by=mediator)
    assert relative.created and relative.user != first
    other_birth = person_account_for_contact(first_name="Zoé", last_name="Nguyễn", birth_date=date(1981, 5, 17),
                                             phone="0612345678", by=mediator)
    assert other_birth.created


# --- Activation ---------------------------------------------------------------------------------

def test_the_activation_code_sets_the_password_once(mediator):
    made = make_person(mediator)
    login_id = made.user.login_id.replace("-", "").lower()
    code = made.activation_code.lower().replace("-", " ")
    assert one_time_code_redeem(login_id=login_id, code=code, password=NEW_PASSWORD,
                                purpose=OneTimeCode.Purpose.ACTIVATION) is Redeemed.DONE
    made.user.refresh_from_db()
    assert made.user.check_password(NEW_PASSWORD)
    # Used: it never works again.
    assert one_time_code_redeem(login_id=login_id, code=code, password="Yet-Another-Passphrase-7",
                                purpose=OneTimeCode.Purpose.ACTIVATION) is Redeemed.CLOSED
    made.user.refresh_from_db()
    assert made.user.check_password(NEW_PASSWORD)


def test_wrong_codes_are_counted_and_block_the_code(mediator, settings):
    made = make_person(mediator)
    for attempt in range(1, settings.ACCOUNT_CODE_MAX_ATTEMPTS):
        outcome = one_time_code_redeem(login_id=made.user.login_id, code="AAAAA-AAAAA", password=NEW_PASSWORD,
                                       purpose=OneTimeCode.Purpose.ACTIVATION)
        assert outcome is Redeemed.WRONG
        assert OneTimeCode.objects.get(user=made.user).attempts == attempt
    assert one_time_code_redeem(login_id=made.user.login_id, code="AAAAA-AAAAA", password=NEW_PASSWORD,
                                purpose=OneTimeCode.Purpose.ACTIVATION) is Redeemed.CLOSED
    # Blocked: even the right code is refused now.
    assert one_time_code_redeem(login_id=made.user.login_id, code=made.activation_code, password=NEW_PASSWORD,
                                purpose=OneTimeCode.Purpose.ACTIVATION) is Redeemed.CLOSED
    assert not User.objects.get(pk=made.user.pk).has_usable_password()


def test_an_expired_code_is_refused(mediator, settings):
    made = make_person(mediator)
    with time_machine.travel(timezone.now() + timedelta(days=settings.ACCOUNT_ACTIVATION_DAYS, minutes=1)):
        outcome = one_time_code_redeem(login_id=made.user.login_id, code=made.activation_code,
                                       password=NEW_PASSWORD, purpose=OneTimeCode.Purpose.ACTIVATION)
    assert outcome is Redeemed.CLOSED


def test_a_weak_password_is_refused_and_the_code_still_works(mediator):
    made = make_person(mediator)
    with pytest.raises(ValidationError):
        one_time_code_redeem(login_id=made.user.login_id, code=made.activation_code, password="diallo",
                             purpose=OneTimeCode.Purpose.ACTIVATION)
    assert one_time_code_redeem(login_id=made.user.login_id, code=made.activation_code, password=NEW_PASSWORD,
                                purpose=OneTimeCode.Purpose.ACTIVATION) is Redeemed.DONE


def test_an_unknown_identifier_gets_the_answer_of_a_wrong_code():
    assert one_time_code_redeem(login_id="AAA-AAA-AAA", code="AAAAA-AAAAA", password=NEW_PASSWORD,
                                purpose=OneTimeCode.Purpose.ACTIVATION) is Redeemed.WRONG


def test_reissue_records_the_identity_check_and_replaces_the_code(mediator):
    made = make_person(mediator)
    with pytest.raises(ValidationError):
        account_activation_reissue(user=made.user, by=mediator, identity_document="")
    again = account_activation_reissue(user=made.user, by=mediator, identity_document="passport")
    assert again.activation_code != made.activation_code
    event = AuditEvent.objects.get(action="account.activation_reissued")
    assert event.actor == mediator and event.on_behalf_of == made.user
    assert event.data["identity_document_checked"] == "passport" and event.data["person"] == "Amadou DIALLO"
    # The old code no longer works (it is a wrong try against the new one).
    assert one_time_code_redeem(login_id=made.user.login_id, code=made.activation_code, password=NEW_PASSWORD,
                                purpose=OneTimeCode.Purpose.ACTIVATION) is Redeemed.WRONG
    assert one_time_code_redeem(login_id=made.user.login_id, code=again.activation_code, password=NEW_PASSWORD,
                                purpose=OneTimeCode.Purpose.ACTIVATION) is Redeemed.DONE
    letters = IssuedDocument.objects.filter(holder=made.user, kind=DocumentKind.WELCOME_LETTER)
    assert letters.count() == 2 and letters.filter(status="valid").get().pk == again.letter_id


def test_staff_accounts_never_get_an_activation_code(mediator):
    with pytest.raises(PermissionDenied):
        account_activation_reissue(user=StaffFactory(), by=mediator, identity_document="passport")
