"""Reads of the walk-in log: the access-checked getter, the day view of a PAN, the accounts a
mediator may find at check-in and the reports a visit may link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_memberships
from core.prepared import PreparedQuery
from mediation.access import mediator_site_ids, visible_site_ids
from mediation.models import Visit
from substitution.models import BlockingReport, Channel
from territory.models import Site

#: Accounts shown for one search at check-in: enough to pick the person, too few to browse people.
SEARCH_LIMIT = 10
SEARCH_MIN_LENGTH = 2


def visit_get_for_staff(*, user: User | AnonymousUser, pk: int) -> Visit:
    """The one way a view reaches a visit: 404 when its PAN is outside the person's reach."""
    visits = Visit.objects.select_related("site__prefecture", "person", "mediator", "ended_by", "report")
    sites = visible_site_ids(user=user)
    if sites is not None:
        visits = visits.filter(site_id__in=sites)
    visit = visits.filter(pk=pk).first()
    if visit is None:
        raise Http404
    return visit


def pan_sites_visible(*, user: User | AnonymousUser) -> list[Site]:
    """The PANs whose log this person reads, by prefecture then name. A mediator of one PAN, who
    opens this page all day (issue 17), costs the prepared query of ``pan_site_get_for_staff``."""
    visible = visible_site_ids(user=user)
    if visible is not None and len(visible) == 1:
        return _pan_site(user, next(iter(visible)))
    sites = Site.objects.filter(kind=Site.Kind.PAN).select_related("prefecture__department")
    if visible is not None:
        sites = sites.filter(pk__in=visible)
    return list(sites.order_by("prefecture__department__code", "name"))


def pan_site_get_for_staff(*, user: User | AnonymousUser, pk: int) -> Site:
    """A PAN whose log this person reads; 404 otherwise. The same rule as ``pan_sites_visible``,
    its SQL built once per process (``core.prepared``, issue 14: the day page is read all day)."""
    visible = visible_site_ids(user=user)
    found = _pan_site(user, pk) if visible is None or pk in visible else []
    if not found:
        raise Http404
    return found[0]


_PAN_SITE = PreparedQuery(
    lambda site_id: Site.objects.filter(kind=Site.Kind.PAN, pk=site_id).select_related("prefecture__department"),
    site_id=int)


def _pan_site(user: User | AnonymousUser, site_id: int) -> list[Site]:
    """The PAN of this id (none if the site is not one), for a person allowed to read its log: the
    site of their own membership there when they hold one, read with its prefecture by the
    back-office gate in this request (issue 17: a mediator's day view costs no query for its PAN),
    else from the database."""
    if user.is_authenticated:
        for membership in user_memberships(user=user):  # type: ignore[arg-type]
            if membership.site_id == site_id and membership.site is not None:
                return [membership.site] if membership.site.kind == Site.Kind.PAN else []
    return _PAN_SITE(site_id=site_id)


def pan_sites_kept_by(*, user: User | AnonymousUser) -> QuerySet[Site]:
    """The PANs where this person checks visitors in (their mediator memberships)."""
    return Site.objects.filter(kind=Site.Kind.PAN, pk__in=mediator_site_ids(user=user)).order_by("name")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Paris day as an interval of instants."""
    tz = timezone.get_default_timezone()
    return datetime.combine(day, time.min, tzinfo=tz), datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


#: What the day view shows of a visit, its visitor's account, its mediator and its report (issue 17:
#: the people's other columns were most of the query's conversions); any other field of these
#: visits is read from the database when asked for.
_DAY_VIEW_FIELDS = (
    "arrived_at", "ended_at", "first_name", "last_name", "need", "outcome", "duration_minutes",
    "person", "mediator", "report", "person__first_name", "person__last_name", "person__login_id",
    "mediator__first_name", "mediator__last_name", "report__reference",
)


def visits_of_day(*, site: Site, day: date) -> list[Visit]:
    """The visits that began that day at the PAN: those in progress first, then by arrival, with
    the fields the day view shows (``_DAY_VIEW_FIELDS``). One query, its SQL built once per process
    (``core.prepared``)."""
    start, end = day_bounds(day)
    visits = _VISITS_OF_DAY(site_id=site.pk, start=start, end=end)
    return sorted(visits, key=lambda v: (v.ended_at is not None, v.arrived_at, v.pk))


_VISITS_OF_DAY = PreparedQuery(
    lambda site_id, start, end: Visit.objects.filter(site_id=site_id, arrived_at__gte=start, arrived_at__lt=end)
    .select_related("person", "mediator", "report").only(*_DAY_VIEW_FIELDS),
    site_id=int, start=datetime, end=datetime,
)


@dataclass(frozen=True)
class PersonMatch:
    """What the check-in search shows of an account: enough to recognise the person in front of
    the desk with their identity document, nothing of their files."""

    pk: int
    first_name: str
    last_name: str
    birth_date: date | None


def _phone_variants(text: str) -> set[str]:
    digits = re.sub(r"\D", "", text)
    if len(digits) < 9:
        return set()
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    spaced = " ".join(digits[i:i + 2] for i in range(0, len(digits), 2))
    return {text.strip(), digits, spaced, "+33" + digits[1:], "+33 " + spaced[1:].strip()}


def applicants_search(*, query: str) -> list[PersonMatch]:
    """Applicants' accounts matching a name, a login identifier, an e-mail address or a phone
    number; never a member of staff. Empty for a query too short to mean anything."""
    query = " ".join(query.split())
    if len(query) < SEARCH_MIN_LENGTH:
        return []
    match = Q(login_id__iexact=query) | Q(email__iexact=query)
    phones = _phone_variants(query)
    if phones:
        match |= Q(phone__in=phones)
    words = query.split(" ")
    if all(len(word) >= SEARCH_MIN_LENGTH for word in words) and not phones:
        by_name = Q()
        for word in words:
            by_name &= Q(last_name__icontains=word) | Q(first_name__icontains=word)
        match |= by_name
    people = (User.objects.filter(match, is_active=True, is_staff=False, is_superuser=False,
                                  memberships__isnull=True)
              .order_by("last_name", "first_name", "pk")
              .values_list("pk", "first_name", "last_name", "birth_date")[:SEARCH_LIMIT])
    return [PersonMatch(*row) for row in people]


def applicant_get_for_check_in(*, user: User | AnonymousUser, pk: int) -> User:
    """The account chosen from the search: an applicant's, for a mediator; 404 otherwise."""
    if not mediator_site_ids(user=user):
        raise Http404
    person = User.objects.filter(pk=pk, is_active=True, is_staff=False, is_superuser=False,
                                 memberships__isnull=True).first()
    if person is None:
        raise Http404
    return person


def reports_to_link(*, visit: Visit) -> QuerySet[BlockingReport]:
    """The walk-in reports a visit may name: opened at its PAN since the person arrived, and not
    already the report of another visit (the one already linked stays in the list)."""
    taken = Visit.objects.filter(report__isnull=False).exclude(pk=visit.pk).values("report_id")
    recent = Q(opened_at__gte=visit.arrived_at - timedelta(minutes=5))
    if visit.report_id is not None:
        recent |= Q(pk=visit.report_id)
    return (BlockingReport.objects.filter(recent, channel=Channel.PAN, site_id=visit.site_id)
            .exclude(pk__in=taken).order_by("-opened_at"))
