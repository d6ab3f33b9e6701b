"""Writes about notifications: queuing them in the outbox, sending them, reading them in the inbox.

Every message of every app is a row of this outbox, written by ``notify()``, ``notify_contact()`` or
``message_write()`` inside the transaction of the change it reports: a committed change always has
its message (a process that dies right after the commit leaves the row for the sweep), and a
rolled-back one tells nobody anything. The e-mails and SMS leave from a worker
(notifications.delivery), queued after the commit by id.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.shortcuts import resolve_url
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.text import Truncator

from accounts.models import User
from accounts.services import audit_record
from core.bulk import BulkInsert
from core.tasks import enqueue
from notifications.letters import LetterRoute, letter_route_for_contact, letter_route_for_user
from notifications.models import (
    DISPATCHED_CHANNELS,
    SECRET_PLACEHOLDER,
    SUBJECT_MAX_LENGTH,
    Channel,
    Notification,
    Status,
)

logger = logging.getLogger(__name__)

SMS_MAX_LENGTH = 160
GENERIC_TEMPLATE = "generic"


def notify(
    *, recipient: User, event: str, obj: models.Model, context: dict[str, Any] | None = None,
    template: str | None = None,
) -> list[Notification]:
    """Tells ``recipient`` that ``event`` happened to ``obj``, on every channel the person chose.

    Subject and body come from ``templates/notifications/<name>_subject.txt`` and ``<name>.txt``,
    where ``<name>`` is ``template`` or the event with dots as underscores ("dossier.submitted" ->
    "dossier_submitted"); without them, the generic message. They are rendered in the person's
    language with ``recipient``, ``site_url``, ``url`` (the person's space; pass your own to link
    to the object) and ``context``.

    One notification per (recipient, event, object, channel): calling this again for the same event
    and object sends nothing more. An event that can rightly happen twice to the same object must
    name the thing that differs as ``obj`` (the complement request, not the dossier).

    Returns the rows this call created (none when they all existed already).
    """
    subject, body, url = _render(recipient=recipient, event=event, context=context, template=template)
    key = {
        "recipient": recipient, "event": event,
        "object_type": obj._meta.label_lower, "object_id": str(obj.pk),
    }
    existing = set(Notification.objects.filter(**key).values_list("channel", flat=True))
    rows = _rows(key=key, subject=subject, body=body, url=url, channels=channels_for(recipient), existing=existing)
    if not rows:
        return []
    # ignore_conflicts: a concurrent call may have inserted the same rows since the read above.
    # It leaves the pks unset on most databases, so the rows are read back by their unique key.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        Notification.objects.filter(**key, channel__in=[row.channel for row in rows]).order_by("id")
    )
    _dispatch(created)
    return created


@dataclass(frozen=True)
class Message:
    """One person to tell, for ``notify_many``: what ``notify`` takes for one."""

    recipient: User
    obj: models.Model
    context: dict[str, Any] | None = None


def notify_many(*, event: str, messages: list[Message], template: str | None = None) -> list[Notification]:
    """``notify`` for many people at once (a batch job): the same rows, each rendered for its
    person, the same key (calling it again sends nothing more), in one statement whatever their
    number: ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (core.bulk), whose conflicts are the rows
    that existed already (the outbox's unique key), and whose returned rows are the ones created.
    The objects are of one model. PostgreSQL only (``notify`` serves one person anywhere)."""
    if not messages:
        return []
    object_type = messages[0].obj._meta.label_lower
    if any(message.obj._meta.label_lower != object_type for message in messages):
        raise ValueError("notify_many takes objects of one model.")
    rows: list[Notification] = []
    rendered = _render_many(recipients=[message.recipient for message in messages], event=event,
                            contexts=[message.context for message in messages], template=template)
    for message, (subject, body, url) in zip(messages, rendered, strict=True):
        key = {"recipient": message.recipient, "event": event, "object_type": object_type,
               "object_id": str(message.obj.pk)}
        rows += _rows(key=key, subject=subject, body=body, url=url, channels=channels_for(message.recipient),
                      existing=set())
    if not rows:
        return []
    written = {(recipient_id, object_id, channel): pk for pk, recipient_id, object_id, channel in _OUTBOX(
        varying=[[getattr(row, name) for row in rows] for name in _OUTBOX.varying],
        shared=[event, object_type])}
    created = []
    for row in rows:
        row.pk = written.get((row.recipient_id, row.object_id, row.channel))
        if row.pk is not None:  # else it existed already: not created, not sent again
            row._state.adding, row._state.db = False, connection.alias
            created.append(row)
    _dispatch(created)
    return created


#: ``notify_many``'s rows: what ``_rows`` sets, the other columns their defaults.
_OUTBOX = BulkInsert(
    Notification,
    varying=("recipient_id", "object_id", "channel", "subject", "body", "status", "sent_at", "created_at",
             "letter_prefecture_id", "letter_site_id"),
    shared=("event", "object_type"),
    returning=("id", "recipient_id", "object_id", "channel"), ignore_conflicts=True)


def _rows(*, key: dict[str, Any], subject: str, body: str, url: str, channels: list[str],
          existing: set[str]) -> list[Notification]:
    now = timezone.now()
    missing = [channel for channel in channels if channel not in existing]
    # A letter waits for its printing desk (notifications.letters): decided now, stored on the row.
    route = letter_route_for_user(user=key["recipient"]) if Channel.LETTER in missing else LetterRoute()
    return [
        Notification(
            **key, channel=channel, subject=subject,
            body=_sms_text(subject, url) if channel == Channel.SMS else body,
            # The inbox row is delivered by being written; letters stay pending until printed.
            status=Status.SENT if channel == Channel.INBOX else Status.PENDING,
            sent_at=now if channel == Channel.INBOX else None,
            created_at=now,
            **(_route_fields(route) if channel == Channel.LETTER else {}),
        )
        for channel in missing
    ]


def _dispatch(created: list[Notification]) -> None:
    for notification in created:
        if notification.channel in DISPATCHED_CHANNELS:
            # If a concurrent call won the race for this row, both queue it: harmless, since
            # the delivery's claim takes the row once (notifications.delivery).
            enqueue("notifications.tasks.send_notification", notification.pk)


@dataclass(frozen=True)
class Contact:
    """How to reach a person who has no account: at least an e-mail, a phone or a postal address
    (several lines)."""

    name: str = ""
    email: str = ""
    phone: str = ""
    postal_address: str = ""
    language: str = "fr"

    def get_short_name(self) -> str:  # what the templates greet, as for an account
        return self.name


def notify_contact(
    *, contact: Contact, event: str, obj: models.Model, template: str, context: dict[str, Any] | None = None,
    url: str = "",
) -> list[Notification]:
    """``notify`` for a person without an account: the same outbox, rows with the contact details
    instead of a recipient, channels from ``contact_channels``, rendered in ``contact.language``.

    ``template`` must exist (no generic message: it speaks of a personal space they do not have).
    The templates get ``recipient`` (the contact, for the greeting) and ``contact``; ``url`` is the
    link of the SMS, and may be empty. Never pass a secret link (a report's follow link): the row,
    and the task's message, would keep it; say "use the link you were given" instead.

    One row per (event, object, channel) among contact rows: ``obj`` names the person (their
    report, or the event of their report that differs), so calling this again sends nothing more.
    """
    chosen = contact_channels(contact)
    if not chosen:
        raise ValueError("A contact without e-mail, phone or postal address cannot be reached.")
    with translation.override(contact.language or settings.LANGUAGE_CODE):
        ctx = {"recipient": contact, "contact": contact, "site_url": settings.SITE_URL, "url": url,
               **(context or {})}
        subject_template, body_template = _templates(template, fallback=False)
        subject = Truncator(" ".join(subject_template.render(ctx).split())).chars(SUBJECT_MAX_LENGTH)
        body = body_template.render(ctx).strip() + "\n"
    key = {"recipient": None, "event": event, "object_type": obj._meta.label_lower, "object_id": str(obj.pk)}
    existing = set(Notification.objects.filter(**key).values_list("channel", flat=True))
    now = timezone.now()
    missing = [channel for channel in chosen if channel not in existing]
    route = letter_route_for_contact(contact=contact) if Channel.LETTER in missing else LetterRoute()
    rows = [
        Notification(
            **key, channel=channel, subject=subject,
            body=_sms_text(subject, url) if channel == Channel.SMS else body,
            contact_name=contact.name[:200], contact_email=contact.email, contact_phone=contact.phone,
            contact_postal_address=contact.postal_address, status=Status.PENDING, created_at=now,
            **(_route_fields(route) if channel == Channel.LETTER else {}),
        )
        for channel in missing
    ]
    if not rows:
        return []
    # As in notify: a concurrent call may have written the same rows; the partial unique key
    # (notification_contact_unique_per_channel) keeps one, and they are read back by that key.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(Notification.objects.filter(**key, channel__in=[row.channel for row in rows]).order_by("id"))
    for notification in created:
        if notification.channel in DISPATCHED_CHANNELS:
            enqueue("notifications.tasks.send_notification", notification.pk)
    return created


def contact_channels(contact: Contact) -> list[str]:
    """The channels a message to a person without an account goes by, as ``channels_for`` does
    for an account without a personal space: e-mail if they gave one, SMS if they gave a phone,
    and a letter (pending, to be printed) only when neither."""
    chosen: list[str] = []
    if contact.email:
        chosen.append(Channel.EMAIL)
    if contact.phone:
        chosen.append(Channel.SMS)
    if not chosen and contact.postal_address.strip():
        chosen.append(Channel.LETTER)
    return chosen


def channels_for(recipient: User) -> list[str]:
    """The channels a message to ``recipient`` goes by: the one rule, used by ``notify``.

    Always the inbox of the person's space. With an e-mail address: the channels the person chose
    in their profile (e-mail; SMS if they have a phone; letters). Without one (an account made at a
    help point), never e-mail, and whatever they chose, a way that reaches them outside the portal:
    SMS when they have a mobile phone, otherwise a letter (it waits in the outbox to be printed);
    a letter too when they asked for letters.
    """
    chosen: list[str] = [Channel.INBOX]
    if recipient.email:
        if recipient.notify_by_email:
            chosen.append(Channel.EMAIL)
        if recipient.notify_by_sms and recipient.phone:
            chosen.append(Channel.SMS)
        if recipient.notify_by_post:
            chosen.append(Channel.LETTER)
        return chosen
    if recipient.phone:
        chosen.append(Channel.SMS)
    if not recipient.phone or recipient.notify_by_post:
        chosen.append(Channel.LETTER)
    return chosen


def _route_fields(route: LetterRoute) -> dict[str, int | None]:
    return {"letter_prefecture_id": route.prefecture_id, "letter_site_id": route.site_id}


def _render(
    *, recipient: User, event: str, context: dict[str, Any] | None, template: str | None,
) -> tuple[str, str, str]:
    with translation.override(recipient.preferred_language):
        ctx = {
            "recipient": recipient,
            "site_url": settings.SITE_URL,
            "url": settings.SITE_URL + resolve_url(settings.LOGIN_REDIRECT_URL),
            **(context or {}),
        }
        subject_template, body_template = _templates(template or event.replace(".", "_"),
                                                     fallback=template is None)
        # A subject is one line (a newline in a mail header is refused), and fits its column.
        subject = " ".join(subject_template.render(ctx).split())
        subject = Truncator(subject).chars(SUBJECT_MAX_LENGTH)
        body = body_template.render(ctx).strip() + "\n"
    return subject, body, ctx["url"]


def _render_many(
    *, recipients: list[User], event: str, contexts: list[dict[str, Any] | None], template: str | None,
) -> list[tuple[str, str, str]]:
    """``_render`` for many people, the same texts: the templates looked up once, and the people
    taken a language at a time (one activation per language, not one per person: in the nightly
    certificate sweep, activating the language and finding the templates cost as much as rendering)."""
    subject_template, body_template = _templates(template or event.replace(".", "_"), fallback=template is None)
    results: list[tuple[str, str, str]] = [("", "", "")] * len(recipients)
    by_language: dict[str, list[int]] = {}
    for index, recipient in enumerate(recipients):
        by_language.setdefault(recipient.preferred_language, []).append(index)
    for language, indexes in by_language.items():
        with translation.override(language):
            base = {"site_url": settings.SITE_URL,
                    "url": settings.SITE_URL + resolve_url(settings.LOGIN_REDIRECT_URL)}
            for index in indexes:
                ctx = {"recipient": recipients[index], **base, **(contexts[index] or {})}
                subject = Truncator(" ".join(subject_template.render(ctx).split())).chars(SUBJECT_MAX_LENGTH)
                results[index] = (subject, body_template.render(ctx).strip() + "\n", ctx["url"])
    return results


def _templates(name: str, *, fallback: bool):
    try:
        return (get_template(f"notifications/{name}_subject.txt"),
                get_template(f"notifications/{name}.txt"))
    except TemplateDoesNotExist:
        if not fallback:
            raise  # a template named explicitly by the caller must exist: that is a bug to see
        return (get_template(f"notifications/{GENERIC_TEMPLATE}_subject.txt"),
                get_template(f"notifications/{GENERIC_TEMPLATE}.txt"))


def _sms_text(subject: str, url: str) -> str:
    """The subject and the link, in one SMS (160 characters): the subject is shortened if needed."""
    if not url:
        return Truncator(subject).chars(SMS_MAX_LENGTH)
    room = SMS_MAX_LENGTH - len(url) - 1
    if room <= 0:
        return Truncator(subject).chars(SMS_MAX_LENGTH)
    return f"{Truncator(subject).chars(room)} {url}"


# --- Account messages -------------------------------------------------------------------------

def message_write(
    *, recipient: User, channel: str, event: str, subject: str, body: str, derive: str = "",
) -> Notification:
    """Writes one e-mail or SMS the person asked for (an account message: a reset or activation
    link, an SMS code, "you already have an account") to the outbox, in the caller's transaction,
    outside ``notify``'s choice of channels. Registered as the ``message_send`` hook of accounts.

    ``derive`` (a ``Secret``): ``body`` holds ``SECRET_PLACEHOLDER`` where the token or code goes,
    derived again when the message leaves (notifications.secrets). Each call is its own message (a
    second reset request is a second e-mail): its object is the request, a random id.
    """
    if channel not in DISPATCHED_CHANNELS:
        raise ValueError(f"An account message goes by e-mail or SMS, not {channel!r}.")
    if derive and SECRET_PLACEHOLDER not in body:
        raise ValueError("A message with a secret must hold its placeholder.")
    notification = Notification.objects.create(
        recipient=recipient, event=event, object_type="accounts.request", object_id=uuid.uuid4().hex,
        channel=channel, subject=Truncator(" ".join(subject.split())).chars(SUBJECT_MAX_LENGTH), body=body,
        secret=derive,
    )
    enqueue("notifications.tasks.send_notification", notification.pk)
    return notification


def notifications_retry(*, ids: list[int], by: User) -> int:
    """An administrator sends failed e-mails and SMS again: each gets its attempts back and is
    queued at once (a row that is not failed is left as it is). Returns how many were."""
    with transaction.atomic():
        retried = list(
            Notification.objects.select_for_update().filter(pk__in=ids, status=Status.FAILED,
                                                            channel__in=sorted(DISPATCHED_CHANNELS))
            .values_list("id", flat=True)
        )
        Notification.objects.filter(pk__in=retried).update(
            status=Status.PENDING, attempts=0, next_attempt_at=None, claimed_at=None)
        for pk in retried:
            audit_record(actor=by, action="notification.retried", obj=Notification(pk=pk))
        if retried:
            enqueue("notifications.tasks.send_notification_many", retried)
    return len(retried)


# --- Inbox --------------------------------------------------------------------------------------

def inbox_mark_read(*, notification: Notification, user: User) -> Notification:
    """Marks one of the person's inbox messages read; reading it again changes nothing."""
    if notification.recipient_id != user.pk or notification.channel != Channel.INBOX:
        raise PermissionDenied
    if notification.read_at is None:
        now = timezone.now()
        # A conditional update: two tabs opening the message keep the first reading time.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification
