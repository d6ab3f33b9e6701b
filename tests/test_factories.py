"""Each factory trait builds the situation its name promises: a test that says
``DossierFactory(complements=True)`` relies on finding an open complement request and a paused clock."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Role
from accounts.permissions import (
    is_verified_agent_of,
    staff_prefecture_ids,
    staff_site_ids,
    staff_verified,
)
from applications.actions import staff_actions
from applications.clock import PRIORITY_NONE, PRIORITY_NORMAL, clock_for
from applications.models import Permit
from tests.factories import DossierFactory, PermitFactory, StaffFactory, prefecture

pytestmark = pytest.mark.django_db


def test_a_draft_has_no_reference_no_filing_date_and_no_clock():
    dossier = DossierFactory(draft=True)

    facts = (dossier.status, dossier.reference, dossier.submitted_at, dossier.legal_deadline)
    assert facts == ("draft", None, None, None)
    assert dossier.priority == PRIORITY_NONE


def test_a_filed_dossier_has_its_reference_its_filing_date_and_its_legal_deadline_in_the_queue():
    today = timezone.localdate()
    dossier = DossierFactory(filed=True, applicant__first_name="Amina", applicant__last_name="Diallo")
    dossier.refresh_from_db()

    assert dossier.status == "submitted" and dossier.reference
    assert timezone.localdate(dossier.submitted_at) == today - timedelta(days=10)
    # A renewal: 30 days from filing, 20 left.
    assert dossier.legal_deadline == today + timedelta(days=settings.LEGAL_TARGET_DAYS_RENEWAL - 10)
    assert clock_for(dossier, today).days_left == settings.LEGAL_TARGET_DAYS_RENEWAL - 10
    assert dossier.search_name == "diallo amina"
    assert (dossier.priority, dossier.priority_date) == (PRIORITY_NORMAL, today - timedelta(days=10))


def test_a_dossier_under_review_was_declared_complete_after_filing():
    dossier = DossierFactory(under_review=True)

    assert dossier.status == "under_review"
    assert dossier.submitted_at < dossier.completed_at < timezone.now()
    assert dossier.legal_deadline and dossier.decided_at is None
    assert staff_actions(dossier=dossier, user=StaffFactory()).complements


def test_a_dossier_awaiting_complements_has_one_open_request_and_a_paused_clock():
    dossier = DossierFactory(complements=True)

    assert (dossier.status, dossier.resume_status) == ("complements_requested", "under_review")
    request = dossier.complement_requests.get(answered_at__isnull=True)
    assert request.due_on > timezone.localdate()
    assert request.document_types.count() == 1
    assert clock_for(dossier, timezone.localdate()).paused
    asked = dossier.events.get(to_status="complements_requested")
    assert timezone.localdate(asked.at) == timezone.localdate(request.requested_at) == dossier.clock_paused_on


def test_a_decided_dossier_is_favourable_by_default_and_a_refusal_is_closed():
    granted = DossierFactory(decided=True)
    refused = DossierFactory(decided=True, status="decided_unfavourable")

    assert granted.status == "decided_favourable"
    assert granted.completed_at < granted.decided_at and granted.closed_at is None
    assert refused.closed_at == refused.decided_at


def test_a_card_ready_dossier_was_granted_and_waits_for_collection():
    dossier = DossierFactory(card_ready=True)

    assert dossier.status == "card_ready" and dossier.decided_at and dossier.closed_at is None
    assert staff_actions(dossier=dossier, user=StaffFactory()).card_next == "card_delivered"


def test_a_delivered_dossier_is_closed_and_its_card_replaces_the_renewed_permit():
    renewed = PermitFactory()
    dossier = DossierFactory(delivered=True, applicant=renewed.holder, renewed_permit=renewed)

    assert dossier.status == "card_delivered" and dossier.decided_at < dossier.closed_at
    card = Permit.objects.get(dossier=dossier)
    assert card.holder == dossier.applicant and card.valid_until > timezone.localdate()
    renewed.refresh_from_db()
    assert renewed.replaced_by == card


def test_an_agent_instructs_the_rhone_with_a_verified_second_factor():
    agent = StaffFactory()

    assert staff_verified(user=agent)
    assert is_verified_agent_of(user=agent, prefecture_id=prefecture("69").pk)
    assert not is_verified_agent_of(user=agent, prefecture_id=prefecture("69").pk, roles=[Role.SUPERVISOR])


def test_a_supervisor_supervises_the_rhone_or_another_prefecture():
    assert is_verified_agent_of(user=StaffFactory(supervisor=True), prefecture_id=prefecture("69").pk,
                                roles=[Role.SUPERVISOR])
    assert staff_prefecture_ids(user=StaffFactory(supervisor=True, role__code="33"),
                                roles=[Role.SUPERVISOR]) == {prefecture("33").pk}


def test_a_mediator_works_at_a_site_and_instructs_no_prefecture():
    mediator = StaffFactory(mediator=True)

    assert staff_site_ids(user=mediator) == {prefecture("69").sites.first().pk}
    assert staff_prefecture_ids(user=mediator) == set()
    other_site = prefecture("33").sites.first()
    assert staff_site_ids(user=StaffFactory(mediator=True, role__site=other_site)) == {other_site.pk}


def test_a_contact_centre_agent_is_national():
    support = StaffFactory(support=True)

    assert list(support.memberships.values_list("role", "prefecture", "site")) == [(Role.SUPPORT, None, None)]
    assert staff_prefecture_ids(user=support) == set()
