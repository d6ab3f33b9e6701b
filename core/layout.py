"""Signed-in pages rendered once per language and shape, layout included, with each request's
values put in (issue 17, "Eighth pass").

A page of the person's space is the layout (``base.html``: head, header, menu, footer, scripts)
around a content mostly written by presenters. Rendering it through the template engine costs
some 450 Python calls a request even when each part of the layout is kept (``{% per_language %}``,
``{% header_tools %}``, ``{% main_menu %}``): the engine's walk over the nodes, the context, the
blocks. ``slotted_page`` renders the page's own template once per language, ``context`` (flags and
small values: the shape, all of the key) and main menu, with a marker in place of each of
``slots`` (the presenters' HTML, escaped by the caller), of the CSRF token, of the page's path (the
header's language forms) and of the CSP nonce; each request then only joins the kept parts with
its own values.

The template is rendered for the shape with a stand-in for the request (``_Shape``) that gives
the markers for the path and the nonce and the real request's answers for everything else; the
menu's HTML is the real request's (``{% main_menu %}``) and is part of the key. What the layout
shows only sometimes is left to the engine, which then renders the page as usual: a message
waiting to be shown (``django.contrib.messages``), an assisted session's banner
(``request.mandate``). The page's template must read nothing but ``context`` and the slots (no
``request``, no ``user``): what else it needs is a slot or a flag of the key.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from core.csrf import masked_token
from core.fragments import CSRF_PLACEHOLDER, local_fragment
from core.l10n import escaped

#: Marks a slot in the kept page (characters no rendered value holds), as core.fragments does.
_MARK = "\x1fpage-slot:{}\x1f"
#: The layout's own slots, filled for each request.
_TOKEN, _PATH, _NONCE = "csrf_token", "next_path", "csp_nonce"


class _Shape:
    """The request as the layout reads it while the page's shape is rendered: the markers for the
    page's path and the CSP nonce, no mandate, the request itself for everything else (the person,
    the session, the path that tells the menu's current entry)."""

    def __init__(self, request: HttpRequest) -> None:
        self.__dict__["_request"] = request

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_request"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.__dict__["_request"], name, value)

    def get_full_path(self, force_append_slash: bool = False) -> str:
        return _MARK.format(_PATH)

    @property
    def csp_nonce(self) -> str:
        return _MARK.format(_NONCE)

    #: Never an assisted session's banner in the kept parts (the person's name): ``as_usual``.
    mandate = None


def as_usual(request: HttpRequest) -> bool:
    """Whether the layout shows this request something of its own beyond the kept parts: a
    message waiting, an assisted session's banner. The page is then rendered as usual."""
    return bool(getattr(request, "mandate", None)) or bool(len(get_messages(request)))


def slotted_page(request: HttpRequest, template_name: str, *, context: dict[str, Any], slots: dict[str, str],
                 forms: tuple[str, ...] = (), status: int = 200, csrf_token: str = "") -> HttpResponse:
    """``render(request, template_name, {**context, **slots})``, the page's parts kept per language,
    ``context`` and main menu by each process (module docstring). ``slots`` are HTML, escaped as
    ``{{ value }}`` would have; the CSRF placeholder of the slots named in ``forms`` is replaced by
    the page's token, as ``{% with_csrf_token %}`` does. ``csrf_token``: the token the view already
    put in its slots' forms, which the layout's forms then show too (one masking a page), else one
    is masked here. Rendered as usual when ``as_usual(request)``."""
    if as_usual(request):
        given = {"csrf_token": csrf_token} if csrf_token else {}
        return render(request, template_name, {**context, **slots, **given}, status=status)
    menu = _menu_html(request)
    # The portal's name by its identity (a test renames it): its words are the language's, in the key.
    parts = local_fragment("slotted-page", template_name, sorted(context.items()), sorted(slots), menu,
                           id(settings.PORTAL_NAME), render=lambda: _parts(request, template_name, context, slots))
    token = csrf_token or masked_token(request)
    values = {**slots, _TOKEN: token, _PATH: escaped(request.get_full_path()),
              _NONCE: escaped(str(request.csp_nonce))}  # type: ignore[attr-defined]  # django-csp's
    for name in forms:
        values[name] = values[name].replace(CSRF_PLACEHOLDER, token)
    # parts: text, slot name, text, slot name, ... text
    return HttpResponse("".join([values[part] if index & 1 else part for index, part in enumerate(parts)]),
                        status=status)


#: The function of ``{% main_menu %}`` (the project's menu, anef/templatetags/anef.py: the apps do
#: not import the project), found once per process through its compiled node: the menu this request
#: sees, part of the key. Called with the request alone, without the template's Context and the
#: node's render around it (issue 17: a sixth of the menu's calls); it gives marked-safe HTML,
#: which the node's escaping left as it was.
_MENU: list = []


def _menu_html(request: HttpRequest) -> str:
    if not _MENU:
        from django.template import Template

        _MENU.append(Template("{% load anef %}{% main_menu %}").nodelist[-1].func)  # type: ignore[attr-defined]
    return _MENU[0]({"request": request})


class KeptPageReadsPerson(Exception):  # noqa: N818 (named for what happened)
    """A kept page's template read the person: their values would be shown to the next one."""


class _NoPerson:
    """The template's ``user`` while a page's shape is rendered: any use of it fails loudly (the
    kept parts are shared by everyone with the same key, so a person's value must be a slot). An
    exception of its own, not AttributeError, which the template engine would silently swallow."""

    def __getattr__(self, name: str) -> Any:
        raise KeptPageReadsPerson(f"user.{name}: a kept page (core.layout) reads the person; pass it as a slot")

    def __bool__(self) -> bool:
        raise KeptPageReadsPerson("user: a kept page (core.layout) reads the person; pass it as a slot")

    def __str__(self) -> str:
        raise KeptPageReadsPerson("user: a kept page (core.layout) reads the person; pass it as a slot")


def _parts(request: HttpRequest, template_name: str, context: dict[str, Any], slots: dict[str, str]) -> tuple[str, ...]:
    import re

    markers = {name: mark_safe(_MARK.format(name)) for name in (*slots, _TOKEN)}  # noqa: S308 (a marker)
    # ``user`` over the context processor's: the page may not read the person (the layout's own
    # tags read the request's, for the signed-in state and the menu, both in the key).
    html = render_to_string(template_name, {**context, **markers, "user": _NoPerson()},
                            request=_Shape(request))  # type: ignore[arg-type]
    return tuple(re.split("\x1fpage-slot:([A-Za-z_]+)\x1f", html))
