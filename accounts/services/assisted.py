"""Accounts made for a person at a desk, and the one-time codes that let them in (issue 12).

A person without e-mail (or known only by contact details) gets an account from a mediator at a
help point or an agent: no usable password, a login identifier ("P7K-4QX-92M") and a one-time
activation code, both printed on a welcome letter. The person sets their password with them at
``/compte/activer/``, at the desk or later. A forgotten password is reset with a code sent by SMS
when the person has a phone, or with a new activation code issued by a mediator who checked their
identity. See docs/accounts.md.

Codes are stored hashed (Django's password hashers) and returned once, to be shown or printed;
they are never logged, never put in a document's stored context nor in the outbox.
"""

from __future__ import annotations

import enum
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import hooks
from accounts.models import (
    CODE_ALPHABET,
    AccountOrigin,
    Language,
    OneTimeCode,
    User,
    login_id_normalize,
)
from accounts.permissions import may_create_person_accounts
from accounts.services.people import audit_record, user_send_verification_email
from accounts.tokens import SECRET_PLACEHOLDER
from territory.models import Department

ACTIVATION_CODE_LENGTH = 10  # "ABCDE-23456": 31 ** 10 = 8e14 codes, and a few tries each
SMS_CODE_LENGTH = 6  # digits, typed from a phone's screen; a few tries and 15 minutes

#: The kinds of identity document a mediator may check before issuing a new activation code.
IDENTITY_DOCUMENTS = {
    "residence_permit": gettext_lazy("Titre de séjour"),
    "passport": gettext_lazy("Passeport"),
    "receipt": gettext_lazy("Récépissé ou attestation de prolongation"),
    "identity_card": gettext_lazy("Carte d'identité"),
    "other": gettext_lazy("Autre document officiel avec photo"),
}


@dataclass(frozen=True)
class PersonAccount:
    """What making (or finding) a person's account gives back: the code is shown once.

    ``activation_code`` and ``letter_id`` are empty when an existing account was found."""

    user: User
    created: bool
    activation_code: str = ""
    letter_id: int | None = None


def _check_by(by: User) -> None:
    if not may_create_person_accounts(user=by):
        raise PermissionDenied(_("Seuls les médiateurs et les agents peuvent créer un compte pour une personne."))


def _code_new(purpose: str) -> str:
    if purpose == OneTimeCode.Purpose.SMS_RESET:
        return "".join(secrets.choice("0123456789") for _i in range(SMS_CODE_LENGTH))
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _i in range(ACTIVATION_CODE_LENGTH))
    return f"{symbols[:5]}-{symbols[5:]}"


def code_normalize(raw: str) -> str:
    """What a person typed -> the form the code was hashed in ("abcde 23456" -> "ABCDE-23456")."""
    compact = re.sub(r"[\s\-\u2010-\u2015.]", "", raw or "").upper()
    if len(compact) == ACTIVATION_CODE_LENGTH:
        return f"{compact[:5]}-{compact[5:]}"
    return compact


def one_time_code_issue(*, user: User, purpose: str, by: User | None, lifetime: timedelta) -> str:
    """Makes the person's new code for ``purpose`` (replacing an open one) and returns it, once.

    Call it inside the caller's transaction; the person's row is locked so that two issues at
    once leave one open code (the partial unique index would refuse a second one anyway)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    now = timezone.now()
    OneTimeCode.objects.filter(user=user, purpose=purpose, status=OneTimeCode.Status.OPEN).update(
        status=OneTimeCode.Status.REPLACED, closed_at=now)
    code = _code_new(purpose)
    OneTimeCode.objects.create(
        user=user, purpose=purpose, code_hash=make_password(code), created_at=now,
        expires_at=now + lifetime, created_by=by,
    )
    return code


def activation_code_matches(*, user: User, code: str) -> bool:
    """Whether ``code`` is the person's open activation code (no try is counted: for a mediator's
    page that prints the letter with the code it has just been shown)."""
    open_code = OneTimeCode.objects.filter(
        user=user, purpose=OneTimeCode.Purpose.ACTIVATION, status=OneTimeCode.Status.OPEN).first()
    return open_code is not None and not open_code.expired and check_password(code_normalize(code),
                                                                               open_code.code_hash)


# --- Making accounts for people -----------------------------------------------------------------

def _contact_checked(*, first_name: str, last_name: str, birth_date: date | None, phone: str, email: str,
                     address: str, postal_code: str, city: str, language: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not first_name.strip():
        errors["first_name"] = _("Indiquez le prénom de la personne.")
    if not last_name.strip():
        errors["last_name"] = _("Indiquez le nom de famille de la personne.")
    if birth_date is None:
        errors["birth_date"] = _("Indiquez la date de naissance de la personne.")
    if not phone.strip() and not (address.strip() and postal_code.strip() and city.strip()):
        errors["phone"] = _("Indiquez un numéro de téléphone mobile ou une adresse postale complète : "
                            "sans l'un ou l'autre, nous ne pourrions pas écrire à la personne.")
    if email and User.objects.filter(email__iexact=email.strip()).exists():
        errors["email"] = _("Un compte existe déjà avec cette adresse e-mail : la personne peut se "
                            "connecter avec elle, ou demander un nouveau mot de passe.")
    if language not in Language.values:
        errors["language"] = _("Choisissez une langue proposée.")
    return errors


@transaction.atomic
def account_create_for_person(
    *, first_name: str, last_name: str, birth_date: date | None, phone: str = "", email: str = "",
    address: str = "", postal_code: str = "", city: str = "", department: Department | None = None,
    language: str = Language.FRENCH, by: User,
) -> PersonAccount:
    """Makes an account for a person at a desk: no usable password, a login identifier, and an
    activation code returned once (printed on the welcome letter issued here too).

    ``by`` is a verified mediator of a site or a verified agent (``PermissionDenied`` otherwise).
    The person needs a phone or a complete postal address (the way the portal writes to them);
    an e-mail address is optional and must not belong to another account (``ValidationError``,
    field -> message).
    """
    _check_by(by)
    email = (email or "").strip().lower()
    errors = _contact_checked(first_name=first_name, last_name=last_name, birth_date=birth_date, phone=phone,
                              email=email, address=address, postal_code=postal_code, city=city,
                              language=language)
    if errors:
        raise ValidationError(errors)
    phone = phone.strip()
    user = User.objects.create_user(
        email=email or None, password=None, origin=AccountOrigin.ASSISTED,
        first_name=first_name.strip(), last_name=last_name.strip(), birth_date=birth_date, phone=phone,
        address=address.strip(), postal_code=postal_code.strip(), city=city.strip(), department=department,
        preferred_language=language,
        # How the portal reaches them (notifications.services.channels_for decides in the end).
        notify_by_email=bool(email), notify_by_sms=bool(phone), notify_by_post=not phone and not email,
    )
    code = one_time_code_issue(user=user, purpose=OneTimeCode.Purpose.ACTIVATION, by=by,
                               lifetime=timedelta(days=settings.ACCOUNT_ACTIVATION_DAYS))
    audit_record(actor=by, action="account.created_for_person", obj=user, on_behalf_of=user, data={
        "by": by.get_full_name() or str(by), "person": user.get_full_name(), "login_id": user.login_id,
        "with_email": bool(email), "with_phone": bool(phone),
    })
    user_send_verification_email(user=user)
    letter_id = hooks.call("welcome_letter_issue", user, by)
    return PersonAccount(user=user, created=True, activation_code=code, letter_id=letter_id)


def _folded(text: str) -> str:
    """Lower case, without accents or spaces at the ends: "Zoé " and "ZOE" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def phone_normalize(phone: str) -> str:
    """"+33 6 12 34 56 78", "06.12.34.56.78" -> "0612345678": French numbers in one form."""
    digits = re.sub(r"\D", "", phone or "")
    if phone.strip().startswith("+33") and len(digits) == 11:
        return "0" + digits[2:]
    return digits


def person_account_find(
    *, first_name: str, last_name: str, birth_date: date | None, phone: str = "", email: str = "",
) -> User | None:
    """The existing account of a person named by contact details, by the matching rule:

    1. an e-mail address, when given, that an account has (case-insensitive): that account, even
       if the names differ (the address is unique and proves more than a spelling);
    2. otherwise a phone number, *with* the same first name, last name and birth date: names
       compared without case nor accents, phone numbers in their French national form. The phone
       alone never matches (a family shares one); names alone never match (homonyms).

    Limits: a typo in a name or a different transliteration, a new phone number, or a person known
    only by a postal address finds nothing, and a second account is made; two desks making the
    same person's account at the same instant may make two. A mediator merges nothing: duplicates
    go to the administrator. Of several matches, the oldest account is returned.
    """
    email = (email or "").strip().lower()
    if email:
        found = User.objects.filter(email__iexact=email).first()
        if found is not None:
            return found
    wanted_phone = phone_normalize(phone)
    if not wanted_phone or birth_date is None or not last_name.strip():
        return None
    candidates = User.objects.filter(birth_date=birth_date, last_name__iexact=last_name.strip()).order_by("pk")
    for candidate in candidates:
        if (_folded(candidate.first_name) == _folded(first_name)
                and _folded(candidate.last_name) == _folded(last_name)
                and phone_normalize(candidate.phone) == wanted_phone):
            return candidate
    return None


@transaction.atomic
def person_account_for_contact(
    *, first_name: str, last_name: str, birth_date: date | None, phone: str = "", email: str = "",
    address: str = "", postal_code: str = "", city: str = "", department: Department | None = None,
    language: str = Language.FRENCH, by: User,
) -> PersonAccount:
    """The person's account: the existing one when the contact details match one
    (``person_account_find`` says how), else a new one made as ``account_create_for_person`` does.

    For other apps (blocking reports, paper intake) that hold a person's contact details. An
    existing account is returned as it is: no new code, no letter, nothing changed."""
    _check_by(by)
    found = person_account_find(first_name=first_name, last_name=last_name, birth_date=birth_date,
                                phone=phone, email=email)
    if found is not None:
        return PersonAccount(user=found, created=False)
    return account_create_for_person(
        first_name=first_name, last_name=last_name, birth_date=birth_date, phone=phone, email=email,
        address=address, postal_code=postal_code, city=city, department=department, language=language, by=by,
    )


@transaction.atomic
def account_activation_reissue(*, user: User, by: User, identity_document: str) -> PersonAccount:
    """A mediator (or agent) who has checked the person's identity document issues a new
    activation code and welcome letter: the way back in for a person without e-mail who lost their
    letter, their code or their password. The previous code stops working."""
    _check_by(by)
    if identity_document not in IDENTITY_DOCUMENTS:
        raise ValidationError({"identity_document": _("Indiquez le document d'identité vérifié.")})
    if user.is_staff or user.is_superuser or user.memberships.exists():
        # Staff reset their access through the administrator, never at a help point.
        raise PermissionDenied(_("Ce compte ne peut pas recevoir de code d'activation."))
    code = one_time_code_issue(user=user, purpose=OneTimeCode.Purpose.ACTIVATION, by=by,
                               lifetime=timedelta(days=settings.ACCOUNT_ACTIVATION_DAYS))
    audit_record(actor=by, action="account.activation_reissued", obj=user, on_behalf_of=user, data={
        "by": by.get_full_name() or str(by), "person": user.get_full_name(),
        "identity_document_checked": identity_document,
    })
    letter_id = hooks.call("welcome_letter_issue", user, by)
    return PersonAccount(user=user, created=False, activation_code=code, letter_id=letter_id)


# --- Using a code -------------------------------------------------------------------------------

class Redeemed(enum.Enum):
    """What came of a code typed with a login identifier."""

    DONE = "done"  # the password is set
    WRONG = "wrong"  # wrong code or unknown identifier (one answer: no account enumeration)
    CLOSED = "closed"  # expired, blocked after too many tries, or none: a new one is needed


@transaction.atomic
def one_time_code_redeem(*, login_id: str, code: str, password: str, purpose: str) -> Redeemed:
    """Sets the person's password with their activation (or SMS) code.

    A wrong code counts one try, and blocks the code after ``ACCOUNT_CODE_MAX_ATTEMPTS``; a code
    works once. The tries are committed (nothing is raised after them). The new password is
    checked by Django's validators only once the code is right (``ValidationError`` then, the code
    still usable)."""
    user = User.objects.filter(login_id=login_id_normalize(login_id), is_active=True).first()
    if user is None:
        return Redeemed.WRONG
    open_code = (OneTimeCode.objects.select_for_update()
                 .filter(user=user, purpose=purpose, status=OneTimeCode.Status.OPEN).first())
    if open_code is None:
        return Redeemed.CLOSED
    now = timezone.now()
    if open_code.expired:
        return Redeemed.CLOSED
    if not check_password(code_normalize(code), open_code.code_hash):
        open_code.attempts += 1
        fields = ["attempts"]
        if open_code.attempts >= settings.ACCOUNT_CODE_MAX_ATTEMPTS:
            open_code.status, open_code.closed_at = OneTimeCode.Status.LOCKED, now
            fields += ["status", "closed_at"]
        open_code.save(update_fields=fields)
        audit_record(actor=None, action="account.code_refused", obj=user, data={
            "purpose": purpose, "attempts": open_code.attempts, "locked": open_code.status == OneTimeCode.Status.LOCKED,
        })
        return Redeemed.CLOSED if open_code.status == OneTimeCode.Status.LOCKED else Redeemed.WRONG
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    open_code.status, open_code.closed_at = OneTimeCode.Status.USED, now
    open_code.save(update_fields=["status", "closed_at"])
    audit_record(actor=user, action="account.password_set_with_code", obj=user, data={"purpose": purpose})
    return Redeemed.DONE


#: An account message (the outbox's ``message_send``), not a ``notify`` event: no template of its own.
SMS_RESET_CODE_EVENT = "account.sms_reset_code"


@transaction.atomic
def password_reset_sms_start(*, login_id: str) -> bool:
    """Sends a password-reset code by SMS to the person named by ``login_id``, when the account has
    no e-mail address (those reset by e-mail) and a mobile phone. Returns whether one was sent;
    the page says the same either way (no account enumeration)."""
    user = User.objects.filter(login_id=login_id_normalize(login_id), is_active=True).first()
    if user is None or user.email or not user.phone or user.is_staff or user.memberships.exists():
        return False
    # The code is issued when the SMS leaves (notifications.secrets, in place of the placeholder):
    # only its hash is kept, so it can be neither stored in the outbox nor queued.
    audit_record(actor=None, action="account.sms_code_sent", obj=user)
    with translation.override(user.preferred_language):
        text = _("%(portal)s : votre code pour choisir un nouveau mot de passe est %(code)s. Il expire "
                 "dans %(minutes)s minutes. Ne le donnez à personne.") % {
            "portal": settings.PORTAL_NAME, "code": SECRET_PLACEHOLDER, "minutes": settings.ACCOUNT_SMS_CODE_MINUTES}
    hooks.call("message_send", recipient=user, channel="sms", event=SMS_RESET_CODE_EVENT, subject=text[:80],
               body=text, derive="sms_reset_code")
    return True


@transaction.atomic
def person_account_for_portal(
    *, first_name: str, last_name: str, phone: str = "", email: str = "", address: str = "", postal_code: str = "",
    city: str = "", department: Department | None = None, language: str = Language.FRENCH, reason: str,
) -> PersonAccount:
    """The account of a person the portal itself must book something for (the paper-filing
    convocation of a blocking report: issue 11), known only by the contact details they gave,
    without a birth date, and with nobody at a desk to hand over an activation code.

    The existing account when ``person_account_find`` matches one (without a birth date, only an
    e-mail address can match); else an assisted account with no usable password, no activation
    code and no welcome letter: the person is reached by the channels ``channels_for`` picks from
    these details, signs in with "mot de passe oublié" when they have an e-mail address, or gets an
    activation code from a mediator or at the desk (``account_activation_reissue``). ``reason``
    goes in the audit event (e.g. the report's reference)."""
    found = person_account_find(first_name=first_name, last_name=last_name, birth_date=None, phone=phone,
                                email=email)
    if found is not None:
        return PersonAccount(user=found, created=False)
    email, phone = (email or "").strip().lower(), (phone or "").strip()
    user = User.objects.create_user(
        email=email or None, password=None, origin=AccountOrigin.ASSISTED,
        first_name=first_name.strip(), last_name=last_name.strip(), phone=phone, address=address.strip(),
        postal_code=postal_code.strip(), city=city.strip(), department=department, preferred_language=language,
        notify_by_email=bool(email), notify_by_sms=bool(phone), notify_by_post=not phone and not email,
    )
    audit_record(actor=None, action="account.created_by_portal", obj=user, on_behalf_of=user, data={
        "reason": reason, "login_id": user.login_id, "with_email": bool(email), "with_phone": bool(phone),
    })
    return PersonAccount(user=user, created=True)
