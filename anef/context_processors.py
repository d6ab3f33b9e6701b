from django.conf import settings

from core.l10n import active_language


def portal(request):
    """What every page's layout needs; no database query here (it runs on every page): the menu
    is computed only when a page draws it (``{% main_menu %}``, ``anef.menus``)."""
    return {"PORTAL_NAME": settings.PORTAL_NAME}


def i18n(request):
    """Django's ``i18n`` context processor (the same three values), the active language read once
    and cheaply (``core.l10n.active_language``; Django's reads it twice, ~25 calls per render)."""
    language = active_language()
    return {
        "LANGUAGES": settings.LANGUAGES,
        "LANGUAGE_CODE": language,
        # translation.get_language_bidi()
        "LANGUAGE_BIDI": language is not None and language.split("-")[0] in settings.LANGUAGES_BIDI,
    }
