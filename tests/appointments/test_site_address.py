"""Issue 9, item 5: the booking page, the convocation letter, the calendar file and the e-mail give
the full street address of the site, its access notes and opening hours, and a map link (they
used to say only "93000 Bobigny")."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from appointments.models import Booking
from appointments.services import booking_create
from documents.models import DocumentKind, IssuedDocument
from documents.services import document_issue, document_render
from tests.documents.support import pdf_text

pytestmark = pytest.mark.django_db

STREET = "106 rue Pierre Corneille"
MAP = "https://www.openstreetmap.org/search?query=106+rue+Pierre+Corneille%2C+69003+Lyon"


def test_the_reference_site_has_its_street_access_and_hours(site_69):
    # Filled by territory/migrations/0004_fill_demo_site_addresses.py.
    assert site_69.full_address == f"{STREET}, 69003 Lyon"
    assert "Métro B" in site_69.access_notes and "9 h à 16 h" in site_69.opening_hours
    assert site_69.map_url == MAP


def test_a_site_without_a_street_gets_a_map_search_by_name_and_town(site_69):
    site_69.address = ""
    assert site_69.full_address == "69003 Lyon"
    assert site_69.map_url.endswith("query=Pr%C3%A9fecture+du+Rh%C3%B4ne%2C+69003+Lyon")


def test_the_booking_page_gives_the_full_address_access_hours_and_a_map_link(client, desk_69, slot_69, applicant_69):
    slot_69(in_hours=72)
    client.force_login(applicant_69())

    html = client.get(reverse("appointments:book", args=["pan_assistance"])).content.decode()

    assert f"{STREET}, 69003 Lyon" in html
    assert "Métro B, station Place Guichard" in html
    assert "Du lundi au vendredi, de 9 h à 16 h" in html
    assert f'href="{MAP}"' in html and "Voir sur une carte" in html


def test_the_booking_page_and_its_calendar_file_give_the_full_address(client, slot_69, applicant_69):
    person = applicant_69()
    booking = booking_create(person=person, slot=slot_69(in_hours=72), by=person)
    client.force_login(person)

    html = client.get(reverse("appointments:detail", args=[booking.pk])).content.decode()
    assert f"{STREET}, 69003 Lyon" in html and "Métro B" in html and f'href="{MAP}"' in html

    calendar = client.get(reverse("appointments:ics", args=[booking.pk])).content.decode()
    unfolded = calendar.replace("\r\n ", "")
    assert f"LOCATION:Préfecture du Rhône\\, {STREET}\\, 69003 Lyon" in unfolded
    assert "Accès : Accueil des étrangers" in unfolded and "Horaires : Du lundi au vendredi" in unfolded
    assert "Plan : https://www.openstreetmap.org/search?query=" in unfolded


def test_the_confirmation_email_gives_the_full_address_access_hours_and_map(slot_69, applicant_69, mails):
    person = applicant_69()
    with mails():
        booking_create(person=person, slot=slot_69(in_hours=72), by=person)

    body = mail.outbox[-1].body
    assert f"Lieu : Préfecture du Rhône, {STREET}, 69003 Lyon" in body
    assert "Accès : Accueil des étrangers" in body
    assert "Horaires : Du lundi au vendredi, de 9 h à 16 h" in body
    assert f"Plan : {MAP}" in body


def test_the_convocation_letter_gives_the_full_address_access_hours_and_map(
    slot_69, applicant_69, agent_69, biometrics, mails
):
    person = applicant_69()
    with mails():
        booking = booking_create(person=person, slot=slot_69(in_hours=96, motive=biometrics), by=agent_69,
                                 kind=Booking.Kind.CONVOCATION,
                                 movable_until=timezone.localdate() + timedelta(days=30))
    letter = IssuedDocument.objects.get(kind=DocumentKind.CONVOCATION, subject_id=str(booking.pk))
    assert letter.context["address"] == f"{STREET}, 69003 Lyon"
    assert letter.context["map_url"] == MAP

    text = pdf_text(letter)
    assert f"{STREET}, 69003 Lyon" in text
    assert "Métro B" in text and "9 h à 16 h" in text
    assert "openstreetmap.org" in text


def test_a_convocation_issued_before_the_address_details_still_renders(
    applicant_69, django_capture_on_commit_callbacks
):
    person = applicant_69()
    with django_capture_on_commit_callbacks(execute=True):
        old = document_issue(
            kind=DocumentKind.CONVOCATION, holder=person, subject=person, template="documents/pdf/convocation.html",
            context={"person": "Awa NDIAYE", "motive": "Relevé d'empreintes", "starts_at": "2026-12-01T09:00:00+01:00",
                     "duration_minutes": 15, "site": "Préfecture du Rhône", "address": "69003 Lyon",
                     "desk": "Guichet 1", "documents_to_bring": "", "file_reference": "", "booking": 1},
        )
    document_render(document=old)
    old.refresh_from_db()
    text = pdf_text(old)
    assert "69003 Lyon" in text and "openstreetmap" not in text
