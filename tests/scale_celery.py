"""The Celery app of the multi-node test's workers and beats: the portal's, with a schedule of one
job every second instead of the real one, which records each run in Redis (tests/test_multinode.py)."""

import os
import time

import redis

from anef.celery import app
from tests.scale.ticks import ticks_key


@app.task(name="tests.scale.tick", ignore_result=True)
def tick() -> None:
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.rpush(ticks_key(os.environ["TEST_CACHE_PREFIX"]), repr(time.time()))


app.conf.beat_schedule = {"tick": {"task": "tests.scale.tick", "schedule": 1.0}}
