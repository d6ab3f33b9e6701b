"""Reads about mandates, and the assisted session built on them (docs/accounts.md, ADR 0006).

A mandate is a person's consent to a digital mediator acting on their behalf. It *holds* for a
member of staff, now, when it is neither revoked nor expired, and that person is a verified
mediator (second factor proved in this session) of the mandate's help point and, for a mandate
given to one named mediator, that mediator. ``mandate_holds`` is the one answer; everything else
here asks it.

The assisted session: a mediator opens a person from the list of their mandates; the session then
records "acting for person P under mandate M" (``ASSISTED_SESSION_KEY``). ``AssistedSessionMiddleware``
(accounts/middleware.py) re-checks the mandate on every request and sets ``request.mandate`` (None
outside a session); the applicant pages of the apps above resolve the applicant with
``applicant_for(request)`` while ``request.user``, the actor, stays the mediator.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from accounts.models import Mandate, User
from accounts.permissions import mediator_site_ids

#: The session key of an assisted session: the id of the mandate the mediator acts under.
ASSISTED_SESSION_KEY = "_anef_acting_under_mandate"
#: How other apps name a dossier when something is about one (a booking's or a document's
#: ``subject_type``): a dossier mandate's ``dossier_id`` is the id of such a subject.
DOSSIER_SUBJECT_TYPE = "applications.dossier"


def _in_force(now: datetime) -> Q:
    return Q(revoked_at__isnull=True, created_at__lte=now, expires_at__gt=now)


def mandate_holds(*, mandate: Mandate, by: User | AnonymousUser, now: datetime | None = None) -> bool:
    """Whether ``by`` may act under ``mandate`` now (see the module's docstring)."""
    now = now or timezone.now()
    if mandate.revoked_at is not None or not (mandate.created_at <= now < mandate.expires_at):
        return False
    if not by.is_authenticated or by.pk == mandate.person_id:
        return False
    if mandate.mediator_id is not None and mandate.mediator_id != by.pk:
        return False
    return mandate.site_id in mediator_site_ids(user=by)


def mandates_for_mediator(*, by: User | AnonymousUser) -> QuerySet[Mandate]:
    """The mandates in force that ``by`` may act under now, soonest to expire first: to the
    mediator by name, or to a help point where they are a verified mediator. Empty otherwise."""
    sites = mediator_site_ids(user=by)
    if not sites:
        return Mandate.objects.none()
    return (Mandate.objects.filter(_in_force(timezone.now()), site_id__in=sites)
            .filter(Q(mediator__isnull=True) | Q(mediator_id=by.pk)).exclude(person_id=by.pk)
            .select_related("person", "mediator", "site").order_by("expires_at", "id"))


def mandate_get_for_mediator(*, by: User | AnonymousUser, pk: int) -> Mandate:
    """A mandate ``by`` may act under now; anything else (another site's, revoked, expired,
    unknown) is ``Http404``."""
    mandate = mandates_for_mediator(by=by).filter(pk=pk).first()
    if mandate is None:
        raise Http404
    return mandate


def mandate_covering(*, by: User | AnonymousUser | None, person_id: int, dossier_id: int | None = None
                     ) -> Mandate | None:
    """A mandate in force under which ``by`` may act for this person (and this dossier, when
    given: an account mandate covers all of the person's dossiers, a dossier mandate that one).

    What services ask to record an action as done on someone's behalf. No query for a person who
    is no verified mediator (an agent, the applicant, the portal)."""
    if by is None or not mediator_site_ids(user=by):
        return None
    mandates = mandates_for_mediator(by=by).filter(person_id=person_id)
    if dossier_id is None:
        mandates = mandates.filter(scope=Mandate.Scope.ACCOUNT)
    else:
        mandates = mandates.filter(Q(scope=Mandate.Scope.ACCOUNT) | Q(dossier_id=dossier_id))
    return mandates.first()


def mandates_of_person(*, person: User) -> list[Mandate]:
    """The person's mandates for their "Mandats" page: in force first, then the last ended ones."""
    now = timezone.now()
    rows = list(Mandate.objects.filter(person=person).select_related("mediator", "site")
                .order_by("-created_at", "-id")[:50])
    return sorted(rows, key=lambda m: not (m.revoked_at is None and m.created_at <= now < m.expires_at))


def mandate_in_force(mandate: Mandate) -> bool:
    now = timezone.now()
    return mandate.revoked_at is None and mandate.created_at <= now < mandate.expires_at


def mandate_actor_data(mandate: Mandate, by: User) -> dict[str, object]:
    """What a timeline line or an audit event keeps about an action done under a mandate: both
    names (as they were then) and the help point."""
    return {
        "mandate": mandate.pk, "mediator": by.get_full_name() or str(by), "site": mandate.site.name,
        "site_city": mandate.site.city, "person": mandate.person.get_full_name() or str(mandate.person),
    }


# --- The assisted session ------------------------------------------------------------------------

def applicant_for(request: HttpRequest) -> User:
    """The person whose applicant pages these are: the one a mediator acts for during an assisted
    session, else the signed-in person. Applicant views and getters use it instead of
    ``request.user``; services still get ``by=request.user`` (the actor)."""
    mandate: Mandate | None = getattr(request, "mandate", None)
    if mandate is not None:
        return mandate.person
    return request.user  # type: ignore[return-value]  # login_required guards the views


def assisted_dossier_allowed(request: HttpRequest, dossier_id: int | None) -> bool:
    """During an assisted session under a dossier mandate, only that dossier (and nothing that is
    not a dossier: a new draft, say) is within reach. Always true outside a session."""
    mandate: Mandate | None = getattr(request, "mandate", None)
    if mandate is None or mandate.scope == Mandate.Scope.ACCOUNT:
        return True
    return dossier_id is not None and dossier_id == mandate.dossier_id


def assisted_dossier_check(request: HttpRequest, dossier_id: int | None) -> None:
    """``Http404`` for a dossier outside the assisted session's mandate (see above)."""
    if not assisted_dossier_allowed(request, dossier_id):
        raise Http404


def assisted_subject_allowed(request: HttpRequest, subject_type: str, subject_id: str) -> bool:
    """``assisted_dossier_allowed`` for something about a subject (a booking, a document): under a
    dossier mandate, only what is about that dossier."""
    about_dossier = subject_type == DOSSIER_SUBJECT_TYPE and str(subject_id).isdigit()
    return assisted_dossier_allowed(request, int(subject_id) if about_dossier else None)


def assisted_subject_check(request: HttpRequest, subject_type: str, subject_id: str) -> None:
    if not assisted_subject_allowed(request, subject_type, subject_id):
        raise Http404
