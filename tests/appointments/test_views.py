"""The appointment pages over HTTP: the applicant's bookings, letters and calendar file, and the
desks' pages for agents, mediators and supervisors.

The setup is the demo's: a desk at the prefecture of the Rhône with weekly opening rules, and the
slots that ``slots_generate`` makes from them.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from appointments.models import Booking, Closure, Desk, Motive, OpeningRule, Slot, WaitlistEntry
from appointments.selectors import free_slots
from appointments.services import booking_create, slots_generate
from appointments.services.bookings import Subject
from documents.models import DocumentKind, IssuedDocument
from notifications.models import Notification
from territory.models import Site
from tests.factories import DossierFactory, StaffFactory, UserFactory, prefecture

pytestmark = pytest.mark.django_db

WEEKDAYS = range(6)  # Monday to Saturday, so that every test day has slots within a few days


@pytest.fixture
def motives(db) -> dict[str, Motive]:
    return {m.code: m for m in Motive.objects.all()}


def open_desk(site: Site, name: str, motives: list[Motive], *, capacity: int = 1, weeks: int = 3) -> Desk:
    """A desk open 09:00-12:00 Monday to Saturday for each motive, with its slots generated."""
    desk = Desk.objects.create(site=site, name=name)
    desk.motives.set(motives)
    OpeningRule.objects.bulk_create([
        OpeningRule(desk=desk, motive=motive, weekday=day, opens_at=time(9), closes_at=time(12), capacity=capacity,
                    valid_from=timezone.localdate() - timedelta(days=7))
        for motive in motives for day in WEEKDAYS
    ])
    slots_generate(start=timezone.localdate(), weeks=weeks, desk_ids=[desk.pk])
    return desk


@pytest.fixture
def desk(motives) -> Desk:
    """Guichet A of the prefecture of the Rhône (its first site): PAN help, card collection and
    biometrics, one person per slot."""
    return open_desk(prefecture("69").sites.first(), "Guichet A",
                     [motives["pan_assistance"], motives["card_collection"], motives["biometrics"]])


@pytest.fixture
def applicant(db):
    return UserFactory(first_name="Amina", last_name="Diallo", department=prefecture("69").department)


def first_free(motive: Motive, desk: Desk, skip: int = 0) -> Slot:
    return free_slots(motive=motive, site_ids=[desk.site_id])[skip]


def book(person, motive: Motive, desk: Desk, skip: int = 0, **kwargs) -> Booking:
    return booking_create(person=person, slot=first_free(motive, desk, skip), by=kwargs.pop("by", person), **kwargs)


def sign_in_staff(client, user) -> None:
    """A staff session with its second factor verified, as after the code page."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


def query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- The applicant ------------------------------------------------------------------------------

def test_an_applicant_sees_only_their_own_bookings(client, desk, motives, applicant):
    mine = book(applicant, motives["pan_assistance"], desk)
    other = UserFactory(first_name="Lucas", last_name="Silva", department=prefecture("69").department)
    theirs = book(other, motives["pan_assistance"], desk, skip=1)
    client.force_login(applicant)

    html = client.get(reverse("appointments:list")).content.decode()
    assert reverse("appointments:detail", args=[mine.pk]) in html
    assert reverse("appointments:detail", args=[theirs.pk]) not in html

    for name in ("detail", "ics", "cancel", "reschedule"):
        assert client.get(reverse(f"appointments:{name}", args=[theirs.pk])).status_code == 404
    for name in ("cancel", "reschedule", "waitlist"):
        assert client.post(reverse(f"appointments:{name}", args=[theirs.pk]), {"slot": 1}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.BOOKED
    assert client.get(reverse("appointments:detail", args=[mine.pk])).status_code == 200


def test_the_pages_need_a_signed_in_person(client, desk, motives, applicant):
    booking = book(applicant, motives["pan_assistance"], desk)
    for url in (reverse("appointments:list"), reverse("appointments:book", args=["pan_assistance"]),
                reverse("appointments:detail", args=[booking.pk]), reverse("appointments:ics", args=[booking.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_an_applicant_books_pan_help_page_by_page(client, desk, motives, applicant, mails):
    client.force_login(applicant)
    url = reverse("appointments:book", args=["pan_assistance"])
    first_page = client.get(url)
    html = first_page.content.decode()
    slots = list(free_slots(motive=motives["pan_assistance"], site_ids=[desk.site_id])[:11])
    assert html.count('name="slot"') == 10
    assert f'id="slot-{slots[0].pk}"' in html and f'id="slot-{slots[10].pk}"' not in html
    assert "Créneaux suivants" in html

    next_url = re.search(r'href="([^"]*apres=[^"]*)"', html).group(1).replace("&amp;", "&")
    html = client.get(next_url).content.decode()
    assert f'id="slot-{slots[10].pk}"' in html and f'id="slot-{slots[0].pk}"' not in html
    assert "Premiers créneaux libres" in html

    with mails():
        response = client.post(url, {"site": desk.site_id, "slot": slots[10].pk})
    booking = Booking.objects.get(person=applicant)
    assert response["Location"] == reverse("appointments:detail", args=[booking.pk])
    assert booking.slot == slots[10] and booking.kind == Booking.Kind.SELF and booking.subject_id == ""
    notice = Notification.objects.get(recipient=applicant, event="appointment.booked", channel="inbox")
    start = timezone.localtime(slots[10].starts_at)
    assert notice.subject == f"Rendez-vous confirmé le {start:%d/%m/%Y} à {start:%H:%M}"
    assert "Ce rendez-vous est personnel" in notice.body
    assert reverse("appointments:detail", args=[booking.pk]) in notice.body

    html = client.get(response["Location"]).content.decode()
    assert "Rendez-vous personnel : présentez une pièce d'identité à ce nom" in html
    assert "Amina DIALLO" in html and "Guichet A" in html
    assert reverse("appointments:ics", args=[booking.pk]) in html
    assert "Télécharger la convocation" not in html  # PAN help: no letter


@pytest.mark.parametrize("after", ["2026-13-45T99:99", "0001-01-01T00:00:00", "9999-12-31T23:59:59", "demain"])
def test_a_bad_apres_on_the_free_slot_pages_is_a_404_not_a_500(client, desk, motives, applicant, after):
    client.force_login(applicant)
    booking = book(applicant, motives["pan_assistance"], desk)

    assert client.get(reverse("appointments:book", args=["pan_assistance"]), {"apres": after}).status_code == 404
    assert client.get(reverse("appointments:reschedule", args=[booking.pk]), {"apres": after}).status_code == 404


def test_booking_a_slot_just_taken_shows_the_next_free_slots_not_an_error_page(client, desk, motives, applicant):
    taken = first_free(motives["pan_assistance"], desk)
    booking_create(person=UserFactory(), slot=taken, by=UserFactory())  # capacity 1: now full
    client.force_login(applicant)

    response = client.post(reverse("appointments:book", args=["pan_assistance"]),
                           {"site": desk.site_id, "slot": taken.pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ce créneau vient d&#x27;être pris. Voici les prochains créneaux libres." in html
    alternatives = free_slots(motive=motives["pan_assistance"], site_ids=[desk.site_id])[:5]
    for slot in alternatives:
        assert f'id="slot-{slot.pk}"' in html
    assert f'id="slot-{taken.pk}"' not in html
    assert not Booking.objects.filter(person=applicant).exists()


def test_a_second_booking_for_the_same_motive_is_refused_with_a_link_to_the_first(client, desk, motives, applicant):
    book(applicant, motives["pan_assistance"], desk)
    client.force_login(applicant)
    response = client.post(reverse("appointments:book", args=["pan_assistance"]),
                           {"site": desk.site_id, "slot": first_free(motives["pan_assistance"], desk).pk})
    assert response.status_code == 200
    assert "Vous avez déjà un rendez-vous pour ce motif." in response.content.decode()
    assert Booking.objects.filter(person=applicant).count() == 1


def test_motives_an_applicant_cannot_book_online(client, desk, motives, applicant):
    client.force_login(applicant)
    assert client.get(reverse("appointments:book", args=["biometrics"])).status_code == 404
    assert client.get(reverse("appointments:book", args=["unknown"])).status_code == 404

    url = reverse("appointments:book", args=["card_collection"])
    response = client.get(url)
    assert response.status_code == 403
    assert "depuis la page de votre dossier" in response.content.decode()
    in_production = DossierFactory(applicant=applicant, status="card_in_production", prefecture=prefecture("69"))
    someone_elses = DossierFactory(status="card_ready", prefecture=prefecture("69"))
    for dossier in (in_production, someone_elses):
        assert client.get(f"{url}?pour=applications.dossier:{dossier.pk}").status_code == 403
        response = client.post(f"{url}?pour=applications.dossier:{dossier.pk}",
                               {"site": desk.site_id, "slot": first_free(motives["card_collection"], desk).pk})
        assert response.status_code == 403
    assert client.get(f"{url}?pour=nothing:1").status_code == 403
    assert not Booking.objects.exists()


def test_a_ready_card_is_booked_from_the_dossier_and_gets_a_letter(client, desk, motives, mails):
    # The person lives elsewhere now: the card is collected where the dossier is.
    person = UserFactory(first_name="Mei", last_name="Chen", department=prefecture("33").department)
    dossier = DossierFactory(applicant=person, status="card_ready", prefecture=prefecture("69"))
    client.force_login(person)
    dossier_page = reverse("applications:dossier", args=[dossier.pk])
    html = client.get(dossier_page).content.decode()
    url = f"{reverse('appointments:book', args=['card_collection'])}?pour=applications.dossier:{dossier.pk}"
    assert "Prendre rendez-vous pour retirer mon titre" in html
    assert url.replace("?", "?") in html

    html = client.get(url).content.decode()
    assert f"dossier n° {dossier.reference}" in html
    slot = first_free(motives["card_collection"], desk, skip=2)
    with mails():
        response = client.post(url, {"site": desk.site_id, "slot": slot.pk})
    booking = Booking.objects.get(person=person)
    assert response["Location"] == reverse("appointments:detail", args=[booking.pk])
    assert (booking.subject_type, booking.subject_id) == ("applications.dossier", str(dossier.pk))

    letter = IssuedDocument.objects.get(kind=DocumentKind.CONVOCATION, subject_id=str(booking.pk))
    assert letter.context["file_reference"] == dossier.reference
    assert letter.context["person"] == "Mei CHEN"
    text = pdf_text(letter)
    start = timezone.localtime(slot.starts_at)
    for expected in ("Convocation", "Convocation personnelle et non transmissible.", "Mei CHEN",
                     f"{start:%d/%m/%Y} – {start:%H:%M}", "Guichet A", dossier.reference,
                     "Remise du titre de séjour", f"/rendez-vous/{booking.pk}/"):
        assert expected in text, expected

    html = client.get(reverse("appointments:detail", args=[booking.pk])).content.decode()
    assert reverse("documents:download", args=[letter.pk]) in html
    assert f"n° {dossier.reference}" in html
    html = client.get(dossier_page).content.decode()
    assert reverse("appointments:detail", args=[booking.pk]) in html
    assert "Prendre rendez-vous pour retirer mon titre" not in html  # booked already


def pdf_text(document) -> str:
    document.refresh_from_db()
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_calendar_file(client, desk, motives, applicant):
    booking = book(applicant, motives["pan_assistance"], desk)
    client.force_login(applicant)

    response = client.get(reverse("appointments:ics", args=[booking.pk]))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="rendez-vous-{booking.pk}.ics"'
    raw = response.content
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    text = raw.decode("utf-8").replace("\r\n ", "")  # unfolded
    lines = text.split("\r\n")
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"] and lines[-2:] == ["END:VCALENDAR", ""]
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    assert fields["UID"] == f"rendez-vous-{booking.pk}@{urlsplit(settings.SITE_URL).hostname}"
    assert fields["DTSTART"] == booking.slot.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert fields["DTEND"] == booking.slot.ends_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert re.fullmatch(r"\d{8}T\d{6}Z", fields["DTSTAMP"])
    assert fields["STATUS"] == "CONFIRMED"
    assert fields["SUMMARY"] == "Rendez-vous : Aide à la démarche en ligne (point d'accueil numérique)"
    assert fields["LOCATION"].startswith(desk.site.name.replace(",", "\\,"))
    # TEXT values escape commas, semicolons and line breaks.
    description = fields["DESCRIPTION"]
    assert "Guichet : Guichet A\\nAccès : " in description  # then hours and map (issue 9, item 5)
    assert "\\nRendez-vous personnel" in description
    assert "Vos documents d'identité\\, votre titre de séjour\\," in description


def test_calendar_text_is_escaped_and_long_lines_folded_without_cutting_a_character():
    from appointments.ics import escape_text, fold

    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line).encode("utf-8").split(b"\r\n")
    assert all(len(part) <= 75 for part in folded) and all(part.startswith(b" ") for part in folded[1:])
    assert fold(line).replace("\r\n ", "") == line  # decodes: no character was cut


def test_cancel_then_book_again_then_reschedule(client, desk, motives, applicant, mails):
    booking = book(applicant, motives["pan_assistance"], desk)
    client.force_login(applicant)
    cancel_url = reverse("appointments:cancel", args=[booking.pk])
    assert "Voulez-vous vraiment annuler" in client.get(cancel_url).content.decode()
    with mails():
        response = client.post(cancel_url)
    assert response["Location"] == reverse("appointments:detail", args=[booking.pk])  # with a way to book again
    booking.refresh_from_db()
    booking.slot.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.slot.booked == 0
    assert Notification.objects.filter(recipient=applicant, event="appointment.cancelled").exists()
    assert client.get(cancel_url).status_code == 302  # not cancellable twice

    booking = book(applicant, motives["pan_assistance"], desk)
    url = reverse("appointments:reschedule", args=[booking.pk])
    html = client.get(url).content.decode()
    assert f'id="slot-{booking.slot_id}"' not in html  # the current slot is not offered
    target = first_free(motives["pan_assistance"], desk, skip=3)
    assert f'id="slot-{target.pk}"' in html
    with mails():
        response = client.post(url, {"slot": target.pk})
    new = Booking.objects.get(person=applicant, status=Booking.Status.BOOKED)
    assert response["Location"] == reverse("appointments:detail", args=[new.pk])
    assert new.slot == target and new.rescheduled_from == booking
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    notice = Notification.objects.get(recipient=applicant, event="appointment.changed", channel="inbox")
    assert notice.subject.startswith("Rendez-vous déplacé au ")


def test_a_convocation_moves_only_until_its_limit(client, desk, motives, applicant):
    agent = StaffFactory()
    slots = list(free_slots(motive=motives["biometrics"], site_ids=[desk.site_id]))
    limit = timezone.localdate(slots[0].starts_at) + timedelta(days=2)
    booking = booking_create(person=applicant, slot=slots[0], by=agent, kind=Booking.Kind.CONVOCATION,
                             subject=Subject("applications.dossier", "0"), movable_until=limit)
    beyond = next(s for s in slots if timezone.localdate(s.starts_at) > limit)
    within = slots[1]
    client.force_login(applicant)

    html = client.get(reverse("appointments:detail", args=[booking.pk])).content.decode()
    assert "Télécharger la convocation" in html
    html = client.get(reverse("appointments:reschedule", args=[booking.pk])).content.decode()
    assert f'id="slot-{within.pk}"' in html and f'id="slot-{beyond.pk}"' not in html

    response = client.post(reverse("appointments:reschedule", args=[booking.pk]), {"slot": beyond.pk})
    assert response.status_code == 200
    said = "Cette convocation ne peut être déplacée qu&#x27;à une date allant jusqu&#x27;au"
    assert said in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED and booking.slot == slots[0]

    response = client.post(reverse("appointments:reschedule", args=[booking.pk]), {"slot": within.pk})
    moved = Booking.objects.get(person=applicant, status=Booking.Status.BOOKED)
    assert response["Location"] == reverse("appointments:detail", args=[moved.pk])
    old_letter = IssuedDocument.objects.get(kind=DocumentKind.CONVOCATION, subject_id=str(booking.pk))
    new_letter = IssuedDocument.objects.get(kind=DocumentKind.CONVOCATION, subject_id=str(moved.pk))
    assert (old_letter.status, old_letter.superseded_by) == ("superseded", new_letter)
    assert new_letter.context["starts_at"] == timezone.localtime(within.starts_at).isoformat()


def test_joining_the_waiting_list_from_a_booking(client, desk, motives, applicant):
    booking = book(applicant, motives["pan_assistance"], desk, skip=4)
    client.force_login(applicant)
    response = client.post(reverse("appointments:waitlist", args=[booking.pk]), follow=True)
    assert "Vous êtes sur la liste d&#x27;attente" in response.content.decode()
    entry = WaitlistEntry.objects.get(person=applicant)
    assert (entry.motive, entry.site) == (motives["pan_assistance"], desk.site)


def _earlier_seat_freed(client, desk, motives, applicant, mails):
    """The applicant waits for an earlier seat; another person's cancellation frees one, offered
    to them; the cancelled booking is returned. The applicant is signed in again at the end."""
    early = UserFactory()
    early_booking = book(early, motives["pan_assistance"], desk)
    mine = book(applicant, motives["pan_assistance"], desk, skip=5)
    client.force_login(applicant)
    client.post(reverse("appointments:waitlist", args=[mine.pk]))
    with mails():
        client.force_login(early)
        client.post(reverse("appointments:cancel", args=[early_booking.pk]))
    client.force_login(applicant)
    return early_booking


def test_an_offer_past_its_expiry_is_no_longer_on_the_list(client, desk, motives, applicant, mails):
    """Issue 14: the pending offers are read by SQL built once per process and the expired ones
    left out in Python (``offers_pending_for_person``), before the nightly job marks them."""
    _earlier_seat_freed(client, desk, motives, applicant, mails)
    offer = applicant_offer(applicant)
    assert f'id="proposition-{offer.pk}"' in client.get(reverse("appointments:list")).content.decode()

    type(offer).objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert f'id="proposition-{offer.pk}"' not in client.get(reverse("appointments:list")).content.decode()


def test_a_freed_seat_offered_is_accepted_from_the_list(client, desk, motives, applicant, mails):
    early_booking = _earlier_seat_freed(client, desk, motives, applicant, mails)
    html = client.get(reverse("appointments:list")).content.decode()
    assert "Un créneau plus tôt s'est libéré" in html
    offer = applicant_offer(applicant)
    notice = Notification.objects.get(recipient=applicant, event="appointment.offer", channel="inbox")
    assert "Il vous est réservé jusqu'au" in notice.body

    response = client.post(reverse("appointments:offer_accept", args=[offer.pk]))
    new = Booking.objects.get(person=applicant, status=Booking.Status.BOOKED)
    assert response["Location"] == reverse("appointments:detail", args=[new.pk])
    assert new.slot == early_booking.slot


def applicant_offer(person):
    from appointments.models import SlotOffer

    return SlotOffer.objects.get(entry__person=person, status=SlotOffer.Status.PENDING)


def test_the_list_page_queries_do_not_grow_with_bookings(client, desk, motives, applicant):
    client.force_login(applicant)
    url = reverse("appointments:list")
    query_count(client, url)  # the first request of a session writes the session
    # Session, user, bookings; the offers read only when there is no booking or one is pending.
    assert query_count(client, url) == 4
    book(applicant, motives["pan_assistance"], desk)
    few = query_count(client, url)
    assert few == 3
    for skip in range(3):
        booking_create(person=applicant, slot=first_free(motives["card_collection"], desk, skip), by=applicant,
                       subject=Subject("applications.dossier", str(900 + skip)))
    assert query_count(client, url) == few


# --- Staff --------------------------------------------------------------------------------------

@pytest.fixture
def agent(db):
    return StaffFactory(with_totp=True)


def test_an_agent_sees_only_the_desks_of_their_prefecture(client, desk, motives, agent):
    elsewhere = open_desk(prefecture("33").sites.first(), "Guichet Gironde", [motives["pan_assistance"]], weeks=1)
    far_booking = book(UserFactory(), motives["pan_assistance"], elsewhere)
    sign_in_staff(client, agent)

    html = client.get(reverse("appointments_backoffice:desks")).content.decode()
    assert "Guichet A" in html and "Guichet Gironde" not in html
    assert "Horaires et fermetures" not in html  # an agent is no supervisor
    today = timezone.localdate().isoformat()
    assert client.get(reverse("appointments_backoffice:day", args=[desk.pk, today])).status_code == 200
    assert client.get(reverse("appointments_backoffice:day", args=[elsewhere.pk, today])).status_code == 404
    assert client.post(reverse("appointments_backoffice:mark", args=[far_booking.pk]),
                       {"status": "checked_in"}).status_code == 404
    refused = client.get(reverse("appointments_backoffice:rules", args=[desk.pk]))
    assert refused.status_code == 403
    said = "Seul un chef de bureau de la préfecture de ce guichet peut changer ses horaires."
    assert said in refused.content.decode()
    assert client.get(f"/backoffice/guichets/{desk.pk}/2026-02-30/").status_code == 404


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-02-30"])
def test_a_desk_day_outside_the_calendar_is_a_404_not_a_500(client, desk, agent, day):
    sign_in_staff(client, agent)

    assert client.get(f"/backoffice/guichets/{desk.pk}/{day}/").status_code == 404


def test_staff_without_a_site_and_applicants_are_refused(client, desk):
    support = StaffFactory(support=True, with_totp=True)
    sign_in_staff(client, support)
    response = client.get(reverse("appointments_backoffice:desks"))
    assert response.status_code == 403
    assert "Seuls les agents des préfectures et les médiateurs numériques ont accès aux guichets." in (
        response.content.decode())
    client.force_login(UserFactory())
    assert client.get(reverse("appointments_backoffice:desks")).status_code == 403


def test_check_in_done_and_no_show_at_the_desk(client, desk, motives, agent, applicant, mails):
    arriving = book(applicant, motives["pan_assistance"], desk)
    subject_person = UserFactory(first_name="Youssef", last_name="Benali")
    dossier = DossierFactory(applicant=subject_person, status="under_review", prefecture=prefecture("69"))
    with mails():
        convoked = booking_create(person=subject_person, slot=first_free(motives["biometrics"], desk), by=agent,
                                  kind=Booking.Kind.CONVOCATION,
                                  subject=Subject("applications.dossier", str(dossier.pk), dossier.reference),
                                  movable_until=timezone.localdate() + timedelta(days=30))
    # Both appointments started up to an hour ago, on today's date in Paris (just after midnight, an
    # hour ago was yesterday, where the desk's day no longer takes an arrival).
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    start = max(timezone.now() - timedelta(hours=1), midnight)
    Slot.objects.filter(pk__in=[arriving.slot_id, convoked.slot_id]).update(
        starts_at=start, ends_at=start + timedelta(minutes=15))
    sign_in_staff(client, agent)
    day_url = reverse("appointments_backoffice:day", args=[desk.pk, timezone.localdate(start).isoformat()])

    html = client.get(day_url).content.decode()
    assert "Amina DIALLO" in html and "Youssef BENALI" in html
    assert dossier.reference in html  # the file reference, through the registry
    assert "Relevé d&#x27;empreintes et photo" in html

    mark = reverse("appointments_backoffice:mark", args=[arriving.pk])
    response = client.post(mark, {"status": "checked_in"})
    assert response["Location"] == f"{day_url}#rdv-{arriving.pk}"
    arriving.refresh_from_db()
    assert arriving.status == Booking.Status.CHECKED_IN and arriving.checked_in_at is not None
    client.post(mark, {"status": "done"})
    arriving.refresh_from_db()
    assert arriving.status == Booking.Status.DONE
    response = client.post(mark, {"status": "no_show"}, follow=True)
    assert "Action impossible" in response.content.decode()

    client.post(reverse("appointments_backoffice:mark", args=[convoked.pk]), {"status": "no_show"})
    convoked.refresh_from_db()
    assert convoked.status == Booking.Status.NO_SHOW
    html = client.get(day_url).content.decode()
    reconvoke = reverse("appointments_backoffice:reconvoke", args=[convoked.pk])
    assert reconvoke in html and "Reconvoquer" in html

    html = client.get(reconvoke).content.decode()
    target = first_free(motives["biometrics"], desk, skip=1)
    assert f'id="slot-{target.pk}"' in html
    with mails():
        response = client.post(reconvoke, {"slot": target.pk})
    assert response["Location"] == day_url
    new = Booking.objects.get(person=subject_person, status=Booking.Status.BOOKED)
    assert new.kind == Booking.Kind.CONVOCATION and new.slot == target and new.created_by == agent
    assert new.subject_id == str(dossier.pk)
    assert new.movable_until == timezone.localdate() + timedelta(days=30)
    assert IssuedDocument.objects.filter(kind=DocumentKind.CONVOCATION, subject_id=str(new.pk)).exists()
    html = client.get(day_url).content.decode()
    assert "Reconvoqué(e)" in html and reconvoke not in html


def test_the_new_convocation_after_a_no_show_is_movable_for_the_configured_days(
        client, desk, motives, agent, settings, mails):
    settings.CONVOCATION_MOVABLE_DAYS = 12
    person = UserFactory(first_name="Youssef", last_name="Benali")
    with mails():
        missed = booking_create(person=person, slot=first_free(motives["biometrics"], desk), by=agent,
                                kind=Booking.Kind.CONVOCATION, movable_until=timezone.localdate())
    Booking.objects.filter(pk=missed.pk).update(status=Booking.Status.NO_SHOW)
    sign_in_staff(client, agent)
    reconvoke = reverse("appointments_backoffice:reconvoke", args=[missed.pk])
    page = client.get(reconvoke).content.decode()
    assert "pendant 12 jours." in page
    with mails():
        client.post(reconvoke, {"slot": first_free(motives["biometrics"], desk, skip=1).pk})
    new = Booking.objects.get(person=person, status=Booking.Status.BOOKED)
    assert new.movable_until == timezone.localdate() + timedelta(days=12)


def test_a_day_page_queries_do_not_grow_with_bookings(client, desk, motives, agent):
    sign_in_staff(client, agent)
    slot = first_free(motives["biometrics"], desk)
    url = reverse("appointments_backoffice:day", args=[desk.pk, timezone.localdate(slot.starts_at).isoformat()])
    book_for_file(agent, slot)
    query_count(client, url)
    few = query_count(client, url)
    for skip in range(1, 4):
        book_for_file(agent, first_free(motives["biometrics"], desk, skip))
    assert query_count(client, url) == few


def book_for_file(agent, slot):
    dossier = DossierFactory(status="under_review", prefecture=prefecture("69"))
    return booking_create(person=dossier.applicant, slot=slot, by=agent, kind=Booking.Kind.CONVOCATION,
                          subject=Subject("applications.dossier", str(dossier.pk), dossier.reference),
                          movable_until=timezone.localdate() + timedelta(days=30))


def test_a_mediator_runs_the_desk_of_their_digital_help_point(client, desk, motives):
    pan = Site.objects.create(prefecture=prefecture("69"), kind=Site.Kind.PAN, name="PAN Lyon 3",
                              postal_code="69003", city="Lyon")
    pan_desk = open_desk(pan, "Accueil numérique", [motives["pan_assistance"]], weeks=1)
    mediator = StaffFactory(mediator=True, role__site=pan, with_totp=True)
    visitor = book(UserFactory(first_name="Lucas", last_name="Silva"), motives["pan_assistance"], pan_desk)
    sign_in_staff(client, mediator)

    html = client.get(reverse("appointments_backoffice:desks")).content.decode()
    assert "Accueil numérique" in html and "Guichet A" not in html
    day = timezone.localdate(visitor.slot.starts_at).isoformat()
    html = client.get(reverse("appointments_backoffice:day", args=[pan_desk.pk, day])).content.decode()
    assert "Lucas SILVA" in html
    assert client.get(reverse("appointments_backoffice:day", args=[desk.pk, day])).status_code == 404
    assert client.get(reverse("appointments_backoffice:rules", args=[pan_desk.pk])).status_code == 403


@pytest.fixture
def supervisor(db):
    return StaffFactory(supervisor=True, with_totp=True)


def test_a_supervisor_adds_a_rule_and_generates_its_slots(client, desk, motives, supervisor):
    sign_in_staff(client, supervisor)
    url = reverse("appointments_backoffice:rules", args=[desk.pk])
    html = client.get(url).content.decode()
    assert "Ajouter un horaire" in html and "Générer les créneaux" in html

    add = reverse("appointments_backoffice:rule_add", args=[desk.pk])
    response = client.post(add, {"rule-motive": motives["card_collection"].pk, "rule-weekday": 0,
                                 "rule-opens_at": "14:00", "rule-closes_at": "13:00", "rule-capacity": 2,
                                 "rule-valid_from": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert "L&#x27;heure de fermeture doit suivre l&#x27;heure d&#x27;ouverture." in response.content.decode()

    response = client.post(add, {"rule-motive": motives["card_collection"].pk, "rule-weekday": 0,
                                 "rule-opens_at": "14:00", "rule-closes_at": "15:00", "rule-capacity": 2,
                                 "rule-valid_from": timezone.localdate().isoformat()})
    assert response["Location"] == url
    rule = OpeningRule.objects.get(desk=desk, opens_at=time(14))
    assert (rule.motive, rule.weekday, rule.capacity) == (motives["card_collection"], 0, 2)

    response = client.post(reverse("appointments_backoffice:generate", args=[desk.pk]), follow=True)
    afternoon = [s for s in Slot.objects.filter(desk=desk, motive=motives["card_collection"])
                 if timezone.localtime(s.starts_at).hour == 14]
    assert afternoon and all(timezone.localtime(s.starts_at).weekday() == 0 for s in afternoon)
    assert "nouveaux créneaux ouverts" in response.content.decode()

    from accounts.models import AuditEvent

    assert AuditEvent.objects.filter(action="opening_rule.created", object_id=str(rule.pk), actor=supervisor).exists()


def test_a_supervisor_closes_a_day_and_is_told_which_bookings_to_move(client, desk, motives, supervisor, applicant):
    booking = book(applicant, motives["pan_assistance"], desk)
    day = timezone.localdate(booking.slot.starts_at)
    sign_in_staff(client, supervisor)

    response = client.post(reverse("appointments_backoffice:closure_add", args=[desk.pk]), {
        "closure-starts_on": day.isoformat(), "closure-ends_on": day.isoformat(), "closure-reason": "Travaux",
    })

    assert response.status_code == 200
    html = response.content.decode()
    assert "Fermeture : rendez-vous à déplacer" in html and "Amina DIALLO" in html
    closure = Closure.objects.get(site=desk.site)
    assert closure.desk == desk and closure.reason == "Travaux"
    same_day = Slot.objects.filter(desk=desk, starts_at__date=day)
    assert same_day.filter(is_cancelled=False).count() == 1  # only the booked one stays
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED  # never cancelled behind the person's back

    response = client.post(reverse("appointments_backoffice:closure_add", args=[desk.pk]), {
        "closure-starts_on": day.isoformat(), "closure-ends_on": (day - timedelta(days=1)).isoformat(),
        "closure-reason": "Grève",
    })
    assert response.status_code == 200
    assert "La date de fin doit suivre la date de début." in response.content.decode()


def test_a_supervisor_deletes_a_rule_and_its_free_slots_close(client, desk, motives, supervisor):
    sign_in_staff(client, supervisor)
    rule = OpeningRule.objects.filter(desk=desk, motive=motives["biometrics"]).first()
    weekday = rule.weekday

    response = client.post(reverse("appointments_backoffice:rule_delete", args=[desk.pk, rule.pk]))

    assert response["Location"] == reverse("appointments_backoffice:rules", args=[desk.pk])
    assert not OpeningRule.objects.filter(pk=rule.pk).exists()
    remaining = free_slots(motive=motives["biometrics"], site_ids=[desk.site_id])
    assert remaining and all(timezone.localtime(s.starts_at).weekday() != weekday for s in remaining)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_opening_rules_and_closures_refuse_dates_out_of_range(client, desk, motives, supervisor, day):
    sign_in_staff(client, supervisor)
    today = timezone.localdate().isoformat()

    response = client.post(reverse("appointments_backoffice:rule_add", args=[desk.pk]), {
        "rule-motive": motives["card_collection"].pk, "rule-weekday": 0, "rule-opens_at": "14:00",
        "rule-closes_at": "15:00", "rule-capacity": 2, "rule-valid_from": today, "rule-valid_until": day})
    assert response.status_code == 200
    assert "Indiquez une date comprise entre le" in response.content.decode()
    assert not OpeningRule.objects.filter(desk=desk, opens_at=time(14)).exists()

    response = client.post(reverse("appointments_backoffice:closure_add", args=[desk.pk]), {
        "closure-starts_on": today, "closure-ends_on": day, "closure-reason": "Travaux"})
    assert response.status_code == 200
    assert not Closure.objects.filter(site=desk.site).exists()
