"""The legal clock (90 days for a first title, 30 for a renewal, paused while complements are
awaited) and the queue priority, with time moved by time-machine."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from applications.clock import clock_for, priorities_refresh, priority_for
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
