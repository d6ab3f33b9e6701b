"""Pages shown to a signed-in person are never kept by a cache (issue 8, item 4): help-desk
computers are shared, and the next person must not find the previous one's file in the history."""

import pytest
from django.urls import reverse

from applications.services import draft_start
from tests.backoffice.conftest import RENEWAL, file_renewal, sign_in
from tests.factories import StaffFactory, UserFactory, procedure

pytestmark = pytest.mark.django_db


def assert_private(response):
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_applicant_pages_with_personal_data_are_not_cached(client):
    dossier = file_renewal()
    client.force_login(dossier.applicant)

    for url in (reverse("applications:dashboard"), reverse("applications:dossier", args=[dossier.pk]),
                reverse("notifications:inbox"), reverse("accounts:profile")):
        assert_private(client.get(url))


def test_applicant_form_steps_are_not_cached(client):
    applicant = UserFactory()
    draft, _created = draft_start(applicant=applicant, procedure=procedure(RENEWAL))
    client.force_login(applicant)

    assert_private(client.get(reverse("applications:step", args=[draft.pk, "identity"])))


def test_back_office_file_page_is_not_cached(client):
    dossier = file_renewal()
    sign_in(client, StaffFactory(with_totp=True))

    assert_private(client.get(reverse("backoffice_instruction:dossier", args=[dossier.pk])))
    assert_private(client.get(reverse("backoffice_instruction:queue")))


def test_a_view_that_already_says_no_store_keeps_its_header(client):
    dossier = file_renewal()
    sign_in(client, StaffFactory(with_totp=True))
    attachment = dossier.attachments.first()

    response = client.get(reverse("backoffice_instruction:attachment", args=[dossier.pk, attachment.pk]))

    assert response["Cache-Control"] == "private, no-store"


def test_public_pages_for_anonymous_visitors_keep_their_caching(client):
    response = client.get(reverse("home"))

    assert "no-store" not in response.get("Cache-Control", "")
