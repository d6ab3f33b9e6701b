from django.apps import AppConfig

#: How appointments name a blocking report (Booking.subject_type, appointments.registry).
REPORT_SUBJECT_TYPE = "substitution.report"


def _report_labels(subject_ids: list[str]) -> dict[str, str]:
    """For appointments' letters and desk pages: "SIG-2026-000123 – Moussa TRAORE"."""
    from substitution.letters import report_label
    from substitution.models import BlockingReport

    ids = [int(i) for i in subject_ids if str(i).isdigit()]
    return {str(report.pk): report_label(report)
            for report in BlockingReport.objects.filter(pk__in=ids).only("pk", "reference", "first_name",
                                                                          "last_name")}


def _report_label(subject_id: str) -> str:
    from substitution.letters import prefetched_label

    label = prefetched_label(subject_id)  # the deadline job's chunk
    if label is not None:
        return label
    return _report_labels([subject_id]).get(str(subject_id), "")


def _report_subject(user, subject_id: str):
    """Nothing of a report is booked online by the person: the portal convokes them."""
    return None


def _report_letter(subject_id: str) -> dict:
    from substitution.letters import convocation_extras

    return convocation_extras(subject_id)


class SubstitutionConfig(AppConfig):
    name = "substitution"

    def ready(self) -> None:
        # appointments/ and documents/ sit below this app: they name a report, print what its
        # convocation letter must say, and let staff who see a report print its letters through
        # their registries.
        from appointments.registry import register
        from documents.selectors import STAFF_ACCESS_CHECKS
        from substitution.selectors.paper import letter_staff_may_access

        register(REPORT_SUBJECT_TYPE, provider=_report_subject, label=_report_label, labels=_report_labels,
                 letter=_report_letter)
        if letter_staff_may_access not in STAFF_ACCESS_CHECKS:
            STAFF_ACCESS_CHECKS.append(letter_staff_may_access)

        # appointments/ sits below this app: the desk's day offers the paper intake of a
        # convocation to file on paper through its registry.
        from appointments.registry import DESK_ACTIONS
        from substitution.selectors.intake import desk_intake_actions

        if desk_intake_actions not in DESK_ACTIONS:
            DESK_ACTIONS.append(desk_intake_actions)
