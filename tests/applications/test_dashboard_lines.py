"""The dashboard's lines name each dossier's procedure in the reader's language (issue 14: from the
catalogue's cached names, not a join), and a renamed procedure shows under its new name."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from applications.catalogue_cache import catalogue_changed
from tests.factories import DossierFactory, UserFactory, procedure

pytestmark = pytest.mark.django_db


def test_drafts_and_filed_dossiers_name_their_procedure_in_the_readers_language(client):
    person = UserFactory()
    renewal, other = procedure(), procedure("premiere-demande-salarie")
    DossierFactory(applicant=person, procedure=renewal)
    DossierFactory(applicant=person, procedure=other, status="submitted")
    client.force_login(person)

    page = unescape(client.get(reverse("applications:dashboard")).content.decode())
    assert renewal.name_fr in page and other.name_fr in page

    client.post(reverse("set_language"), {"language": "en", "next": "/espace/"})
    page = unescape(client.get(reverse("applications:dashboard")).content.decode())
    assert renewal.name_en in page and other.name_en in page


def test_a_procedure_renamed_in_the_admin_shows_under_its_new_name(client, django_capture_on_commit_callbacks):
    person = UserFactory()
    dossier = DossierFactory(applicant=person, status="submitted")
    client.force_login(person)
    assert dossier.procedure.name_fr in unescape(client.get(reverse("applications:dashboard")).content.decode())

    dossier.procedure.name_fr = "Renouvellement renommé"
    dossier.procedure.save()
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_changed()  # what the admin's save calls
    assert "Renouvellement renommé" in unescape(client.get(reverse("applications:dashboard")).content.decode())
