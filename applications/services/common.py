from __future__ import annotations

from typing import Any

from accounts.mandates import mandate_actor_data, mandate_covering
from accounts.models import User
from accounts.services import audit_record
from applications.models import Dossier, DossierEvent


def event_record(
    *, dossier: Dossier, kind: str, by: User | None, data: dict[str, Any] | None = None,
    from_status: str = "", to_status: str = "", on_behalf_of: User | None = None,
) -> DossierEvent:
    """A timeline line and its audit twin, in the caller's transaction.

    An action by a mediator under the applicant's mandate is recorded as done on their behalf
    (``on_behalf_of``, and both names and the help point in ``data``): the one place that decides
    it, so that no caller can forget it (docs/accounts.md, "Acting on someone's behalf")."""
    if on_behalf_of is None and by is not None and by.pk != dossier.applicant_id:
        mandate = mandate_covering(by=by, person_id=dossier.applicant_id, dossier_id=dossier.pk)
        if mandate is not None:
            on_behalf_of = mandate.person
            data = {**(data or {}), "on_behalf": mandate_actor_data(mandate, by)}
    event = DossierEvent.objects.create(
        dossier=dossier, kind=kind, actor=by, on_behalf_of=on_behalf_of, data=data or {},
        from_status=from_status, to_status=to_status,
    )
    audit_record(actor=by, on_behalf_of=on_behalf_of, action=f"dossier.{kind}", obj=dossier,
                 data={"from": from_status, "to": to_status, **(data or {})})
    return event


def dossier_lock(dossier: Dossier) -> Dossier:
    """Re-reads the dossier under a row lock: concurrent actions on one dossier run one at a time.

    Only the dossier's row (``of=("self",)``): without it PostgreSQL also locks the joined procedure
    and applicant rows, and every filing of one procedure in the country waited for the previous one.
    """
    return (Dossier.objects.select_for_update(of=("self",)).select_related("procedure", "applicant")
            .get(pk=dossier.pk))


def notify_applicant(
    *, dossier: Dossier, event: str, about: DossierEvent, context: dict[str, Any] | None = None
) -> None:
    """Tells the applicant, in their language, by every channel they chose (sent after commit).

    ``about`` is the timeline line: the outbox sends once per (person, event, object, channel), so
    each change is its own object and a second status change is not mistaken for a retry.
    """
    from django.conf import settings
    from django.urls import reverse

    from notifications.services import notify

    url = settings.SITE_URL + reverse("applications:dossier", args=[dossier.pk])
    notify(recipient=dossier.applicant, event=event, obj=about,
           context={"dossier": dossier, "url": url, **(context or {})})


def dossier_refresh_priority(dossier: Dossier, today=None) -> None:
    """Stores the dossier's queue priority (applications/clock.py) after a change."""
    from django.utils import timezone

    from applications.clock import priority_for

    dossier.priority, dossier.priority_date = priority_for(dossier, today or timezone.localdate())
    Dossier.objects.filter(pk=dossier.pk).update(priority=dossier.priority, priority_date=dossier.priority_date)
