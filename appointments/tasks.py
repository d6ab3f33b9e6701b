from celery import shared_task
from django.conf import settings
from django.utils import timezone

from appointments import services
from appointments.models import Slot


@shared_task(ignore_result=True)
def generate_slots() -> int:
    # idempotency: slots are unique per (desk, motive, start); a second run creates nothing.
    return services.slots_generate(start=timezone.localdate(), weeks=settings.SLOT_WEEKS_AHEAD)


@shared_task(ignore_result=True)
def send_reminders() -> int:
    # idempotency: reminder_sent_at is claimed by a conditional UPDATE before notifying.
    return services.booking_reminders_send()


@shared_task(ignore_result=True)
def expire_offers() -> int:
    # idempotency: only pending offers past their expiry are touched, each under a row lock.
    return services.offers_expire()


@shared_task(ignore_result=True)
def offer_freed_seat_task(slot_id: int) -> None:
    # idempotency: a seat is held by a conditional UPDATE; no free seat or nobody waiting: nothing.
    slot = Slot.objects.select_related("desk").filter(pk=slot_id).first()
    if slot is not None:
        services.offer_freed_seat(slot=slot)
