"""Reads about letter batches: the desks a person prints for, their pending letters, the batches."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PREFECTURE_ROLES, Role, User
from accounts.permissions import staff_prefecture_ids, staff_site_ids
from documents.models import CODE_ALPHABET, CODE_LENGTH, BatchedLetter, LetterBatch, normalize_code
from documents.selectors import VerificationFacts
from notifications.models import Channel, Notification, Status
from territory.models import Prefecture, Site


@dataclass(frozen=True)
class Desk:
    """A printing desk: a prefecture (``site_id`` None) or a PAN of that prefecture."""

    prefecture_id: int
    site_id: int | None = None
    name: str = field(default="", compare=False)  # for pages; a desk is its prefecture and site

    @property
    def key(self) -> str:
        """How a form names the desk: "p12" or "s34"."""
        return f"s{self.site_id}" if self.site_id is not None else f"p{self.prefecture_id}"


def letter_desks_for_user(*, user: User | AnonymousUser) -> list[Desk]:
    """The desks a person prints letters for: the prefectures where they are a verified agent or
    supervisor, and the PANs where they are a verified mediator. Empty without a second factor."""
    prefecture_ids = staff_prefecture_ids(user=user, roles=PREFECTURE_ROLES)
    site_ids = staff_site_ids(user=user, roles=(Role.MEDIATOR,))
    desks = [Desk(prefecture_id=p.pk, name=p.name)
             for p in Prefecture.objects.filter(pk__in=prefecture_ids).order_by("name")]
    desks += [Desk(prefecture_id=s.prefecture_id, site_id=s.pk, name=s.name)
              for s in Site.objects.filter(pk__in=site_ids, kind=Site.Kind.PAN).order_by("name")]
    return desks


def letter_desk_get_for_user(*, user: User | AnonymousUser, key: str) -> Desk:
    """One of the person's desks by its key, else 404."""
    for desk in letter_desks_for_user(user=user):
        if desk.key == key:
            return desk
    raise Http404


def _desk_filter(desk: Desk, prefix: str = "") -> Q:
    if desk.site_id is not None:
        return Q(**{f"{prefix}site_id": desk.site_id})
    return Q(**{f"{prefix}prefecture_id": desk.prefecture_id, f"{prefix}site__isnull": True})


def letters_pending_for_desk(*, desk: Desk) -> QuerySet[Notification]:
    """The letters of the outbox waiting for this desk and in no batch yet, oldest first."""
    return Notification.objects.filter(
        _desk_filter(desk, "letter_"), channel=Channel.LETTER, status=Status.PENDING,
        batched_letter__isnull=True,
    ).order_by("id")


def letters_pending_counts(*, desks: list[Desk]) -> dict[str, int]:
    """Pending letters per desk key, in one query."""
    if not desks:
        return {}
    aggregates = {desk.key: Count("id", filter=_desk_filter(desk, "letter_")) for desk in desks}
    scope = Q()
    for desk in desks:
        scope |= _desk_filter(desk, "letter_")
    return Notification.objects.filter(
        scope, channel=Channel.LETTER, status=Status.PENDING, batched_letter__isnull=True,
    ).aggregate(**aggregates)


def letter_batches_for_desks(*, desks: list[Desk]) -> QuerySet[LetterBatch]:
    """The batches of these desks, newest first, with what the list shows (no N+1)."""
    if not desks:
        return LetterBatch.objects.none()
    scope = Q()
    for desk in desks:
        scope |= _desk_filter(desk)
    return (LetterBatch.objects.filter(scope).select_related("prefecture", "site", "created_by", "printed_by")
            .order_by("-created_at", "-id"))


def letter_batch_get_for_user(*, user: User | AnonymousUser, pk: int) -> LetterBatch:
    """The only way a view reaches a batch: one of the person's desks' batches, else 404."""
    batch = letter_batches_for_desks(desks=letter_desks_for_user(user=user)).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


def letter_verify_code(*, code: str) -> BatchedLetter | None:
    """The letter a verification code (as typed) names, or None."""
    code = normalize_code(code)
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return (BatchedLetter.objects.filter(verification_code=code)
            .select_related("batch", "notification__recipient").first())


def letter_verification_facts(*, letter: BatchedLetter) -> VerificationFacts:
    """What /verifier/ says of a letter: genuine, its number, the day it was sent (or prepared),
    the addressee's name and birth date; never its subject or text."""
    batch = letter.batch
    recipient = letter.notification.recipient
    sent: datetime.datetime = batch.printed_at or batch.created_at
    return VerificationFacts(
        kind="letter", kind_label=_("Courrier"), number=letter.number, issued_on=timezone.localdate(sent),
        valid_from=None, valid_until=None, status="valid", status_label=_("authentique"),
        holder_name=recipient.get_full_name() if recipient else letter.notification.contact_name,
        holder_birth_date=recipient.birth_date if recipient else None,
    )
