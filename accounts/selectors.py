"""Reads about people and their roles."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import STAFF_ROLES, AccountOrigin, Membership, Role, User, login_id_normalize
from core.prepared import PreparedPair, PreparedQuery
from territory.models import Site

#: The person's memberships with their prefecture (and its département) and site (and its
#: prefecture): read on every staff page by the back-office gate, its SQL built once per process
#: (``core.prepared``, issue 14). Each says too whether its prefecture has a site
#: (``prefecture_has_sites``, False without a prefecture), read with it on every request: what the
#: staff menu's "Guichets" entry asks (``appointments.selectors.staff_runs_desks``), which was a
#: query of its own on every back-office page.
_USER_MEMBERSHIPS = PreparedQuery(
    lambda user_id: Membership.objects.filter(user_id=user_id).select_related(
        "prefecture__department", "site__prefecture"
    ).annotate(
        prefecture_has_sites=Exists(Site.objects.filter(prefecture_id=OuterRef("prefecture_id"))),
    ).order_by("role", "id"),
    user_id=int,
)


def user_memberships(*, user: User) -> list[Membership]:
    """The person's staff memberships, with their scope, cached on the instance for the request."""
    cached = getattr(user, "_memberships_cache", None)
    if cached is None:
        read = user.__dict__.pop("_memberships_read", None)  # rows read in this request (totp_device_by_id_for)
        cached = read() if read is not None else _USER_MEMBERSHIPS(user_id=user.pk)
        user._memberships_cache = cached
    return cached


#: The authenticator a session's second factor was proved with, read again on every request of a
#: verified session (``accounts.middleware.OTPMiddleware``): its SQL built once per process.
_TOTP_DEVICE = PreparedQuery(lambda device_id: TOTPDevice.objects.filter(id=device_id), device_id=int)


def totp_device_by_id(*, device_id: int) -> TOTPDevice | None:
    """The authenticator of this id as it is now in the database (no cache), or None."""
    found = _TOTP_DEVICE(device_id=device_id)
    return found[0] if found else None


#: Both reads of a verified staff request in one statement (issue 17: a round trip and a statement
#: fewer on a third of the load); each part's SQL is its own query's.
_TOTP_DEVICE_AND_MEMBERSHIPS = PreparedPair(_TOTP_DEVICE, _USER_MEMBERSHIPS)


def totp_device_by_id_for(*, device_id: int, user: User) -> TOTPDevice | None:
    """``totp_device_by_id``, reading in the same statement the person's memberships as
    ``user_memberships`` reads them, which it then gives for the rest of the request (the person is
    loaded anew for each request, so a role given or taken shows on the next one), its instances made
    only if the request asks for them. Whether the
    device is the person's own is still for the caller to check (django-otp's ``_finalize_device``)."""
    if getattr(user, "_memberships_cache", None) is not None:  # already read in this request
        return totp_device_by_id(device_id=device_id)
    found, memberships = _TOTP_DEVICE_AND_MEMBERSHIPS(one={"device_id": device_id}, many={"user_id": user.pk})
    user.__dict__["_memberships_read"] = memberships  # made into instances when first asked for
    return found[0] if found else None


def user_roles(*, user: User) -> set[str]:
    roles = {m.role for m in user_memberships(user=user)}
    if user.is_superuser or user.is_staff:
        roles.add(Role.ADMINISTRATOR)
    return roles or {Role.APPLICANT}


def user_is_staff_member(*, user: User | AnonymousUser) -> bool:
    """Whether the person holds any staff role, and so must use a second factor."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or user_roles(user=user) & STAFF_ROLES)


def users_unverified_before(*, cutoff) -> QuerySet[User]:
    """Self sign-ups whose address was never verified: never an account made at a desk for a
    person (with or without an address), which proves itself with its activation code."""
    return User.objects.filter(
        origin=AccountOrigin.SIGN_UP, email__isnull=False,
        email_verified_at__isnull=True, date_joined__lt=cutoff, is_staff=False, is_superuser=False,
        memberships__isnull=True,
    )


def person_account_by_login_id(*, login_id: str, birth_date) -> User | None:
    """The applicant a mediator names by the identifier of their letter and their birth date."""
    return User.objects.filter(
        login_id=login_id_normalize(login_id), birth_date=birth_date, is_staff=False, is_superuser=False,
        memberships__isnull=True,
    ).first()
