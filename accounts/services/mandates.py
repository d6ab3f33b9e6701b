"""Mandates: a person's time-limited consent to a digital mediator acting on their behalf
(DESIGN §8.6, docs/accounts.md, ADR 0006).

Two ways to give one: the person makes a **consent code** in their space (six digits, valid
``MANDATE_CONSENT_CODE_MINUTES``, one use, a few tries: a ``OneTimeCode``) and tells it to the
mediator in front of them; or the person signs a **paper form** at the desk, which the mediator
scans (checked like every upload, through the ``scan_check`` hook of ``applications.uploads``).
A mandate lasts ``MANDATE_DURATION_DAYS`` and the person may revoke it at any time, at once.
Every step is in the audit log with both names.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import hooks
from accounts.models import Mandate, OneTimeCode, User, login_id_normalize
from accounts.permissions import mediator_site_ids
from accounts.services.assisted import code_normalize, one_time_code_issue
from accounts.services.people import audit_record
from territory.models import Site


def _names(mandate: Mandate, by: User | None) -> dict[str, Any]:
    return {
        "person": mandate.person.get_full_name() or str(mandate.person),
        "by": (by.get_full_name() or str(by)) if by else "",
        "mediator": (mandate.mediator.get_full_name() or str(mandate.mediator)) if mandate.mediator else "",
        "site": mandate.site.name, "scope": mandate.scope, "dossier_id": mandate.dossier_id,
        "channel": mandate.channel, "expires_at": mandate.expires_at.isoformat(),
    }


def _may_give(person: User) -> bool:
    # Staff act for themselves only: nobody acts on behalf of an agent.
    return person.is_active and not (person.is_staff or person.is_superuser or person.memberships.exists())


@transaction.atomic
def mandate_consent_code_issue(*, person: User) -> str:
    """A new consent code for the person (replacing an open one), returned once to be shown in
    their space; valid ``MANDATE_CONSENT_CODE_MINUTES`` minutes, for one mandate."""
    if not _may_give(person):
        raise PermissionDenied(_("Ce compte ne peut pas donner de mandat."))
    code = one_time_code_issue(user=person, purpose=OneTimeCode.Purpose.MANDATE_CONSENT, by=person,
                               lifetime=timedelta(minutes=settings.MANDATE_CONSENT_CODE_MINUTES))
    audit_record(actor=person, action="mandate.consent_code_issued", obj=person)
    return code


def _check_mediator(by: User, site: Site) -> None:
    if site.pk not in mediator_site_ids(user=by):
        raise PermissionDenied(_("Seuls les médiateurs numériques de ce point d'accueil peuvent recevoir un mandat."))


def _check_scope(person: User, scope: str, dossier_reference: str) -> int | None:
    """The dossier a mandate limited to one names, by its reference: one of the person's filed
    dossiers (``person_dossiers`` hook), else ``ValidationError``."""
    if scope == Mandate.Scope.ACCOUNT:
        return None
    if scope != Mandate.Scope.DOSSIER:
        raise ValidationError({"scope": _("Choisissez l'étendue du mandat.")})
    wanted = (dossier_reference or "").strip().upper()
    for pk, reference in hooks.call("person_dossiers", person):
        if wanted and reference.upper() == wanted:
            return pk
    raise ValidationError({"dossier_reference": _("Indiquez la référence d'un dossier déposé par la personne.")})


def _create(*, person: User, by: User, site: Site, to_site: bool, scope: str, dossier_reference: str,
            channel: str, scan: Any = None) -> Mandate:
    now = timezone.now()
    mandate = Mandate(
        person=person, mediator=None if to_site else by, site=site, scope=scope,
        dossier_id=_check_scope(person, scope, dossier_reference), channel=channel, recorded_by=by, created_at=now,
        expires_at=now + timedelta(days=settings.MANDATE_DURATION_DAYS),
    )
    if scan is not None:
        mandate.scan_extension, mandate.scan_content_type = scan.extension, scan.content_type
        mandate.scan.save("scan", ContentFile(scan.content), save=False)
    mandate.save()
    audit_record(actor=by, on_behalf_of=person, action="mandate.granted", obj=mandate, data=_names(mandate, by))
    return mandate


def mandate_grant_by_code(
    *, by: User, site: Site, login_id: str, code: str, scope: str = Mandate.Scope.ACCOUNT,
    dossier_reference: str = "", to_site: bool = False,
) -> Mandate:
    """The mediator ``by`` records the mandate the person consents to with the code they show.

    ``to_site``: every mediator of ``site`` may act (the person chose the help point), else ``by``
    alone. A wrong code counts a try, committed, and blocks the code at the limit; an unknown
    identifier gets the same answer as a wrong code. Raises ``ValidationError`` (field -> message)."""
    _check_mediator(by, site)
    with transaction.atomic():
        outcome = _redeem(by=by, site=site, login_id=login_id, code=code, scope=scope,
                          dossier_reference=dossier_reference, to_site=to_site)
    if isinstance(outcome, Mandate):
        return outcome
    raise ValidationError({"code": outcome})


def _redeem(*, by: User, site: Site, login_id: str, code: str, scope: str, dossier_reference: str,
            to_site: bool) -> Mandate | str:
    wrong = _("Identifiant ou code incorrect, ou code expiré : demandez à la personne d'en créer un nouveau "
              "dans son espace (rubrique « Mandats »).")
    person = User.objects.filter(login_id=login_id_normalize(login_id)).first()
    if person is None or not _may_give(person) or person.pk == by.pk:
        return wrong
    open_code = (OneTimeCode.objects.select_for_update()
                 .filter(user=person, purpose=OneTimeCode.Purpose.MANDATE_CONSENT, status=OneTimeCode.Status.OPEN)
                 .first())
    if open_code is None or open_code.expired:
        return wrong
    now = timezone.now()
    if not check_password(code_normalize(code), open_code.code_hash):
        open_code.attempts += 1
        fields = ["attempts"]
        if open_code.attempts >= settings.ACCOUNT_CODE_MAX_ATTEMPTS:
            open_code.status, open_code.closed_at = OneTimeCode.Status.LOCKED, now
            fields += ["status", "closed_at"]
        open_code.save(update_fields=fields)
        audit_record(actor=by, action="mandate.consent_code_refused", obj=person,
                     data={"attempts": open_code.attempts})
        return wrong
    try:
        with transaction.atomic():  # a savepoint: a bad scope leaves the code usable
            mandate = _create(person=person, by=by, site=site, to_site=to_site, scope=scope,
                              dossier_reference=dossier_reference, channel=Mandate.Channel.CONSENT_CODE)
    except ValidationError as error:
        return " ".join(error.messages)
    open_code.status, open_code.closed_at = OneTimeCode.Status.USED, now
    open_code.save(update_fields=["status", "closed_at"])
    return mandate


@transaction.atomic
def mandate_grant_by_form(
    *, by: User, site: Site, person: User, scan_file: Any, scope: str = Mandate.Scope.ACCOUNT,
    dossier_reference: str = "", to_site: bool = False,
) -> Mandate:
    """The mediator records the mandate the person signed on paper at the desk; the scan is checked
    like every upload (``scan_check`` hook: format, size, content) and kept with the mandate."""
    _check_mediator(by, site)
    if not _may_give(person) or person.pk == by.pk:
        raise PermissionDenied(_("Ce compte ne peut pas donner de mandat."))
    clean = hooks.call("scan_check", scan_file)  # ValidationError with the reason
    return _create(person=person, by=by, site=site, to_site=to_site, scope=scope,
                   dossier_reference=dossier_reference, channel=Mandate.Channel.SIGNED_FORM, scan=clean)


@transaction.atomic
def mandate_revoke(*, mandate: Mandate, by: User) -> Mandate:
    """The person ends their mandate, at once: the next request of a mediator acting under it ends
    the assisted session. Revoking an ended mandate changes nothing."""
    mandate = (Mandate.objects.select_for_update(of=("self",)).select_related("person", "mediator", "site")
               .get(pk=mandate.pk))
    if by.pk != mandate.person_id:
        raise PermissionDenied(_("Seule la personne qui a donné ce mandat peut le révoquer."))
    now = timezone.now()
    if mandate.revoked_at is not None or mandate.expires_at <= now:
        return mandate
    mandate.revoked_at, mandate.revoked_by = now, by
    mandate.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(actor=by, action="mandate.revoked", obj=mandate, data=_names(mandate, by))
    return mandate


def mandate_session_record(*, mandate: Mandate, by: User, started: bool) -> None:
    """The audit line of an assisted session opened or closed by the mediator."""
    audit_record(actor=by, on_behalf_of=mandate.person, obj=mandate,
                 action="mandate.session_started" if started else "mandate.session_ended",
                 data=_names(mandate, by))


def mandate_action_record(*, mandate: Mandate, by: User, action: str, obj: Any, data: dict | None = None) -> None:
    """The audit line of an action done under a mandate that leaves no other trace (a document
    printed for the person, say): the mediator as actor, the person on whose behalf, both names."""
    audit_record(actor=by, on_behalf_of=mandate.person, action=action, obj=obj,
                 data={**(data or {}), "on_behalf": _names(mandate, by)})
