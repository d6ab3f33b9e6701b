"""Which actions a member of staff may take on a dossier now: the one answer the file page, its
template and (later) the API ask. It reads the transition table of ``applications/workflow.py`` (its
"who" column) and narrows it by role and by what the file still lacks.

It lives beside the table rather than in it because it reads the database (the dossier's
appointments, the person's roles), and ``workflow.py`` is imported by the models.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from applications.clock import QUEUE_STATUSES
from applications.models import Dossier
from applications.selectors import BIOMETRICS_DONE, BIOMETRICS_NONE, biometrics_state, dossier_biometrics_state
from applications.staff import is_supervisor_of, staff_can_instruct
from applications.workflow import CARD_STEPS, OPEN_STATUSES, TRANSITIONS
from applications.workflow import Status as S


def favourable_decision_blocked(*, dossier: Dossier, biometrics: str) -> bool:
    """A card cannot be granted before the applicant's fingerprints are taken, when the procedure
    needs them (``biometrics``: ``applications.selectors.dossier_biometrics_state``)."""
    return dossier.procedure.needs_biometrics and biometrics != BIOMETRICS_DONE


@dataclass(frozen=True)
class StaffActions:
    """What an instructing agent may do on a dossier now; the file page offers exactly these."""

    take: bool = False
    assign: bool = False
    complete: bool = False
    complements: bool = False
    review: bool = False
    biometrics: bool = False
    decide: tuple[str, ...] = ()
    card_next: str | None = None
    extension: bool = False
    #: Why "favourable" is not offered yet although the file is under review (shown to the agent).
    favourable_waits_for_biometrics: bool = False
    biometrics_state: str = ""

    @property
    def card(self) -> bool:
        """A step of the card can be recorded now (the next one is ``card_next``)."""
        return self.card_next is not None

    @property
    def any(self) -> bool:
        return any((self.take, self.assign, self.complete, self.complements, self.review, self.biometrics,
                    self.decide, self.card_next, self.extension))


def staff_actions(*, dossier: Dossier, user, biometrics_statuses: Collection[str] | None = None) -> StaffActions:
    """Which actions this member of staff may take on this dossier now: the transitions of the table
    above that an agent performs from the current status, narrowed by the person's role (a
    supervisor assigns) and by what the file still lacks (fingerprints before a favourable
    decision). Nothing for someone who does not instruct the dossier's prefecture.
    ``biometrics_statuses``: the statuses of the file's biometrics bookings when the caller has
    read them (the file page, with its bookings), else read here when needed."""
    if not staff_can_instruct(user=user, dossier=dossier):
        return StaffActions()
    status = dossier.status
    supervisor = is_supervisor_of(user=user, prefecture_id=dossier.prefecture_id)
    in_queue = status in QUEUE_STATUSES

    def agent_may(to: str) -> bool:
        return TRANSITIONS.get((status, to)) == "agent"

    biometrics = ""
    if status == S.UNDER_REVIEW and dossier.procedure.needs_biometrics:
        biometrics = (dossier_biometrics_state(dossier=dossier) if biometrics_statuses is None
                      else biometrics_state(biometrics_statuses))
    outcomes = [to for to in (S.DECIDED_FAVOURABLE, S.DECIDED_UNFAVOURABLE, S.CLOSED_WITHOUT_ACTION) if agent_may(to)]
    waits = S.DECIDED_FAVOURABLE in outcomes and favourable_decision_blocked(dossier=dossier, biometrics=biometrics)
    if waits:
        outcomes.remove(S.DECIDED_FAVOURABLE)
    return StaffActions(
        take=in_queue and dossier.assigned_to_id != user.pk and (supervisor or dossier.assigned_to_id is None),
        assign=in_queue and supervisor,
        complete=agent_may(S.UNDER_REVIEW),
        complements=agent_may(S.COMPLEMENTS_REQUESTED),
        review=status in OPEN_STATUSES,
        biometrics=status == S.UNDER_REVIEW and biometrics == BIOMETRICS_NONE,
        decide=tuple(outcomes),
        card_next=CARD_STEPS[status] if status in CARD_STEPS and agent_may(CARD_STEPS[status]) else None,
        extension=(dossier.procedure.is_renewal and status in OPEN_STATUSES and not dossier.filed_on_time
                   and not dossier.extension_granted),
        favourable_waits_for_biometrics=waits,
        biometrics_state=biometrics,
    )
