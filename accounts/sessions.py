"""The session engine: Django's database sessions, read with SQL built once per process (issue 14).

Every signed-in request reads its session row first. Django's ``db`` engine builds that small
query through the ORM on each request (``Session.objects.get(session_key=…, expire_date__gt=now)``:
about a tenth of the applicant's dashboard in CPU, docs/benchmarks.md). Here the same row is read
by ``core.prepared.PreparedQuery``, by its key only, and an expired row is treated as Django treats
it (no session: the key is forgotten and a new one is made when something is saved). Writing,
key rotation and clearing expired rows stay Django's.

    SESSION_ENGINE = "accounts.sessions"
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import router
from django.utils import timezone

from core.prepared import PreparedQuery

#: The session row by its key (the table's primary key), whatever its expiry: checked in Python,
#: so that the SQL does not change with the clock.
_SESSION_BY_KEY = PreparedQuery(lambda session_key: Session.objects.filter(session_key=session_key), session_key=str)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        rows = _SESSION_BY_KEY(session_key=key, using=router.db_for_read(Session)) if key else []
        if rows and rows[0].expire_date > timezone.now():
            return rows[0]
        self._session_key = None
        return None
