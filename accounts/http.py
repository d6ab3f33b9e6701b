"""Who is asking, and how often: the client address and one rate limiter for the whole project.

It sits in the lowest app so that every app may ask it (DESIGN §11: nothing imports upward, and
``anef`` is the project above them all). Every use of the client's address (django-axes' lockout
and its access rows, the verification-code limit) asks ``client_ip``; every fixed-window limit
(verification codes per address, self-service bookings per person) asks ``rate_limit_allow``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ipware import get_client_ip

if TYPE_CHECKING:
    from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view receives once someone is signed in (``login_required``, or a staff page
    behind ``StaffSecondFactorMiddleware``): ``request.user`` is a ``User``, never anonymous.

    Only an annotation for the type checker (django-stubs' recommended pattern); the view still
    needs its decorator or middleware for this to be true.
    """

    user: User


def client_ip(request: HttpRequest) -> str:
    """The address of the person's device, as far as the portal can trust it.

    Behind ``CLIENT_IP_PROXY_COUNT`` trusted reverse proxies (env ``PROXY_COUNT``), each appending
    the address it received from to ``X-Forwarded-For``, the client is the entry the outermost
    proxy added: the ``CLIENT_IP_PROXY_COUNT``-th from the end. Entries further left are whatever
    the client sent and are never used. django-ipware counts only the proxies that appear in the
    header (all but the outermost), hence ``proxy_count - 1``. Without proxies, or when the header
    is missing or too short (a request that bypassed the proxy), ``REMOTE_ADDR``.
    """
    proxies = settings.CLIENT_IP_PROXY_COUNT
    address = None
    if proxies:
        address, _routable = get_client_ip(
            request, proxy_order="left-most", proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"], strict=False,
        )
    return address or request.META.get("REMOTE_ADDR", "")


def rate_limit_allow(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Counts one attempt for ``key`` in ``scope``; False once more than ``limit`` attempts were
    made in the fixed window opened by the first one (``window_seconds`` long).

    Shared through the cache (Redis), so every web process counts together; the counter's expiry
    closes the window.
    """
    cache_key = f"ratelimit:{scope}:{key}"
    cache.add(cache_key, 0, window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the window closed between add() and incr()
        cache.set(cache_key, 1, window_seconds)
        count = 1
    return count <= limit
