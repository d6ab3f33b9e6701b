"""The dossier state machine: every allowed transition works, every other one is refused."""

from itertools import product

import pytest
from django.core.exceptions import PermissionDenied

from applications.models import DossierEvent, Status
from applications.services import dossier_transition
from applications.workflow import TRANSITIONS, TransitionNotAllowed
from tests.factories import DossierFactory, StaffFactory, UserFactory

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


def test_a_refused_move_says_which_move_and_the_dossiers_current_status():
    dossier = DossierFactory(status="decided_favourable")
    with pytest.raises(TransitionNotAllowed) as error:
        dossier_transition(dossier=dossier, to="withdrawn", by=dossier.applicant)
    assert (error.value.from_status, error.value.to_status) == ("decided_favourable", "withdrawn")
    assert error.value.code == "transition_not_allowed"
    assert error.value.messages == ["Cette action n'est pas possible : le dossier est « Décision favorable »."]


# --- Who may perform a move: the table's "who" column is enforced --------------------------------

def refused(dossier, to_status, by):
    """The move is refused with a PermissionDenied, and nothing changes."""
    with pytest.raises(PermissionDenied) as error:
        dossier_transition(dossier=dossier, to=to_status, by=by)
    dossier.refresh_from_db()
    assert dossier.status != to_status
    assert not DossierEvent.objects.filter(dossier=dossier).exists()
    return str(error.value)


def test_only_the_applicant_may_withdraw_their_dossier():
    dossier = DossierFactory(status="under_review")
    agent = StaffFactory(role__code=dossier.prefecture.department.code)
    assert "demandeur" in refused(dossier, "withdrawn", UserFactory())
    assert "demandeur" in refused(dossier, "withdrawn", agent)
    assert "demandeur" in refused(dossier, "withdrawn", None)


def test_only_a_verified_agent_of_the_dossiers_prefecture_may_move_it_as_an_agent():
    dossier = DossierFactory(status="submitted")
    code = dossier.prefecture.department.code
    other = "13" if code != "13" else "69"
    assert "agent" in refused(dossier, "under_review", dossier.applicant)
    assert "agent" in refused(dossier, "under_review", StaffFactory(role__code=other))
    assert "agent" in refused(dossier, "under_review", StaffFactory(role__code=code, verified=False))
    assert "agent" in refused(dossier, "under_review", StaffFactory(role="mediator"))
    assert "agent" in refused(dossier, "under_review", None)


def test_a_supervisor_of_the_prefecture_may_move_it_as_an_agent(mails):
    dossier = DossierFactory(status="submitted")
    supervisor = StaffFactory(role="supervisor", role__code=dossier.prefecture.department.code)
    with mails():
        dossier = dossier_transition(dossier=dossier, to="under_review", by=supervisor)
    assert dossier.status == "under_review"


def test_a_move_for_the_portal_is_refused_to_a_person(monkeypatch, mails):
    # No move of the table is the portal's today; when one is, no person may make it.
    monkeypatch.setitem(TRANSITIONS, ("submitted", "under_review"), "system")
    dossier = DossierFactory(status="submitted")
    assert "portail" in refused(dossier, "under_review", StaffFactory(role__code=dossier.prefecture.department.code))
    with mails():
        assert dossier_transition(dossier=dossier, to="under_review", by=None).status == "under_review"
