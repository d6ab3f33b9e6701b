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
