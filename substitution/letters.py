"""What a paper-filing convocation says beyond the appointment (appointments.registry.LETTERS):
the documents to bring for the person's procedure, and what to do if they cannot come."""

from __future__ import annotations

from django.utils.translation import gettext as _

#: The contact centre, printed on the letter for a person who cannot come.
CONTACT_CENTRE_PHONE = "0 806 001 620"


def _generic_documents() -> list[str]:
    """When the procedure is not known: what every residence-permit file needs."""
    return [
        _("Votre passeport (ou un autre document d'identité) et une copie"),
        _("Votre titre de séjour, récépissé ou visa actuel, s'il y en a un, et une copie"),
        _("Un justificatif de domicile de moins de 6 mois"),
        _("3 photos d'identité récentes"),
        _("Les documents liés à votre situation (travail, études, famille...), en original et en copie"),
    ]


def convocation_extras(subject_id: str) -> dict:
    """JSON for the letter's context: ``procedure``, ``documents_list`` and ``cannot_come``."""
    from applications.models import ProcedureDocument
    from substitution.models import BlockingReport

    if not str(subject_id).isdigit():
        return {}
    report = BlockingReport.objects.select_related("procedure").filter(pk=int(subject_id)).first()
    if report is None:
        return {}
    documents: list[str] = []
    if report.procedure is not None:
        documents = [str(row.document_type.name) for row in ProcedureDocument.objects.filter(
            procedure=report.procedure, required=True).select_related("document_type").order_by("position", "id")]
    return {
        "procedure": str(report.procedure.name) if report.procedure is not None else "",
        "documents_list": documents or _generic_documents(),
        "cannot_come": {"phone": CONTACT_CENTRE_PHONE},
    }
