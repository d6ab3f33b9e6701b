"""The dossier state machine (DESIGN §4): the statuses, their sets and every allowed transition,
in one table.

Two services change ``Dossier.status``, both in the ``applications/services/`` package and both
calling ``transition_check`` first: ``dossier_submit`` (``submission.py``) files a draft, and
``dossier_transition`` (``dossiers.py``) makes every other move; the instruction services
(``instruction.py``) call the latter. The table's value names who performs a transition;
``applications/actions.py`` reads it to offer staff the actions of the current state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The statuses live here, with the transitions, so that the models can build their database
# constraints from the sets below (applications/models.py imports this module, never the reverse).


class Status(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Déposé")
    UNDER_REVIEW = "under_review", _("En cours d'instruction")
    COMPLEMENTS_REQUESTED = "complements_requested", _("Compléments demandés")
    DECIDED_FAVOURABLE = "decided_favourable", _("Décision favorable")
    DECIDED_UNFAVOURABLE = "decided_unfavourable", _("Décision défavorable")
    CARD_IN_PRODUCTION = "card_in_production", _("Titre en fabrication")
    CARD_READY = "card_ready", _("Titre disponible")
    CARD_DELIVERED = "card_delivered", _("Titre remis")
    WITHDRAWN = "withdrawn", _("Demande retirée")
    CLOSED_WITHOUT_ACTION = "closed_without_action", _("Classée sans suite")


S = Status

#: Statuses before a decision: the applicant may still withdraw, add documents or correct answers;
#: the legal clock runs and the person's right to stay hangs on the file (extension certificates,
#: "rights at risk" in the queue). The one set of "open" statuses: ``applications/clock.py`` uses it too.
OPEN_STATUSES = frozenset({S.SUBMITTED, S.UNDER_REVIEW, S.COMPLEMENTS_REQUESTED})
FINAL_STATUSES = frozenset({S.DECIDED_UNFAVOURABLE, S.CARD_DELIVERED, S.WITHDRAWN, S.CLOSED_WITHOUT_ACTION})
#: Filed and not final: still under instruction, or granted with its card still to come. A second
#: request of the same family for the same permit is refused meanwhile (a partial unique index on
#: the dossier, applications/models.py).
IN_PROGRESS_STATUSES = frozenset(set(S) - {S.DRAFT} - FINAL_STATUSES)

#: (from, to) -> who may perform it ("applicant", "agent" or "system"); ``dossier_transition`` enforces it
#: (``applications.services.dossiers.transition_actor_check``).
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
CARD_STEPS: dict[str, str] = {
    S.DECIDED_FAVOURABLE: S.CARD_IN_PRODUCTION,
    S.CARD_IN_PRODUCTION: S.CARD_READY,
    S.CARD_READY: S.CARD_DELIVERED,
}


#: The current step in plain words, for the applicant.
PLAIN_STATUS: dict[str, StrOrPromise] = {
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
NEXT_ACTION: dict[str, StrOrPromise] = {
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
