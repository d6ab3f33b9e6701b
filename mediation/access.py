"""Who among the staff may see and keep the walk-in log of which help points (DESIGN §2, §8.6).
Every answer comes from ``accounts.permissions``, so none is given without a verified second factor.

- A mediator keeps the log of the PANs of their memberships: checks visitors in, records, ends
  visits, reads the day view and the figures of those PANs.
- A prefecture supervisor reads the day view and the figures of the PANs of their prefecture.
- An administrator (DGEF) reads them all.
Reading is never acting: only a mediator of the visit's PAN writes in its log.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import Role, User
from accounts.permissions import mediator_site_ids, staff_prefecture_ids, staff_verified
from accounts.selectors import user_roles
from territory.models import Site

__all__ = ["is_administrator", "may_see_visits", "mediator_site_ids", "visible_site_ids"]


def is_administrator(*, user: User | AnonymousUser) -> bool:
    """An administrator acting now (national role, verified second factor)."""
    return staff_verified(user=user) and Role.ADMINISTRATOR in user_roles(user=user)  # type: ignore[arg-type]


def visible_site_ids(*, user: User | AnonymousUser) -> set[int] | None:
    """The PANs whose log this member of staff may read; None: all of them (an administrator);
    an empty set: none."""
    if is_administrator(user=user):
        return None
    sites = set(mediator_site_ids(user=user))
    supervised = staff_prefecture_ids(user=user, roles=(Role.SUPERVISOR,))
    if supervised:
        sites |= set(Site.objects.filter(kind=Site.Kind.PAN, prefecture_id__in=supervised)
                     .values_list("pk", flat=True))
    return sites


def may_see_visits(*, user: User | AnonymousUser) -> bool:
    """Whether the day view and the figures open for this person (the menu asks it too)."""
    if is_administrator(user=user):
        return True
    return bool(mediator_site_ids(user=user)) or bool(staff_prefecture_ids(user=user, roles=(Role.SUPERVISOR,)))
