"""The session engine (``SESSION_ENGINE``): Django's database sessions, the same table and rows,
with the session read on every request by a query whose SQL is built once per process
(``core.prepared``, issue 17: the ORM built it anew each time, about 700 Python calls a request).
Nothing is kept between requests: each reads the row as it is, and an expired or deleted session
is no session, as in Django's.

The row's data is signed (Django's ``signing``): checking the signature cost about 85 Python calls
on every signed-in request. The signature of a given text checks out or not whatever the request
(the keys and the salt do not change in a process), so each process remembers the texts it has
checked and what they carry (``_VERIFIED``, by the whole text, at most ``VERIFIED_MAX``): a
session whose data changed is another text, checked anew. The data is still read from the row on
every request and decoded into new objects each time; a text that does not check out is never
remembered."""

from __future__ import annotations

import datetime
import logging
import zlib

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core import signing
from django.utils import timezone

from core.prepared import PreparedQuery

#: The session's data while it has not expired (``db.SessionStore._get_session_from_db``'s query).
_SESSION_DATA = PreparedQuery(
    lambda session_key, now: Session.objects.filter(session_key=session_key, expire_date__gt=now).values_list(
        "session_data", flat=True),
    session_key=str, now=datetime.datetime,
)


#: Signed session texts this process has checked, and the serialized data each carries.
_VERIFIED: dict[str, bytes] = {}
VERIFIED_MAX = 4096


def _verified_data(session_data: str, salt: str) -> bytes:
    """What ``signing.loads`` gives its serializer, once the signature checks out (as
    ``TimestampSigner.unsign_object`` does, without a ``max_age``, as ``SessionBase.decode``);
    ``signing.BadSignature`` otherwise."""
    base64d = signing.TimestampSigner(salt=salt).unsign(session_data).encode()
    if base64d[:1] == b".":
        return zlib.decompress(signing.b64_decode(base64d[1:]))
    return signing.b64_decode(base64d)


class SessionStore(db.SessionStore):
    def decode(self, session_data):
        """As Django's (``SessionBase.decode``), the signature of a text checked once per process."""
        data = _VERIFIED.get(session_data)
        if data is None:
            try:
                data = _verified_data(session_data, self.key_salt)
            except signing.BadSignature:
                logging.getLogger("django.security.SuspiciousSession").warning("Session data corrupted")
                return {}
            except Exception:  # as Django's: an empty session
                return {}
            if len(_VERIFIED) >= VERIFIED_MAX:
                _VERIFIED.clear()
            _VERIFIED[session_data] = data
        try:
            return self.serializer().loads(data)
        except Exception:  # as Django's: an empty session
            return {}

    def load(self):
        """As Django's: the session's data, or an empty session (and no key) when there is no
        such session or it has expired."""
        found = _SESSION_DATA(session_key=self.session_key, now=timezone.now())
        if not found:
            self._session_key = None
            return {}
        return self.decode(found[0])
