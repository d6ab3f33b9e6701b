"""Appointments under a mandate (issue 12, item 3): a mediator books for the person only while
their mandate holds; the booking is the person's, the audit log names both."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.services import mandate_consent_code_issue, mandate_grant_by_code
from appointments.models import Booking
from appointments.services import BookingError, booking_cancel, booking_create, booking_reschedule
from tests.backoffice.conftest import sign_in
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mediator(site_69):
    return StaffFactory(mediator=True, role__site=site_69, with_totp=True, first_name="Claire",
                        last_name="Médiatrice")


def test_a_mediator_books_for_the_person_only_under_their_mandate(client, mediator, site_69, slot_69, applicant_69):
    person = applicant_69(first_name="Amina", last_name="Diallo")
    theirs = booking_create(person=person, slot=slot_69(in_hours=48), by=person)
    sign_in(client, mediator)
    assert client.get(reverse("appointments:detail", args=[theirs.pk])).status_code == 404

    code = mandate_consent_code_issue(person=person)
    mandate = mandate_grant_by_code(by=mediator, site=site_69, login_id=person.login_id, code=code)
    client.post(reverse("backoffice:assisted_session_start", args=[mandate.pk]))
    assert client.get(reverse("appointments:detail", args=[theirs.pk])).status_code == 200
    theirs.delete()

    slot = slot_69(in_hours=72)
    response = client.post(reverse("appointments:book", args=["pan_assistance"]), {"site": site_69.pk, "slot": slot.pk})
    assert response.status_code == 302
    booking = Booking.objects.get(slot=slot)
    assert booking.person == person and booking.created_by == mediator
    audit = AuditEvent.objects.get(action="booking.self", object_id=str(booking.pk))
    assert audit.actor == mediator and audit.on_behalf_of == person
    assert audit.data["on_behalf"]["mediator"] == "Claire MÉDIATRICE"
    assert audit.data["on_behalf"]["person"] == "Amina DIALLO"


def _mandate(person, mediator, site):
    code = mandate_consent_code_issue(person=person)
    return mandate_grant_by_code(by=mediator, site=site, login_id=person.login_id, code=code)


def test_a_cancellation_for_the_person_names_both(mediator, site_69, slot_69, applicant_69):
    person = applicant_69(first_name="Amina", last_name="Diallo")
    _mandate(person, mediator, site_69)
    booking = booking_create(person=person, slot=slot_69(in_hours=48), by=mediator)
    booking_cancel(booking=booking, by=mediator)
    audit = AuditEvent.objects.get(action="booking.cancelled")
    assert audit.actor == mediator and audit.on_behalf_of == person
    assert audit.data["on_behalf"]["person"] == "Amina DIALLO"


def test_a_mediator_moves_a_convocation_only_within_its_limit(mediator, site_69, slot_69, applicant_69, biometrics):
    person = applicant_69()
    _mandate(person, mediator, site_69)
    convocation = booking_create(person=person, slot=slot_69(in_hours=24, motive=biometrics), by=StaffFactory(),
                                 kind=Booking.Kind.CONVOCATION, movable_until=timezone.localdate() + timedelta(days=3))
    with pytest.raises(BookingError):
        booking_reschedule(booking=convocation, slot=slot_69(in_hours=24 * 10, motive=biometrics), by=mediator)
