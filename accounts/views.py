"""Account pages: sign-up, e-mail verification, login, profile, and the staff second factor."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlencode, urlsafe_base64_decode
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from accounts import desk, forms, hooks, services
from accounts.decorators import STAFF_ONLY_MESSAGE, role_required
from accounts.http import AuthenticatedHttpRequest, client_ip, rate_limit_allow
from accounts.models import OneTimeCode, User
from accounts.permissions import (
    mediator_site_ids,
    person_account_get_for_staff,
    second_factor_person_get,
    second_factor_verified,
)
from accounts.selectors import (
    person_account_by_login_id,
    user_is_staff_member,
    user_memberships,
    user_roles,
)

# Resend and sign-up mails: at most one per address a minute, against mail bombing.
MAIL_THROTTLE_SECONDS = 60


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _mail_allowed(kind: str, email: str) -> bool:
    return cache.add(f"accounts:mail:{kind}:{email.lower()}", 1, MAIL_THROTTLE_SECONDS)


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _mail_allowed("signup", data["email"]):
            services.user_sign_up(
                email=data["email"], password=data["password1"], first_name=data["first_name"],
                last_name=data["last_name"], preferred_language=get_language(),
            )
        request.session["signup_email"] = data["email"]
        return redirect("accounts:sign_up_done")
    return render(request, "accounts/sign_up.html", {"form": form})


def sign_up_done(request: HttpRequest) -> HttpResponse:
    email = request.session.get("signup_email", "")
    form = forms.ResendVerificationForm(initial={"email": email})
    return render(request, "accounts/sign_up_done.html", {"email": email, "form": form})


@require_http_methods(["GET", "POST"])
def resend_verification(request: HttpRequest) -> HttpResponse:
    form = forms.ResendVerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is not None and _mail_allowed("verify", email):
            services.user_send_verification_email(user=user)
        # Same answer whether or not the address has an account: no account enumeration.
        messages.success(request, _(
            "Si un compte non confirmé existe pour cette adresse, un nouveau lien vient d'y être "
            "envoyé. Il est valable 24 heures."
        ))
        return redirect("accounts:login")
    return render(request, "accounts/resend_verification.html", {"form": form})


def verify_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is not None and services.user_verify_email(user=user, token=token):
        messages.success(request, _("Votre adresse e-mail est confirmée. Vous pouvez vous connecter."))
        return redirect("accounts:login")
    form = forms.ResendVerificationForm()
    return render(request, "accounts/verify_email_failed.html", {"form": form}, status=400)


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes lockout page: says what happened, for how long, and the way out."""
    return render(request, "accounts/locked_out.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }, status=429)


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = forms.LoginForm
    redirect_authenticated_user = False

    def form_valid(self, form):
        chosen = self.request.session.get(services.LANGUAGE_CHOSEN_SESSION_KEY)
        response = super().form_valid(form)
        user = form.get_user()
        if chosen:  # picked on this device just before signing in: it wins, and is remembered
            services.user_set_language(user=user, language=chosen)
            self.request.session.pop(services.LANGUAGE_CHOSEN_SESSION_KEY, None)
        # Speak the person's language from now on, on this device too.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, user.preferred_language,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE, max_age=365 * 24 * 3600,
        )
        if user_is_staff_member(user=user):
            next_url = self.get_redirect_url() or reverse("backoffice:home")
            step = "accounts:totp_verify" if services.totp_device_confirmed(user=user) else "accounts:totp_enrol"
            response["Location"] = _with_next(step, next_url)
        return response


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Vous êtes déconnecté."))
        return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = forms.ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field, field_errors)
        else:
            messages.success(request, _("Vos informations sont enregistrées."))
            response = redirect("accounts:profile")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["preferred_language"],
                secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE, max_age=365 * 24 * 3600,
            )
            return response
    return render(request, "accounts/profile.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = forms.PortalPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = forms.PortalSetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = forms.PortalPasswordChangeForm
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Votre mot de passe est modifié."))
        return super().form_valid(form)


# --- Staff second factor ------------------------------------------------------------------------

#: The pages where staff prove their second factor: a staff role, the factor not yet proved.
_staff_only = role_required(user_is_staff_member, STAFF_ONLY_MESSAGE, second_factor=False)


@require_http_methods(["GET", "POST"])
@_staff_only
def totp_enrol(request: HttpRequest) -> HttpResponse:
    staff = cast(User, request.user)
    next_url = _safe_next(request, reverse("backoffice:home"))
    if services.totp_device_confirmed(user=staff) is not None:
        return redirect(_with_next("accounts:totp_verify", next_url))
    device = services.totp_device_start_enrolment(user=staff)
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.totp_device_confirm(user=staff, device=device, token=form.cleaned_data["code"])
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            request.session["backup_codes"] = codes
            return redirect(_with_next("accounts:backup_codes", next_url))
        form.add_error("code", _("Ce code est incorrect ou a expiré. Saisissez le code affiché "
                                 "maintenant par votre application."))
    return render(request, "accounts/totp_enrol.html", {
        "form": form, "next": next_url, "qr_svg": _qr_svg(device.config_url),
        "secret": _base32(device.bin_key),
    })


@require_http_methods(["GET", "POST"])
@_staff_only
def totp_verify(request: HttpRequest) -> HttpResponse:
    staff = cast(User, request.user)
    next_url = _safe_next(request, reverse("backoffice:home"))
    if services.totp_device_confirmed(user=staff) is None:
        return redirect(_with_next("accounts:totp_enrol", next_url))
    if second_factor_verified(user=staff):
        return redirect(next_url)
    form = forms.CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = services.second_factor_check(user=staff, code=form.cleaned_data["code"])
        if check.device is not None:
            otp_login(request, check.device)
            return redirect(next_url)
        if check.wait_seconds:
            form.add_error("code", _wait_message(check.wait_seconds))
            status = 429
        else:
            form.add_error("code", _("Ce code est incorrect. Vérifiez l'heure de votre téléphone, "
                                     "attendez le code suivant, ou utilisez un code de secours."))
    response = render(request, "accounts/totp_verify.html", {"form": form, "next": next_url}, status=status)
    if status == 429:
        response["Retry-After"] = str(check.wait_seconds)
    return response


def _wait_message(seconds: int) -> str:
    """"Wait N seconds/minutes": rounded up, so that a person who waits that long gets in."""
    if seconds < 60:
        wait = ngettext("%(count)s seconde", "%(count)s secondes", seconds) % {"count": seconds}
    else:
        minutes = -(-seconds // 60)
        wait = ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    return _("Trop d'essais : attendez %(wait)s avant de saisir un nouveau code de votre application, "
             "ou utilisez un code de secours.") % {"wait": wait}


@_staff_only
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Shows the backup codes once, right after they were made."""
    staff = cast(User, request.user)
    codes = request.session.pop("backup_codes", None)
    if not codes or not second_factor_verified(user=staff):
        return redirect("backoffice:home")
    next_url = _safe_next(request, reverse("backoffice:home"))
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": next_url})


def _qr_svg(data: str) -> str:
    import segno

    return segno.make(data, error="m").svg_inline(scale=5, title=_("QR code à scanner"))


def _base32(key: bytes) -> str:
    from base64 import b32encode

    return b32encode(key).decode()


@require_POST
def second_factor_unblock(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A supervisor (or the administrator) ends an agent's wait after wrong codes."""
    person = second_factor_person_get(by=request.user, pk=pk)
    services.second_factor_unblock(user=person, by=request.user)
    messages.success(request, _("La double authentification de %(name)s est débloquée : cette personne "
                                "peut saisir un nouveau code dès maintenant.") % {"name": person})
    return redirect(_safe_next(request, reverse("backoffice:home")))


# --- Back-office home ---------------------------------------------------------------------------

def backoffice_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    # StaffSecondFactorMiddleware has already required a staff role and a verified second factor.
    if request.method == "POST" and request.POST.get("action") == "regenerate_backup_codes":
        request.session["backup_codes"] = services.backup_codes_regenerate(user=request.user)
        return redirect("accounts:backup_codes")
    return render(request, "accounts/backoffice_home.html", {
        "is_mediator": bool(mediator_site_ids(user=request.user)),
        "memberships": user_memberships(user=request.user),
        "roles": user_roles(user=request.user),
        "backup_codes_remaining": services.backup_codes_remaining(user=request.user),
    })


# --- Accounts without e-mail: activation and SMS reset ------------------------------------------

#: Code tries allowed per client address and window, on top of each code's own try limit: against
#: trying one guess on many identifiers. Generous, since a help point puts many people behind one IP.
CODE_TRY_LIMIT = 30
CODE_TRY_WINDOW_SECONDS = 10 * 60
SMS_PER_ADDRESS_LIMIT = 10


def _code_page(request: HttpRequest, *, form_class, purpose: str, template: str, done_message: str) -> HttpResponse:
    form = form_class(request.POST or None, initial={"login_id": request.GET.get("identifiant", "")})
    status = 200
    closed = False
    if request.method == "POST" and form.is_valid():
        if not rate_limit_allow(scope="accounts:code", key=client_ip(request), limit=CODE_TRY_LIMIT,
                                window_seconds=CODE_TRY_WINDOW_SECONDS):
            form.add_error(None, _("Trop d'essais depuis cet appareil : réessayez dans quelques minutes."))
            status = 429
        else:
            data = form.cleaned_data
            try:
                outcome = services.one_time_code_redeem(
                    login_id=data["login_id"], code=data["code"], password=data["password1"], purpose=purpose)
            except ValidationError as error:
                form.add_error("password1", error)
            else:
                if outcome is services.Redeemed.DONE:
                    messages.success(request, done_message)
                    return redirect("accounts:login")
                if outcome is services.Redeemed.CLOSED:
                    closed = True
                    status = 400
                else:
                    form.add_error("code", _("Identifiant ou code incorrect. Vérifiez-les et réessayez : après "
                                             "plusieurs erreurs, le code ne fonctionne plus."))
                    status = 400
    return render(request, template, {"form": form, "closed": closed}, status=status)


@sensitive_post_parameters("code", "password1", "password2")
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """/compte/activer/: identifier + activation code of the welcome letter + new password."""
    return _code_page(request, form_class=forms.ActivationForm, purpose=OneTimeCode.Purpose.ACTIVATION,
                      template="accounts/activate.html",
                      done_message=_("Votre compte est activé. Connectez-vous avec votre identifiant et "
                                     "votre nouveau mot de passe."))


@require_http_methods(["GET", "POST"])
def password_reset_sms(request: HttpRequest) -> HttpResponse:
    """A person without e-mail asks for a code by SMS; the answer is the same for any identifier."""
    form = forms.SmsResetStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login_id = form.cleaned_data["login_id"]
        if rate_limit_allow(scope="accounts:sms", key=client_ip(request), limit=SMS_PER_ADDRESS_LIMIT,
                            window_seconds=CODE_TRY_WINDOW_SECONDS) and _mail_allowed("sms", login_id):
            services.password_reset_sms_start(login_id=login_id)
        messages.info(request, _("Si ce compte a un numéro de téléphone mobile et pas d'adresse e-mail, un code "
                                 "vient d'y être envoyé par SMS. Il expire dans %(minutes)s minutes.")
                      % {"minutes": settings.ACCOUNT_SMS_CODE_MINUTES})
        return redirect(f"{reverse('accounts:password_reset_sms_confirm')}?{urlencode({'identifiant': login_id})}")
    return render(request, "accounts/password_reset_sms.html", {"form": form})


@sensitive_post_parameters("code", "password1", "password2")
@require_http_methods(["GET", "POST"])
def password_reset_sms_confirm(request: HttpRequest) -> HttpResponse:
    return _code_page(request, form_class=forms.SmsResetConfirmForm, purpose=OneTimeCode.Purpose.SMS_RESET,
                      template="accounts/password_reset_sms_confirm.html",
                      done_message=_("Votre mot de passe est modifié. Vous pouvez vous connecter."))


# --- Mediators: accounts for people without e-mail ---------------------------------------------
#
# Under /backoffice/, for mediators of a site (with a verified second factor: role_required).

#: The code of an account just made, kept in the session only until the confirmation page shows it.
SHOWN_ONCE_SESSION_KEY = "person_account_shown_once"


_mediator_only = role_required(
    mediator_site_ids, gettext_lazy("Seuls les médiateurs numériques d'un point d'accueil ont accès à cette page.")
)


@require_http_methods(["GET", "POST"])
@_mediator_only
def person_account_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """"Créer un compte pour une personne"; from a PAN's visit, the visitor's name and phone are
    already typed (``accounts.desk.person_account_prefill``)."""
    prefill = desk.person_account_prefill_read(request)
    form = forms.PersonAccountForm(request.POST or None, initial={
        name: prefill[name] for name in ("first_name", "last_name", "phone") if prefill.get(name)})
    if request.method == "POST" and form.is_valid():
        try:
            made = services.account_create_for_person(**form.cleaned_data, by=request.user)
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            desk.person_account_made_keep(request, user_id=made.user.pk, prefill=prefill)
            return _show_once(request, made)
    return render(request, "accounts/person_account_create.html", {
        "form": form, "back_url": prefill.get("back_url", "")})


@require_http_methods(["GET", "POST"])
@_mediator_only
def activation_reissue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A mediator checks a person's identity and gives them a new activation code and letter."""
    form = forms.ActivationReissueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = person_account_by_login_id(login_id=data["login_id"], birth_date=data["birth_date"])
        if person is None:
            form.add_error("login_id", _("Aucun compte ne correspond à cet identifiant et à cette date de naissance."))
        else:
            made = services.account_activation_reissue(user=person, by=request.user,
                                                       identity_document=data["identity_document"])
            return _show_once(request, made)
    return render(request, "accounts/activation_reissue.html", {"form": form})


def _show_once(request: HttpRequest, made: services.PersonAccount) -> HttpResponse:
    request.session[SHOWN_ONCE_SESSION_KEY] = {
        "user": made.user.pk, "code": made.activation_code, "letter": made.letter_id,
    }
    return redirect("backoffice:person_account_created", pk=made.user.pk)


@_mediator_only
def person_account_created(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The identifier and the activation code, shown once, and the letter to print now."""
    person = person_account_get_for_staff(by=request.user, pk=pk)
    shown = request.session.pop(SHOWN_ONCE_SESSION_KEY, None)
    back_url, back_label = desk.person_account_made_back(request, user_id=person.pk)
    if not shown or shown.get("user") != person.pk:
        return render(request, "accounts/person_account_created.html", {
            "person": person, "gone": True, "back_url": back_url, "back_label": back_label})
    return render(request, "accounts/person_account_created.html", {
        "person": person, "code": shown["code"], "letter_id": shown["letter"],
        "back_url": back_url, "back_label": back_label,
    })


@sensitive_post_parameters("code")
@require_POST
@_mediator_only
def welcome_letter_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The welcome letter with its activation code, printed at the desk. The page that showed the
    code sends it back; it is checked against the stored hash and printed, never kept."""
    person = person_account_get_for_staff(by=request.user, pk=pk)
    code = request.POST.get("code", "")
    letter_id = request.POST.get("letter", "")
    if not letter_id.isdigit() or not services.activation_code_matches(user=person, code=code):
        raise Http404
    if not person.issued_documents.filter(pk=int(letter_id), kind="welcome_letter").exists():
        raise Http404
    pdf = hooks.call("welcome_letter_pdf", int(letter_id), services.code_normalize(code))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="lettre-{person.login_id}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
