"""Reads of the paper path: a report's invitations, and the reports no slot could be found for."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import Role, User
from accounts.permissions import staff_prefecture_ids
from documents.models import IssuedDocument
from substitution.models import BlockingReport, Invitation
from substitution.workflow import ReportStatus


def invitation_current(*, report: BlockingReport) -> Invitation | None:
    """The scheduled invitation of a report already reached through an access-checked getter."""
    return (Invitation.objects.filter(report=report, status=Invitation.Status.SCHEDULED)
            .select_related("booking__slot__desk__site", "letter").first())


def may_ask_another_date(*, report: BlockingReport, invitation: Invitation | None) -> bool:
    """Whether the status page offers "Demander une autre date" (the service decides in the end)."""
    return (invitation is not None and report.status == ReportStatus.INVITED
            and not report.invitations.filter(asked_by_person=True).exists())


def invitation_letter(*, report: BlockingReport, pk: int) -> IssuedDocument:
    """The letter of one of the report's invitations, for the holder of the follow link."""
    from django.http import Http404

    invitation = Invitation.objects.filter(report=report, letter_id=pk).select_related("letter").first()
    if invitation is None or invitation.letter is None:
        raise Http404
    return invitation.letter


def reports_without_slot(*, user: User | AnonymousUser) -> QuerySet[BlockingReport]:
    """Reports of the prefectures this supervisor runs, impossibility established and no
    paper-filing slot free within the horizon: the oldest flag first."""
    prefectures = staff_prefecture_ids(user=user, roles=(Role.SUPERVISOR,))
    return (BlockingReport.objects.filter(prefecture_id__in=prefectures, no_slot_flagged_at__isnull=False,
                                          status=ReportStatus.IMPOSSIBILITY_ESTABLISHED)
            .select_related("prefecture__department", "procedure").order_by("no_slot_flagged_at", "id"))


def letter_staff_may_access(user: User, document: IssuedDocument) -> bool:
    """documents' staff hook: who may see a report may download (print) its convocation letters
    (a mediator printing one for the person at the desk)."""
    from substitution.access import reports_scope

    if document.subject_type != "appointments.booking":
        return False
    scope = reports_scope(user=user)
    return scope is not None and BlockingReport.objects.filter(
        scope, invitations__booking_id=document.subject_id).exists()
