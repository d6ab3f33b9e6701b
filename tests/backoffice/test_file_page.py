"""The file page's cheaper paths (issue 14): what they give is what the plain path gives.

Blank action forms are rendered once per language and what they show by each process: each test
here changes one thing a form shows and checks that the page shows it at once."""

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from applications.backoffice import forms
from applications.backoffice.selectors import prefecture_agents
from applications.models import DocumentType, Status
from applications.services import dossier_mark_complete
from tests.backoffice.conftest import file_renewal, sign_in

pytestmark = pytest.mark.django_db


def page_of(client, dossier) -> str:
    response = client.get(reverse("backoffice_instruction:dossier", args=[dossier.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_blank_forms_are_those_a_form_renders(client, supervisor, instructor, language, settings):
    sign_in(client, supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    submitted = file_renewal()
    under_review = file_renewal(last_name="Roux")
    dossier_mark_complete(dossier=under_review, by=instructor)
    for _ in range(2):  # rendered, then from this process's copy
        page = page_of(client, submitted)
        with translation.override(language):
            agents = prefecture_agents(prefecture_ids={submitted.prefecture_id})
            assert str(forms.AssignForm(prefix="assign", agents=agents, initial={"agent": None})) in page
            assert str(forms.ComplementsForm(prefix="complements", procedure=submitted.procedure)) in page
            assert str(forms.DecisionForm(prefix="decision", outcomes=[Status.CLOSED_WITHOUT_ACTION])) in page
        page = page_of(client, under_review)
        with translation.override(language):
            for attachment in under_review.attachments.filter(is_current=True):
                assert str(forms.AttachmentReviewForm(prefix=f"att{attachment.pk}")) in page
            assert "att__anef-attachment__" not in page


def test_a_renamed_document_type_shows_at_once_in_the_complements_form(agent_client):
    dossier = file_renewal()
    assert "Justificatif de domicile" in unescape(page_of(agent_client, dossier))
    DocumentType.objects.filter(code="justificatif-domicile").update(name="Preuve d'adresse")
    page = unescape(page_of(agent_client, dossier))
    assert "Preuve d'adresse" in page and "Justificatif de domicile" not in page


def test_the_complements_due_date_moves_with_the_day(client, instructor):
    dossier = file_renewal()
    today = timezone.localdate()
    sign_in(client, instructor)
    assert f'value="{(today + timedelta(days=30)).isoformat()}"' in page_of(client, dossier)
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=12)
    with time_machine.travel(tomorrow, tick=False):
        sign_in(client, instructor)  # the second factor's check is dated
        assert f'value="{(today + timedelta(days=31)).isoformat()}"' in page_of(client, dossier)


def test_a_renamed_agent_shows_at_once_in_the_assignment_form(client, supervisor, instructor):
    sign_in(client, supervisor)
    dossier = file_renewal()
    assert f">{instructor.get_full_name()}</option>" in page_of(client, dossier)
    User.objects.filter(pk=instructor.pk).update(last_name="Lefèvre")
    page = page_of(client, dossier)
    assert ">Jeanne LEFÈVRE</option>" in page and f">{instructor.get_full_name()}</option>" not in page
