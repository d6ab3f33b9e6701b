from django.conf import settings


def portal(request):
    """What every page's layout needs; no database query here (it runs on every page)."""
    return {"PORTAL_NAME": settings.PORTAL_NAME}
