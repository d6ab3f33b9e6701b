"""Reads for the back-office, one module per subject: the queue and supervision (``queue``), one
dossier and its access-checked getters (``dossiers``), the CSV exports (``exports``) and the
statistics (``statistics``). The names views use are re-exported here."""

from applications.backoffice.selectors.dossiers import (
    attachment_get_for_staff,
    document_staff_may_access,
    dossier_audit_events,
    dossier_file_data,
    dossier_file_get_for_staff,
    dossier_get_for_staff,
    dossier_requirement_names,
    requirement_names,
)
from applications.backoffice.selectors.exports import export_get_for_user, exports_for_user, queue_rows
from applications.backoffice.selectors.queue import (
    DEADLINE_STATES,
    AgentLoad,
    Cursor,
    QueueFilters,
    QueueRow,
    instructing_prefectures,
    open_dossiers_of_agent,
    prefecture_agent_choices,
    prefecture_agents,
    queue_base,
    queue_page,
    queue_page_rows,
    queue_status_counts,
    workload_for_supervisor,
)
from applications.backoffice.selectors.statistics import (
    CERTIFICATES_WINDOW,
    PROCESSING_WINDOW,
    PrefectureStatistics,
    prefecture_statistics,
)

__all__ = [
    "CERTIFICATES_WINDOW",
    "DEADLINE_STATES",
    "PROCESSING_WINDOW",
    "AgentLoad",
    "Cursor",
    "PrefectureStatistics",
    "QueueFilters",
    "QueueRow",
    "attachment_get_for_staff",
    "document_staff_may_access",
    "dossier_audit_events",
    "dossier_file_data",
    "dossier_file_get_for_staff",
    "dossier_get_for_staff",
    "dossier_requirement_names",
    "export_get_for_user",
    "exports_for_user",
    "instructing_prefectures",
    "open_dossiers_of_agent",
    "prefecture_agent_choices",
    "prefecture_agents",
    "prefecture_statistics",
    "queue_base",
    "queue_page",
    "queue_page_rows",
    "queue_rows",
    "queue_status_counts",
    "requirement_names",
    "workload_for_supervisor",
]
