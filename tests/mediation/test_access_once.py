"""Issue 17: the walk-in log's role checks (``mediation.access``) are worked out once per request,
and never outlive the request's second factor or memberships."""

from unittest import mock

import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from mediation import access
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_the_mediators_home_asks_each_role_question_once(staff_client, mediator, pan):
    client = staff_client(mediator)
    with mock.patch.object(access, "staff_verified", wraps=access.staff_verified) as verified, \
            mock.patch.object(access, "_mediator_site_ids", wraps=access._mediator_site_ids) as sites:
        response = client.get(reverse("mediation_backoffice:home"))
    assert response.status_code == 200
    # The view's guard, its getter, the day view and the menu ask; each is answered once.
    assert verified.call_count == 1
    assert sites.call_count == 1


def test_the_answers_follow_the_second_factor_and_the_memberships(pan):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    person = StaffFactory(mediator=True, role__site=pan, with_totp=True)
    person.otp_device = None
    assert not access.may_see_visits(user=person)  # no second factor proved yet
    person.otp_device = TOTPDevice.objects.get(user=person)
    assert access.may_see_visits(user=person)
    assert access.mediator_site_ids(user=person) == {pan.pk}
    assert not access.is_administrator(user=person)
    Membership.objects.create(user=person, role=Role.ADMINISTRATOR)
    assert not access.is_administrator(user=person)  # the memberships read for this request
    del person._memberships_cache  # read anew (another request loads the person anew)
    assert access.is_administrator(user=person)
    assert access.visible_site_ids(user=person) is None
    person.otp_device = None
    assert not access.is_administrator(user=person)
    assert access.visible_site_ids(user=person) == set()


def test_a_caller_may_change_the_sets_it_is_given(pan):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    person = StaffFactory(mediator=True, role__site=pan, with_totp=True)
    person.otp_device = TOTPDevice.objects.get(user=person)
    access.mediator_site_ids(user=person).add(-1)
    access.visible_site_ids(user=person).add(-1)  # type: ignore[union-attr]
    assert access.mediator_site_ids(user=person) == access.visible_site_ids(user=person) == {pan.pk}
