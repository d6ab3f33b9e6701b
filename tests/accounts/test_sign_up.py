"""Sign-up, e-mail verification, login, logout and password reset, through HTTP."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEvent, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGN_UP = {
    "first_name": "Awa", "last_name": "Ndiaye", "email": "Awa.Ndiaye@Example.org",
    "password1": "Un-mot-de-passe-solide-42", "password2": "Un-mot-de-passe-solide-42",
}


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_sign_up_sends_a_verification_link_that_activates_the_account(client, mails):
    with mails():
        response = client.post(reverse("accounts:sign_up"), SIGN_UP)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign_up_done")
    user = User.objects.get(email="awa.ndiaye@example.org")
    assert not user.email_verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["awa.ndiaye@example.org"]
    assert "Confirmez votre adresse e-mail" in mail.outbox[0].subject

    # Before verification, the password is right but the login is refused with an explanation.
    response = client.post(reverse("accounts:login"), {"username": "awa.ndiaye@example.org",
                                                       "password": SIGN_UP["password1"]})
    assert response.status_code == 200
    assert "pas encore confirmée" in response.content.decode()

    response = client.get(_path(re.search(r"https?://\S+", mail.outbox[0].body).group(0)))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    user.refresh_from_db()
    assert user.email_verified
    assert AuditEvent.objects.filter(action="account.email_verified", object_id=str(user.pk)).exists()


def test_verification_link_works_once_then_explains_and_offers_a_new_one(client, mails):
    with mails():
        client.post(reverse("accounts:sign_up"), SIGN_UP)
    link = _path(re.search(r"https?://\S+", mail.outbox[0].body).group(0))
    forged = link.rstrip("/").rsplit("/", 1)[0] + "/abc-123/"
    response = client.get(forged)
    assert response.status_code == 400
    assert "ne fonctionne plus" in response.content.decode()
    assert not User.objects.get().email_verified

    client.get(link)
    assert User.objects.get().email_verified
    # Already verified: following it again is harmless and still leads to login.
    assert client.get(link).status_code == 302


def test_sign_up_errors_keep_what_was_typed_and_explain(client):
    data = {**SIGN_UP, "password2": "autre-chose-encore-42"}
    response = client.post(reverse("accounts:sign_up"), data)
    html = response.content.decode()

    assert response.status_code == 200
    assert "Les deux mots de passe ne sont pas identiques." in html
    assert 'value="Awa.Ndiaye@Example.org"' in html or 'value="awa.ndiaye@example.org"' in html
    assert 'value="Ndiaye"' in html
    assert "data-error-summary" in html
    # The error is bound to its field for assistive technologies.
    assert 'aria-describedby="id_password2_error"' in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.exists()


def test_sign_up_refuses_a_weak_password(client):
    response = client.post(reverse("accounts:sign_up"), {**SIGN_UP, "password1": "azerty", "password2": "azerty"})
    assert response.status_code == 200
    assert not User.objects.exists()
    assert "id_password1_error" in response.content.decode()


def test_sign_up_with_a_taken_address_does_not_reveal_it(client, mails):
    UserFactory(email="awa.ndiaye@example.org")
    with mails():
        response = client.post(reverse("accounts:sign_up"), SIGN_UP)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign_up_done")
    assert User.objects.count() == 1
    assert "Vous avez déjà un compte" in mail.outbox[0].subject


def test_login_then_logout(client):
    user = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:dashboard")
    assert client.get(reverse("applications:dashboard")).status_code == 200

    assert client.get(reverse("accounts:logout")).status_code == 405  # only by POST (CSRF-protected)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    response = client.get(reverse("applications:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_login_with_a_wrong_password_is_refused_with_a_message(client):
    user = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": "nope"})
    assert response.status_code == 200
    assert "Adresse e-mail, identifiant ou mot de passe incorrect" in response.content.decode()


def test_login_sets_the_language_of_the_profile(client):
    user = UserFactory(preferred_language="en")
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.cookies["anef_language"].value == "en"
    html = client.get(reverse("applications:dashboard")).content.decode()
    assert '<html lang="en"' in html


def test_password_reset_by_e_mail(client, mails):
    user = UserFactory()
    with mails():
        response = client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = _path(re.search(r"https?://\S+", mail.outbox[0].body).group(0))

    response = client.get(link, follow=True)  # Django swaps the token for a session marker
    assert response.status_code == 200
    assert "Choisir un nouveau mot de passe" in response.content.decode()
    new = "Encore-un-autre-secret-77"
    response = client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")

    response = client.post(reverse("accounts:login"), {"username": user.email, "password": new})
    assert response.status_code == 302
    # The link is spent.
    assert "ne fonctionne plus" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_answers_the_same(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_profile_update_keeps_input_on_error_and_saves_when_valid(client):
    user = UserFactory()
    client.force_login(user)
    data = {"first_name": "Awa", "last_name": "Ndiaye", "preferred_language": "fr",
            "notify_by_sms": "on", "phone": "", "foreigner_number": "123"}
    response = client.post(reverse("accounts:profile"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "10 chiffres" in html
    assert 'value="123"' in html

    data.update(foreigner_number="1234567890", phone="")
    html = client.post(reverse("accounts:profile"), data).content.decode()
    assert "Indiquez un numéro de téléphone mobile" in html

    data.update(phone="06 12 34 56 78", notify_by_email="on")
    response = client.post(reverse("accounts:profile"), data)
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.foreigner_number, user.phone, user.notify_by_sms) == ("1234567890", "06 12 34 56 78", True)
    assert AuditEvent.objects.filter(action="account.profile_updated").exists()


@pytest.mark.parametrize("birth_date", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_an_impossible_birth_date_is_refused_on_the_profile(client, birth_date):
    user = UserFactory(birth_date=None)
    client.force_login(user)
    data = {"first_name": "Awa", "last_name": "Ndiaye", "preferred_language": "fr", "notify_by_email": "on",
            "birth_date": birth_date, "phone": "06 12 34 56 78"}

    response = client.post(reverse("accounts:profile"), data)

    assert response.status_code == 200
    assert "Indiquez une date de naissance comprise entre le 01/01/1900 et aujourd" in response.content.decode()
    assert 'value="06 12 34 56 78"' in response.content.decode()  # nothing typed is lost
    user.refresh_from_db()
    assert user.birth_date is None
