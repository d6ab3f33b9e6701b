"""Re-convocation after a no-show, through its service: only a missed convocation, by staff of the
site, at the same site and for the same motive."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from appointments.models import Booking, Site
from appointments.services import BookingError, booking_create, booking_reconvoke
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def missed(slot_69, applicant_69, agent_69, biometrics):
    """A biometrics convocation the person did not come to (yesterday's slot)."""
    booking = booking_create(person=applicant_69(), slot=slot_69(in_hours=48, motive=biometrics), by=agent_69,
                             kind=Booking.Kind.CONVOCATION)
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.NO_SHOW)
    booking.refresh_from_db()
    return booking


def test_a_missed_convocation_is_renewed_at_the_same_site_movable_for_30_days(missed, slot_69, agent_69,
                                                                              biometrics, mails):
    slot = slot_69(in_hours=96, motive=biometrics)
    with mails():
        new = booking_reconvoke(booking=missed, slot=slot, by=agent_69)
    assert (new.person, new.slot, new.kind, new.status) == (missed.person, slot, "convocation", "booked")
    assert new.created_by == agent_69
    assert new.movable_until == timezone.localdate() + timedelta(days=30)


@pytest.mark.parametrize("change", [{"status": Booking.Status.BOOKED}, {"status": Booking.Status.DONE},
                                    {"kind": Booking.Kind.SELF}])
def test_only_a_missed_convocation_is_renewed(missed, slot_69, agent_69, biometrics, change):
    Booking.objects.filter(pk=missed.pk).update(**change)
    missed.refresh_from_db()
    with pytest.raises(BookingError, match="^Seule une convocation manquée peut être renouvelée.$"):
        booking_reconvoke(booking=missed, slot=slot_69(in_hours=96, motive=biometrics), by=agent_69)
    assert Booking.objects.filter(person=missed.person).count() == 1


def test_the_new_convocation_keeps_the_motive_and_the_site(missed, slot_69, agent_69, pan_assistance, biometrics):
    with pytest.raises(BookingError, match="^Choisissez un créneau dans la liste.$"):
        booking_reconvoke(booking=missed, slot=slot_69(in_hours=96, motive=pan_assistance), by=agent_69)
    elsewhere = slot_69(in_hours=96, motive=biometrics)
    elsewhere.desk.site = Site.objects.filter(prefecture__department__code="69").exclude(
        pk=missed.slot.desk.site_id).first()
    with pytest.raises(BookingError, match="^Choisissez un créneau dans la liste.$"):
        booking_reconvoke(booking=missed, slot=elsewhere, by=agent_69)
    assert Booking.objects.filter(person=missed.person).count() == 1


@pytest.mark.parametrize("who", ["other_prefecture", "password_only", "applicant"])
def test_only_staff_of_the_site_reconvoke(missed, slot_69, biometrics, who):
    by = {"other_prefecture": lambda: StaffFactory(role__code="13"),
          "password_only": lambda: StaffFactory(verified=False),
          "applicant": lambda: missed.person}[who]()
    with pytest.raises(PermissionDenied, match="^Ce rendez-vous n'a pas lieu dans un de vos sites.$"):
        booking_reconvoke(booking=missed, slot=slot_69(in_hours=96, motive=biometrics), by=by)
    assert Booking.objects.filter(person=missed.person).count() == 1
