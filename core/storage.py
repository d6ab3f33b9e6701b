"""Where the portal's private files live (settings.STORAGES["default"], ADR 0012): the local disk,
or an S3-compatible object store through django-storages. The code reaches them only through
Django's storage API (a FileField's ``save``/``open``), never by path."""

from __future__ import annotations

from django.core.files.storage import default_storage

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - boto3 is a dependency; kept for a trimmed install
    STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError,)
else:
    #: What a store that is away or refusing raises: the disk's OSError, boto's errors for S3
    #: (endpoint unreachable, 5xx, throttling). Tasks that write files retry on these.
    STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


def storage_ok() -> bool:
    """The readiness probe's check: the store answers (a lookup of a name that is never written)."""
    try:
        default_storage.exists(".readiness-probe")
    except Exception:  # any failure means "not ready", whatever the backend raised
        return False
    return True
