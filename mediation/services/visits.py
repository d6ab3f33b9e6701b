"""Writes of the walk-in log. Each is keyword-only, runs in one transaction, is allowed only to a
verified mediator of the visit's PAN, and writes an ``AuditEvent`` beside the change."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import audit_record
from mediation.access import mediator_site_ids
from mediation.models import MAX_DURATION_MINUTES, Need, Outcome, Visit
from substitution.models import BlockingReport, Channel
from territory.models import Site

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: The fields ``visit_record`` writes, as the audit event's before/after.
RECORDED_FIELDS = ("need", "need_details", "help_given", "outcome", "referred_to", "report_id")


@dataclass(frozen=True)
class Visitor:
    """A visitor without an account, as they introduce themselves at the desk."""

    last_name: str
    first_name: str = ""
    phone: str = ""


def _check_mediator(*, by: User, site: Site) -> None:
    if site.pk not in mediator_site_ids(user=by):
        raise PermissionDenied(_("Seuls les médiateurs numériques de ce point d'accueil tiennent son journal."))


def _is_applicant(person: User) -> bool:
    """Only an applicant's account may be named as a visitor: never a member of staff."""
    return person.is_active and not (person.is_staff or person.is_superuser) and not person.memberships.exists()


@transaction.atomic
def visit_check_in(
    *, by: User, site: Site, need: str, need_details: str = "", person: User | None = None,
    visitor: Visitor | None = None, at: datetime | None = None,
) -> Visit:
    """A mediator receives a visitor at their PAN: an account found by the search, or the name the
    person gives. The visit is in progress until ``visit_end``."""
    _check_mediator(by=by, site=site)
    if site.kind != Site.Kind.PAN:
        raise ValidationError(_("Le journal des visites est tenu dans les points d'accueil numérique."))
    if need not in Need.values:
        raise ValidationError({"need": _("Choisissez le besoin de la personne.")})
    arrived_at = at or timezone.now()
    if arrived_at > timezone.now():
        raise ValidationError(_("Une visite ne commence pas dans le futur."))
    if person is not None:
        if not _is_applicant(person):
            raise ValidationError(_("Ce compte n'est pas celui d'un usager."))
        names = {"first_name": "", "last_name": "", "phone": ""}
    else:
        if visitor is None or not visitor.last_name.strip():
            raise ValidationError({"last_name": _("Indiquez au moins le nom de famille du visiteur.")})
        names = {"first_name": visitor.first_name.strip(), "last_name": visitor.last_name.strip(),
                 "phone": visitor.phone.strip()}
    visit = Visit.objects.create(site=site, mediator=by, arrived_at=arrived_at, person=person,
                                 need=need, need_details=need_details.strip(), **names)
    audit_record(actor=by, action="mediation.visit_checked_in", obj=visit, data={
        "site": site.pk, "with_account": person is not None, "need": need})
    return visit


def _locked(visit: Visit) -> Visit:
    return Visit.objects.select_for_update().select_related("site").get(pk=visit.pk)


@transaction.atomic
def visit_record(
    *, visit: Visit, by: User, need: str, need_details: str = "", help_given: str = "", outcome: str = "",
    referred_to: str = "", report: BlockingReport | None = None,
) -> Visit:
    """What the person needed, the help given and, once known, the outcome. Saved as often as the
    mediator likes while the visit is in progress."""
    visit = _locked(visit)
    _check_mediator(by=by, site=visit.site)
    if visit.ended_at is not None:
        raise ValidationError(_("Cette visite est terminée : elle ne peut plus être modifiée."))
    errors: dict[str, StrOrPromise] = {}
    if need not in Need.values:
        errors["need"] = _("Choisissez le besoin de la personne.")
    if outcome and outcome not in Outcome.values:
        errors["outcome"] = _("Choisissez l'issue de la visite.")
    referred_to = referred_to.strip() if outcome == Outcome.REFERRED else ""
    if outcome == Outcome.REFERRED and not referred_to:
        errors["referred_to"] = _("Indiquez vers quel service ou quelle structure la personne est orientée.")
    if outcome == Outcome.REPORT_OPENED:
        if report is None:
            errors["report"] = _("Choisissez le signalement ouvert pour cette personne (ouvrez-le d'abord).")
        elif report.channel != Channel.PAN or report.site_id != visit.site_id:
            errors["report"] = _("Ce signalement n'a pas été ouvert à ce point d'accueil.")
        elif Visit.objects.filter(report=report).exclude(pk=visit.pk).exists():
            errors["report"] = _("Ce signalement est déjà rattaché à une autre visite.")
    else:
        report = None
    if errors:
        raise ValidationError(errors)
    before = {name: getattr(visit, name) for name in RECORDED_FIELDS}
    visit.need, visit.need_details, visit.help_given = need, need_details.strip(), help_given.strip()
    visit.outcome, visit.referred_to, visit.report = outcome, referred_to, report
    visit.save(update_fields=["need", "need_details", "help_given", "outcome", "referred_to", "report"])
    after = {name: getattr(visit, name) for name in RECORDED_FIELDS}
    audit_record(actor=by, action="mediation.visit_recorded", obj=visit, data={
        "before": {k: v for k, v in before.items() if v != after[k]},
        "after": {k: v for k, v in after.items() if v != before[k]}})
    return visit


@transaction.atomic
def visit_link_person(*, visit: Visit, by: User, person: User) -> Visit:
    """The visitor's account, made at the desk during the visit (or found afterwards), becomes the
    visit's visitor. Only while the visit is in progress and has no account yet: a visit never
    changes from one person to another. The name and phone typed at check-in are dropped, as at a
    check-in with an account (the account holds them); the audit event keeps them."""
    visit = _locked(visit)
    _check_mediator(by=by, site=visit.site)
    if visit.ended_at is not None:
        raise ValidationError(_("Cette visite est terminée : elle ne peut plus être modifiée."))
    if visit.person_id is not None:
        raise ValidationError(_("Cette visite est déjà rattachée au compte d'une personne."))
    if not _is_applicant(person):
        raise ValidationError(_("Ce compte n'est pas celui d'un usager."))
    before = {"first_name": visit.first_name, "last_name": visit.last_name, "phone": visit.phone}
    visit.person, visit.first_name, visit.last_name, visit.phone = person, "", "", ""
    visit.save(update_fields=["person", "first_name", "last_name", "phone"])
    audit_record(actor=by, action="mediation.visit_person_linked", obj=visit, on_behalf_of=person,
                 data={"person": person.pk, "before": before})
    return visit


def duration_from(arrived_at: datetime, ended_at: datetime) -> int:
    """Whole minutes begun between arrival and end, at least one."""
    return max(1, math.ceil((ended_at - arrived_at).total_seconds() / 60))


@transaction.atomic
def visit_end(*, visit: Visit, by: User, duration_minutes: int | None = None, at: datetime | None = None) -> Visit:
    """Ends the visit, once. The duration is the time since arrival, or the minutes the mediator
    enters when logging the visit afterwards; it must lie between 1 minute and 8 hours."""
    visit = _locked(visit)
    _check_mediator(by=by, site=visit.site)
    if visit.ended_at is not None:
        raise ValidationError(_("Cette visite est déjà terminée."))
    if not visit.outcome:
        raise ValidationError({"outcome": _("Indiquez l'issue de la visite et enregistrez-la avant de la terminer.")})
    ended_at = at or timezone.now()
    if ended_at < visit.arrived_at:
        raise ValidationError(_("La fin de la visite ne peut pas précéder l'arrivée."))
    entered = duration_minutes is not None
    minutes = duration_minutes if duration_minutes is not None else duration_from(visit.arrived_at, ended_at)
    if not 0 < minutes <= MAX_DURATION_MINUTES:
        message: StrOrPromise
        if entered:
            message = _("La durée doit être comprise entre 1 et %(max)d minutes.") % {"max": MAX_DURATION_MINUTES}
        else:
            message = _("La visite a commencé il y a plus de 8 heures : indiquez sa durée réelle en minutes.")
        raise ValidationError({"duration_minutes": message})
    visit.ended_at, visit.ended_by, visit.duration_minutes, visit.duration_entered = ended_at, by, minutes, entered
    visit.save(update_fields=["ended_at", "ended_by", "duration_minutes", "duration_entered"])
    audit_record(actor=by, action="mediation.visit_ended", obj=visit, data={
        "outcome": visit.outcome, "duration_minutes": minutes, "duration_entered": entered})
    return visit
