"""The legal clock (90 days for a first title, 30 for a renewal, paused while complements are
awaited) and the queue priority, with time moved by time-machine."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from applications.clock import Clock, clock_for, priorities_refresh, priority_for
from applications.models import Dossier, Status
from applications.services import (
    complements_answer,
    complements_request,
    dossier_mark_complete,
    dossier_submit,
)
from tests.applications.test_filing import EPHOTO, filled_renewal
from tests.factories import DossierFactory, StaffFactory, UserFactory, procedure, tax_stamp

pytestmark = pytest.mark.django_db


def test_the_clock_pauses_while_complements_are_awaited(mails):
    user, agent = UserFactory(), StaffFactory()
    start = timezone.now().replace(hour=10)
    with time_machine.travel(start, tick=False) as traveller, mails():
        dossier = dossier_submit(
            dossier=filled_renewal(user), by=user, tax_stamp_number=tax_stamp(), ephoto_code=EPHOTO
        )
        filed_on = timezone.localdate()
        assert dossier.legal_deadline == filed_on + timedelta(days=30)  # a renewal
        traveller.shift(timedelta(days=10))
        dossier_mark_complete(dossier=dossier, by=agent)
        complements_request(dossier=dossier, by=agent, document_types=[], message="Bulletin de mars",
                            due_on=timezone.localdate() + timedelta(days=15))
        dossier.refresh_from_db()
        assert clock_for(dossier, timezone.localdate()).days_left == 20
        traveller.shift(timedelta(days=12))  # 12 days waiting for the applicant: not counted
        paused = clock_for(dossier, timezone.localdate())
        assert paused.paused and paused.days_left == 20 and not paused.overdue
        complements_answer(dossier=dossier, by=user, message="Le voici.")
        dossier.refresh_from_db()
        assert dossier.status == Status.UNDER_REVIEW
        assert dossier.legal_deadline == filed_on + timedelta(days=30 + 12)
        assert clock_for(dossier, timezone.localdate()).days_left == 20
        traveller.shift(timedelta(days=21))
        late = clock_for(dossier, timezone.localdate())
        assert late.overdue and late.days_left == -1


def test_a_first_request_has_ninety_days():
    dossier = DossierFactory(status="submitted", procedure=procedure("premiere-demande-salarie"))
    from applications.clock import initial_deadline

    filed_on = dossier.submitted_at.date()
    assert initial_deadline(filed_on=filed_on, is_renewal=False) == filed_on + timedelta(days=90)


def test_priority_rights_at_risk_then_overdue_then_age():
    today = timezone.localdate()
    at_risk = DossierFactory(status="under_review", permit_expires_on=today + timedelta(days=5),
                             legal_deadline=today + timedelta(days=20))
    covered = DossierFactory(status="under_review", permit_expires_on=today + timedelta(days=5),
                             certificate_valid_until=today + timedelta(days=80),
                             legal_deadline=today + timedelta(days=20))
    overdue = DossierFactory(status="submitted", legal_deadline=today - timedelta(days=3))
    paused = DossierFactory(status="complements_requested", legal_deadline=today - timedelta(days=3),
                            clock_paused_on=today - timedelta(days=10))
    decided = DossierFactory(status="decided_unfavourable", legal_deadline=today - timedelta(days=3))
    expected = {at_risk: 0, covered: 2, overdue: 1, paused: 2, decided: 9}
    for dossier, bucket in expected.items():
        assert priority_for(dossier, today)[0] == bucket
    # The bulk refresh (one UPDATE, daily) agrees with the per-dossier rule.
    priorities_refresh(today=today)
    stored = dict(Dossier.objects.values_list("pk", "priority"))
    for dossier, bucket in expected.items():
        if bucket != 9:
            assert stored[dossier.pk] == bucket


def stored(dossier) -> tuple[int, object]:
    return tuple(Dossier.objects.filter(pk=dossier.pk).values_list("priority", "priority_date").get())


def test_the_nightly_refresh_stores_the_same_priority_and_date_as_the_rule_for_one_dossier():
    today = timezone.localdate()
    dossiers = [
        # rights at risk: dated by the permit's end
        DossierFactory(status="under_review", permit_expires_on=today + timedelta(days=5),
                       legal_deadline=today + timedelta(days=20)),
        # a permit that ends in a year is no risk yet
        DossierFactory(status="under_review", permit_expires_on=today + timedelta(days=365),
                       legal_deadline=today + timedelta(days=20)),
        # once decided favourably, the person's right no longer hangs on the file
        DossierFactory(status="decided_favourable", permit_expires_on=today + timedelta(days=5),
                       legal_deadline=today + timedelta(days=20)),
        # past the legal deadline: dated by the deadline
        DossierFactory(status="submitted", legal_deadline=today - timedelta(days=3)),
        # the rest: dated by the filing
        DossierFactory(status="submitted", legal_deadline=today + timedelta(days=3)),
    ]
    Dossier.objects.update(priority=5, priority_date=None)  # stale

    priorities_refresh(today=today)

    assert [stored(dossier) for dossier in dossiers] == [priority_for(dossier, today) for dossier in dossiers]
    assert [stored(dossier)[0] for dossier in dossiers] == [0, 2, 2, 1, 2]
    assert stored(dossiers[0])[1] == today + timedelta(days=5)
    assert stored(dossiers[3])[1] == today - timedelta(days=3)


def test_a_file_filed_after_midnight_in_paris_is_dated_by_its_paris_day():
    # 23:30 UTC on 2 December is 00:30 in Paris on the 3rd: the queue and the rule say the 3rd.
    filed_at = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    today = timezone.localdate(filed_at)
    dossier = DossierFactory(status="submitted", submitted_at=filed_at, legal_deadline=today + timedelta(days=80))
    Dossier.objects.update(priority=5, priority_date=None)

    priorities_refresh(today=today)

    assert priority_for(dossier, today)[1] == stored(dossier)[1] == filed_at.date() + timedelta(days=1)


def test_refreshing_some_dossiers_leaves_the_others_as_they_were():
    today = timezone.localdate()
    refreshed, untouched = (DossierFactory(status="submitted", legal_deadline=today - timedelta(days=3))
                            for _ in range(2))
    Dossier.objects.update(priority=5, priority_date=None)

    assert priorities_refresh(today=today, queryset=Dossier.objects.filter(pk=refreshed.pk)) == 1

    assert stored(refreshed) == (1, today - timedelta(days=3))
    assert stored(untouched) == (5, None)


def test_the_clock_on_its_boundary_days():
    today = timezone.localdate()
    due_today = DossierFactory(status="under_review", legal_deadline=today)
    at_risk_limit = DossierFactory(status="under_review", legal_deadline=today + timedelta(days=20),
                                   permit_expires_on=today + timedelta(days=30))
    covered_until_today = DossierFactory(status="under_review", legal_deadline=today + timedelta(days=20),
                                         permit_expires_on=today + timedelta(days=5), certificate_valid_until=today)

    assert clock_for(due_today, today) == Clock(today, 0, False, False, False)  # due today is not late yet
    assert clock_for(at_risk_limit, today).rights_at_risk  # the 30th day before the permit ends
    assert not clock_for(covered_until_today, today).rights_at_risk  # a certificate valid today covers today


def test_a_closed_dossier_keeps_its_deadline_and_no_running_clock():
    today = timezone.localdate()
    decided = DossierFactory(status="decided_unfavourable", legal_deadline=today - timedelta(days=3),
                             permit_expires_on=today + timedelta(days=5))

    assert clock_for(decided, today) == Clock(today - timedelta(days=3), None, False, False, False)


def test_a_filed_dossier_without_a_deadline_still_shows_rights_at_risk():
    today = timezone.localdate()
    dossier = DossierFactory(status="under_review", legal_deadline=None, permit_expires_on=today + timedelta(days=5))

    assert clock_for(dossier, today) == Clock(None, None, False, False, True)
