"""Drafts: started from the catalogue, saved at every step, resumable anywhere, abandonable."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from accounts.models import User
from applications import rules, steps
from applications.models import Attachment, DocumentType, Dossier, DossierEvent, Procedure, Status
from applications.services.common import dossier_lock, event_record
from applications.uploads import validate_upload
from applications.workflow import OPEN_STATUSES
from territory.models import Prefecture


def draft_start(*, applicant: User, procedure: Procedure, by: User | None = None) -> tuple[Dossier, bool]:
    """The applicant's open draft for this procedure, created if there is none (one per procedure:
    the database guarantees it, so two tabs starting at once end up on the same draft). ``by``:
    who starts it, when not the applicant (a mediator under their mandate)."""
    existing = Dossier.objects.filter(applicant=applicant, procedure=procedure, status=Status.DRAFT).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                applicant=applicant, procedure=procedure, current_step=steps.steps_for(procedure)[0],
                prefecture=applicant.competent_prefecture, family=procedure.group,
            )
            event_record(dossier=dossier, kind=DossierEvent.Kind.CREATED, by=by or applicant,
                         to_status=Status.DRAFT)
    except IntegrityError:
        return Dossier.objects.get(applicant=applicant, procedure=procedure, status=Status.DRAFT), False
    return dossier, True


def draft_save_step(*, dossier: Dossier, step: str, data: dict[str, Any], by: User) -> Dossier:
    """Saves one step's answers (JSON-serialisable) and moves the draft to the next step."""
    with transaction.atomic():
        dossier = dossier_lock(dossier)
        if dossier.status != Status.DRAFT:
            raise ValidationError(_("Cette demande est déjà envoyée : elle ne peut plus être modifiée ainsi."))
        answers = dict(dossier.answers)
        answers[step] = data
        dossier.answers = answers
        fields = ["answers", "current_step", "updated_at"]
        if step == "situation":
            department_code = data.get("department")
            dossier.prefecture = Prefecture.objects.filter(department__code=department_code).first()
            dossier.renewed_permit_id = data.get("renewed_permit") or None
            fields += ["prefecture", "renewed_permit"]
        dossier.current_step = steps.next_step(dossier.procedure, step)
        dossier.save(update_fields=fields)
        return dossier


def _files_delete(files: list[FieldFile]) -> None:
    for file in files:
        file.delete(save=False)


def draft_abandon(*, dossier: Dossier, by: User) -> None:
    """Deletes a draft and its files (the wrong procedure was chosen, or the person gave up)."""
    with transaction.atomic():
        dossier = dossier_lock(dossier)
        if dossier.status != Status.DRAFT:
            raise ValidationError(_("Seul un brouillon peut être abandonné. Une demande envoyée peut être retirée."))
        files = [a.file for a in dossier.attachments.all()]
        dossier.delete()
        transaction.on_commit(partial(_files_delete, files))


def attachment_add(
    *, dossier: Dossier, document_type: DocumentType, uploaded_file, by: User
) -> Attachment:
    """Checks the file (applications/uploads.py) and makes it the current one of its type.

    Only a document type the dossier's procedure asks for (complement requests choose among them
    too). Raises ``ValidationError`` with the reason for the person; nothing else of the dossier
    changes.
    """
    with transaction.atomic():
        if not dossier.procedure.requirements.filter(document_type=document_type).exists():
            raise ValidationError(_("Cette pièce n'est pas demandée pour cette démarche."),
                                  code="document_type_not_asked")
        clean = validate_upload(uploaded_file, allowed_formats=document_type.allowed_formats,
                                max_bytes=document_type.max_bytes)
        dossier = dossier_lock(dossier)
        if dossier.status != Status.DRAFT and dossier.status not in OPEN_STATUSES:
            raise ValidationError(_("Ce dossier est clos : vous ne pouvez plus y ajouter de pièce."))
        after_submission = dossier.status != Status.DRAFT
        if after_submission and (Attachment.objects.filter(dossier=dossier, document_type=document_type).count()
                                 >= rules.MAX_PIECE_VERSIONS):
            raise ValidationError(
                _("Vous avez déjà envoyé %(max)s versions de cette pièce, le maximum. Si vous devez en envoyer "
                  "une autre, contactez la préfecture."),
                code="too_many_versions", params={"max": rules.MAX_PIECE_VERSIONS},
            )
        previous = list(Attachment.objects.filter(dossier=dossier, document_type=document_type, is_current=True))
        for old in previous:
            if after_submission:  # a filed dossier keeps every version the agents may have seen
                old.is_current = False
                old.save(update_fields=["is_current"])
            else:  # a draft keeps no history: the replaced file goes
                old_file = old.file
                old.delete()
                transaction.on_commit(partial(old_file.delete, save=False))
        attachment = Attachment(
            dossier=dossier, document_type=document_type, original_name=_display_name(uploaded_file.name),
            content_type=clean.content_type, extension=clean.extension, size=clean.size,
            sha256=clean.sha256, uploaded_by=by, added_after_submission=after_submission,
        )
        attachment.file.save("upload", ContentFile(clean.content), save=False)
        attachment.save()
        if after_submission:
            event_record(dossier=dossier, kind=DossierEvent.Kind.DOCUMENT_ADDED, by=by,
                         data={"document_type": document_type.name, "replaces": bool(previous)})
        return attachment


def attachment_remove(*, attachment: Attachment, by: User) -> None:
    with transaction.atomic():
        dossier = dossier_lock(attachment.dossier)
        if dossier.status != Status.DRAFT:
            raise ValidationError(_("Une pièce d'une demande envoyée ne peut plus être retirée ; "
                                    "vous pouvez en envoyer une nouvelle version."))
        file = attachment.file
        attachment.delete()
        transaction.on_commit(lambda: file.delete(save=False))


def _display_name(name: str) -> str:
    """The uploaded name, for display only: last path component, printable, 120 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable())
    return cleaned[:120] or "document"
