"""The renewal reminder sweep (DESIGN §9; the schedule is applications/reminders.py, the design
docs/reminders.md and docs/adr/0009-renewal-reminders.md).

For each milestone, the permits whose ``valid_until`` puts them on it today (or on a day missed
within ``CATCH_UP_DAYS``) are read in keyset batches of ``(valid_until, id)`` through
``permit_expiry_keyset_idx``, leaving out those replaced, those with a renewal filed and those
already reminded of that milestone. Per batch, in one transaction:

1. claim: one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` into ``RenewalReminder`` (unique per
   permit and milestone). A second sweep running at the same time waits on the first one's rows
   and gets none of them back: only the claimer writes the messages;
2. one outbox row per claimed permit and channel (``channels_for``), bodies rendered once per
   language and milestone with the person's name and dates put in, written with one
   ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`` (the outbox's own unique key is the
   second guard);
3. after commit, the e-mails and SMS are handed to ``notifications.tasks.send_notification``
   through one fan-out task per chunk of ids.

A crash between batches loses nothing: a committed batch is claimed and its rows are in the outbox;
an uncommitted one is read again by the next run. The e-mails and SMS of the reminders written in
the last days that are still pending are queued again at the end of each run (a worker killed with
messages in hand), which ``send_notification`` makes harmless for rows already sent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Exists, OuterRef
from django.db.models.expressions import RawSQL
from django.shortcuts import resolve_url
from django.template.loader import get_template
from django.utils import formats, timezone, translation
from django.utils.text import Truncator

from accounts.models import AccountOrigin, User
from applications.models import Dossier, Permit, RenewalReminder
from applications.reminders import (
    CATCH_UP_DAYS,
    EVENTS,
    FILED_STATUSES,
    RENEWING_FAMILIES,
    DueRange,
    Milestone,
    due_ranges,
)
from applications.rules import renewal_window
from core.tasks import task_by_name
from notifications.letters import LetterRoute, letter_route_for_user
from notifications.models import DISPATCHED_CHANNELS, SUBJECT_MAX_LENGTH, Channel, Notification
from notifications.models import Status as NotificationStatus
from notifications.services import SMS_MAX_LENGTH, channels_for

BATCH_SIZE = 2000
#: Ids per fan-out task (applications.tasks.deliver_renewal_reminders).
DELIVERY_CHUNK = 500
PERMIT_OBJECT_TYPE = Permit._meta.label_lower

# Placeholders put in the rendered templates, replaced per person (not characters a text uses).
_NAME, _EXPIRY, _CLOSES = "\u27e6name\u27e7", "\u27e6expiry\u27e7", "\u27e6closes\u27e7"

_HOLDER_FIELDS = ("holder_id", "holder__email", "holder__phone", "holder__first_name", "holder__login_id",
                  "holder__notify_by_email", "holder__notify_by_sms", "holder__notify_by_post",
                  "holder__preferred_language", "holder__origin", "holder__department_id", "holder__postal_code")


def renewal_filed() -> Exists:
    """Whether the permit (``OuterRef("pk")``) has a renewal filed: the reminders stop."""
    return Exists(Dossier.objects.filter(renewed_permit=OuterRef("pk"), family__in=RENEWING_FAMILIES,
                                         status__in=list(FILED_STATUSES)))


def due_permits(*, due: DueRange) -> Any:
    """The permits due for ``due.milestone`` and not yet reminded of it, in keyset order."""
    return (
        Permit.objects.filter(valid_until__gte=due.first, valid_until__lte=due.last, replaced_by__isnull=True)
        .exclude(renewal_filed())
        .exclude(Exists(RenewalReminder.objects.filter(permit=OuterRef("pk"), milestone=due.milestone.key)))
        .order_by("valid_until", "id")
    )


def renewal_reminders_sweep(*, today: date, batch_size: int = BATCH_SIZE) -> int:
    """Writes today's renewal reminders (``today`` is a Paris date); returns how many permits were
    reminded. Safe to run again, or twice at once: each (permit, milestone) is written once."""
    renderer = _Renderer()
    started = timezone.now()
    written = 0
    for due in due_ranges(today):
        after: tuple[date, int] | None = None
        while True:
            count, after = _sweep_batch(due=due, today=today, after=after, batch_size=batch_size,
                                        renderer=renderer)
            written += count
            if after is None:
                break
    reminders_requeue_pending(today=today, written_before=started)
    return written


@transaction.atomic
def _sweep_batch(
    *, due: DueRange, today: date, after: tuple[date, int] | None, batch_size: int, renderer: _Renderer,
) -> tuple[int, tuple[date, int] | None]:
    permits = due_permits(due=due)
    if after is not None:
        # A row comparison, which PostgreSQL uses as the index scan's start (the ORM's OR form
        # becomes a BitmapOr and a sort: 117 ms instead of 27 ms a batch at 1,000,000 permits).
        permits = permits.filter(RawSQL("(applications_permit.valid_until, applications_permit.id) > (%s, %s)",
                                        after, output_field=BooleanField()))
    rows = list(permits.values("id", "valid_until", *_HOLDER_FIELDS)[:batch_size])
    if not rows:
        return 0, None
    last = (rows[-1]["valid_until"], rows[-1]["id"])
    claimed = _claim(milestone=due.milestone, rows=rows, today=today)
    outbox = [n for row in rows if row["id"] in claimed for n in _outbox_rows(due.milestone, row, renderer)]
    written = _outbox_insert(outbox)
    _queue_delivery(sorted(pk for pk, channel in written if channel in DISPATCHED_CHANNELS))
    return len(claimed), (last if len(rows) == batch_size else None)


def _claim(*, milestone: Milestone, rows: list[dict], today: date) -> set[int]:
    """Inserts the (permit, milestone) claims; returns the permits this transaction claimed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO applications_renewalreminder (permit_id, milestone, due_on, written_on, created_at)"
            " SELECT t.permit_id, %s, t.valid_until - %s, %s, %s"
            " FROM unnest(%s::bigint[], %s::date[]) AS t(permit_id, valid_until)"
            " ON CONFLICT (permit_id, milestone) DO NOTHING RETURNING permit_id",
            [milestone.key, milestone.days_before, today, timezone.now(),
             [row["id"] for row in rows], [row["valid_until"] for row in rows]],
        )
        return {pk for (pk,) in cursor.fetchall()}


def _holder(row: dict) -> User:
    return User(
        id=row["holder_id"], email=row["holder__email"], phone=row["holder__phone"],
        first_name=row["holder__first_name"], login_id=row["holder__login_id"],
        notify_by_email=row["holder__notify_by_email"], notify_by_sms=row["holder__notify_by_sms"],
        notify_by_post=row["holder__notify_by_post"], preferred_language=row["holder__preferred_language"],
        origin=row["holder__origin"], department_id=row["holder__department_id"],
        postal_code=row["holder__postal_code"],
    )


def _outbox_rows(milestone: Milestone, row: dict, renderer: _Renderer) -> list[dict[str, Any]]:
    """The outbox rows of one claimed permit, one per channel (as ``notify`` writes them), as the
    column values that differ from the field defaults."""
    holder = _holder(row)
    language = holder.preferred_language or settings.LANGUAGE_CODE
    subject, body, sms = renderer.render(language, milestone)
    expiry = renderer.date(language, row["valid_until"])
    closes = renderer.date(language, renewal_window(row["valid_until"]).closes)

    def personal(text: str) -> str:
        if "\u27e6" not in text:
            return text
        return text.replace(_NAME, holder.get_short_name()).replace(_EXPIRY, expiry).replace(_CLOSES, closes)

    # The subjects name no one today; a translation that adds a date there still gets it filled in.
    subject, body, sms = personal(subject), personal(body), personal(sms)
    now = timezone.now()
    result = []
    for channel in channels_for(holder):
        route = renderer.letter_route(holder) if channel == Channel.LETTER else LetterRoute()
        inbox = channel == Channel.INBOX
        result.append({
            "recipient_id": holder.pk, "event": milestone.event, "object_type": PERMIT_OBJECT_TYPE,
            "object_id": str(row["id"]), "channel": str(channel), "subject": subject,
            "body": sms if channel == Channel.SMS else body,
            # As notify(): the inbox row is delivered by being written; letters wait to be printed.
            "status": str(NotificationStatus.SENT if inbox else NotificationStatus.PENDING),
            "sent_at": now if inbox else None, "created_at": now,
            "letter_prefecture_id": route.prefecture_id, "letter_site_id": route.site_id,
        })
    return result


def _outbox_insert(rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Writes outbox rows in one statement, ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING
    RETURNING id, channel`` (``bulk_create`` took three quarters of the sweep's time building and
    binding one parameter per cell, then a second query to read the ids back). Every other column
    of ``Notification`` gets its field's default, so a field added to the model with a default
    needs no change here."""
    if not rows:
        return []
    meta = Notification._meta
    given = list(rows[0])
    fields = {f.attname: f for f in meta.concrete_fields}
    defaults = [f for f in meta.concrete_fields if not f.primary_key and f.attname not in given]
    columns = [str(fields[name].column) for name in given] + [str(f.column) for f in defaults]
    arrays = [f"%s::{fields[name].db_type(connection)}[]" for name in given]
    sql = (
        f"INSERT INTO {meta.db_table} ({', '.join(columns)})"  # noqa: S608 (names from the model)
        f" SELECT v.*{', %s' * len(defaults)} FROM unnest({', '.join(arrays)}) AS v"
        f" ON CONFLICT DO NOTHING RETURNING id, channel"
    )
    # In the order of the placeholders in the text: the defaults (SELECT list), then the arrays.
    params = [f.get_db_prep_save(f.get_default(), connection) for f in defaults]
    params += [[row[name] for row in rows] for name in given]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


class _Placeholder:
    def get_short_name(self) -> str:
        return _NAME


class _Renderer:
    """Subject, body and SMS per (language, milestone), rendered once per sweep; dates per language;
    letter routes per department and postcode."""

    def __init__(self) -> None:
        self._routes: dict[tuple[int | None, str], LetterRoute] = {}
        self._messages: dict[tuple[str, str], tuple[str, str, str]] = {}
        self._dates: dict[tuple[str, date], str] = {}
        self.url = settings.SITE_URL + resolve_url(settings.LOGIN_REDIRECT_URL)

    def render(self, language: str, milestone: Milestone) -> tuple[str, str, str]:
        key = (language, milestone.key)
        if key not in self._messages:
            with translation.override(language):
                ctx = {"recipient": _Placeholder(), "site_url": settings.SITE_URL, "url": self.url,
                       "expiry": _EXPIRY, "closes": _CLOSES, "late_fee": settings.LATE_RENEWAL_FEE_EUR}
                subject = " ".join(get_template(f"notifications/{milestone.template}_subject.txt")
                                   .render(ctx).split())
                subject = Truncator(subject).chars(SUBJECT_MAX_LENGTH)
                body = get_template(f"notifications/{milestone.template}.txt").render(ctx).strip() + "\n"
            room = SMS_MAX_LENGTH - len(self.url) - 1
            self._messages[key] = (subject, body, f"{Truncator(subject).chars(room)} {self.url}")
        return self._messages[key]

    def letter_route(self, holder: User) -> LetterRoute:
        """``letter_route_for_user``, remembered per (department, postcode) for an account the
        person made themselves (the rule then depends on nothing else); asked for each assisted one."""
        if holder.origin == AccountOrigin.ASSISTED:
            return letter_route_for_user(user=holder)
        key = (holder.department_id, holder.postal_code)
        if key not in self._routes:
            self._routes[key] = letter_route_for_user(user=holder)
        return self._routes[key]

    def date(self, language: str, day: date) -> str:
        key = (language, day)
        if key not in self._dates:
            with translation.override(language):
                self._dates[key] = formats.date_format(day, "j F Y")
        return self._dates[key]


def _queue_delivery(ids: list[int]) -> None:
    """Queues the delivery of ``ids`` in chunks once the transaction commits, as ``enqueue`` does,
    but robustly: a broker away (Redis restarting) must not fail the sweep after its batch is
    committed; the rows stay pending and the next run (or the outbox's retry sweep) queues them."""
    task = task_by_name("applications.tasks.deliver_renewal_reminders")
    for start in range(0, len(ids), DELIVERY_CHUNK):
        chunk = ids[start:start + DELIVERY_CHUNK]

        # A function, not a partial: a robust callback that fails is logged by its __qualname__.
        def queue_chunk(chunk: list[int] = chunk) -> None:
            task.delay(chunk)

        transaction.on_commit(queue_chunk, robust=True)


def reminders_requeue_pending(*, today: date, written_before: datetime) -> int:
    """Queues again the e-mails and SMS of recent reminders still pending (their task was lost
    with a killed worker, or is waiting for a retry): ``send_notification`` sends each row once.
    Rows written by the current run (after ``written_before``) were just queued: left alone."""
    since = timezone.make_aware(datetime.combine(today - timedelta(days=CATCH_UP_DAYS), datetime.min.time()))
    ids = list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING, created_at__gte=since, created_at__lt=written_before,
            event__in=EVENTS,
            channel__in=sorted(DISPATCHED_CHANNELS), attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
        ).order_by("id").values_list("id", flat=True)
    )
    with transaction.atomic():
        _queue_delivery(ids)
    return len(ids)
