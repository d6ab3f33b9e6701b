from django.conf import settings
from django.utils.functional import SimpleLazyObject


def portal(request):
    """What every page's layout needs; no database query here (it runs on every page): the menu
    is computed only when a page draws it (``anef.menus``)."""
    from anef.menus import main_menu

    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "MAIN_MENU": SimpleLazyObject(lambda: main_menu(request)),
    }
