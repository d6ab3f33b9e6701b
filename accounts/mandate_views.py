"""Mandate pages (docs/accounts.md, "Mandates"): the person's "Mandats" page in their space, and
the mediator's pages under /backoffice/personnes/mandats/ (receive a mandate, list the people one
may act for, open and close an assisted session). Thin: parse, call one service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import desk, forms, services
from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest, client_ip, rate_limit_allow
from accounts.mandates import (
    ASSISTED_SESSION_KEY,
    mandate_get_for_mediator,
    mandate_in_force,
    mandates_for_mediator,
    mandates_of_person,
)
from accounts.models import Mandate
from accounts.permissions import mediator_site_ids
from accounts.selectors import person_account_by_login_id
from territory.models import Site

#: A consent code just made, kept in the session only until the page shows it.
CONSENT_SHOWN_ONCE_KEY = "mandate_consent_shown_once"
#: Consent codes tried by one mediator's device in ten minutes (each code also locks after 5 tries).
CONSENT_TRY_LIMIT = 30


# --- The person's side ---------------------------------------------------------------------------

def _not_in_assisted_session(request: HttpRequest) -> None:
    # A mediator acting for someone never manages that person's mandates: the person does.
    if getattr(request, "mandate", None) is not None:
        raise PermissionDenied(_("Seule la personne elle-même gère ses mandats."))


@login_required
@require_http_methods(["GET", "POST"])
def person_mandates(request: AuthenticatedHttpRequest) -> HttpResponse:
    """/compte/mandats/: make a consent code to show a mediator, see and revoke one's mandates."""
    _not_in_assisted_session(request)
    if request.method == "POST":
        try:
            code = services.mandate_consent_code_issue(person=request.user)
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            request.session[CONSENT_SHOWN_ONCE_KEY] = code
        return redirect("accounts:mandates")
    code = request.session.pop(CONSENT_SHOWN_ONCE_KEY, None)
    rows = [(m, mandate_in_force(m)) for m in mandates_of_person(person=request.user)]
    return render(request, "accounts/mandates.html", {
        "code": code, "rows": rows, "duration_days": settings.MANDATE_DURATION_DAYS,
        "code_minutes": settings.MANDATE_CONSENT_CODE_MINUTES,
    })


@login_required
@require_POST
def person_mandate_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _not_in_assisted_session(request)
    mandate = Mandate.objects.filter(pk=pk, person=request.user).first()
    if mandate is None:
        raise Http404
    services.mandate_revoke(mandate=mandate, by=request.user)
    messages.success(request, _("Le mandat est révoqué : le médiateur ne peut plus agir pour vous."))
    return redirect("accounts:mandates")


# --- The mediator's side -------------------------------------------------------------------------

_mediator_only = role_required(
    mediator_site_ids, gettext_lazy("Seuls les médiateurs numériques d'un point d'accueil ont accès à cette page.")
)


def _sites(request: AuthenticatedHttpRequest):
    return Site.objects.filter(pk__in=mediator_site_ids(user=request.user)).order_by("name")


@_mediator_only
def mediator_mandates(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The people this mediator may act for now, each with "Agir pour cette personne"."""
    return render(request, "accounts/mediator_mandates.html", {
        "mandates": list(mandates_for_mediator(by=request.user)),
        "acting": getattr(request, "mandate", None),
    })


def _prefilled(request: HttpRequest) -> dict[str, object]:
    # From a PAN's visit: the visitor's identifier is typed, the PAN chosen (accounts.desk.mandate_prefill).
    prefill = desk.mandate_prefill_read(request)
    return {name: prefill[name] for name in ("login_id", "site") if prefill.get(name)}


def _way_back(request: HttpRequest) -> dict[str, str]:
    # The prefill's key travels from one way of receiving the mandate to the other.
    prefill = desk.mandate_prefill_read(request)
    return {"back_url": prefill.get("back_url", ""), "back_label": prefill.get("back_label", ""),
            "prefill_query": desk.prefill_query(prefill)}


def _add_errors(form, error: ValidationError) -> None:
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@_mediator_only
def mandate_receive_code(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The mediator types the person's identifier and the consent code shown in their space."""
    form = forms.MandateByCodeForm(request.POST or None, sites=_sites(request), initial=_prefilled(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not rate_limit_allow(scope="accounts:mandate", key=client_ip(request), limit=CONSENT_TRY_LIMIT,
                                window_seconds=600):
            form.add_error(None, _("Trop d'essais depuis cet appareil : réessayez dans quelques minutes."))
            status = 429
        else:
            try:
                mandate = services.mandate_grant_by_code(
                    by=request.user, site=data["site"], login_id=data["login_id"], code=data["code"],
                    scope=data["scope"], dossier_reference=data["dossier_reference"], to_site=data["to_site"])
            except ValidationError as error:
                _add_errors(form, error)
                status = 400
            else:
                return _granted(request, mandate)
    return render(request, "accounts/mandate_receive.html", {
        "form": form, "by_code": True, **_way_back(request)}, status=status)


@require_http_methods(["GET", "POST"])
@_mediator_only
def mandate_receive_form(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The mediator records a mandate signed on paper at the desk, with its scan."""
    form = forms.MandateBySignedFormForm(request.POST or None, request.FILES or None, sites=_sites(request),
                                         initial=_prefilled(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = person_account_by_login_id(login_id=data["login_id"], birth_date=data["birth_date"])
        if person is None:
            form.add_error("login_id", _("Aucun compte ne correspond à cet identifiant et à cette date de naissance."))
        else:
            try:
                mandate = services.mandate_grant_by_form(
                    by=request.user, site=data["site"], person=person, scan_file=data["scan"],
                    scope=data["scope"], dossier_reference=data["dossier_reference"], to_site=data["to_site"])
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    _add_errors(form, error)
                else:
                    form.add_error("scan", error.messages)
            else:
                return _granted(request, mandate)
    return render(request, "accounts/mandate_receive.html", {"form": form, "by_code": False, **_way_back(request)})


def _granted(request: AuthenticatedHttpRequest, mandate: Mandate) -> HttpResponse:
    messages.success(request, _("Mandat enregistré pour %(person)s, valable jusqu'au %(date)s.") % {
        "person": mandate.person.get_full_name() or mandate.person.login_id,
        "date": mandate.expires_at.strftime("%d/%m/%Y")})
    return redirect(desk.mandate_prefill_spent(request) or "backoffice:mandates")


@require_POST
@_mediator_only
def assisted_session_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Opens the person's space: from now on, the applicant pages are theirs, the actor is you."""
    mandate = mandate_get_for_mediator(by=request.user, pk=pk)
    desk.assisted_session_open(request, by=request.user, mandate=mandate)
    return redirect("applications:dashboard")


@require_POST
@_mediator_only
def assisted_session_end(request: AuthenticatedHttpRequest) -> HttpResponse:
    mandate = getattr(request, "mandate", None)
    request.session.pop(ASSISTED_SESSION_KEY, None)
    back_url = request.session.pop(desk.ASSISTED_BACK_KEY, "")
    if mandate is not None:
        services.mandate_session_record(mandate=mandate, by=request.user, started=False)
        messages.info(request, _("Vous n'agissez plus pour le compte de %(person)s.")
                      % {"person": mandate.person.get_full_name() or mandate.person.login_id})
    return redirect(desk.back_url_safe(request, back_url) or "backoffice:mandates")
