"""Who among the staff may see and act on which blocking reports (DESIGN §2, §8). Every answer
comes from ``accounts.permissions``, so none is given without a verified second factor.

- CCC agents (``support``, national) see every report and are the ones who answer, resolve, mark
  unresolved and link anomalies; they record phone reports.
- Mediators see the reports they opened at one of their sites, and record walk-in reports there.
- Agents and supervisors of a prefecture see its reports (read-only in this part; part B gives them
  the act of impossibility).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from accounts.models import PREFECTURE_ROLES, Role, User
from accounts.permissions import staff_prefecture_ids, staff_site_ids, staff_verified
from accounts.selectors import user_roles


def is_support(*, user: User | AnonymousUser) -> bool:
    """A CCC agent acting now (national role, verified second factor)."""
    return staff_verified(user=user) and Role.SUPPORT in user_roles(user=user)  # type: ignore[arg-type]


def mediator_site_ids(*, user: User | AnonymousUser) -> set[int]:
    return staff_site_ids(user=user, roles=(Role.MEDIATOR,))


def reports_scope(*, user: User | AnonymousUser) -> Q | None:
    """The reports this member of staff may see, as a filter; None when they may see none."""
    if not user.is_authenticated:
        return None
    if is_support(user=user):
        # Not Q(): an empty Q vanishes when or-ed with another ("the person's own | all" would
        # become "the person's own").
        return Q(pk__isnull=False)
    scope = Q(pk__in=[])
    sites = mediator_site_ids(user=user)
    if sites:
        scope |= Q(site_id__in=sites, opened_by=user)
    prefectures = staff_prefecture_ids(user=user, roles=PREFECTURE_ROLES)
    if prefectures:
        scope |= Q(prefecture_id__in=prefectures)
    return scope if (sites or prefectures) else None


def may_see_reports(*, user: User | AnonymousUser) -> bool:
    """Whether the back-office list of reports opens for this person (the menu asks it too)."""
    return reports_scope(user=user) is not None


def is_technical(*, user: User | AnonymousUser) -> bool:
    """A member of the technical team acting now (national role, verified second factor)."""
    return staff_verified(user=user) and Role.TECHNICAL in user_roles(user=user)  # type: ignore[arg-type]


def may_see_anomalies(*, user: User | AnonymousUser) -> bool:
    """The anomalies pages: the technical team and CCC agents."""
    return is_technical(user=user) or is_support(user=user)


#: Who links reports to anomalies: the same people (a CCC agent from a report, the technical team
#: from an anomaly).
may_link_anomalies = may_see_anomalies
