"""The Django admin names every input (the browser sweep, tests/e2e/test_accessibility_sweep.py,
checks its pages with axe; these say the same quickly, without a browser)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import Role
from core.admin import LabelledInlineFormSet
from tests.factories import PASSWORD, StaffFactory, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    administrator = StaffFactory(role=Role.ADMINISTRATOR, with_totp=True, is_staff=True, is_superuser=True)
    client.post(reverse("accounts:login"), {"username": administrator.email, "password": PASSWORD})
    client.post(reverse("accounts:totp_verify"), {"code": totp_code()})
    return client


def test_a_person_page_labels_the_date_and_time_inputs_and_names_each_membership_input(admin_client):
    agent = StaffFactory()

    html = admin_client.get(reverse("admin:accounts_user_change", args=[agent.pk])).content.decode()

    assert '<label for="id_email_verified_at_0">Date\xa0:</label>' in html
    assert '<label for="id_email_verified_at_1">Heure\xa0:</label>' in html
    assert 'id="id_memberships-0-role"' in html
    assert 'aria-label="Rôle"' in html
    assert 'aria-label="Supprimer"' in html  # the row's delete box
    # The style sheet and the script that name the autocomplete boxes (select2), on every admin page.
    assert "/static/css/admin.css" in html and "/static/js/admin.js" in html


def test_every_tabular_inline_of_the_portal_names_its_inputs():
    """A new inline that derives from Django's TabularInline rather than core.admin's fails here."""
    inlines = [
        (model_admin, inline) for model_admin in admin.site._registry.values() for inline in model_admin.inlines
        if model_admin.__module__.split(".")[0] in {"accounts", "applications", "appointments", "documents",
                                                     "helpcentre", "mediation", "notifications", "territory"}
    ]

    assert inlines
    unnamed = [f"{model_admin.__module__}.{inline.__name__}" for model_admin, inline in inlines
               if not issubclass(inline.formset, LabelledInlineFormSet)]
    assert not unnamed, f"derive these from core.admin.TabularInline: {unnamed}"


def test_the_dsfr_settings_the_portal_does_not_read_are_not_in_the_admin(admin_client):
    assert admin_client.get("/admin/dsfr/dsfrconfig/").status_code == 404
