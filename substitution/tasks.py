"""Celery tasks of the substitution app: thin, re-runnable, each calling one service."""

from celery import shared_task

from substitution import services


@shared_task(ignore_result=True)
def deadline_job() -> dict:
    # idempotency: each report is taken under a SKIP LOCKED row lock and only while it still meets
    # the step's condition (active and past its deadline; invited with a no-show; waiting for an
    # invitation); a report has one impossibility (one-to-one) and one scheduled invitation (a
    # partial unique index), so a second run, or two at once, change nothing.
    return vars(services.deadline_job())
