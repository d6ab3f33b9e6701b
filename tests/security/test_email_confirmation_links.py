"""A confirmation link never tells which accounts exist (issue 8, item 3)."""

import pytest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


BAD_TOKEN = "abc-123"  # noqa: S105 - not a secret: a token no link ever carried


def link(pk):
    return reverse("accounts:verify_email", args=[urlsafe_base64_encode(force_bytes(pk)), BAD_TOKEN])


def test_bad_link_to_a_verified_account_answers_as_for_an_unknown_account(client):
    verified = UserFactory()  # address confirmed long ago

    known = client.get(link(verified.pk))
    unknown = client.get(link(verified.pk + 1000))

    assert known.status_code == unknown.status_code == 400
    assert "ne fonctionne plus" in known.content.decode()
    assert "Votre adresse e-mail est confirmée" not in known.content.decode()
    assert known.templates[0].name == unknown.templates[0].name == "accounts/verify_email_failed.html"


def test_bad_link_to_an_unverified_account_answers_the_same_and_confirms_nothing(client):
    pending = UserFactory(unverified=True)

    response = client.get(link(pending.pk))

    assert response.status_code == 400
    pending.refresh_from_db()
    assert not pending.email_verified
    assert not AuditEvent.objects.filter(action="account.email_verified").exists()
