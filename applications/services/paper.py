"""Paper filing: a request brought on paper to a prefecture's desk (the substitution channel,
décret 2023-191, CESEDA R.431-2) becomes an ordinary dossier with channel ``paper``.

It goes through the same filing as an online submission (``submission.dossier_file``): reference,
legal clock and deadline, queue priority, the filing receipt issued at once, the applicant told;
afterwards the same workflow, instruction and certificates apply (including the extension
certificate of an on-time renewal). What differs is what is checked at the desk, see
``dossier_register_paper`` and docs/substitution.md, "Paper intake".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import is_verified_agent_of
from accounts.services import IDENTITY_DOCUMENTS
from applications import rules
from applications.models import Channel, DocumentType, Dossier, Permit, Procedure, Status
from applications.services.submission import (
    dossier_file,
    request_in_progress_error,
    tax_stamp_used_error,
)
from applications.staff import INSTRUCTING_ROLES
from applications.workflow import IN_PROGRESS_STATUSES, transition_check
from territory.models import Prefecture


@dataclass(frozen=True)
class PaperIdentity:
    """Who the paper file is for, as the agent read it on the identity document shown at the desk.
    ``identity_document``: which document was checked (a key of ``IDENTITY_DOCUMENTS``)."""

    last_name: str
    first_name: str
    birth_date: date | None
    identity_document: str
    birth_place: str = ""
    nationality: str = ""
    foreigner_number: str = ""


def _identity_errors(identity: PaperIdentity) -> dict[str, list]:
    errors: dict[str, list] = {}
    if not identity.last_name.strip():
        errors["last_name"] = [_("Indiquez le nom de famille lu sur le document d'identité.")]
    if not identity.first_name.strip():
        errors["first_name"] = [_("Indiquez le ou les prénoms lus sur le document d'identité.")]
    if identity.birth_date is None:
        errors["birth_date"] = [_("Indiquez la date de naissance lue sur le document d'identité.")]
    if identity.identity_document not in IDENTITY_DOCUMENTS:
        errors["identity_document"] = [_("Indiquez le document d'identité vérifié.")]
    foreigner_number = identity.foreigner_number.strip()  # as stored: spaces typed around it are not an error
    if foreigner_number and not (foreigner_number.isdigit() and len(foreigner_number) == 10):
        errors["foreigner_number"] = [_("Le numéro étranger comporte 10 chiffres.")]
    return errors


def dossier_register_paper(
    *, applicant: User, procedure: Procedure, prefecture: Prefecture, by: User, identity: PaperIdentity,
    pieces: Sequence[DocumentType] = (), renewed_permit: Permit | None = None, received_on: date | None = None,
    on_time_as_of: date | None = None, tax_stamp_number: str = "",
) -> Dossier:
    """Registers a request filed on paper at the desk of ``prefecture`` for ``applicant`` and files
    it at once, through the same filing as online submission; returns the filed dossier.

    ``by`` must be a verified agent (or supervisor) of that prefecture. What the agent enters, since
    the online form's checks do not apply the same way on paper:

    - the identity read on the document shown (``identity``; the document checked is required);
    - the procedure, and for a renewal the permit renewed (the applicant's own);
    - ``pieces``: the supporting documents received (among those the procedure asks for). A piece
      missing is *not* a refusal at the desk: completeness is judged during instruction, which asks
      for complements as it does for online files. Scans may be added later as attachments;
    - ``received_on``: the day the file was received (today by default, never in the future); the
      legal clock starts that day;
    - ``on_time_as_of``: for a renewal, the day the person first tried to file (the blocking
      report): a person the online service kept from filing is not late because of it. The renewal
      is on time if it was on time that day or on ``received_on``;
    - ``tax_stamp_number``: optional (the fee may be paid with a paper stamp checked in
      instruction); when given, the same format and single-use checks as online.

    Raises ``PermissionDenied`` (not an agent of that prefecture) or ``ValidationError`` (field ->
    messages).
    """
    with transaction.atomic():
        if not is_verified_agent_of(user=by, prefecture_id=prefecture.pk, roles=INSTRUCTING_ROLES):
            raise PermissionDenied(_("Seul un agent de la préfecture compétente enregistre un dossier papier."))
        transition_check(Status.DRAFT, Status.SUBMITTED)
        today = timezone.localdate()
        received_on = received_on or today
        errors = _identity_errors(identity)
        if not procedure.is_active:
            errors["procedure"] = [_("Cette démarche n'est plus proposée.")]
        if received_on > today:
            errors["received_on"] = [_("La date de réception ne peut pas être dans le futur.")]
        asked = set(procedure.requirements.values_list("document_type_id", flat=True))
        if any(piece.pk not in asked for piece in pieces):
            errors["pieces"] = [_("Cette pièce n'est pas demandée pour cette démarche.")]
        on_time: bool | None = None
        if procedure.is_renewal:
            if renewed_permit is None:
                errors["renewed_permit"] = [_("Indiquez le titre de séjour renouvelé.")]
            elif renewed_permit.holder_id != applicant.pk:
                errors["renewed_permit"] = [_("Ce titre de séjour n'appartient pas à cette personne.")]
            else:
                window = rules.renewal_window(renewed_permit.valid_until)
                states = {window.state(received_on)} | ({window.state(on_time_as_of)} if on_time_as_of else set())
                if states == {"not_yet"}:
                    errors["renewed_permit"] = [
                        _("Le renouvellement pourra être déposé à partir du %(date)s.")
                        % {"date": date_format(window.opens, "DATE_FORMAT")}]
                on_time = "open" in states
                other = (Dossier.objects.filter(renewed_permit=renewed_permit, family=procedure.group,
                                                status__in=IN_PROGRESS_STATUSES).order_by("submitted_at", "id").first())
                if other is not None:
                    errors["renewed_permit"] = [request_in_progress_error(other)]
        else:
            renewed_permit = None
        stamp = rules.normalise_tax_stamp(tax_stamp_number)
        if stamp and not rules.TAX_STAMP_RE.match(stamp):
            errors["tax_stamp_number"] = [_("Le numéro de timbre fiscal électronique comporte 16 chiffres.")]
        elif stamp and Dossier.objects.filter(tax_stamp_number=stamp).exclude(status=Status.DRAFT).exists():
            errors["tax_stamp_number"] = [tax_stamp_used_error()]
        if errors:
            raise ValidationError(errors)

        answers = {
            "identity": {
                "last_name": identity.last_name.strip(), "first_name": identity.first_name.strip(),
                "birth_date": identity.birth_date.isoformat() if identity.birth_date else "",
                "birth_place": identity.birth_place.strip(), "nationality": identity.nationality.strip(),
                "foreigner_number": identity.foreigner_number.strip(),
            },
            "paper": {
                "identity_document": identity.identity_document,
                "received_on": received_on.isoformat(),
                "received_by": by.pk,
                "pieces_received": [piece.code for piece in pieces],
            },
        }
        dossier = Dossier.objects.create(
            applicant=applicant, procedure=procedure, prefecture=prefecture, channel=Channel.PAPER,
            answers=answers, renewed_permit=renewed_permit, family=procedure.group, current_step="review",
        )
        # A new row: no one else can hold it, so no lock is needed before filing it.
        now = timezone.now()
        with _french():
            pieces_names = [str(piece.name) for piece in pieces]
        return dossier_file(
            dossier=dossier, by=by, on_behalf_of=applicant, filed_at=now, filed_on=received_on, on_time=on_time,
            tax_stamp_number=stamp, receipt_documents=pieces_names,
            event_data={"channel": Channel.PAPER, "agent": str(by), "received_on": received_on.isoformat()},
        )


def _french():
    from django.utils import translation

    return translation.override("fr")


def permit_record_for_paper(
    *, holder: User, by: User, prefecture: Prefecture, number: str, category: str, valid_from: date,
    valid_until: date, allows_work: bool,
) -> Permit:
    """The permit a paper renewal renews, read at the desk on the card shown, for a person the
    portal does not know it of yet. The holder's own permit of that number is returned as it is; a
    number recorded for someone else is refused (permit numbers are unique)."""
    with transaction.atomic():
        if not is_verified_agent_of(user=by, prefecture_id=prefecture.pk, roles=INSTRUCTING_ROLES):
            raise PermissionDenied(_("Seul un agent de la préfecture compétente enregistre un dossier papier."))
        number = number.strip().upper()
        errors: dict[str, list[str]] = {}
        if not number:
            errors["permit_number"] = [_("Indiquez le numéro du titre de séjour renouvelé.")]
        if valid_until <= valid_from:
            errors["permit_valid_until"] = [_("La fin de validité doit suivre le début de validité.")]
        if errors:
            raise ValidationError(errors)
        existing = Permit.objects.filter(number=number).first()
        if existing is not None:
            if existing.holder_id != holder.pk:
                raise ValidationError({"permit_number": [_("Ce numéro de titre est enregistré pour une autre "
                                                            "personne : vérifiez-le.")]})
            return existing
        from accounts.services import audit_record

        permit = Permit.objects.create(holder=holder, number=number, category=category, valid_from=valid_from,
                                       valid_until=valid_until, allows_work=allows_work)
        audit_record(actor=by, on_behalf_of=holder, action="permit.recorded_at_desk", obj=permit,
                     data={"number": number, "valid_until": valid_until.isoformat()})
        return permit
