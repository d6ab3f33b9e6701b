from celery import shared_task

from anef import health


@shared_task(ignore_result=True)
def heartbeat() -> None:
    # idempotency: it only records "a worker ran a beat job at this time".
    health.record_heartbeat()
