"""The dossier state machine (DESIGN §4): every allowed transition, in one table.

Each transition is performed by one service in applications/services.py, which calls
``transition_check`` first; nothing else changes ``Dossier.status``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from applications.clock import QUEUE_STATUSES
from applications.models import Dossier, Status
from applications.selectors import BIOMETRICS_DONE, BIOMETRICS_NONE, dossier_biometrics_state
from applications.staff import is_supervisor_of, staff_can_instruct

S = Status

#: Statuses before a decision: the applicant may still withdraw, add documents or correct answers.
OPEN_STATUSES = frozenset({S.SUBMITTED, S.UNDER_REVIEW, S.COMPLEMENTS_REQUESTED})
FINAL_STATUSES = frozenset({S.DECIDED_UNFAVOURABLE, S.CARD_DELIVERED, S.WITHDRAWN, S.CLOSED_WITHOUT_ACTION})

#: (from, to) -> who may perform it ("applicant", "agent" or "system").
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.SUBMITTED): "applicant",
    (S.SUBMITTED, S.UNDER_REVIEW): "agent",
    (S.SUBMITTED, S.COMPLEMENTS_REQUESTED): "agent",
    (S.UNDER_REVIEW, S.COMPLEMENTS_REQUESTED): "agent",
    (S.COMPLEMENTS_REQUESTED, S.SUBMITTED): "applicant",
    (S.COMPLEMENTS_REQUESTED, S.UNDER_REVIEW): "applicant",
    (S.UNDER_REVIEW, S.DECIDED_FAVOURABLE): "agent",
    (S.UNDER_REVIEW, S.DECIDED_UNFAVOURABLE): "agent",
    (S.DECIDED_FAVOURABLE, S.CARD_IN_PRODUCTION): "agent",
    (S.CARD_IN_PRODUCTION, S.CARD_READY): "agent",
    (S.CARD_READY, S.CARD_DELIVERED): "agent",
    **{(status, S.WITHDRAWN): "applicant" for status in OPEN_STATUSES},
    **{(status, S.CLOSED_WITHOUT_ACTION): "agent" for status in OPEN_STATUSES},
}


class TransitionNotAllowed(ValidationError):
    """A move the state machine does not allow; a ValidationError, so views show it like any other."""

    def __init__(self, from_status: str, to_status: str):
        self.from_status, self.to_status = from_status, to_status
        super().__init__(
            _("Cette action n'est pas possible : le dossier est « %(status)s ».")
            % {"status": Status(from_status).label},
            code="transition_not_allowed",
        )


def transition_check(from_status: str, to_status: str) -> str:
    """Returns who may perform the transition, or raises ``TransitionNotAllowed``."""
    try:
        return TRANSITIONS[(from_status, to_status)]
    except KeyError:
        raise TransitionNotAllowed(from_status, to_status) from None


#: The card's life after a favourable decision, one step at a time.
CARD_STEPS = {
    S.DECIDED_FAVOURABLE: S.CARD_IN_PRODUCTION,
    S.CARD_IN_PRODUCTION: S.CARD_READY,
    S.CARD_READY: S.CARD_DELIVERED,
}


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
    def any(self) -> bool:
        return any((self.take, self.assign, self.complete, self.complements, self.review, self.biometrics,
                    self.decide, self.card_next, self.extension))


def staff_actions(*, dossier: Dossier, user) -> StaffActions:
    """Which actions this member of staff may take on this dossier now: the transitions of the table
    above that an agent performs from the current status, narrowed by the person's role (a
    supervisor assigns) and by what the file still lacks (fingerprints before a favourable
    decision). Nothing for someone who does not instruct the dossier's prefecture."""
    if not staff_can_instruct(user=user, dossier=dossier):
        return StaffActions()
    status = dossier.status
    supervisor = is_supervisor_of(user=user, prefecture_id=dossier.prefecture_id)
    in_queue = status in QUEUE_STATUSES

    def agent_may(to: str) -> bool:
        return TRANSITIONS.get((status, to)) == "agent"

    biometrics = ""
    if status == S.UNDER_REVIEW and dossier.procedure.needs_biometrics:
        biometrics = dossier_biometrics_state(dossier=dossier)
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


#: The current step in plain words, for the applicant.
PLAIN_STATUS = {
    S.DRAFT: _("Votre demande n'est pas encore envoyée."),
    S.SUBMITTED: _("Votre demande est déposée. La préfecture va vérifier qu'elle est complète."),
    S.UNDER_REVIEW: _("Votre demande est complète. Un agent de la préfecture l'étudie."),
    S.COMPLEMENTS_REQUESTED: _("La préfecture vous demande des documents ou des informations."),
    S.DECIDED_FAVOURABLE: _("Bonne nouvelle : votre titre de séjour est accordé."),
    S.DECIDED_UNFAVOURABLE: _("Votre demande est refusée. La décision explique pourquoi et comment la contester."),
    S.CARD_IN_PRODUCTION: _("Votre titre de séjour est en fabrication."),
    S.CARD_READY: _("Votre titre de séjour est prêt : prenez rendez-vous pour le retirer."),
    S.CARD_DELIVERED: _("Votre titre de séjour vous a été remis."),
    S.WITHDRAWN: _("Vous avez retiré cette demande."),
    S.CLOSED_WITHOUT_ACTION: _("Cette demande a été classée sans suite."),
}

#: What the applicant is expected to do now (empty: nothing, the administration acts).
NEXT_ACTION = {
    S.DRAFT: _("Terminez et envoyez votre demande."),
    S.SUBMITTED: "",
    S.UNDER_REVIEW: "",
    S.COMPLEMENTS_REQUESTED: _("Envoyez les éléments demandés avant la date limite."),
    S.DECIDED_FAVOURABLE: _("Gardez votre attestation de décision favorable : elle prouve votre droit au séjour."),
    S.DECIDED_UNFAVOURABLE: _("Lisez la décision : elle indique les délais et voies de recours."),
    S.CARD_IN_PRODUCTION: "",
    S.CARD_READY: _("Prenez rendez-vous pour retirer votre titre."),
    S.CARD_DELIVERED: "",
    S.WITHDRAWN: "",
    S.CLOSED_WITHOUT_ACTION: "",
}
