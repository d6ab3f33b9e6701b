import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, StaffFactory, UserFactory, totp_code

pytestmark = pytest.mark.django_db


def test_repeated_failures_lock_the_account_with_a_clear_message(client, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Compte temporairement bloqué" in html
    assert "15 minutes" in html

    # Even the right password is refused while locked, from another browser too.
    other = client.__class__()
    response = other.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429


def test_the_lock_lifts_after_the_cool_off(client, settings):
    user = UserFactory()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
        traveller.shift(settings.AXES_COOLOFF_TIME.total_seconds() + 60)
        response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_applicant_session_expires_after_30_idle_minutes(client):
    user = UserFactory()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
        assert client.get(reverse("applications:dashboard")).status_code == 200
        traveller.shift(29 * 60)
        assert client.get(reverse("applications:dashboard")).status_code == 200
        traveller.shift(29 * 60)  # active a minute ago: still in
        assert client.get(reverse("applications:dashboard")).status_code == 200
        traveller.shift(31 * 60)
        response = client.get(reverse("applications:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=%2Fespace%2F"
    page = client.get(response["Location"]).content.decode()
    assert "Votre session a expiré après 30 minutes d&#x27;inactivité" in page


def test_applicant_session_ends_after_12_hours_even_when_active(client):
    user = UserFactory()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
        for _ in range(12 * 3 + 2):
            traveller.shift(20 * 60)
            response = client.get(reverse("applications:dashboard"))
            if response.status_code != 200:
                break
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_staff_session_expires_after_15_idle_minutes(client):
    agent = StaffFactory(with_totp=True)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.post(reverse("accounts:login"), {"username": agent.email, "password": PASSWORD})
        client.post(reverse("accounts:totp_verify"), {"code": totp_code()})
        assert client.get("/backoffice/").status_code == 200
        traveller.shift(16 * 60)
        response = client.get("/backoffice/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- The session and the person, read anew on every request (accounts.sessions, UserManager.get) ---

def _signed_in(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("applications:dashboard")).status_code == 200
    return user


def test_a_session_past_its_expiry_date_in_the_database_is_no_session(client):
    from django.contrib.sessions.models import Session

    _signed_in(client)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1))

    response = client.get(reverse("applications:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_deleted_session_or_account_signs_the_person_out_on_the_next_request(client):
    from django.contrib.sessions.models import Session

    user = _signed_in(client)
    user.delete()
    assert client.get(reverse("applications:dashboard")).status_code == 302

    _signed_in(client)
    Session.objects.filter(session_key=client.session.session_key).delete()
    assert client.get(reverse("applications:dashboard")).status_code == 302


def test_a_deactivated_account_is_signed_out_on_the_next_request(client):
    user = _signed_in(client)
    type(user).objects.filter(pk=user.pk).update(is_active=False)

    assert client.get(reverse("applications:dashboard")).status_code == 302


def test_the_person_is_read_by_primary_key_as_the_orm_reads_them():
    user = UserFactory()
    model = type(user)

    found = model.objects.get(pk=user.pk)

    assert (found.pk, found.email, found.password, found._state.db, found._state.adding) == (
        user.pk, user.email, user.password, "default", False)
    with pytest.raises(model.DoesNotExist):
        model.objects.get(pk=user.pk + 1_000_000)
    assert model.objects.get(email=user.email) == user  # any other lookup: the queryset's own
