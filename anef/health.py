"""Liveness of the pieces an operator cares about: database, broker, scheduled jobs."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection

HEARTBEAT_KEY = "anef:heartbeat"


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return False
    return True


def broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        return folder.is_dir() and _writable(folder)
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _writable(folder: Path) -> bool:
    probe = folder / ".healthz"
    try:
        probe.write_text("ok")
        probe.unlink()
    except OSError:
        return False
    return True


def cache_ok() -> bool:
    """The shared cache answers (sessions' limits, rate limits and page fragments live there)."""
    try:
        cache.set("anef:readiness", 1, timeout=5)
        return cache.get("anef:readiness") == 1
    except Exception:
        return False


def record_heartbeat() -> None:
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def last_heartbeat_age() -> float | None:
    """Seconds since a worker last ran the beat heartbeat job, or None if never seen."""
    try:
        at = cache.get(HEARTBEAT_KEY)
    except Exception:
        return None
    return None if at is None else max(0.0, time.time() - at)
