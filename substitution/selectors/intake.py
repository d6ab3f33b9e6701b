"""Reads of the paper intake at the desk: the access-checked getter of an invitation, and what the
desk's day and the report page offer (docs/substitution.md, "Paper intake")."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.models import User
from applications.staff import agent_prefecture_ids
from substitution.models import Invitation


def may_register_paper(*, user: User | AnonymousUser) -> bool:
    """Agents and supervisors of a prefecture (verified second factor) register paper files; the
    CCC and mediators do not (a CCC agent sees no dossier)."""
    return user.is_authenticated and bool(agent_prefecture_ids(user=user))  # type: ignore[arg-type]


def invitation_get_for_desk(*, user: User, pk: int) -> Invitation:
    """The only way a view reaches an invitation at the desk: one of a report of a prefecture where
    the person instructs now; anything else is a 404 (no hint that it exists)."""
    prefectures = agent_prefecture_ids(user=user)
    invitation = (
        Invitation.objects.select_related("report__prefecture__department", "report__procedure", "report__person",
                                          "report__dossier", "booking__slot__desk__site", "letter")
        .filter(pk=pk, report__prefecture_id__in=prefectures).first()
    )
    if invitation is None:
        raise Http404
    return invitation


def invitation_scheduled_for_report(*, user: User, report_id: int) -> Invitation | None:
    """The report's scheduled invitation, when this person may register its paper file."""
    prefectures = agent_prefecture_ids(user=user)
    if not prefectures:
        return None
    return (Invitation.objects.filter(report_id=report_id, report__prefecture_id__in=prefectures,
                                      status=Invitation.Status.SCHEDULED).select_related("booking__slot").first())


def invitations_scheduled_for_bookings(*, user: User, booking_ids: list[int]) -> dict[int, Invitation]:
    """For the desk's day: booking id -> its scheduled invitation, for those this person may take
    in (one query)."""
    prefectures = agent_prefecture_ids(user=user)
    if not prefectures or not booking_ids:
        return {}
    rows = Invitation.objects.filter(booking_id__in=booking_ids, report__prefecture_id__in=prefectures,
                                     status=Invitation.Status.SCHEDULED)
    return {row.booking_id: row for row in rows}


def desk_intake_actions(user, bookings: list) -> dict[int, tuple[str, str]]:
    """For ``appointments.registry.DESK_ACTIONS``: "Enregistrer le dossier papier" on the bookings of
    scheduled invitations this person may take in."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    if not getattr(user, "is_authenticated", False):
        return {}
    invitations = invitations_scheduled_for_bookings(user=user, booking_ids=[b.pk for b in bookings])
    return {booking_id: (_("Enregistrer le dossier papier"),
                         reverse("substitution_backoffice:intake", args=[invitation.pk]))
            for booking_id, invitation in invitations.items()}
