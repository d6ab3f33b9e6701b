"""Reads about notifications: the person's inbox, and the outbox rows a worker should retry."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from notifications.models import DISPATCHED_CHANNELS, Channel, Notification, Status


def inbox_for_user(*, user: User) -> QuerySet[Notification]:
    """The person's inbox messages, newest first (no related object is read: no N+1)."""
    return Notification.objects.filter(recipient=user, channel=Channel.INBOX).order_by(
        "-created_at", "-id"
    )


def letters_sent_to_user(*, user: User) -> QuerySet[Notification]:
    """"Courriers envoyés par la poste": the person's own letters once printed, newest first."""
    return Notification.objects.filter(recipient=user, channel=Channel.LETTER, status=Status.SENT).order_by(
        "-sent_at", "-id"
    )


def inbox_unread_count(*, user: User) -> int:
    return inbox_for_user(user=user).filter(read_at__isnull=True).count()


def notification_get_for_user(*, user: User, pk: int) -> Notification:
    """The only way a view reaches a message: one of the person's own inbox messages, else 404."""
    return get_object_or_404(Notification, pk=pk, recipient=user, channel=Channel.INBOX)


def notifications_due_for_retry(
    *, created_before: datetime, max_attempts: int, after_id: int, limit: int,
) -> list[int]:
    """Ids of pending e-mails and SMS older than ``created_before``, by id after ``after_id``."""
    return list(
        Notification.objects.filter(
            status=Status.PENDING, channel__in=sorted(DISPATCHED_CHANNELS),
            created_at__lt=created_before, attempts__lt=max_attempts, id__gt=after_id,
        ).order_by("id").values_list("id", flat=True)[:limit]
    )
