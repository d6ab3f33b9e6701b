"""Paper intake at the desk (issue 11, item 6; DESIGN §8.5): the person convoked to file on paper
comes with their file; an agent of the competent prefecture registers it against the invitation.
It becomes an ordinary dossier with channel ``paper`` (``applications.services.dossier_register_paper``:
the same filing, workflow, legal clock and certificates as online), the filing receipt is issued at
once, the booking is closed as received, the invitation honoured, and the report closes as filed
on paper."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import is_verified_agent_of
from accounts.services import audit_record, person_account_for_contact
from applications.models import DocumentType, Dossier, Permit, Procedure
from applications.services import PaperIdentity, dossier_register_paper, permit_record_for_paper
from applications.staff import INSTRUCTING_ROLES
from appointments.models import Booking
from appointments.services.bookings import BookingError, booking_mark
from documents.models import IssuedDocument
from documents.selectors import documents_for_subject
from substitution.models import BlockingReport, Invitation, ReportEvent
from substitution.workflow import PREFECTURE_AGENT, ReportStatus, transition_check

S = ReportStatus


@dataclass(frozen=True)
class PermitRead:
    """The permit a renewal renews, as read on the card shown at the desk."""

    number: str
    category: str
    valid_from: date
    valid_until: date
    allows_work: bool = False


@dataclass(frozen=True)
class PaperFile:
    """What the agent enters at the desk (docs/substitution.md, "Paper intake")."""

    identity: PaperIdentity
    procedure: Procedure
    pieces: list[DocumentType] = field(default_factory=list)
    #: For a renewal: the permit renewed, one of the person's (``renewed_permit``) or read on the card.
    renewed_permit: Permit | None = None
    permit: PermitRead | None = None
    received_on: date | None = None
    tax_stamp_number: str = ""
    #: For a person without an account: how the portal will write to them (a mobile phone or a
    #: full postal address; the report's details by default).
    phone: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""


@dataclass(frozen=True)
class Intake:
    report: BlockingReport
    dossier: Dossier
    receipt: IssuedDocument | None


def _person(*, report: BlockingReport, paper: PaperFile, by: User) -> User:
    """The person's account: the report's, else the one their details match, else a new one
    (``accounts.services.person_account_for_contact``; a new account gets its welcome letter)."""
    if report.person is not None:
        return report.person
    identity = paper.identity
    return person_account_for_contact(
        first_name=identity.first_name, last_name=identity.last_name, birth_date=identity.birth_date,
        phone=paper.phone or report.phone, email=report.email,
        address=paper.address or report.address, postal_code=paper.postal_code or report.postal_code,
        city=paper.city or report.city, department=report.prefecture.department, language=report.language, by=by,
    ).user


@transaction.atomic
def paper_intake_register(*, invitation: Invitation, by: User, paper: PaperFile) -> Intake:
    """Registers the paper file brought to the convocation ``invitation`` and closes the report as
    filed on paper. ``by``: a verified agent of the report's competent prefecture.

    One dossier per report: a second attempt (the same invitation, or the report already filed)
    is refused with a message, nothing written. Raises ``PermissionDenied`` or ``ValidationError``.
    """
    report = (BlockingReport.objects.select_for_update(of=("self",))
              .select_related("person", "prefecture__department").get(pk=invitation.report_id))
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("booking").get(pk=invitation.pk)
    if not is_verified_agent_of(user=by, prefecture_id=report.prefecture_id, roles=INSTRUCTING_ROLES):
        raise PermissionDenied(_("Seul un agent de la préfecture compétente enregistre un dossier papier."))
    if report.dossier_id is not None:
        raise ValidationError(_("Un dossier papier est déjà enregistré pour ce signalement."), code="already_filed")
    if invitation.status != Invitation.Status.SCHEDULED:
        raise ValidationError(
            _("Cette convocation est « %(status)s » : on ne peut plus y enregistrer de dossier.")
            % {"status": invitation.get_status_display()}, code="not_scheduled")
    if transition_check(report.status, S.FILED_ON_PAPER) != PREFECTURE_AGENT:
        raise PermissionDenied(_("Seul un agent de la préfecture compétente enregistre un dossier papier."))

    person = _person(report=report, paper=paper, by=by)
    renewed = paper.renewed_permit if paper.procedure.is_renewal else None
    if paper.procedure.is_renewal and renewed is None and paper.permit is not None:
        renewed = permit_record_for_paper(
            holder=person, by=by, prefecture=report.prefecture, number=paper.permit.number,
            category=paper.permit.category, valid_from=paper.permit.valid_from,
            valid_until=paper.permit.valid_until, allows_work=paper.permit.allows_work)
    dossier = dossier_register_paper(
        applicant=person, procedure=paper.procedure, prefecture=report.prefecture, by=by, identity=paper.identity,
        pieces=paper.pieces, renewed_permit=renewed, received_on=paper.received_on,
        # The person tried to file when they reported: the online service's failure does not make
        # a renewal late.
        on_time_as_of=timezone.localdate(report.opened_at), tax_stamp_number=paper.tax_stamp_number,
    )
    booking = invitation.booking
    if booking.status != Booking.Status.DONE:
        try:
            booking_mark(booking=booking, by=by, status=Booking.Status.DONE)
        except BookingError as error:
            raise ValidationError(str(error), code="booking") from error
    invitation.status = Invitation.Status.HONOURED
    invitation.save(update_fields=["status"])

    before = report.status
    report.status, report.dossier = S.FILED_ON_PAPER, dossier
    fields = ["status", "dossier"]
    if report.person_id is None:
        report.person = person  # the person follows the report in their space from now on
        fields.append("person")
    report.save(update_fields=fields)
    ReportEvent.objects.create(report=report, kind=ReportEvent.Kind.FILED_ON_PAPER, actor=by,
                               text=dossier.reference or "", from_status=before, to_status=S.FILED_ON_PAPER)
    audit_record(actor=by, action=f"report.{ReportEvent.Kind.FILED_ON_PAPER}", obj=report,
                 data={"from": before, "to": S.FILED_ON_PAPER, "dossier": dossier.reference})
    receipt = documents_for_subject(subject=dossier).filter(kind="filing_receipt").first()
    return Intake(report=report, dossier=dossier, receipt=receipt)
