"""The one place that answers "may this person act as staff here, now?" (DESIGN §2).

Staff power needs both a role (a membership) and, in the current session, a second factor the person
has just proved: a password alone is not enough, wherever the page lives (back-office, Django admin,
document downloads...). Every staff check in the project goes through these functions, so none can
forget the second factor:

- ``staff_verified(user=...)``: any staff role and a verified second factor (the back-office gate);
- ``staff_prefecture_ids(user=..., roles=...)``: the prefectures where the person acts now in one
  of these roles; empty without a verified second factor;
- ``is_verified_agent_of(user=..., prefecture_id=..., roles=...)``: "is this a verified agent (or
  supervisor) of this prefecture";
- ``staff_site_ids(user=..., roles=...)``: the same for site roles (mediators);
- ``may_create_person_accounts(user=...)``: may make an account for a person at a desk (a
  verified mediator of a site, or a verified agent); ``mediator_site_ids`` for the mediator's pages.

``role_prefecture_ids`` is the only question asked without a second factor: whether *another*
person (the agent a file is assigned to, say) holds a role there. It grants the caller nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.models import PREFECTURE_ROLES, SITE_ROLES, Role, User
from accounts.selectors import user_is_staff_member, user_memberships, user_roles


def second_factor_verified(*, user: User | AnonymousUser) -> bool:
    """Whether the person proved a second factor in this session.

    ``otp_device`` is set by django-otp's ``OTPMiddleware`` on ``request.user`` (None until a code
    was accepted). A user loaded any other way (a worker, a shell) has none: not verified.
    """
    return bool(user.is_authenticated and getattr(user, "otp_device", None) is not None)


def staff_verified(*, user: User | AnonymousUser) -> bool:
    """Signed in, holding a staff role, with a verified second factor."""
    return second_factor_verified(user=user) and user_is_staff_member(user=user)


def role_prefecture_ids(*, user: User, roles: Iterable[str] = PREFECTURE_ROLES) -> set[int]:
    """Prefectures where the person holds one of these roles, second factor or not: to check the
    person an action is *about* (an assignee), never the person acting."""
    roles = set(roles)
    return {m.prefecture_id for m in user_memberships(user=user) if m.role in roles and m.prefecture_id}


def staff_prefecture_ids(*, user: User | AnonymousUser, roles: Iterable[str] = PREFECTURE_ROLES) -> set[int]:
    """Prefectures where the person acts now in one of these roles: none without a verified
    second factor."""
    if not user.is_authenticated or not second_factor_verified(user=user):
        return set()
    return role_prefecture_ids(user=user, roles=roles)


def is_verified_agent_of(
    *, user: User | AnonymousUser, prefecture_id: int | None, roles: Iterable[str] = PREFECTURE_ROLES
) -> bool:
    """Is this a verified agent (in one of these roles) of this prefecture?"""
    return prefecture_id is not None and prefecture_id in staff_prefecture_ids(user=user, roles=roles)


def staff_site_ids(*, user: User | AnonymousUser, roles: Iterable[str] = SITE_ROLES) -> set[int]:
    """Sites where the person acts now in one of these (site) roles: none without a verified
    second factor."""
    if not user.is_authenticated or not second_factor_verified(user=user):
        return set()
    roles = set(roles)
    return {m.site_id for m in user_memberships(user=user) if m.role in roles and m.site_id}


def may_unblock_second_factor(*, by: User | AnonymousUser, person: User) -> bool:
    """Who may end a staff member's wait after wrong codes: the administrator, or a supervisor of
    a prefecture where the person works (for a mediator, the prefecture of their site)."""
    if not by.is_authenticated or not staff_verified(user=by) or by.pk == person.pk:
        return False
    if Role.ADMINISTRATOR in user_roles(user=by):
        return True
    theirs: set[int] = set()
    for membership in user_memberships(user=person):
        if membership.prefecture_id:
            theirs.add(membership.prefecture_id)
        elif membership.site is not None:
            theirs.add(membership.site.prefecture_id)
    return bool(theirs & staff_prefecture_ids(user=by, roles=(Role.SUPERVISOR,)))


def second_factor_person_get(*, by: User | AnonymousUser, pk: int) -> User:
    """The staff member whose second factor ``by`` may unblock; 404 for anyone else."""
    person = User.objects.filter(pk=pk).first()
    if person is None or not may_unblock_second_factor(by=by, person=person):
        raise Http404
    return person


def mediator_site_ids(*, user: User | AnonymousUser) -> set[int]:
    """Sites where the person acts now as a digital mediator (verified second factor)."""
    return staff_site_ids(user=user, roles=(Role.MEDIATOR,))


def may_create_person_accounts(*, user: User | AnonymousUser) -> bool:
    """Who may make an account for a person, issue their welcome letter or a new activation code:
    a verified mediator of a site (a help point, at the desk) or a verified agent or supervisor of
    a prefecture (the substitution channel, issue 11)."""
    return bool(mediator_site_ids(user=user) or staff_prefecture_ids(user=user))


def person_account_get_for_staff(*, by: User | AnonymousUser, pk: int) -> User:
    """An account made (or to be re-activated) at a desk, for a verified mediator or agent: never a
    member of staff. Anything else is ``Http404``."""
    if not may_create_person_accounts(user=by):
        raise Http404
    person = User.objects.filter(pk=pk, is_staff=False, is_superuser=False, memberships__isnull=True).first()
    if person is None:
        raise Http404
    return person
