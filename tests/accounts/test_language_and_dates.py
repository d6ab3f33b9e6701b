"""Issue 9, item 6: a language chosen before login was lost at login, and English dates read
"Dec. 1, 2026, 10:26 p.m.." (Django's American formats, then the sentence's full stop)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, DossierFactory, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_a_language_chosen_before_login_is_kept_at_login_and_stored_on_the_profile(client):
    user = UserFactory(preferred_language="fr")
    client.post(reverse("set_language"), {"language": "en", "next": reverse("accounts:login")})

    response = sign_in(client, user)

    assert response.cookies["anef_language"].value == "en"
    assert User.objects.get(pk=user.pk).preferred_language == "en"
    html = client.get(reverse("applications:dashboard")).content.decode()
    assert '<html lang="en"' in html


def test_without_a_choice_on_this_device_the_profile_language_wins_at_login(client):
    """A shared device (a help desk): the last person's language cookie does not change the next
    person's profile; only a choice made in this visit does."""
    client.cookies["anef_language"] = "en"
    user = UserFactory(preferred_language="fr")

    response = sign_in(client, user)

    assert response.cookies["anef_language"].value == "fr"
    assert User.objects.get(pk=user.pk).preferred_language == "fr"


def test_dates_follow_the_readers_language_without_american_formats(client):
    user = UserFactory()
    filed = datetime(2026, 12, 1, 22, 26, tzinfo=ZoneInfo("Europe/Paris"))
    dossier = DossierFactory(applicant=user, status="submitted", submitted_at=filed)
    client.force_login(user)
    url = reverse("applications:dossier", args=[dossier.pk])

    html = client.get(url).content.decode()
    assert "déposé le 1 décembre 2026 à 22:26." in html

    client.post(reverse("set_language"), {"language": "en", "next": url})
    html = client.get(url).content.decode()
    assert "1 December 2026, 22:26" in html
    assert "p.m." not in html and "Dec. 1" not in html
