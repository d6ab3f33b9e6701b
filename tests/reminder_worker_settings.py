"""Settings of the real Celery worker the reminder fault tests start (tests/applications/
test_reminders_faults.py): the test settings, with tasks sent to Redis instead of run in-process,
on a queue of the test's own, and e-mails written to a sink table in the worker's transaction."""

import os

from anef.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_CELERY_QUEUE"]
EMAIL_BACKEND = "tests.reminder_sink.SinkEmailBackend"
RENEWAL_REMINDER_BATCH_SIZE = int(os.environ.get("RENEWAL_REMINDER_BATCH_SIZE", "5"))
# Reconnect fast after the broker comes back (the Redis restart test).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
# A killed worker's claims come back after a few seconds, not ten minutes (the lease of production).
NOTIFICATION_LEASE_SECONDS = 3
