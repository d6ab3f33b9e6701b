"""Writes of the substitution app (one module per part of the flow); import from here."""

from substitution.services.anomalies import (  # noqa: F401
    Fixed,
    anomaly_fix,
    anomaly_record_workaround,
)
from substitution.services.deadline import (  # noqa: F401
    JobResult,
    deadline_job,
)
from substitution.services.intake import (  # noqa: F401
    Intake,
    PaperFile,
    PermitRead,
    paper_intake_register,
)
from substitution.services.paper import (  # noqa: F401
    REPORT_SUBJECT_TYPE,
    impossibility_record,
    invitation_ask_another_date,
    invitation_make,
    may_record_impossibility,
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
