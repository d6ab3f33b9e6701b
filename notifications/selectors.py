"""Reads about notifications: the person's inbox, and the outbox rows a worker should retry."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet, Window
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from core.prepared import PreparedQuery
from notifications.models import DISPATCHED_CHANNELS, Channel, Notification, Status


def inbox_for_user(*, user: User) -> QuerySet[Notification]:
    """The person's inbox messages, newest first (no related object is read: no N+1)."""
    return _inbox_of(user_id=user.pk)


def letters_sent_to_user(*, user: User) -> QuerySet[Notification]:
    """"Courriers envoyés par la poste": the person's own letters once printed, newest first."""
    return Notification.objects.filter(recipient=user, channel=Channel.LETTER, status=Status.SENT).order_by(
        "-sent_at", "-id"
    )


def inbox_unread_count(*, user: User) -> int:
    return inbox_for_user(user=user).filter(read_at__isnull=True).count()


def inbox_counts(*, user: User) -> tuple[int, int]:
    """The person's inbox messages and the unread ones among them, (total, unread): one query,
    its SQL built once per process (``core.prepared``): the inbox shows both (issue 14)."""
    rows = _INBOX_COUNTS(user_id=user.pk)
    return (rows[0][1], rows[0][2]) if rows else (0, 0)


#: Messages per page of the inbox.
INBOX_PAGE_SIZE = 20


def inbox_first_page(*, user: User) -> list[Notification]:
    """The first ``INBOX_PAGE_SIZE`` messages of ``inbox_for_user``: the inbox's first page, which
    is most visits, by SQL built once per process (``core.prepared``)."""
    return _INBOX_FIRST_PAGE(user_id=user.pk)


def _inbox_of(*, user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user_id, channel=Channel.INBOX).order_by("-created_at", "-id")


_INBOX_COUNTS = PreparedQuery(
    lambda user_id: Notification.objects.filter(recipient_id=user_id, channel=Channel.INBOX).order_by()
    .values_list("recipient_id").annotate(total=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True))),
    user_id=int,
)
_INBOX_FIRST_PAGE = PreparedQuery(lambda user_id: _inbox_of(user_id=user_id)[:INBOX_PAGE_SIZE], user_id=int)


def inbox_first_page_counted(*, user: User) -> tuple[list[Notification], int, int]:
    """``inbox_first_page`` and ``inbox_counts`` in one query, (messages, total, unread), of each
    message only what its row shows (``INBOX_ROW_FIELDS``): each row carries the counts of all the
    person's inbox messages (window aggregates, counted before the page's limit); no row, no
    message. The inbox's first page, most visits, reads both (issue 17)."""
    rows = _INBOX_FIRST_PAGE_COUNTED(user_id=user.pk)
    return (rows, rows[0].inbox_total, rows[0].inbox_unread) if rows else (rows, 0, 0)


#: What the inbox's rows show of a message (``presenters.inbox_rows_html``): a field read beyond
#: these costs a query per message.
INBOX_ROW_FIELDS = ("subject", "read_at", "created_at")

_INBOX_FIRST_PAGE_COUNTED = PreparedQuery(
    lambda user_id: _inbox_of(user_id=user_id).only(*INBOX_ROW_FIELDS).annotate(
        inbox_total=Window(Count("id")), inbox_unread=Window(Count("id", filter=Q(read_at__isnull=True))),
    )[:INBOX_PAGE_SIZE],
    user_id=int,
)


def notification_get_for_user(*, user: User, pk: int) -> Notification:
    """The only way a view reaches a message: one of the person's own inbox messages, else 404."""
    return get_object_or_404(Notification, pk=pk, recipient=user, channel=Channel.INBOX)


def lease() -> timedelta:
    """How long a worker's claim on a row holds (NOTIFICATION_LEASE_SECONDS): longer than a task may
    run (CELERY_TASK_TIME_LIMIT), far shorter than the broker's visibility timeout."""
    return timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)


def due_filter(now: datetime) -> Q:
    """E-mails and SMS a worker may claim now: pending and due, or sending with a lease that ran out."""
    return Q(channel__in=sorted(DISPATCHED_CHANNELS)) & (
        Q(status=Status.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        | Q(status=Status.SENDING, claimed_at__lt=now - lease())
    )


def notifications_due_for_retry(*, now: datetime, created_before: datetime, after_id: int, limit: int) -> list[int]:
    """Ids of the e-mails and SMS a worker should take now, by id after ``after_id``: pending and
    due (a first attempt older than ``created_before``, whose task was lost, or a failed attempt
    whose backoff has passed), or sending with a lease that ran out (a worker died)."""
    first_attempt_lost = Q(status=Status.PENDING, next_attempt_at__isnull=True, created_at__lt=created_before)
    retry_due = Q(status=Status.PENDING, next_attempt_at__lte=now)
    return list(
        Notification.objects.filter(due_filter(now))
        .filter(first_attempt_lost | retry_due | Q(status=Status.SENDING), id__gt=after_id)
        .order_by("id").values_list("id", flat=True)[:limit]
    )


def outbox_metrics(*, now: datetime | None = None) -> dict[str, object]:
    """For the health page and the admin: e-mails and SMS due now, sent and failed in the last
    24 hours, and the age in seconds of the oldest one waiting (None when none waits)."""
    now = now or timezone.now()
    since = now - timedelta(hours=24)
    dispatched = Notification.objects.filter(channel__in=sorted(DISPATCHED_CHANNELS))
    counts = dispatched.aggregate(
        due=Count("id", filter=due_filter(now)),
        sending=Count("id", filter=Q(status=Status.SENDING)),
        sent_24h=Count("id", filter=Q(status=Status.SENT, sent_at__gte=since)),
        failed_24h=Count("id", filter=Q(status=Status.FAILED, created_at__gte=since)),
        failed=Count("id", filter=Q(status=Status.FAILED)),
        oldest_pending=Min("created_at", filter=Q(status__in=[Status.PENDING, Status.SENDING])),
    )
    oldest = counts.pop("oldest_pending")
    counts["oldest_pending_seconds"] = None if oldest is None else max(0, int((now - oldest).total_seconds()))
    return counts
