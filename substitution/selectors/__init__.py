"""Reads of the substitution app; import from here."""

from substitution.selectors.anomalies import (  # noqa: F401
    anomalies_ranked,
    anomaly_get_for_user,
    anomaly_reports,
    anomaly_suggestions,
    report_get_to_link,
)
from substitution.selectors.intake import (  # noqa: F401
    invitation_get_for_desk,
    invitation_scheduled_for_report,
    invitations_scheduled_for_bookings,
    may_register_paper,
)
from substitution.selectors.paper import (  # noqa: F401
    invitation_current,
    invitation_letter,
    may_ask_another_date,
    reports_without_slot,
)
from substitution.selectors.reports import (  # noqa: F401
    QueueFilters,
    anomalies_to_link,
    evidence_get,
    report_evidence,
    report_get_by_secret,
    report_get_for_user,
    report_is_overseen_by,
    report_timeline,
    reports_for_person,
    reports_queue,
    secret_hash,
)
