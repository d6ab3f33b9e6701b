"""The key django-axes counts failed logins under: one per account, however it was named.

A person may sign in with their e-mail address or their login identifier. Counted under what was
typed, five wrong passwords by e-mail and five more by identifier would make ten tries: so the key
is the account's login identifier whenever the name typed matches an account, and what was typed
(normalised) otherwise. An unknown name thus has its own count, as before.
"""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User, login_id_normalize


def axes_username(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the lockout key for a login attempt or a successful login."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        if credentials is None:
            typed = request.POST.get("username")
        else:
            # A successful login: axes passes ``user.get_username()``, the e-mail address, which an
            # account without one lacks; login() has already put the person on the request.
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                return user.login_id
    if not typed:
        return typed
    typed = typed.strip()
    if "@" in typed:
        typed = typed.lower()
        login_id = User.objects.filter(email=typed).values_list("login_id", flat=True).first()
    else:
        typed = login_id_normalize(typed)
        login_id = typed if User.objects.filter(login_id=typed).exists() else None
    return login_id or typed
