"""The blocking report's state machine (DESIGN §8): statuses and every allowed transition, in one
table, as ``applications/workflow.py`` does for dossiers.

Each transition is one service in ``substitution/services.py`` that locks the report, asks
``transition_check`` who may make the move, checks that the person acting is that one, saves and
writes the timeline. The statuses after ``unresolved`` (impossibility established, invited, filed on
paper, closed) belong to the next part of issue 11: they are declared now so that the column and its
constraint do not change, and no transition leads to them yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Ouvert")
    ANSWERED = "answered", _("Répondu")
    RESOLVED = "resolved", _("Résolu")
    UNRESOLVED = "unresolved", _("Non résolu (anomalie enregistrée)")
    IMPOSSIBILITY_ESTABLISHED = "impossibility_established", _("Impossibilité constatée")
    INVITED = "invited", _("Convoqué pour un dépôt papier")
    FILED_ON_PAPER = "filed_on_paper", _("Déposé sur papier")
    CLOSED = "closed", _("Clos")


S = ReportStatus

#: Who performs a move: "support" (a CCC agent with a verified second factor) or "person" (the
#: person the report is about: the account holder, or whoever holds the secret follow link).
SUPPORT = "support"
PERSON = "person"

#: (from, to) -> who. Answering again an answered report keeps it answered (a second message).
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.OPEN, S.ANSWERED): SUPPORT,
    (S.ANSWERED, S.ANSWERED): SUPPORT,
    (S.OPEN, S.RESOLVED): SUPPORT,
    (S.ANSWERED, S.RESOLVED): SUPPORT,
    (S.UNRESOLVED, S.RESOLVED): SUPPORT,  # a fix or a workaround found later
    (S.OPEN, S.UNRESOLVED): SUPPORT,
    (S.ANSWERED, S.UNRESOLVED): SUPPORT,
    # "Ça ne marche toujours pas": the person says the answer did not unblock them.
    (S.ANSWERED, S.OPEN): PERSON,
    (S.RESOLVED, S.OPEN): PERSON,
}

#: Reports the support still has to deal with; the deadline keeps running for all of them.
ACTIVE_STATUSES = frozenset({S.OPEN, S.ANSWERED, S.UNRESOLVED})
#: Statuses from which the person may say it still fails.
REOPENABLE_STATUSES = frozenset(source for (source, to), who in TRANSITIONS.items() if who == PERSON and to == S.OPEN)
#: Statuses on which an anomaly may still be linked (before the paper path takes over).
LINKABLE_STATUSES = frozenset({S.OPEN, S.ANSWERED, S.RESOLVED, S.UNRESOLVED})


class TransitionNotAllowed(ValidationError):
    def __init__(self, from_status: str, to_status: str):
        self.from_status, self.to_status = from_status, to_status
        super().__init__(
            _("Cette action n'est pas possible : le signalement est « %(status)s ».")
            % {"status": ReportStatus(from_status).label},
            code="transition_not_allowed",
        )


def transition_check(from_status: str, to_status: str) -> str:
    """Who may perform the move, or ``TransitionNotAllowed``."""
    try:
        return TRANSITIONS[(from_status, to_status)]
    except KeyError:
        raise TransitionNotAllowed(from_status, to_status) from None


#: The status in plain words, for the person.
PLAIN_STATUS: dict[str, StrOrPromise] = {
    S.OPEN: _("Votre signalement est enregistré. Le support cherche une solution."),
    S.ANSWERED: _("Le support vous a répondu. Essayez sa solution ; si ça ne marche toujours pas, dites-le-nous."),
    S.RESOLVED: _("Le support considère le problème comme résolu. Si ça ne marche toujours pas, dites-le-nous."),
    S.UNRESOLVED: _("Le problème n'est pas résolu : il est enregistré comme anomalie. Si aucune solution n'est "
                    "trouvée avant la date limite, la préfecture vous convoquera pour un dépôt sur papier."),
    S.IMPOSSIBILITY_ESTABLISHED: _("La préfecture a constaté que vous ne pouvez pas faire votre démarche en ligne."),
    S.INVITED: _("Vous êtes convoqué(e) pour déposer votre demande sur papier."),
    S.FILED_ON_PAPER: _("Votre demande a été déposée sur papier."),
    S.CLOSED: _("Ce signalement est clos."),
}


# --- Anomalies (services/anomalies.py) ------------------------------------------------------------

#: The technical team (national role ``technical``, second factor verified).
TECHNICAL = "technical"

#: An anomaly's moves: (from, to) -> who. A workaround may be written again (a better one); a fix
#: is final, so fixing twice is refused (and nobody is told twice).
ANOMALY_TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "workaround"): TECHNICAL,
    ("workaround", "workaround"): TECHNICAL,
    ("open", "fixed"): TECHNICAL,
    ("workaround", "fixed"): TECHNICAL,
}

#: Reports whose person is still blocked (counted in the ranking of anomalies).
BLOCKED_STATUSES = frozenset({S.OPEN, S.ANSWERED, S.UNRESOLVED, S.IMPOSSIBILITY_ESTABLISHED, S.INVITED})
#: Reports whose person a fix tells to try again online: not yet invited to file on paper, and
#: not done with (resolved, closed).
FIX_NOTIFIED_STATUSES = frozenset({S.OPEN, S.ANSWERED, S.UNRESOLVED, S.IMPOSSIBILITY_ESTABLISHED})


class AnomalyTransitionNotAllowed(ValidationError):
    def __init__(self, from_status: str, to_status: str):
        self.from_status, self.to_status = from_status, to_status
        super().__init__(_("Cette action n'est pas possible : l'anomalie est déjà corrigée.")
                         if from_status == "fixed" else _("Cette action n'est pas possible sur cette anomalie."),
                         code="transition_not_allowed")


def anomaly_transition_check(from_status: str, to_status: str) -> str:
    """Who may perform the anomaly's move, or ``AnomalyTransitionNotAllowed``."""
    try:
        return ANOMALY_TRANSITIONS[(from_status, to_status)]
    except KeyError:
        raise AnomalyTransitionNotAllowed(from_status, to_status) from None


# --- The paper path (issue 11, items 4 and 5: substitution/services/paper.py) --------------------

#: An agent or supervisor of the report's competent prefecture with a verified second factor; or
#: the portal itself (``by`` None), and then only once the report's deadline has passed.
PREFECTURE = "prefecture"
#: The portal (the deadline job, or the invitation that follows an agent's act at once).
PORTAL = "portal"

TRANSITIONS.update({
    # The formal act of impossibility, on an active report.
    (S.OPEN, S.IMPOSSIBILITY_ESTABLISHED): PREFECTURE,
    (S.ANSWERED, S.IMPOSSIBILITY_ESTABLISHED): PREFECTURE,
    (S.UNRESOLVED, S.IMPOSSIBILITY_ESTABLISHED): PREFECTURE,
    # The earliest free paper-filing slot is booked and the letter issued.
    (S.IMPOSSIBILITY_ESTABLISHED, S.INVITED): PORTAL,
    # A missed convocation: a new one is to be made (the job makes it at once, or flags no slot).
    (S.INVITED, S.IMPOSSIBILITY_ESTABLISHED): PORTAL,
    # "Je ne peux pas venir à cette date": another date, once per report.
    (S.INVITED, S.INVITED): PERSON,
})

#: An invitation's own moves: (from, to) -> who. "desk" (registering the paper file) belongs to
#: the paper intake.
INVITATION_TRANSITIONS: dict[tuple[str, str], str] = {
    ("scheduled", "missed"): PORTAL,  # its booking was marked "absent" at the desk
    ("scheduled", "replaced"): PERSON,  # another date asked by the person
}


def invitation_transition_check(from_status: str, to_status: str) -> str:
    try:
        return INVITATION_TRANSITIONS[(from_status, to_status)]
    except KeyError:
        raise ValidationError(_("Cette convocation ne peut plus être modifiée."), code="invitation_closed") from None


# --- Paper intake (issue 11, item 6) --------------------------------------------------------------

#: A verified agent (or supervisor) of the report's competent prefecture, at its desk.
PREFECTURE_AGENT = "prefecture_agent"
#: The person came to the convocation and their paper file is registered as a dossier.
TRANSITIONS[(S.INVITED, S.FILED_ON_PAPER)] = PREFECTURE_AGENT
