"""Writes about dossiers. Each state change is one service that locks the row, checks the
transition table (applications/workflow.py), saves, writes the timeline and the audit log, and
queues its side effects after commit."""

from applications.services import dossiers as dossiers_module
from applications.services.dossiers import (
    complements_answer,
    dossier_amend,
    dossier_transition,
    dossier_withdraw,
)
from applications.services.drafts import (
    attachment_add,
    attachment_remove,
    draft_abandon,
    draft_save_step,
    draft_start,
)
from applications.services.exports import (
    queue_export_fail,
    queue_export_request,
    queue_export_write,
)
from applications.services.instruction import (
    attachment_review,
    biometrics_request,
    card_mark,
    complements_request,
    dossier_assign,
    dossier_decide,
    dossier_decision_check,
    dossier_mark_complete,
    dossiers_reassign,
    extension_grant,
)
from applications.services.paper import (
    PaperIdentity,
    dossier_register_paper,
    permit_record_for_paper,
)
from applications.services.submission import (
    dossier_submit,
    dossier_submit_check,
)

__all__ = [
    "attachment_review",
    "biometrics_request",
    "card_mark",
    "complements_request",
    "dossier_assign",
    "dossier_decide",
    "dossier_decision_check",
    "dossier_mark_complete",
    "dossiers_reassign",
    "extension_grant",
    "attachment_add",
    "attachment_remove",
    "complements_answer",
    "dossier_amend",
    "dossier_submit",
    "PaperIdentity",
    "dossier_register_paper",
    "permit_record_for_paper",
    "dossier_submit_check",
    "dossier_transition",
    "dossier_withdraw",
    "dossiers_module",
    "draft_abandon",
    "draft_save_step",
    "draft_start",
    "queue_export_fail",
    "queue_export_request",
    "queue_export_write",
]
