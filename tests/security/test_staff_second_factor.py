"""Staff power needs the second factor, wherever the page lives (issue 8, item 1).

A password alone signs a staff member in as a person, never as an agent: their own documents,
nothing more, until the authenticator code is accepted.
"""

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.permissions import (
    is_verified_agent_of,
    staff_prefecture_ids,
    staff_site_ids,
    staff_verified,
)
from documents.models import IssuedDocument
from tests.backoffice.conftest import file_renewal, sign_in
from tests.factories import PASSWORD, StaffFactory, prefecture

pytestmark = pytest.mark.django_db


def password_only(client, user):
    """The password step alone, as someone who knows the password but not the phone would do."""
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:totp_verify"))
    return client


@pytest.fixture
def receipt():
    dossier = file_renewal(department="69")
    return IssuedDocument.objects.get(subject_type="applications.dossier", subject_id=str(dossier.pk))


def test_issued_pdf_refused_to_an_agent_who_typed_only_the_password(client, receipt):
    agent = StaffFactory(with_totp=True)  # an agent of the dossier's prefecture (Rhône)
    password_only(client, agent)

    assert client.get(reverse("documents:download", args=[receipt.pk])).status_code == 404


def test_issued_pdf_served_to_the_same_agent_once_the_code_is_accepted(client, receipt):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)

    assert client.get(reverse("documents:download", args=[receipt.pk])).status_code in (200, 202)


@pytest.mark.parametrize("url_name", ["backoffice:home", "backoffice_instruction:queue",
                                      "appointments_backoffice:desks", "admin:index"])
def test_staff_pages_send_a_password_only_agent_to_the_code_page(client, url_name):
    password_only(client, StaffFactory(with_totp=True, supervisor=True))

    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:totp_verify"))


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.MEDIATOR, Role.SUPPORT])
def test_no_role_grants_anything_without_a_verified_second_factor(role):
    person = StaffFactory(role=role, verified=False)
    lyon = prefecture("69").pk

    assert not staff_verified(user=person)
    assert staff_prefecture_ids(user=person) == set()
    assert staff_site_ids(user=person) == set()
    assert not is_verified_agent_of(user=person, prefecture_id=lyon)


@pytest.mark.parametrize(("role", "in_lyon", "sites"), [
    (Role.AGENT, True, False), (Role.SUPERVISOR, True, False), (Role.MEDIATOR, False, True),
    (Role.SUPPORT, False, False),
])
def test_each_verified_role_acts_only_in_its_own_scope(role, in_lyon, sites):
    person = StaffFactory(role=role)  # verified
    lyon, bordeaux = prefecture("69").pk, prefecture("33").pk

    assert staff_verified(user=person)
    assert is_verified_agent_of(user=person, prefecture_id=lyon) is in_lyon
    assert not is_verified_agent_of(user=person, prefecture_id=bordeaux)
    assert bool(staff_site_ids(user=person)) is sites
