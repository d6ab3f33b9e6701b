"""Who among the staff may see and keep the walk-in log of which help points (DESIGN §2, §8.6).
Every answer comes from ``accounts.permissions``, so none is given without a verified second factor.

- A mediator keeps the log of the PANs of their memberships: checks visitors in, records, ends
  visits, reads the day view and the figures of those PANs.
- A prefecture supervisor reads the day view and the figures of the PANs of their prefecture.
- An administrator (DGEF) reads them all.
Reading is never acting: only a mediator of the visit's PAN writes in its log.

Each answer is worked out once per request (issue 17: the menu, the view's guard and its getter
asked the same questions two or three times): kept on the user object, which the authentication
middleware loads anew for each request, and only while the verified second factor and the
memberships read for it (``accounts.selectors.user_memberships``) are the same objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject, empty

from accounts.models import Role, User
from accounts.permissions import mediator_site_ids as _mediator_site_ids
from accounts.permissions import staff_prefecture_ids, staff_verified
from accounts.selectors import user_memberships, user_roles
from territory.models import Site

__all__ = ["is_administrator", "may_see_visits", "mediator_site_ids", "visible_site_ids"]

T = TypeVar("T")


def _once_per_request(user: User | AnonymousUser, name: str, work: Callable[[User | AnonymousUser], T]) -> T:
    """``work(user)``'s answer for this person, worked out once per request (module docstring).
    Without a verified second factor every answer is "nothing", as cheap to give again as to keep."""
    # request.user is a lazy object (django-otp's around the authentication's), loaded by then:
    # the answers are kept on the user itself, whose attributes cost no call each to read.
    person = user
    while type(person) is SimpleLazyObject and person._wrapped is not empty:
        person = person._wrapped
    device = getattr(person, "otp_device", None)
    if device is None:
        return work(person)
    memberships = user_memberships(user=person)  # type: ignore[arg-type]  # a verified person is a User
    kept: tuple[Any, list, dict[str, Any]] | None = person.__dict__.get("_mediation_access")
    if kept is None or kept[0] is not device or kept[1] is not memberships:
        kept = person.__dict__["_mediation_access"] = (device, memberships, {})
    answers = kept[2]
    if name not in answers:
        answers[name] = work(person)
    return answers[name]


def mediator_site_ids(*, user: User | AnonymousUser) -> set[int]:
    """Sites where the person acts now as a digital mediator (``accounts.permissions``'), a set of
    the caller's own."""
    return set(_once_per_request(user, "mediator_site_ids", lambda person: frozenset(_mediator_site_ids(user=person))))


def is_administrator(*, user: User | AnonymousUser) -> bool:
    """An administrator acting now (national role, verified second factor)."""
    return _once_per_request(user, "is_administrator", lambda person: staff_verified(user=person) and (
        Role.ADMINISTRATOR in user_roles(user=person)))  # type: ignore[arg-type]


def visible_site_ids(*, user: User | AnonymousUser) -> set[int] | None:
    """The PANs whose log this member of staff may read; None: all of them (an administrator);
    an empty set: none. (A set of the caller's own, which it may change.)"""
    sites = _once_per_request(user, "visible_site_ids", _visible_site_ids)
    return None if sites is None else set(sites)


def _visible_site_ids(user: User | AnonymousUser) -> frozenset[int] | None:
    if is_administrator(user=user):
        return None
    sites = set(mediator_site_ids(user=user))
    supervised = staff_prefecture_ids(user=user, roles=(Role.SUPERVISOR,))
    if supervised:
        sites |= set(Site.objects.filter(kind=Site.Kind.PAN, prefecture_id__in=supervised)
                     .values_list("pk", flat=True))
    return frozenset(sites)


def may_see_visits(*, user: User | AnonymousUser) -> bool:
    """Whether the day view and the figures open for this person (the menu asks it too)."""
    return _once_per_request(user, "may_see_visits", lambda person: is_administrator(user=person) or bool(
        mediator_site_ids(user=person)) or bool(staff_prefecture_ids(user=person, roles=(Role.SUPERVISOR,))))
