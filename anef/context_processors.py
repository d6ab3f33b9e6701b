from django.conf import settings

# Set once per session by accounts.middleware.SessionLimitsMiddleware; read here without a query.
from accounts.middleware import SESSION_STAFF_KEY as STAFF_SESSION_KEY


def portal(request):
    """What every page's layout needs; no database query here (it runs on every page)."""
    session = getattr(request, "session", None)
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "IS_STAFF": bool(session and session.get(STAFF_SESSION_KEY)),
    }
