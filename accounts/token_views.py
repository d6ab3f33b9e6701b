"""The person's API keys, in their profile (« Mes clés d'API »): make one (its key is shown once),
see when each was last used, revoke one. The rules are in ``accounts.services.tokens``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ApiTokenForm
from accounts.http import AuthenticatedHttpRequest
from accounts.models import ApiToken
from accounts.services.tokens import api_token_create, api_token_get_for_user, api_token_revoke, api_tokens_of


def _own_account_only(request: AuthenticatedHttpRequest) -> None:
    """A mediator acting for a person never makes or revokes keys for them: keys are the person's."""
    if getattr(request, "mandate", None) is not None:
        raise PermissionDenied(_("Seule la personne elle-même gère ses clés d'API."))


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    _own_account_only(request)
    form = ApiTokenForm(request.POST or None)
    key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = ApiTokenForm()
    return render(request, "accounts/api_tokens.html", {
        "form": form, "key": key, "tokens": list(api_tokens_of(user=request.user)[:50]),
        "staff_minutes": settings.API_STAFF_TOKEN_MINUTES,
    }, status=400 if request.method == "POST" and key is None else 200)


@login_required
@require_POST
def api_token_revoke_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _own_account_only(request)
    try:
        token = api_token_get_for_user(user=request.user, pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    api_token_revoke(token=token, by=request.user)
    messages.success(request, _("La clé « %(name)s » est révoquée : elle ne donne plus accès à rien.")
                     % {"name": token.name})
    return redirect("accounts:api_tokens")
