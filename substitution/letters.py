"""What a paper-filing convocation says beyond the appointment (appointments.registry.LETTERS):
the documents to bring for the person's procedure, and what to do if they cannot come."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from substitution.models import BlockingReport

#: The contact centre, printed on the letter for a person who cannot come.
CONTACT_CENTRE_PHONE = "0 806 001 620"

#: Report id -> (label, letter extras), read in two queries for a chunk of the deadline job
#: (``letters_prefetched``); appointments' registry asks one report at a time while booking.
_PREFETCHED: ContextVar[dict[str, tuple[str, dict]] | None] = ContextVar("substitution_letters", default=None)


def _generic_documents() -> list[str]:
    """When the procedure is not known: what every residence-permit file needs."""
    return [
        _("Votre passeport (ou un autre document d'identité) et une copie"),
        _("Votre titre de séjour, récépissé ou visa actuel, s'il y en a un, et une copie"),
        _("Un justificatif de domicile de moins de 6 mois"),
        _("3 photos d'identité récentes"),
        _("Les documents liés à votre situation (travail, études, famille...), en original et en copie"),
    ]


def report_label(report: BlockingReport) -> str:
    """How letters and desk pages name a report: "SIG-2026-000123 – Moussa TRAORE"."""
    return f"{report.reference} – {report.person_name}".rstrip(" –")


def _required_documents(procedure_ids: Iterable[int]) -> dict[int, list[str]]:
    from applications.models import ProcedureDocument

    documents: dict[int, list[str]] = {}
    for row in (ProcedureDocument.objects.filter(procedure_id__in=set(procedure_ids), required=True)
                .select_related("document_type").order_by("procedure_id", "position", "id")):
        documents.setdefault(row.procedure_id, []).append(str(row.document_type.name))
    return documents


def _extras(report: BlockingReport, documents: list[str]) -> dict:
    return {
        "procedure": str(report.procedure.name) if report.procedure is not None else "",
        "documents_list": documents or _generic_documents(),
        "cannot_come": {"phone": CONTACT_CENTRE_PHONE},
    }


def convocation_extras(subject_id: str) -> dict:
    """JSON for the letter's context: ``procedure``, ``documents_list`` and ``cannot_come``."""
    from substitution.models import BlockingReport

    prefetched = _PREFETCHED.get()
    if prefetched is not None and str(subject_id) in prefetched:
        return prefetched[str(subject_id)][1]
    if not str(subject_id).isdigit():
        return {}
    report = BlockingReport.objects.select_related("procedure").filter(pk=int(subject_id)).first()
    if report is None:
        return {}
    documents = _required_documents([report.procedure_id]).get(report.procedure_id, []) \
        if report.procedure_id is not None else []
    return _extras(report, documents)


def prefetched_label(subject_id: str) -> str | None:
    prefetched = _PREFETCHED.get()
    if prefetched is not None and str(subject_id) in prefetched:
        return prefetched[str(subject_id)][0]
    return None


@contextmanager
def letters_prefetched(reports: list[BlockingReport]) -> Iterator[None]:
    """While booking a chunk of reports (their ``procedure`` selected): their letters' labels and
    extras come from memory, computed here in one query, instead of two or three queries each."""
    documents = _required_documents(r.procedure_id for r in reports if r.procedure_id is not None)
    token = _PREFETCHED.set({
        str(report.pk): (report_label(report), _extras(report, documents.get(report.procedure_id, [])
                                                       if report.procedure_id is not None else []))
        for report in reports})
    try:
        yield
    finally:
        _PREFETCHED.reset(token)
