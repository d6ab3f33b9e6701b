"""Reads about appointments. Views reach bookings, desks and offers only through the
access-checked getters here."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts import permissions
from accounts.models import Role, User
from accounts.selectors import user_memberships
from appointments.dates import local_midnight
from appointments.models import (
    Booking,
    Closure,
    Desk,
    Motive,
    OpeningRule,
    Slot,
    SlotOffer,
    WaitlistEntry,
)
from core.prepared import PreparedQuery
from territory.models import Site


def free_slots(*, motive: Motive, site_ids: list[int], after: datetime | None = None,
               until: date | None = None) -> QuerySet[Slot]:
    rows = Slot.objects.filter(
        motive=motive, desk__site_id__in=site_ids, desk__is_active=True, is_cancelled=False,
        starts_at__gt=after or timezone.now(), booked__lt=F("capacity"),
    ).select_related("desk__site").order_by("starts_at", "id")
    if until is not None:
        rows = rows.filter(starts_at__lt=local_midnight(until + timedelta(days=1)))
    return rows


def sites_for_person(*, user: User, motive: Motive, prefecture_id: int | None = None) -> QuerySet[Site]:
    """Where the person may book: the sites of their prefecture with a desk for that motive. A
    booking about a file goes to the file's prefecture (``prefecture_id``): a card is collected
    where it was made, even after a move."""
    if prefecture_id is None:
        prefecture = user.competent_prefecture
        prefecture_id = prefecture.pk if prefecture is not None else None
    if prefecture_id is None:
        return Site.objects.none()
    return Site.objects.filter(prefecture_id=prefecture_id, is_active=True, desks__motives=motive,
                               desks__is_active=True).distinct().order_by("kind", "name")


def motive_get_self_bookable(*, code: str) -> Motive:
    """A motive the applicant may book online; any other code (or an agent-only motive) is 404."""
    try:
        return Motive.objects.get(code=code, self_bookable=True)
    except Motive.DoesNotExist:
        raise Http404 from None


def slot_get_bookable(*, pk: int, motive: Motive, site_ids: list[int]) -> Slot | None:
    """A future, open slot of that motive at one of those sites (it may be full: booking says so
    with the alternatives); None for anything else, whatever the id."""
    return Slot.objects.select_related("desk__site", "motive").filter(
        pk=pk, motive=motive, desk__site_id__in=site_ids, desk__is_active=True, is_cancelled=False,
        starts_at__gt=timezone.now(),
    ).first()


def bookings_for_subject(*, user: User, subject_type: str, subject_id: str) -> QuerySet[Booking]:
    """The person's bookings about one file (a dossier), soonest first."""
    return _about_subject(user_id=user.pk, subject_type=subject_type, subject_id=str(subject_id))


def _about_subject(*, user_id: int, subject_type: str, subject_id: str) -> QuerySet[Booking]:
    return Booking.objects.filter(person_id=user_id, subject_type=subject_type, subject_id=subject_id).select_related(
        "slot__desk__site", "motive").order_by("slot__starts_at", "id")


def bookings_about(*, user: User, subject_type: str, subject_id: str) -> list[Booking]:
    """``bookings_for_subject``'s rows, its SQL built once per process (``core.prepared``): the
    applicant's dossier page reads them on every visit (issue 14)."""
    return _SUBJECT_BOOKINGS(user_id=user.pk, subject_type=subject_type, subject_id=str(subject_id))


_SUBJECT_BOOKINGS = PreparedQuery(
    lambda user_id, subject_type, subject_id: _about_subject(
        user_id=user_id, subject_type=subject_type, subject_id=subject_id),
    user_id=int, subject_type=str, subject_id=str,
)


#: What the dashboard shows of an active booking (when, where, why, its page): the SQL of every
#: column of the booking, its slot, desk, site and motive was most of the query's cost (issue 14).
#: A field read beyond these costs a query per booking (tests/anef/test_page_queries.py).
ACTIVE_BOOKING_FIELDS = (
    "person_id", "subject_type", "subject_id", "kind", "status", "slot", "motive", "slot__starts_at",
    "slot__desk", "slot__desk__site", "slot__desk__site__name", "slot__desk__site__address",
    "slot__desk__site__postal_code", "slot__desk__site__city", "motive__code",
)


def active_bookings_by_subject(*, user: User, subject_type: str, any_active: bool) -> dict[str, list[Booking]]:
    """The person's active bookings (booked or checked in) about their files of one type, by file
    id, soonest first. ``any_active``: whether there is one, which the page's own query tells
    (``active_booking_exists``): none read on most visits. Issue 14: joining the slot, desk, site
    and motive made the read cost twice an ``exists()``, even when it found nothing."""
    if not any_active:
        return {}
    rows = (_active_about(user_id=user.pk, subject_type=subject_type)
            .select_related("slot__desk__site", "motive").only(*ACTIVE_BOOKING_FIELDS)
            .order_by("slot__starts_at", "id"))
    found: dict[str, list[Booking]] = {}
    for booking in rows:
        found.setdefault(booking.subject_id, []).append(booking)
    return found


def active_booking_exists(*, person: OuterRef, subject_type: str) -> Exists:
    """Whether the person (an outer query's column) has an active booking about a file of this
    type, as an expression: the dashboard's dossiers carry it, one query fewer per visit."""
    return Exists(_active_about(user_id=person, subject_type=subject_type))


def booking_about_type_exists(*, person: OuterRef, subject_type: str) -> Exists:
    """Whether the person (an outer query's column) has any booking, whatever its status, about a
    file of this type, as an expression: a dossier's page reads its bookings only when there may
    be one (issue 17: most people have none about their dossiers)."""
    return Exists(Booking.objects.filter(person_id=person, subject_type=subject_type))


def _active_about(*, user_id: int | OuterRef, subject_type: str) -> QuerySet[Booking]:
    """The person's active bookings (booked or checked in) about their files of one type."""
    return Booking.objects.filter(person_id=user_id, subject_type=subject_type,
                                  status__in=[Booking.Status.BOOKED, Booking.Status.CHECKED_IN])


def booking_active_exists(*, user: User, motive: Motive, subject_type: str = "", subject_id: str = "") -> bool:
    """Has the person (or their file) an active booking of this motive?"""
    rows = Booking.objects.filter(motive=motive, status__in=[Booking.Status.BOOKED, Booking.Status.CHECKED_IN])
    if subject_id:
        return rows.filter(subject_type=subject_type, subject_id=subject_id).exists()
    return rows.filter(person=user, subject_id="").exists()


def waitlist_entry_active(*, user: User, motive: Motive, site: Site) -> WaitlistEntry | None:
    return WaitlistEntry.objects.filter(person=user, motive=motive, site=site, is_active=True).first()


def bookings_for_person(*, user: User) -> QuerySet[Booking]:
    return _of_person(user_id=user.pk)


def _of_person(*, user_id: int) -> QuerySet[Booking]:
    return Booking.objects.filter(person_id=user_id).select_related("slot__desk__site", "motive").order_by(
        "-slot__starts_at", "-id")


def bookings_of_person(*, user: User) -> list[Booking]:
    """``bookings_for_person``'s rows, the SQL built once per process (``core.prepared``): the
    applicant's appointments page reads them on every visit (issue 14). Each also carries
    ``offer_pending``: whether the person has a pending offer of a freed slot (the same for every
    row, expired or not), which spares the page the offers' query on most visits (issue 17)."""
    return _PERSON_BOOKINGS(user_id=user.pk)


_PERSON_BOOKINGS = PreparedQuery(
    lambda user_id: _of_person(user_id=user_id).annotate(offer_pending=Exists(
        SlotOffer.objects.filter(entry__person_id=user_id, status=SlotOffer.Status.PENDING))),
    user_id=int,
)


def offers_for_person(*, user: User) -> QuerySet[SlotOffer]:
    return SlotOffer.objects.filter(entry__person=user, status=SlotOffer.Status.PENDING,
                                    expires_at__gt=timezone.now()).select_related("slot__desk__site", "slot__motive")


def offers_pending_for_person(*, user: User) -> list[SlotOffer]:
    """``offers_for_person``'s rows: the person's pending offers (a few at most) read by SQL built
    once per process (``core.prepared``, which takes no instant), those not yet expired kept here."""
    now = timezone.now()
    return [offer for offer in _PENDING_OFFERS(user_id=user.pk) if offer.expires_at > now]


_PENDING_OFFERS = PreparedQuery(
    lambda user_id: SlotOffer.objects.filter(entry__person_id=user_id, status=SlotOffer.Status.PENDING)
    .select_related("slot__desk__site", "slot__motive"),
    user_id=int,
)


def booking_get_for_user(*, user: User, pk: int) -> Booking:
    try:
        return Booking.objects.select_related("slot__desk__site", "motive").get(pk=pk, person=user)
    except Booking.DoesNotExist:
        raise Http404 from None


def offer_get_for_user(*, user: User, pk: int) -> SlotOffer:
    try:
        return SlotOffer.objects.select_related("slot__desk__site", "entry").get(pk=pk, entry__person=user)
    except SlotOffer.DoesNotExist:
        raise Http404 from None


# --- Staff --------------------------------------------------------------------------------------

def staff_site_ids(*, user: User) -> set[int]:
    """Sites whose desks the person runs: every site of their prefectures (agents, supervisors),
    or their own site (mediators, for PAN assistance). None without a verified second factor."""
    ids: set[int] = set()
    prefecture_ids = permissions.staff_prefecture_ids(user=user, roles=(Role.AGENT, Role.SUPERVISOR))
    if prefecture_ids:
        ids |= set(_PREFECTURE_SITE_IDS(prefecture_ids=sorted(prefecture_ids)))
    ids |= permissions.staff_site_ids(user=user, roles=(Role.MEDIATOR,))
    return ids


def staff_runs_desks(*, user: User) -> bool:
    """Whether ``staff_site_ids`` has any site for the person (the staff menu's "Guichets" entry),
    without a query: from the memberships the back-office gate read on this request, each with
    whether its prefecture has a site (``accounts.selectors.user_memberships``). False without a
    verified second factor."""
    if not permissions.second_factor_verified(user=user):
        return False
    return any(
        # (an annotation of the memberships' query, unknown to the model's type)
        membership.prefecture_has_sites  # type: ignore[attr-defined]
        if membership.role in _DESK_PREFECTURE_ROLES else bool(membership.site_id)
        for membership in user_memberships(user=user)
        if membership.role in _DESK_PREFECTURE_ROLES or membership.role == Role.MEDIATOR
    )


#: The roles that run the desks of every site of their prefectures (``staff_site_ids``).
_DESK_PREFECTURE_ROLES = frozenset((Role.AGENT, Role.SUPERVISOR))


#: The sites of these prefectures, read by the desks' pages: its SQL built once per process
#: (``core.prepared``). A set: no ordering (the sites' default one joins the prefecture and the
#: département).
_PREFECTURE_SITE_IDS = PreparedQuery(
    lambda prefecture_ids: Site.objects.filter(prefecture_id__in=prefecture_ids).order_by().values_list(
        "id", flat=True),
    prefecture_ids=list[int],
)


def desks_for_staff(*, user: User) -> QuerySet[Desk]:
    return Desk.objects.filter(site_id__in=staff_site_ids(user=user)).select_related("site").prefetch_related(
        "motives").order_by("site__name", "name")


def desk_get_for_staff(*, user: User, pk: int) -> Desk:
    try:
        return Desk.objects.select_related("site").get(pk=pk, site_id__in=staff_site_ids(user=user))
    except Desk.DoesNotExist:
        raise Http404 from None


def desk_supervised_by(*, user: User, desk: Desk) -> bool:
    """Supervisors of the site's prefecture set the desk's hours and closures."""
    return permissions.is_verified_agent_of(user=user, prefecture_id=desk.site.prefecture_id, roles=(Role.SUPERVISOR,))


def rule_get_for_desk(*, desk: Desk, pk: int) -> OpeningRule:
    try:
        return OpeningRule.objects.select_related("motive").get(pk=pk, desk=desk)
    except OpeningRule.DoesNotExist:
        raise Http404 from None


def desk_rules(*, desk: Desk) -> QuerySet[OpeningRule]:
    return OpeningRule.objects.filter(desk=desk).select_related("motive").order_by("weekday", "opens_at", "id")


def desk_closures(*, desk: Desk, since: date | None = None) -> QuerySet[Closure]:
    """Closures of the desk or of its whole site that end on ``since`` (today) or later."""
    return Closure.objects.filter(site_id=desk.site_id, ends_on__gte=since or timezone.localdate()).filter(
        Q(desk__isnull=True) | Q(desk=desk)).select_related("desk").order_by("starts_on", "id")


def desk_day(*, desk: Desk, day: date) -> list[Booking]:
    start = local_midnight(day)
    return list(
        Booking.objects.filter(slot__desk=desk, slot__starts_at__gte=start,
                               slot__starts_at__lt=start + timedelta(days=1))
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("slot", "motive", "person").order_by("slot__starts_at", "id")
    )


def files_booked_again(*, bookings: list[Booking]) -> set[tuple[str, str, int]]:
    """Of these bookings, the missed ones whose file has an active booking for the same motive
    again (a new convocation): ``{(subject_type, subject_id, motive_id)}``, in one query."""
    missed = [b for b in bookings if b.status == Booking.Status.NO_SHOW and b.subject_id]
    if not missed:
        return set()
    rows = Booking.objects.filter(
        status__in=[Booking.Status.BOOKED, Booking.Status.CHECKED_IN],
        subject_id__in={b.subject_id for b in missed}, motive_id__in={b.motive_id for b in missed},
    ).values_list("subject_type", "subject_id", "motive_id")
    return set(rows)


def booking_get_for_staff(*, user: User, pk: int) -> Booking:
    try:
        return Booking.objects.select_related("slot__desk__site", "motive", "person").get(
            pk=pk, slot__desk__site_id__in=staff_site_ids(user=user))
    except Booking.DoesNotExist:
        raise Http404 from None


#: Motives booked only about a file (a card is collected for one request).
SUBJECT_REQUIRED = frozenset({Motive.Code.CARD_COLLECTION})


def booking_subject_for(*, person: User, motive: Motive, subject_type: str, subject_id: str):
    """The file a self-service booking is about (``registry.SubjectInfo``, None for none) and
    whether the person may book ``motive`` for it: their own file, in a state that allows it (the
    owning app's provider decides); without a file, only a motive that needs none. The booking page
    and the API ask it."""
    from appointments import registry

    if not subject_type and not subject_id:
        return None, motive.code not in SUBJECT_REQUIRED
    info = registry.subject_for(person, subject_type, subject_id)
    if info is None or motive.code not in info.self_bookable_motives:
        return None, False
    return info, True
