"""The steps of the filing form, in order. A step without content for a procedure is skipped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from applications.models import Procedure

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STEPS: list[tuple[str, StrOrPromise]] = [
    ("eligibility", _("Éligibilité")),
    ("identity", _("Identité")),
    ("situation", _("Situation")),
    ("questions", _("Questions sur votre demande")),
    ("documents", _("Pièces justificatives")),
    ("review", _("Vérification et envoi")),
]
STEP_LABELS = dict(STEPS)


def steps_for(procedure: Procedure) -> list[str]:
    steps = [code for code, _label in STEPS]
    if not procedure.eligibility:
        steps.remove("eligibility")
    if not procedure.questions:
        steps.remove("questions")
    return steps


def next_step(procedure: Procedure, step: str) -> str:
    steps = steps_for(procedure)
    index = steps.index(step)
    return steps[min(index + 1, len(steps) - 1)]


def previous_step(procedure: Procedure, step: str) -> str | None:
    steps = steps_for(procedure)
    index = steps.index(step)
    return steps[index - 1] if index > 0 else None
