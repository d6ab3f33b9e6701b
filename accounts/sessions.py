"""The session engine (``SESSION_ENGINE``): Django's database sessions, the same table and rows,
with the session read on every request by a query whose SQL is built once per process
(``core.prepared``, issue 17: the ORM built it anew each time, about 700 Python calls a request).
Nothing is kept between requests: each reads the row as it is, and an expired or deleted session
is no session, as in Django's."""

from __future__ import annotations

import datetime

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.prepared import PreparedQuery

#: The session's data while it has not expired (``db.SessionStore._get_session_from_db``'s query).
_SESSION_DATA = PreparedQuery(
    lambda session_key, now: Session.objects.filter(session_key=session_key, expire_date__gt=now).values_list(
        "session_data", flat=True),
    session_key=str, now=datetime.datetime,
)


class SessionStore(db.SessionStore):
    def load(self):
        """As Django's: the session's data, or an empty session (and no key) when there is no
        such session or it has expired."""
        found = _SESSION_DATA(session_key=self.session_key, now=timezone.now())
        if not found:
            self._session_key = None
            return {}
        return self.decode(found[0])
