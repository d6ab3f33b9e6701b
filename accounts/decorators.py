"""The one way a page reserved to a role refuses everyone else (docs/architecture.md, "Refusals").

``role_required(check, message)`` guards a view: an anonymous visitor is sent to the login page; a
signed-in person without a verified second factor, or for whom ``check(user=...)`` is empty, gets a
``PermissionDenied`` carrying ``message``, which Django turns into the 403 page (templates/403.html
says the message). The check is a function argument, not an import, because the roles a page asks
for belong to the apps above this one (``applications.staff.agent_prefecture_ids``,
``appointments.selectors.staff_site_ids``...). An object outside the person's reach is not this
decorator's business: its access-checked getter answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy

from accounts.permissions import second_factor_verified

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

#: What a signed-in person without any staff role reads on a staff-only page.
STAFF_ONLY_MESSAGE = gettext_lazy("Cette page est réservée aux agents de l'administration.")


def role_required(
    check: Callable[..., object], message: StrOrPromise, *, second_factor: bool = True
) -> Callable[[View], View]:
    """Admits only signed-in staff with a verified second factor for whom ``check(user=user)`` is
    true (a non-empty set of prefectures or sites, say). ``message`` (lazy: it is translated when
    the page is refused, in the person's language) says who may open the page.

    ``second_factor=False`` is for the pages where staff prove their second factor, and only them."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if (second_factor and not second_factor_verified(user=user)) or not check(user=user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorator
