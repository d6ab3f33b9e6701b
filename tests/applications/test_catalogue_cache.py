"""Issue 14: the catalogue's cards are rendered once per language and catalogue version, not per
visitor; an edit in the admin is seen at once, and the English page never gets the French cards."""

from __future__ import annotations

import re

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.urls import reverse

from accounts.models import Role
from applications.models import DocumentType
from tests.applications.test_catalogue_english import in_english
from tests.factories import PASSWORD, StaffFactory, totp_code

pytestmark = pytest.mark.django_db


def test_the_catalogue_page_costs_no_query_once_its_cards_are_cached(client, django_assert_num_queries):
    client.get(reverse("applications:catalogue"))

    with django_assert_num_queries(0):
        response = client.get(reverse("applications:catalogue"))

    assert "Justificatif de domicile" in response.content.decode()


def test_each_card_form_carries_the_visitors_own_csrf_token(client):
    client.get(reverse("applications:catalogue"))  # cached by another visitor
    visitor = client.__class__(enforce_csrf_checks=True)

    html = visitor.get(reverse("applications:catalogue")).content.decode()

    token = visitor.cookies["csrftoken"].value
    assert "__anef-csrf-token__" not in html
    cards = html.count('class="fr-btn" aria-describedby="demarche-')
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert cards > 1 and len(tokens) >= cards
    assert {_unmask_cipher_token(form_token) for form_token in tokens} == {token}


def test_the_english_page_is_not_served_the_french_cards(client):
    french = client.get(reverse("applications:catalogue")).content.decode()
    assert "Justificatif de domicile" in french

    english = in_english(client, reverse("applications:catalogue")).content.decode()

    assert "Proof of address less than 6 months old" in english
    assert "Justificatif de domicile" not in english


def test_an_edit_in_the_admin_is_on_the_catalogue_page_at_once(client, django_capture_on_commit_callbacks):
    assert "Justificatif de domicile" in client.get(reverse("applications:catalogue")).content.decode()
    administrator = StaffFactory(role=Role.ADMINISTRATOR, with_totp=True)
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    staff = client.__class__()
    staff.post(reverse("accounts:login"), {"username": administrator.email, "password": PASSWORD})
    staff.post(reverse("accounts:totp_verify"), {"code": totp_code()})
    document_type = DocumentType.objects.get(name_fr__startswith="Justificatif de domicile")
    url = reverse("admin:applications_documenttype_change", args=[document_type.pk])
    form = staff.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: ("" if value is None else value) for name, value in data.items()}
    data["name_fr"] = "Justificatif de domicile récent"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert "Justificatif de domicile récent" in client.get(reverse("applications:catalogue")).content.decode()
