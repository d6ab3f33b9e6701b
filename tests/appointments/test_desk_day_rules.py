"""Issue 9, item 8: the desk's day records arrivals and receptions on the appointment's own day
only; a supervisor may correct a past day afterwards, and the audit log says it was a correction."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent
from appointments.models import Booking
from appointments.services import BookingError, booking_create, booking_mark
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
#: A Wednesday, 10:00 in Paris: the day before and after are ordinary working days.
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _wednesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def booked(slot_69, applicant_69, *, in_hours: float) -> Booking:
    person = applicant_69()
    return booking_create(person=person, slot=slot_69(in_hours=in_hours), by=person)


def test_tomorrows_appointment_cannot_be_marked_arrived_or_received_today(slot_69, applicant_69, agent_69):
    booking = booked(slot_69, applicant_69, in_hours=24)

    for status in (Booking.Status.CHECKED_IN, Booking.Status.DONE):
        with pytest.raises(BookingError, match="12/03/2026"):
            booking_mark(booking=booking, by=agent_69, status=status)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_tomorrows_appointment_cannot_be_marked_even_by_a_supervisor(slot_69, applicant_69):
    booking = booked(slot_69, applicant_69, in_hours=24)
    with pytest.raises(BookingError):
        booking_mark(booking=booking, by=StaffFactory(supervisor=True), status=Booking.Status.CHECKED_IN)


def test_todays_appointment_is_marked_by_an_agent_without_a_correction(slot_69, applicant_69, agent_69):
    booking = booked(slot_69, applicant_69, in_hours=1)

    assert booking_mark(booking=booking, by=agent_69, status=Booking.Status.CHECKED_IN).status == "checked_in"
    assert AuditEvent.objects.filter(action="booking.checked_in", object_id=str(booking.pk)).exists()
    assert not AuditEvent.objects.filter(action__endswith=".correction").exists()


def test_yesterdays_appointment_is_corrected_by_a_supervisor_only_and_recorded_as_such(
    slot_69, applicant_69, agent_69
):
    booking = booked(slot_69, applicant_69, in_hours=1)
    supervisor = StaffFactory(supervisor=True)

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        with pytest.raises(BookingError, match="chef de bureau"):
            booking_mark(booking=booking, by=agent_69, status=Booking.Status.DONE)
        # A password alone is not enough to correct either.
        with pytest.raises(BookingError):
            booking_mark(booking=booking, by=StaffFactory(supervisor=True, verified=False),
                         status=Booking.Status.DONE)
        marked = booking_mark(booking=booking, by=supervisor, status=Booking.Status.DONE)

    assert marked.status == Booking.Status.DONE
    event = AuditEvent.objects.get(action="booking.done.correction", object_id=str(booking.pk))
    assert event.actor == supervisor
    assert event.data == {"correction": True, "from": "booked", "to": "done", "day": "2026-03-11"}


def sign_in_staff(client, user) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


def test_the_desk_day_of_tomorrow_offers_no_arrived_button_and_refuses_the_post(client, slot_69, applicant_69):
    booking = booked(slot_69, applicant_69, in_hours=24)
    agent = StaffFactory(with_totp=True)
    sign_in_staff(client, agent)
    url = reverse("appointments_backoffice:day", args=[booking.slot.desk_id, "2026-03-12"])

    html = client.get(url).content.decode()
    assert booking.person_name in html
    assert 'value="checked_in"' not in html and 'value="done"' not in html
    assert "À enregistrer le jour du rendez-vous" in html

    response = client.post(reverse("appointments_backoffice:mark", args=[booking.pk]), {"status": "checked_in"},
                           follow=True)
    assert "on ne peut enregistrer l&#x27;arrivée" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_each_refusal_at_the_desk_says_why(slot_69, applicant_69, agent_69):
    tomorrow = booked(slot_69, applicant_69, in_hours=24)
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        yesterday = booked(slot_69, applicant_69, in_hours=4)

    def refusal(booking, status) -> str:
        with pytest.raises(BookingError) as error:
            booking_mark(booking=booking, by=agent_69, status=status)
        return str(error.value)

    assert refusal(tomorrow, Booking.Status.CHECKED_IN) == (
        "Ce rendez-vous est prévu le 12/03/2026 : on ne peut enregistrer l'arrivée ou la réception de la "
        "personne que ce jour-là.")
    assert refusal(yesterday, Booking.Status.DONE) == (
        "Ce rendez-vous était le 10/03/2026 : seul un chef de bureau peut corriger ce qui s'est passé ce jour-là.")
    assert refusal(tomorrow, Booking.Status.NO_SHOW) == (
        "On ne peut déclarer une absence qu'après l'heure du rendez-vous.")
    assert refusal(tomorrow, Booking.Status.CANCELLED) == "Action impossible : le rendez-vous est « Confirmé »."


def test_a_no_show_may_be_recorded_from_the_appointments_own_time(slot_69, applicant_69, agent_69):
    booking = booked(slot_69, applicant_69, in_hours=1)
    with time_machine.travel(booking.slot.starts_at, tick=False):
        booking = booking_mark(booking=booking, by=agent_69, status=Booking.Status.NO_SHOW)
    assert booking.status == Booking.Status.NO_SHOW
    assert AuditEvent.objects.get(action="booking.no_show", object_id=str(booking.pk)).actor == agent_69
