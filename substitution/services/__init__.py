"""Writes of the substitution app (one module per part of the flow); import from here."""

from substitution.services.intake import (  # noqa: F401, E402
    Intake,
    PaperFile,
    PermitRead,
    paper_intake_register,
)
from substitution.services.reports import (  # noqa: F401
    EVIDENCE_FORMATS,
    EVIDENCE_MAX_BYTES,
    EVIDENCE_MAX_FILES,
    Blockage,
    Contact,
    Opened,
    anomaly_create,
    deadline_for,
    report_answer,
    report_link_anomaly,
    report_mark_unresolved,
    report_open,
    report_reopen,
    report_resolve,
)
