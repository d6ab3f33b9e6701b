"""Issue 9, small things: the free-slot pages (ten slots a page) get a day picker, and a cancelled
appointment's page links to booking again."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Booking, Motive
from appointments.selectors import free_slots
from appointments.services import booking_cancel, booking_create
from appointments.services.bookings import Subject
from tests.appointments.test_views import open_desk
from tests.factories import DossierFactory, StaffFactory, UserFactory, prefecture

pytestmark = pytest.mark.django_db


@pytest.fixture
def motives(db) -> dict[str, Motive]:
    return {m.code: m for m in Motive.objects.all()}


@pytest.fixture
def desk(motives):
    return open_desk(prefecture("69").sites.first(), "Guichet A",
                     [motives["pan_assistance"], motives["card_collection"], motives["biometrics"]])


@pytest.fixture
def applicant(db):
    return UserFactory(first_name="Amina", last_name="Diallo", department=prefecture("69").department)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_the_slot_picker_had_no_day_picker_now_it_jumps_to_the_chosen_day(client, desk, motives, applicant):
    client.force_login(applicant)
    day = timezone.localdate() + timedelta(days=10)
    url = reverse("appointments:book", args=["pan_assistance"])

    html = page(client, url)
    assert 'type="date" id="jour" name="jour"' in html

    html = page(client, f"{url}?jour={day.isoformat()}")
    expected = free_slots(motive=motives["pan_assistance"], site_ids=[desk.site_id],
                          after=timezone.now() + timedelta(days=9)).filter(starts_at__date__gte=day).first()
    shown = [s for s in free_slots(motive=motives["pan_assistance"], site_ids=[desk.site_id])[:200]
             if f'id="slot-{s.pk}"' in html]
    assert shown and shown[0] == expected
    assert all(timezone.localdate(s.starts_at) >= day for s in shown)
    assert "Premiers créneaux libres" in html


@pytest.mark.parametrize("typed", ["14/03/2026", "2099-01-01", "1999-01-01"])
def test_a_day_the_picker_cannot_show_gets_a_message_and_keeps_what_was_typed(client, desk, applicant, typed):
    client.force_login(applicant)
    html = page(client, reverse("appointments:book", args=["pan_assistance"]) + f"?jour={typed}")
    assert f'value="{typed}"' in html
    assert 'id="jour-error"' in html
    assert html.count('name="slot"') == 10  # the first free slots, as without a day


def test_the_reschedule_page_has_the_day_picker_too(client, desk, motives, applicant):
    booking = booking_create(person=applicant, slot=free_slots(motive=motives["pan_assistance"],
                                                               site_ids=[desk.site_id]).first(), by=applicant)
    client.force_login(applicant)
    day = timezone.localdate() + timedelta(days=8)
    html = page(client, reverse("appointments:reschedule", args=[booking.pk]) + f"?jour={day.isoformat()}")
    shown = [s for s in free_slots(motive=motives["pan_assistance"], site_ids=[desk.site_id])[:200]
             if f'id="slot-{s.pk}"' in html]
    assert shown and all(timezone.localdate(s.starts_at) >= day for s in shown)


def test_after_cancelling_there_was_no_link_to_book_again(client, desk, motives, applicant, mails):
    booking = booking_create(person=applicant, slot=free_slots(motive=motives["pan_assistance"],
                                                               site_ids=[desk.site_id]).first(), by=applicant)
    client.force_login(applicant)
    with mails():
        response = client.post(reverse("appointments:cancel", args=[booking.pk]), follow=True)

    html = unescape(response.content.decode())
    assert "Votre rendez-vous est annulé" in html
    book_again = f'{reverse("appointments:book", args=["pan_assistance"])}?site={desk.site_id}'
    assert f'href="{book_again}"' in html and "Prendre un nouveau rendez-vous" in html

    # Booked again: the old page no longer offers a second one.
    booking_create(person=applicant, slot=free_slots(motive=motives["pan_assistance"],
                                                     site_ids=[desk.site_id])[2], by=applicant)
    assert "Prendre un nouveau rendez-vous" not in page(client, reverse("appointments:detail", args=[booking.pk]))


def test_a_cancelled_card_collection_links_to_booking_again_for_the_same_file(client, desk, motives, applicant):
    dossier = DossierFactory(status="card_ready", applicant=applicant, prefecture=prefecture("69"))
    booking = booking_create(person=applicant, slot=free_slots(motive=motives["card_collection"],
                                                               site_ids=[desk.site_id]).first(), by=applicant,
                             subject=Subject("applications.dossier", str(dossier.pk), dossier.reference))
    booking_cancel(booking=booking, by=applicant)
    client.force_login(applicant)

    html = page(client, reverse("appointments:detail", args=[booking.pk]))
    assert (f'{reverse("appointments:book", args=["card_collection"])}?pour=applications.dossier%3A{dossier.pk}'
            f'&site={desk.site_id}') in html


def test_a_cancelled_convocation_says_the_prefecture_convokes_again(client, desk, motives, applicant):
    booking = booking_create(person=applicant, slot=free_slots(motive=motives["biometrics"],
                                                               site_ids=[desk.site_id]).first(),
                             by=StaffFactory(), kind=Booking.Kind.CONVOCATION,
                             movable_until=timezone.localdate() + timedelta(days=30))
    booking_cancel(booking=booking, by=applicant)
    client.force_login(applicant)

    html = page(client, reverse("appointments:detail", args=[booking.pk]))
    assert "Prendre un nouveau rendez-vous" not in html
    assert "la préfecture vous convoquera de nouveau" in html
