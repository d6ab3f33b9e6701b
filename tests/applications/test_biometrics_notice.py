"""Issue 9, item 4: a fingerprints convocation booked automatically leaves a minimum notice (3
working days by default: weekends and public holidays skipped), the person may still move it to an
earlier free slot, and the dashboard's next action names the appointment with a link to move it.

It broke as: requested at 22:30, booked for 09:00 the next morning, while /espace/ said "Rien pour
l'instant"."""

from datetime import date, datetime, time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.services import biometrics_request
from appointments.holidays import working_days_after
from appointments.models import Booking, Desk, Motive, Slot
from appointments.services import booking_reschedule
from tests.factories import DossierFactory, StaffFactory, prefecture

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
#: Tuesday 10 March 2026, 22:30 in Paris.
TUESDAY_EVENING = datetime(2026, 3, 10, 22, 30, tzinfo=PARIS)


def test_working_days_skip_weekends_and_public_holidays():
    assert working_days_after(date(2026, 3, 10), 3) == date(2026, 3, 13)  # Tuesday -> Friday
    assert working_days_after(date(2026, 3, 13), 3) == date(2026, 3, 18)  # Friday -> Wednesday
    # Thursday 30 April: 1 May is a holiday, then a weekend.
    assert working_days_after(date(2026, 4, 30), 3) == date(2026, 5, 6)
    assert working_days_after(date(2026, 3, 10), 0) == date(2026, 3, 10)


@pytest.fixture
def desk(db) -> Desk:
    motive = Motive.objects.get(code=Motive.Code.BIOMETRICS)
    desk = Desk.objects.create(site=prefecture("69").sites.first(), name="Guichet empreintes")
    desk.motives.add(motive)
    return desk


def open_slot(desk: Desk, day: date, hour: int = 9) -> Slot:
    starts = datetime.combine(day, time(hour), tzinfo=PARIS)
    return Slot.objects.create(desk=desk, motive=desk.motives.get(), starts_at=starts,
                               ends_at=starts + timedelta(minutes=15), capacity=1)


@pytest.fixture
def dossier(db):
    return DossierFactory(status="under_review", prefecture=prefecture("69"))


def test_a_convocation_requested_at_2230_is_not_booked_for_9_the_next_morning(desk, dossier):
    next_morning = open_slot(desk, date(2026, 3, 11))
    thursday = open_slot(desk, date(2026, 3, 12))
    friday = open_slot(desk, date(2026, 3, 13))

    with time_machine.travel(TUESDAY_EVENING, tick=False):
        booking = biometrics_request(dossier=dossier, by=StaffFactory())

    assert booking.slot == friday  # three working days after Tuesday
    assert {next_morning.pk, thursday.pk} & {booking.slot_id} == set()


def test_the_minimum_notice_is_a_setting(desk, dossier, settings):
    settings.CONVOCATION_MIN_NOTICE_WORKING_DAYS = 1
    open_slot(desk, date(2026, 3, 11), hour=8)  # Wednesday 08:00: still inside the notice? No: day 1.
    thursday = open_slot(desk, date(2026, 3, 12))

    with time_machine.travel(TUESDAY_EVENING, tick=False):
        booking = biometrics_request(dossier=dossier, by=StaffFactory())

    assert booking.slot.starts_at.date() == date(2026, 3, 11)
    assert booking.slot != thursday


def test_without_a_slot_after_the_notice_the_agent_is_told_from_which_day(desk, dossier):
    from django.core.exceptions import ValidationError

    open_slot(desk, date(2026, 3, 11))
    with time_machine.travel(TUESDAY_EVENING, tick=False), pytest.raises(ValidationError) as error:
        biometrics_request(dossier=dossier, by=StaffFactory())
    assert error.value.code == "no_free_slot" and "13/03/2026" in error.value.messages[0]


def test_the_person_may_move_the_convocation_to_an_earlier_free_slot(desk, dossier):
    next_morning = open_slot(desk, date(2026, 3, 11))
    open_slot(desk, date(2026, 3, 13))
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        booking = biometrics_request(dossier=dossier, by=StaffFactory())
        moved = booking_reschedule(booking=booking, slot=next_morning, by=dossier.applicant)
    assert moved.slot == next_morning and moved.status == Booking.Status.BOOKED


def test_the_dashboard_names_the_fingerprints_appointment_with_a_link_to_move_it(client, desk, dossier):
    friday = open_slot(desk, date(2026, 3, 13))
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        booking = biometrics_request(dossier=dossier, by=StaffFactory())
        client.force_login(dossier.applicant)
        html = unescape(client.get(reverse("applications:dashboard")).content.decode())

    assert booking.slot == friday
    assert "Rien pour l'instant" not in html
    assert "Vous êtes convoqué(e) : Relevé d'empreintes et photo, le vendredi 13 mars 2026 à 09:00." in html
    assert "Préfecture du Rhône, 106 rue Pierre Corneille, 69003 Lyon" in html
    assert f'href="{reverse("appointments:detail", args=[booking.pk])}"' in html
    assert "Voir, déplacer ou annuler ce rendez-vous" in html


def test_the_dashboard_query_count_does_not_grow_with_appointments(client, desk):
    person = DossierFactory(status="under_review", prefecture=prefecture("69")).applicant
    agent = StaffFactory()
    client.force_login(person)
    url = reverse("applications:dashboard")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    with time_machine.travel(TUESDAY_EVENING, tick=False):
        one = DossierFactory(status="under_review", prefecture=prefecture("69"), applicant=person)
        open_slot(desk, date(2026, 3, 13))
        biometrics_request(dossier=one, by=agent)
        count()  # the first request of a session also writes its last-seen time
        few = count()
        for day in (16, 17, 18):
            other = DossierFactory(status="under_review", prefecture=prefecture("69"), applicant=person)
            open_slot(desk, date(2026, 3, day))
            biometrics_request(dossier=other, by=agent)
        assert count() == few


def test_the_convocation_is_booked_in_the_agents_name_for_the_file(desk, dossier):
    agent = StaffFactory()
    friday = open_slot(desk, date(2026, 3, 13))
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        booking = biometrics_request(dossier=dossier, by=agent)
    assert (booking.slot, booking.created_by, booking.kind) == (friday, agent, Booking.Kind.CONVOCATION)
    assert (booking.subject_type, booking.subject_id) == ("applications.dossier", str(dossier.pk))
    assert booking.movable_until == date(2026, 3, 10) + timedelta(days=settings.CONVOCATION_MOVABLE_DAYS)


def test_without_a_slot_the_agent_reads_the_whole_message(desk, dossier):
    from django.core.exceptions import ValidationError

    with time_machine.travel(TUESDAY_EVENING, tick=False), pytest.raises(ValidationError) as error:
        biometrics_request(dossier=dossier, by=StaffFactory())
    assert error.value.messages == [
        "Aucun créneau libre pour le relevé d'empreintes dans cette préfecture à partir du 13/03/2026 : "
        "ouvrez des créneaux dans la gestion des guichets."]


def test_each_refusal_of_a_convocation_says_why(desk, dossier):
    from django.core.exceptions import ValidationError

    from applications.models import Procedure
    from tests.factories import biometrics_taken

    agent = StaffFactory()

    def refusal(of) -> list[str]:
        with time_machine.travel(TUESDAY_EVENING, tick=False), pytest.raises(ValidationError) as error:
            biometrics_request(dossier=of, by=agent)
        return error.value.messages

    assert refusal(DossierFactory(status="submitted", prefecture=prefecture("69"))) == [
        "Le relevé d'empreintes se demande pendant l'instruction."]
    no_prints = DossierFactory(status="under_review", prefecture=prefecture("69"),
                               procedure=Procedure.objects.filter(needs_biometrics=False).first())
    assert refusal(no_prints) == ["Cette démarche ne demande pas de relevé d'empreintes."]
    open_slot(desk, date(2026, 3, 13))
    open_slot(desk, date(2026, 3, 16))
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        biometrics_request(dossier=dossier, by=agent)
    assert refusal(dossier) == ["Le demandeur est déjà convoqué pour le relevé d'empreintes."]
    done = DossierFactory(status="under_review", prefecture=prefecture("69"))
    biometrics_taken(done)
    assert refusal(done) == ["Les empreintes du demandeur sont déjà relevées."]
