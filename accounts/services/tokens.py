"""Personal API tokens (docs/adr/0010-api.md): made, named, used and revoked by their holder.

The key is shown once, when it is made: only its SHA-256 is stored (a key of 256 random bits
needs no slow hash), with its first characters (``prefix``) to find the row and to let the person
tell their keys apart. A presented key is compared with ``hmac.compare_digest``.

Staff: a token only right after a second factor proved in this session, and short-lived
(``API_STAFF_TOKEN_MINUTES``); the token then carries that proof (the device's persistent id),
which ``api_token_authenticate`` hands back so that every staff check (``accounts.permissions``)
sees a verified second factor, as it would in the session. Without it, none does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device

from accounts.models import ApiToken, User
from accounts.permissions import second_factor_verified
from accounts.selectors import user_is_staff_member
from accounts.services.people import audit_record

#: Every key starts with this, so that a leaked key is recognisable (secret scanners, logs).
KEY_PREFIX = "anef_"
PREFIX_LENGTH = 10
#: Tokens in force one person may hold at once.
MAX_TOKENS_IN_FORCE = 10
#: ``last_used_at`` is written at most this often: a write per request would cost a query.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The person's tokens for their profile page: newest first, revoked ones included."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def _in_force(now) -> Q:
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def api_token_create(*, user: User | AnonymousUser, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user`` (the person signed in); returns it and its key, which is never
    shown again. Staff: only with a second factor verified in this session (``PermissionDenied``
    otherwise), and it expires after ``API_STAFF_TOKEN_MINUTES``."""
    if not user.is_authenticated:
        raise PermissionDenied
    assert isinstance(user, User)  # noqa: S101 - narrowed for the type checker
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationError({"name": [ValidationError(_("Donnez à la clé un nom de 1 à 60 caractères."),
                                                        code="token_name_invalid")]})
    now = timezone.now()
    device = ""
    expires_at = None
    if user_is_staff_member(user=user):
        if not second_factor_verified(user=user):
            raise PermissionDenied(_("Un agent ne peut créer une clé d'API qu'après avoir validé son second facteur."))
        device = user.otp_device.persistent_id  # type: ignore[attr-defined,union-attr]  # set by OTPMiddleware
        expires_at = now + timedelta(minutes=settings.API_STAFF_TOKEN_MINUTES)
    elif settings.API_TOKEN_DAYS:
        expires_at = now + timedelta(days=settings.API_TOKEN_DAYS)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one creation at a time per person
        if ApiToken.objects.filter(_in_force(now), user=user).count() >= MAX_TOKENS_IN_FORCE:
            raise ValidationError(
                _("Vous avez déjà %(max)s clés en service : révoquez-en une avant d'en créer une autre."),
                code="too_many_tokens", params={"max": MAX_TOKENS_IN_FORCE})
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(user=user, name=name, prefix=key[len(KEY_PREFIX):][:PREFIX_LENGTH],
                                        key_sha256=key_hash(key), otp_device=device, created_at=now,
                                        expires_at=expires_at)
        audit_record(actor=user, action="api_token.created", obj=token, data={"name": name, "prefix": token.prefix})
    return token, key


def api_token_get_for_user(*, user: User, pk: int) -> ApiToken:
    """One of the person's own tokens; anyone else's is ``ApiToken.DoesNotExist``."""
    return ApiToken.objects.get(user=user, pk=pk)


def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revokes the token at once (the next request made with it is refused). Idempotent."""
    if by.pk != token.user_id:
        raise PermissionDenied
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if updated:
            audit_record(actor=by, action="api_token.revoked", obj=token, data={"prefix": token.prefix})
    token.refresh_from_db()
    return token


def api_token_authenticate(*, key: str) -> tuple[User, ApiToken] | None:
    """The person a presented key stands for, or None (unknown, wrong, revoked, expired, or its
    holder inactive). A staff token's holder comes back with ``otp_device`` set to the device the
    token was made with, if that device is still theirs and confirmed; a staff member's token made
    without one (none can be) or whose device is gone gives no verified second factor."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    prefix = key[len(KEY_PREFIX):][:PREFIX_LENGTH]
    now = timezone.now()
    token = (ApiToken.objects.filter(_in_force(now), prefix=prefix, user__is_active=True)
             .select_related("user").first())
    if token is None or not hmac.compare_digest(token.key_sha256, key_hash(key)):
        return None
    user = token.user
    user.otp_device = None  # type: ignore[attr-defined]
    if token.otp_device:
        device = Device.from_persistent_id(token.otp_device)
        if device is not None and device.user_id == user.pk and device.confirmed:
            user.otp_device = device  # type: ignore[attr-defined]
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return user, token


__all__ = ["api_token_authenticate", "api_token_create", "api_token_get_for_user", "api_token_revoke",
           "api_tokens_of", "key_hash"]
