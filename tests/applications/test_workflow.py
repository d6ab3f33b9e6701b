"""The dossier state machine: every allowed transition works, every other one is refused."""

from itertools import product

import pytest

from applications.models import DossierEvent, Status
from applications.services import dossier_transition
from applications.workflow import TRANSITIONS, TransitionNotAllowed
from tests.factories import DossierFactory, StaffFactory

pytestmark = pytest.mark.django_db

ALL = [s.value for s in Status]
ALLOWED = sorted(TRANSITIONS)
FORBIDDEN = sorted((a, b) for a, b in product(ALL, ALL) if (a, b) not in TRANSITIONS)


def test_the_table_matches_the_design():
    assert len(ALLOWED) == 17
    # Before a decision the applicant can always withdraw; after it, never.
    for status in ("submitted", "under_review", "complements_requested"):
        assert TRANSITIONS[(status, "withdrawn")] == "applicant"
    for status in ("decided_favourable", "decided_unfavourable", "card_ready", "card_delivered"):
        assert (status, "withdrawn") not in TRANSITIONS


def actor(dossier, role: str):
    """Who the table says performs the move: the applicant, or an agent of the dossier's prefecture."""
    return dossier.applicant if role == "applicant" else StaffFactory(role__code=dossier.prefecture.department.code)


@pytest.mark.parametrize(("from_status", "to_status"), [t for t in ALLOWED if t[0] != "draft"])
def test_allowed_transition(from_status, to_status, mails):
    dossier = DossierFactory(status=from_status)
    by = actor(dossier, TRANSITIONS[(from_status, to_status)])
    with mails():
        dossier = dossier_transition(dossier=dossier, to=to_status, by=by)
    dossier.refresh_from_db()
    assert dossier.status == to_status
    event = DossierEvent.objects.get(dossier=dossier)
    assert (event.from_status, event.to_status) == (from_status, to_status)
    assert event.actor == by
    if to_status == "complements_requested":
        assert dossier.resume_status == from_status
    if to_status in ("withdrawn", "closed_without_action", "decided_unfavourable", "card_delivered"):
        assert dossier.closed_at is not None


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN)
def test_forbidden_transition_is_refused_and_changes_nothing(from_status, to_status):
    dossier = DossierFactory(status=from_status)
    with pytest.raises(TransitionNotAllowed):
        dossier_transition(dossier=dossier, to=to_status, by=dossier.applicant)
    dossier.refresh_from_db()
    assert dossier.status == from_status
    assert not DossierEvent.objects.filter(dossier=dossier).exists()
