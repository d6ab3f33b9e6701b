from django.conf import settings


def portal(request):
    """What every page's layout needs; no database query here (it runs on every page): the menu
    is computed only when a page draws it (``{% main_menu %}``, ``anef.menus``)."""
    return {"PORTAL_NAME": settings.PORTAL_NAME}
