"""Writes about people: sign-up, e-mail verification, profile, roles and the staff second factor."""

from __future__ import annotations

import copy
import math
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.models import ThrottlingMixin
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import hooks
from accounts.models import (
    NATIONAL_ROLES,
    PREFECTURE_ROLES,
    SITE_ROLES,
    AuditEvent,
    Language,
    Membership,
    User,
)
from accounts.permissions import may_unblock_second_factor
from accounts.tokens import SECRET_PLACEHOLDER, email_verification_token
from territory.models import Prefecture, Site

TOTP_DEVICE_NAME = "totp"
BACKUP_DEVICE_NAME = "backup"


def audit_record(
    *, actor: User | None, action: str, obj: Any, data: dict | None = None,
    on_behalf_of: User | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor, on_behalf_of=on_behalf_of, action=action,
        object_type=obj._meta.label_lower, object_id=str(obj.pk), data=data or {},
    )


# --- E-mail -------------------------------------------------------------------------------------

def account_email_send(*, user: User, template: str, context: dict[str, Any], derive: str = "") -> None:
    """Render an account e-mail in the person's language and write it to the outbox, in the
    caller's transaction (the ``message_send`` hook: notifications.services.message_write).

    ``derive`` names the token the body's link needs ("password_reset", "email_verification"):
    the body is rendered with ``SECRET_PLACEHOLDER`` in its place and delivery puts a fresh token
    there, so the token is never stored, queued or logged (notifications.secrets).
    A person without an address gets nothing (their messages go by SMS or letter: notifications)."""
    if not user.email:
        return
    with translation.override(user.preferred_language):
        context = {"user": user, "site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"accounts/email/{template}.txt", context)
    hooks.call("message_send", recipient=user, channel="email", event=f"account.{template}", subject=subject,
               body=body, derive=derive)


def _verification_url(user: User) -> str:
    """The activation link, its token left for delivery to fill in (``SECRET_PLACEHOLDER``)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return settings.SITE_URL + reverse("accounts:verify_email", args=[uid, SECRET_PLACEHOLDER])


# --- Applicants ---------------------------------------------------------------------------------

@transaction.atomic
def user_sign_up(
    *, email: str, password: str, first_name: str, last_name: str, preferred_language: str
) -> User:
    if User.objects.filter(email__iexact=email).exists():
        # The view never reveals this: it answers as for a new account and the owner gets an e-mail.
        existing = User.objects.get(email__iexact=email)
        if not existing.email_verified:
            user_send_verification_email(user=existing)
            return existing
        account_email_send(user=existing, template="already_registered", context={
            "login_url": settings.SITE_URL + reverse("accounts:login"),
            "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
        })
        return existing
    if preferred_language not in Language.values:
        preferred_language = Language.FRENCH
    user = User.objects.create_user(
        email=email, password=password, first_name=first_name.strip(), last_name=last_name.strip(),
        preferred_language=preferred_language,
    )
    audit_record(actor=user, action="account.signed_up", obj=user)
    user_send_verification_email(user=user)
    return user


def user_send_verification_email(*, user: User) -> None:
    if user.email_verified or not user.email:
        return
    account_email_send(user=user, template="verify_email", context={"verify_url": _verification_url(user)},
                       derive="email_verification")


@transaction.atomic
def user_verify_email(*, user: User, token: str) -> bool:
    """Marks the address verified if the token is valid; True when the address is (now) verified
    by this token."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.email_verified:
        # Only the genuine link, followed again, says so: checked against the account as it was
        # when the link was sent. Any other token gets the answer an unknown account gets, so that
        # a link cannot be used to learn which accounts exist.
        as_sent = copy.copy(user)
        as_sent.email_verified_at = None
        return email_verification_token.check_token(as_sent, token)
    if not email_verification_token.check_token(user, token):
        return False
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    audit_record(actor=user, action="account.email_verified", obj=user)
    return True


PROFILE_FIELDS = (
    "first_name", "last_name", "birth_date", "birth_place", "nationality", "foreigner_number",
    "phone", "address", "postal_code", "city", "department", "preferred_language",
    "notify_by_email", "notify_by_sms", "notify_by_post",
)


@transaction.atomic
def user_update_profile(*, user: User, data: dict[str, Any]) -> User:
    """Updates the person's identity, contact details and preferences.

    Raises ``ValidationError`` (field -> message) when the channels chosen cannot reach the person.
    """
    user = User.objects.select_for_update().get(pk=user.pk)  # a form may have changed the instance
    changes = {f: data[f] for f in PROFILE_FIELDS if f in data and getattr(user, f) != data[f]}
    merged = {f: changes.get(f, getattr(user, f)) for f in PROFILE_FIELDS}
    errors = {}
    if merged["notify_by_sms"] and not merged["phone"]:
        errors["phone"] = _("Indiquez un numéro de téléphone mobile pour recevoir des SMS.")
    if merged["notify_by_post"] and not (merged["address"] and merged["postal_code"] and merged["city"]):
        errors["address"] = _("Indiquez votre adresse complète pour recevoir des courriers.")
    if not ((merged["notify_by_email"] and user.email) or merged["notify_by_sms"] or merged["notify_by_post"]):
        errors["notify_by_email"] = _("Choisissez au moins un moyen d'être prévenu.")
    if not user.email and not merged["phone"] and not (
        merged["address"] and merged["postal_code"] and merged["city"]
    ):
        # Without e-mail, the phone (SMS) or the postal address (letters) is the only way to
        # reach the person: one must stay (notifications.services.channels_for).
        errors["phone"] = _("Sans adresse e-mail, indiquez un numéro de téléphone mobile ou une "
                            "adresse postale complète : c'est ainsi que nous vous écrirons.")
    if errors:
        raise ValidationError(errors)
    if not changes:
        return user
    for field, value in changes.items():
        setattr(user, field, value)
    user.save(update_fields=list(changes))
    audit_record(
        actor=user, action="account.profile_updated", obj=user, data={"fields": sorted(changes)}
    )
    return user


#: The language a visitor chose with the language switch before signing in: the login keeps it and
#: stores it on the profile (issue 9: it was replaced by the profile's language at login).
LANGUAGE_CHOSEN_SESSION_KEY = "language_chosen"


def user_set_language(*, user: User, language: str) -> None:
    if language in Language.values and user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


# --- Staff --------------------------------------------------------------------------------------

@transaction.atomic
def membership_grant(
    *, user: User, role: str, prefecture: Prefecture | None = None, site: Site | None = None,
    by: User | None = None,
) -> Membership:
    if role in PREFECTURE_ROLES and (prefecture is None or site is not None):
        raise ValidationError(_("Ce rôle s'exerce dans une préfecture."))
    if role in SITE_ROLES and (site is None or prefecture is not None):
        raise ValidationError(_("Ce rôle s'exerce dans un site d'accueil."))
    if role in NATIONAL_ROLES and (site is not None or prefecture is not None):
        raise ValidationError(_("Ce rôle est national."))
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, prefecture=prefecture, site=site
    )
    if created:
        audit_record(actor=by, action="membership.granted", obj=user,
                     data={"role": role, "prefecture": getattr(prefecture, "pk", None),
                           "site": getattr(site, "pk", None)})
    return membership


def totp_device_confirmed(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def totp_device_start_enrolment(*, user: User) -> TOTPDevice:
    """The pending (unconfirmed) authenticator of the person, created on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirms the authenticator when the code is right; returns fresh backup codes, or None."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if device.confirmed or not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    audit_record(actor=user, action="staff.totp_enrolled", obj=user)
    return backup_codes_regenerate(user=user)


@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    """Replaces the person's backup codes; each works once. Returned once, to show them."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME)
    device.token_set.all().delete()
    codes = [_backup_code() for _i in range(settings.BACKUP_CODES_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit_record(actor=user, action="staff.backup_codes_regenerated", obj=user)
    return codes


def _backup_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed by hand
    return "".join(secrets.choice(alphabet) for _i in range(8))


def backup_codes_remaining(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=BACKUP_DEVICE_NAME).count()


# --- Second-factor codes and their throttling ----------------------------------------------------
#
# django-otp makes a person wait after each wrong code, OTP_TOTP_THROTTLE_FACTOR seconds doubled at
# each failure (1, 2, 4, 8 s...). Left alone the wait grows without end, so that whoever knows a
# password could keep the agent out for hours by typing wrong codes. Here the failure count stops
# growing once the wait would pass OTP_THROTTLE_MAX_SECONDS; a right backup code gets in even
# during a wait (and ends it); a supervisor or the administrator can end it too.


@dataclass(frozen=True)
class CodeCheck:
    """What came of a code: the device it proved, or a refusal; ``wait_seconds`` > 0 when the
    code was not even looked at, because the person must first wait that long."""

    device: Any = None
    wait_seconds: int = 0


def _is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()  # backup codes have 8 characters


def _max_failure_count(device: ThrottlingMixin) -> int:
    """The most failures counted: waiting ``factor * 2 ** (count - 1)`` seconds, at most the cap."""
    factor, cap = device.get_throttle_factor(), settings.OTP_THROTTLE_MAX_SECONDS
    if factor <= 0 or cap < factor:
        return 1
    return 1 + int(math.log2(cap / factor))


def _wait_seconds(device: ThrottlingMixin) -> int:
    allowed, details = device.verify_is_allowed()
    if allowed or not details or "locked_until" not in details:
        return 0
    return max(1, math.ceil((details["locked_until"] - timezone.now()).total_seconds()))


def _record_failure(*, user: User, device: ThrottlingMixin, kind: str) -> None:
    """Caps the failure count django-otp has just raised, and records the wait it causes."""
    limit = _max_failure_count(device)
    if device.throttling_failure_count > limit:
        device.throttling_failure_count = limit
        device.save(update_fields=["throttling_failure_count"])
    audit_record(actor=user, action="staff.second_factor_throttled", obj=user, data={
        "device": kind, "failures": device.throttling_failure_count, "wait_seconds": _wait_seconds(device),
    })


@transaction.atomic
def second_factor_check(*, user: User, code: str) -> CodeCheck:
    """Checks a code typed at the second-factor step: a 6-digit authenticator code or a backup code.

    Each kind has its own throttle, so wrong authenticator codes never block the backup codes: a
    right backup code gets in during an authenticator wait, and ends that wait.
    """
    if _is_totp_code(code):
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            return CodeCheck()
        if wait := _wait_seconds(device):
            return CodeCheck(wait_seconds=wait)
        if device.verify_token(code):
            return CodeCheck(device=device)
        _record_failure(user=user, device=device, kind="totp")
        return CodeCheck()

    backup = StaticDevice.objects.select_for_update().filter(user=user, name=BACKUP_DEVICE_NAME).first()
    if backup is None:
        return CodeCheck()
    if wait := _wait_seconds(backup):
        return CodeCheck(wait_seconds=wait)
    if not backup.verify_token(code):
        _record_failure(user=user, device=backup, kind="backup")
        return CodeCheck()
    ended = TOTPDevice.objects.filter(user=user, throttling_failure_count__gt=0).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    audit_record(actor=user, action="staff.backup_code_used", obj=user, data={
        "remaining": backup.token_set.count(), "ended_wait": bool(ended),
    })
    return CodeCheck(device=backup)


def second_factor_failures(*, user_ids: list[int]) -> dict[int, int]:
    """Wrong codes typed in a row, per person who has typed some since their last right one."""
    failures: dict[int, int] = {}
    for model in (TOTPDevice, StaticDevice):
        rows = model.objects.filter(user_id__in=user_ids, throttling_failure_count__gt=0).values_list(
            "user_id", "throttling_failure_count")
        for user_id, count in rows:
            failures[user_id] = max(count, failures.get(user_id, 0))
    return failures


@transaction.atomic
def second_factor_unblock(*, user: User, by: User) -> int:
    """Ends the person's wait after wrong codes (a supervisor of their prefecture, or the
    administrator, both with a verified second factor). Returns the failures forgotten."""
    if not may_unblock_second_factor(by=by, person=user):
        raise PermissionDenied(_("Vous ne pouvez pas débloquer la double authentification de cette personne."))
    failures = max(second_factor_failures(user_ids=[user.pk]).values(), default=0)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    audit_record(actor=by, action="staff.second_factor_unblocked", obj=user, data={"failures": failures})
    return failures
