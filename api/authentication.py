"""How the API knows who is asking (ADR 0010): the browser session, or a personal token.

- ``SessionAuthentication``: DRF's, on the portal's own session (CSRF enforced on writes). The
  person's second factor is the session's (django-otp's middleware sets ``user.otp_device``).
- ``TokenAuthentication``: ``Authorization: Bearer anef_…``, a personal token
  (``accounts.services.tokens``). A staff token carries the second factor proved when it was made.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.services.tokens import api_token_authenticate

KEYWORD = "Bearer"


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() != KEYWORD.lower():
            return None  # not ours: another scheme, or the session
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("En-tête Authorization invalide : « Bearer <clé> »."))
        try:
            key = header[1].decode("ascii")
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(_("Clé d'API invalide.")) from error
        found = api_token_authenticate(key=key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Clé d'API inconnue, révoquée ou expirée."))
        return found

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'  # a 401, not a 403, for a missing or bad key


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A personal API key, made in the profile page (« Mes clés d'API »)."}
