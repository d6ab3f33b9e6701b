"""Rate limits of the API, per person and per client address, counted in the shared cache (Redis
in production, so every web process counts together). Rates: ``API_THROTTLE_USER`` and
``API_THROTTLE_IP`` (settings, from the environment). The address is ``accounts.http.client_ip``,
the project's one answer behind reverse proxies."""

from rest_framework.throttling import SimpleRateThrottle

from accounts.http import client_ip


class UserThrottle(SimpleRateThrottle):
    """Per signed-in person (a token and a session of the same person count together)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None  # the address limit applies
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class IPThrottle(SimpleRateThrottle):
    """Per client address, signed in or not."""

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}
