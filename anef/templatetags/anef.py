from django import template
from django.forms import BoundField
from django.utils.html import format_html

from core.l10n import escaped

register = template.Library()

_WIDGET_CLASSES = {"select": "fr-select", "checkbox": "", "textarea": "fr-input"}


@register.simple_tag
def dsfr_widget(field: BoundField) -> str:
    """Renders a field's widget with the DSFR class and with its help text and errors bound to it
    (``aria-describedby``), so a screen reader announces them with the field."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if field.errors:
        described.append(f"{field.auto_id}_error")
    css = _WIDGET_CLASSES.get(field.widget_type, "fr-input")
    existing = field.field.widget.attrs.get("class", "")
    attrs: dict[str, str | bool] = {}
    if css or existing:
        attrs["class"] = " ".join(c for c in (css, existing) if c)
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def iso_date(value):
    """A date stored as text in the answers ("2000-03-02") as a date, for the ``date`` filter to show
    in the reader's format; anything else is returned unchanged."""
    from datetime import date

    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


@register.filter
def catalogue_text(item: dict, key: str):
    """A catalogue question's ``key`` in the reader's language (``{{ question|catalogue_text:"text" }}``)."""
    from applications.catalogue_i18n import catalogue_text as text

    return text(item, key)


@register.inclusion_tag("includes/breadcrumb.html")
def breadcrumb(current, *trail, public=False):
    """The breadcrumb (DSFR), the one partial every page with a trail draws: "Espace agent" (or,
    with ``public=True``, the portal's "Accueil"), then ``trail`` given as label, URL pairs, then
    the current page: ``{% breadcrumb dossier.reference _("Dossiers") queue_url %}``."""
    if len(trail) % 2:
        raise template.TemplateSyntaxError("breadcrumb: the trail goes by pairs of label and URL.")
    return {"current": current, "trail": list(zip(trail[::2], trail[1::2], strict=True)), "public": public}


@register.filter
def status_label(status: str) -> str:
    """A dossier status's label, for lists: ``get_status_display`` builds a dict of every choice on
    each call (``make_hashable``), which cost about 20 ms on a 50-row queue page (issue 14)."""
    from applications.models import Status

    try:
        return str(Status(status).label)
    except ValueError:
        return status


class _PerLanguageNode(template.Node):
    def __init__(self, name: str, nodelist: template.NodeList) -> None:
        from core.fragments import local_digest

        self.name, self.nodelist = name, nodelist
        self.digest = local_digest("per-language", name)  # local_fragment("per-language", name)'s key

    def render(self, context: template.Context) -> str:
        from django.utils.safestring import mark_safe

        from core.fragments import local_fragment_of

        return local_fragment_of(self.digest, render=lambda: mark_safe(  # noqa: S308 (rendered here)
            self.nodelist.render(context)))


@register.tag
def per_language(parser, token):
    """``{% per_language "footer" %}…{% end_per_language %}``: what is inside is rendered once per
    language by each process and kept (``core.fragments.local_fragment``), for parts of the layout
    that depend on nothing else (the footer, the header's brand): issue 14. Nothing inside may read
    the person, the request, the CSRF token or the CSP nonce."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'":
        raise template.TemplateSyntaxError('per_language takes a quoted name: {% per_language "footer" %}')
    nodelist = parser.parse(("end_per_language",))
    parser.delete_first_token()
    return _PerLanguageNode(bits[1][1:-1], nodelist)


#: The portal's name as ``{{ PORTAL_NAME }}`` writes it, by language: (the setting's value it was
#: written from, its HTML), written again when the setting is another object (a test renames it).
_PORTAL_NAMES: dict[str | None, tuple[object, str]] = {}


class _PortalNameNode(template.Node):
    child_nodelists = ()

    def render(self, context: template.Context) -> str:
        from django.conf import settings

        from core.l10n import active_language

        name = settings.PORTAL_NAME
        language = active_language()
        kept = _PORTAL_NAMES.get(language)
        if kept is None or kept[0] is not name:
            from django.utils.html import conditional_escape

            # what rendering a variable does with it (render_value_in_context), escaping on
            kept = _PORTAL_NAMES[language] = (name, conditional_escape(name if isinstance(name, str) else str(name)))
        return kept[1]


class _CurrentLanguageNode(template.Node):
    child_nodelists = ()

    def __init__(self, variable: str) -> None:
        self.variable = variable

    def render(self, context: template.Context) -> str:
        from core.l10n import active_language

        context[self.variable] = active_language()
        return ""


@register.tag
def current_language(parser, token):
    """``{% current_language as LANGUAGE_CODE %}``: Django's ``{% get_current_language as … %}``
    (the active language, read when the tag renders), in five calls rather than a dozen."""
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("current_language takes 'as variable'")
    return _CurrentLanguageNode(bits[2])


@register.tag
def portal_name(parser, token):
    """``{% portal_name %}``: ``{{ PORTAL_NAME }}`` (``settings.PORTAL_NAME``, escaped), its
    translation kept per language by each process (issue 17: a lazy translation costs some
    seventy calls to put into words; the layout's ``<title>`` writes it on every page)."""
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("portal_name takes no argument")
    return _PortalNameNode()


@register.simple_tag(takes_context=True)
def main_menu(context: template.Context) -> str:
    """The main menu's items (``anef.menus``: which entries, and their HTML kept per language)."""
    from anef.menus import main_menu_html

    request = context.get("request")
    return main_menu_html(request) if request is not None else ""


#: The digests of ``page_scripts``' and ``header_tools``' keys in ``local_fragment`` (issue 17).
_DIGESTS: dict[object, str] = {}


def _made_digests() -> None:
    """``local_fragment("page-scripts")``'s and ``local_fragment("header-tools", signed_in)``'s keys."""
    from core.fragments import local_digest

    _DIGESTS.update({True: local_digest("header-tools", True), False: local_digest("header-tools", False),
                     "page-scripts": local_digest("page-scripts")})


@register.simple_tag(takes_context=True)
def page_scripts(context: template.Context) -> str:
    """The layout's scripts (DSFR, the portal's), their addresses looked up once per process
    (``core.fragments.local_fragment``) and this request's CSP nonce put in (issue 14)."""
    from django.templatetags.static import static
    from django.utils.safestring import mark_safe

    from core.fragments import NONCE_PLACEHOLDER, local_fragment_of

    if not _DIGESTS:
        _made_digests()
    html = local_fragment_of(_DIGESTS["page-scripts"], render=lambda: format_html(
        '<script type="module" src="{}" nonce="{nonce}"></script>\n'
        '  <script nomodule src="{}" nonce="{nonce}"></script>\n'
        '  <script src="{}" nonce="{nonce}" defer></script>',
        static("dsfr/dist/dsfr/dsfr.module.min.js"), static("dsfr/dist/dsfr/dsfr.nomodule.min.js"),
        static("js/portal.js"), nonce=NONCE_PLACEHOLDER))
    request = context.get("request")
    nonce = getattr(request, "csp_nonce", None) if request is not None else None
    return mark_safe(html.replace(NONCE_PLACEHOLDER, escaped(str(nonce)) if nonce is not None else ""))  # noqa: S308


#: Stands for the page's path in the cached header tools: characters no escaped path holds.
NEXT_PLACEHOLDER = "__anef-next-path__"


@register.simple_tag(takes_context=True)
def header_tools(context: template.Context) -> str:
    """The header's tools (profile and sign-out, or sign-in and sign-up; the language forms),
    rendered once per language and signed-in state by each process (``core.fragments.local_fragment``),
    with this request's CSRF token and path put in: issue 14, they were a fifth of a signed-in
    page's template time, the same for everyone but those two values."""
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from core.csrf import page_token
    from core.fragments import CSRF_PLACEHOLDER, local_fragment_of

    request = context.get("request")
    if request is None:  # a page rendered without its request: as the include did, nobody's tools
        return render_to_string("includes/tools_links.html", {"signed_in": False, "LANGUAGES": settings.LANGUAGES})
    user = getattr(request, "user", None)  # what the ``user`` the include read held
    signed_in = bool(user is not None and user.is_authenticated)
    if not _DIGESTS:
        _made_digests()
    html = local_fragment_of(_DIGESTS[signed_in], render=lambda: render_to_string("includes/tools_links.html", {
        "signed_in": signed_in, "LANGUAGES": settings.LANGUAGES,
        "csrf_token": CSRF_PLACEHOLDER, "next_path": NEXT_PLACEHOLDER,
    }))
    # The token first: a path that held the token's placeholder would not be filled in with it.
    path = escaped(request.get_full_path())
    # The page's own token (the context processor's, which every {% csrf_token %} of the page
    # shows) rather than a second one, masked in a few calls (core.csrf).
    token = page_token(context)
    filled = html.replace(CSRF_PLACEHOLDER, token).replace(NEXT_PLACEHOLDER, path)
    return mark_safe(filled)  # noqa: S308 (our template, and the escaped path)


@register.simple_tag(takes_context=True)
def with_csrf_token(context: template.Context, html: str) -> str:
    """HTML written in Python with ``core.fragments.CSRF_PLACEHOLDER`` in its forms (a presenter's,
    kept per process), with the page's own token put in: the context processor's, which every
    ``{% csrf_token %}`` of the page shows, rather than a second one (``core.csrf.page_token``), by
    ``core.fragments.with_csrf_token``."""
    from core.csrf import page_token
    from core.fragments import with_csrf_token as filled

    return filled(html, token=page_token(context))


@register.simple_tag
def document_item(document) -> str:
    """One issued document's line in a list (``applications.presenters.document_item_html``)."""
    from applications.presenters import document_item_html

    return document_item_html(document)
