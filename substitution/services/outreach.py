"""Telling the person a report is about, whether or not they have an account.

With an account: ``notifications.services.notify``, every channel they chose, with a link to the
report in their space. Without one: ``notify_contact`` with the contact details of the report
(e-mail, SMS, else a letter), in the language they chose. Their follow link is a secret that only
they hold (only its hash is stored): it is never put in a message, which would keep it in the
outbox and the broker; the templates tell them to use the link they were given, or their reference.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from notifications.models import Notification
from notifications.services import Contact as OutboxContact
from notifications.services import notify, notify_contact
from substitution.models import BlockingReport


def report_contact(*, report: BlockingReport) -> OutboxContact:
    """The report's contact details as the outbox takes them (postal address on several lines)."""
    postal = ""
    if report.has_postal_address:
        postal = "\n".join(line for line in (report.person_name, report.address,
                                             f"{report.postal_code} {report.city}") if line)
    return OutboxContact(name=report.first_name or report.person_name, email=report.email, phone=report.phone,
                         postal_address=postal, language=report.language)


def report_notify(
    *, report: BlockingReport, event: str, obj: models.Model, template: str,
    context: dict[str, Any] | None = None, link: str = "",
) -> list[Notification]:
    """One message about ``report`` to its person, inside the caller's transaction (the outbox
    sends after commit). ``link`` is a public page for the SMS of a person without an account (the
    page to try again, say); an account holder's messages link to the report in their space."""
    context = {"report": report, **(context or {})}
    if report.person is not None:
        url = settings.SITE_URL + reverse("substitution:mine_detail", args=[report.reference])
        return notify(recipient=report.person, event=event, obj=obj, template=template,
                      context={**context, "url": url})
    return notify_contact(contact=report_contact(report=report), event=event, obj=obj, template=template,
                          context=context, url=link)
