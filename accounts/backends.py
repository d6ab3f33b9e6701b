"""The authentication backend: Django's ``ModelBackend``, the signed-in person read with SQL built
once per process (issue 14).

``ModelBackend.get_user`` runs on every signed-in request (``request.user``), through the ORM
(about as much CPU as the page's own first query on the applicant's dashboard). This backend reads
the same row by ``core.prepared.PreparedQuery`` and applies the same rule (an inactive account is
not signed in). Signing in (``authenticate``: by e-mail address or login identifier,
``accounts.models.UserManager.get_by_natural_key``) and permissions stay ``ModelBackend``'s.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from core.prepared import PreparedQuery

_USER_BY_ID = PreparedQuery(lambda user_id: User._default_manager.filter(pk=user_id), user_id=int)


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        users = _USER_BY_ID(user_id=user_id)
        if users and self.user_can_authenticate(users[0]):
            return users[0]
        return None
