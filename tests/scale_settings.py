"""Settings of the processes the multi-node test starts (tests/test_multinode.py): two gunicorn
nodes and two Celery workers, with the test settings made what production shares between nodes:
the committed test database, Redis as broker and as cache (sessions' limits, rate limits, page
fragments), the S3 API for files (S3_* in the environment, read by the base settings)."""

import os

from anef.settings.test import *  # noqa: F403

REDIS_URL = os.environ["REDIS_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_CELERY_QUEUE"]  # the test's own queue, as in the fault tests
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "KEY_PREFIX": os.environ["TEST_CACHE_PREFIX"]}}
# Two beat processes (tests/scale_celery.py): the lock and the schedule's state under the test's
# own prefix; a short loop, and a lock that a dead beat leaves within seconds.
CELERY_REDBEAT_KEY_PREFIX = os.environ["TEST_CACHE_PREFIX"] + ":redbeat:"
CELERY_BEAT_MAX_LOOP_INTERVAL = 1
CELERY_REDBEAT_LOCK_TIMEOUT = 5
