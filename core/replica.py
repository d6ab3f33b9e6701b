"""The optional read replica (``DATABASE_REPLICA_URL``), for the statistics and the CSV exports only.

A read goes to the replica only inside ``reading_from_replica()`` and only when a replica is
configured; everything else, and every write (``select_for_update`` included, which Django routes as
a write), goes to ``default``. The replica lags the primary by a moment: what runs inside the block
reads figures, never a row it has just written or must lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections

REPLICA = "replica"
_on_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


@contextmanager
def reading_from_replica() -> Iterator[None]:
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


class ReplicaRouter:
    """Django's database router (settings.DATABASE_ROUTERS)."""

    def db_for_read(self, model, **hints) -> str:
        if _on_replica.get() and REPLICA in connections.settings:
            return REPLICA
        # Never None: Django would then read an object's relations from the database the object
        # came from, the replica, outside the block too.
        return "default"

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db != REPLICA  # the replica follows the primary's schema by replication
