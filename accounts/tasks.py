from celery import shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.selectors import users_unverified_before


@shared_task(ignore_result=True)
def purge_unverified_accounts() -> int:
    """Deletes sign-ups whose address was never verified within the retention period."""
    # idempotency: a second run finds nothing older than the cutoff.
    cutoff = timezone.now() - settings.UNVERIFIED_ACCOUNT_RETENTION
    _total, per_model = users_unverified_before(cutoff=cutoff).delete()
    return per_model.get("accounts.User", 0)


@shared_task(ignore_result=True)
def clear_expired_sessions() -> int:
    # idempotency: expired rows are gone after the first run.
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
