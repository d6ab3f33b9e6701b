from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: How appointments name a dossier (Booking.subject_type, appointments.registry).
DOSSIER_SUBJECT_TYPE = "applications.dossier"


def _dossier_subject(user, subject_id: str):
    """For appointments: the person's OWN dossier, and what they may book online for it (the
    collection of their card once it is ready). Anybody else's dossier, or a bad id: None."""
    from applications.models import Dossier, Status
    from appointments.models import Motive
    from appointments.registry import SubjectInfo

    if not getattr(user, "is_authenticated", False) or not str(subject_id).isdigit():
        return None
    dossier = Dossier.objects.filter(pk=int(subject_id), applicant=user).only(
        "pk", "reference", "prefecture_id", "status").first()
    if dossier is None:
        return None
    motives = frozenset({Motive.Code.CARD_COLLECTION.value}) if dossier.status == Status.CARD_READY else frozenset()
    return SubjectInfo(type=DOSSIER_SUBJECT_TYPE, id=str(dossier.pk), label=dossier.reference or "",
                       prefecture_id=dossier.prefecture_id, self_bookable_motives=motives)


def _dossier_labels(subject_ids: list[str]) -> dict[str, str]:
    from applications.models import Dossier

    ids = [int(i) for i in subject_ids if str(i).isdigit()]
    return {str(pk): reference or "" for pk, reference in
            Dossier.objects.filter(pk__in=ids).values_list("pk", "reference")}


def _dossier_label(subject_id: str) -> str:
    return _dossier_labels([subject_id]).get(str(subject_id), "")


def _person_dossiers(person) -> list[tuple[int, str]]:
    """For accounts (a mandate limited to one dossier): the person's filed dossiers not yet closed,
    by reference."""
    from applications.models import Dossier, Status
    from applications.workflow import FINAL_STATUSES

    rows = (Dossier.objects.filter(applicant=person).exclude(status__in={*FINAL_STATUSES, Status.DRAFT})
            .values_list("pk", "reference"))
    return [(pk, reference) for pk, reference in rows if reference]


def _scan_check(uploaded_file):
    """For accounts: a signed mandate form's scan, checked as every upload is."""
    from applications.uploads import validate_upload

    return validate_upload(uploaded_file, allowed_formats=("pdf", "jpeg", "png"), max_bytes=10 * 1024 * 1024)


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Démarches")

    def ready(self) -> None:
        # documents/ sits below this app and cannot import it: it exposes a registry instead.
        # Agents and supervisors of a dossier's prefecture may download the documents issued
        # about it (filing receipt, certificates), as the applicant can.
        from applications.backoffice.selectors import document_staff_may_access
        from documents.selectors import STAFF_ACCESS_CHECKS

        if document_staff_may_access not in STAFF_ACCESS_CHECKS:
            STAFF_ACCESS_CHECKS.append(document_staff_may_access)

        # appointments/ sits below this app too: it asks the registry whether a person may book
        # the collection of a card for a dossier, and how to name the dossier on letters.
        from appointments.registry import register

        register(DOSSIER_SUBJECT_TYPE, provider=_dossier_subject, label=_dossier_label, labels=_dossier_labels)

        # accounts/ sits below too: a mandate limited to one dossier names it by its id, and the
        # scan of a signed mandate form goes through the same checks as every upload.
        from accounts import hooks

        hooks.register(person_dossiers=_person_dossiers, scan_check=_scan_check)
