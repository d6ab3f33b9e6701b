"""Session limits and the staff second-factor gate."""

from __future__ import annotations

import functools
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as _DjangoOTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.decorators import STAFF_ONLY_MESSAGE
from accounts.permissions import second_factor_verified
from accounts.selectors import totp_device_by_id_for, user_is_staff_member
from accounts.services import totp_device_confirmed

SESSION_STARTED_KEY = "_anef_started_at"
SESSION_SEEN_KEY = "_anef_seen_at"
#: Whether the person holds a staff role, set once per session here; the layout reads it
#: (anef.context_processors) without a query.
SESSION_STAFF_KEY = "_anef_staff"
# Write the last-seen time at most once a minute: a session write per request would cost a query.
SEEN_RESOLUTION_SECONDS = 60

#: The REST API's prefix: it names the mandate it acts under in each request (api.onbehalf), never
#: takes it from the browser's assisted session.
API_PREFIX = "/api/"
#: URL prefixes only staff with a verified second factor may reach.
STAFF_PREFIXES = ("/backoffice/", "/admin/")


def _unwrapped(user):
    """The object behind ``AuthenticationMiddleware``'s lazy ``request.user``, loaded now."""
    if isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped
    return user


class OTPMiddleware(_DjangoOTPMiddleware):
    """django-otp's ``OTPMiddleware`` (``request.user.otp_device``: the device the session's second
    factor was proved with, or None), at a lower price on every request of a staff session (issue 17:
    a staff page paid about 1,400 Python calls more than an applicant's before its view ran).

    - The device is read from the database on every request, as django-otp does, but by a query
      whose SQL is built once per process, in one statement with the person's memberships
      (``accounts.selectors.totp_device_by_id_for``). Nothing is kept between requests: a deleted
      or unconfirmed device, or one of another person, leaves the session unverified on its next
      request (django-otp's ``_finalize_device``, unchanged), and a role given or taken shows on it.
    - Under WSGI, ``request.user`` is the person (or ``AnonymousUser``) itself, not a lazy object around
      ``AuthenticationMiddleware``'s lazy object: every attribute read on it (the permission checks
      read it tens of times a page) went through both. The user was read on every request anyway,
      by ``SessionLimitsMiddleware`` and ``PrivatePagesMiddleware`` right after this one: the same
      queries, made here. Under ASGI, as django-otp does (the user is read when awaited).
    """

    def _install_lazy_accessors(self, request):
        if self._is_async:  # the user is read when awaited, never from the event loop: as django-otp does
            return super()._install_lazy_accessors(request)
        user = getattr(request, "user", None)
        if user is not None:
            request.user = self._verify_user_sync(request, _unwrapped(user))
        auser = getattr(request, "auser", None)
        if auser is not None:  # as django-otp does
            request.auser = functools.partial(self._verify_user_async_via_auser, request, auser)

    def _verify_user_sync(self, request, user):
        """django-otp's, the person given to the device's read (``_device_for``)."""
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device = self._device_for(persistent_id, user) if persistent_id else None
            user.otp_device = self._finalize_device(request, user, device)  # django-otp's checks, unchanged
        return user

    def _device_for(self, persistent_id: str, user):
        """The device of the session as it is now in the database; for an authenticator, read in one
        statement with the person's memberships, which the back-office gate and the page then use
        (``accounts.selectors.totp_device_by_id_for``): read anew on each request, as before."""
        label, _, device_id = self._normalize_persistent_id(persistent_id).rpartition("/")
        if label == TOTPDevice.model_label() and device_id.isascii() and device_id.isdigit() and len(device_id) < 10:
            return totp_device_by_id_for(device_id=int(device_id), user=user)
        return super()._device_from_persistent_id(persistent_id)  # any other: as django-otp reads it


class PrivatePagesMiddleware:
    """Every page answered to a signed-in person says ``Cache-Control: private, no-store``.

    Their pages show personal data (a file, a dossier, messages), and help-desk computers are
    shared: neither a proxy nor the browser's history and back button may keep a copy once the
    person has signed out. Anonymous pages keep their own caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class SessionLimitsMiddleware:
    """Ends a signed-in session after its idle or absolute limit (DESIGN §2).

    Applicants: 30 min idle, 12 h in all; staff: 15 min idle. The person is signed out, told why,
    and sent to the login page, which brings them back where they were.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._check(request)
            if expired:
                logout(request)
                if request.path.startswith(API_PREFIX):  # signed out: the API answers its JSON 401
                    return self.get_response(request)
                messages.warning(request, expired)
                if request.method == "GET" and request.path != reverse(settings.LOGIN_URL):
                    query = urlencode({"next": request.get_full_path()})
                    return redirect(f"{reverse(settings.LOGIN_URL)}?{query}")
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)

    @staticmethod
    def _check(request: HttpRequest) -> str | None:
        now = time.time()
        session = request.session
        started = session.setdefault(SESSION_STARTED_KEY, now)
        seen = session.get(SESSION_SEEN_KEY, now)
        staff = session.get(SESSION_STAFF_KEY)
        if staff is None:  # decided once per session: one query saved on every request
            staff = session[SESSION_STAFF_KEY] = user_is_staff_member(user=request.user)
        idle = settings.SESSION_IDLE_TIMEOUT_STAFF if staff else settings.SESSION_IDLE_TIMEOUT_APPLICANT
        if now - seen > idle.total_seconds():
            minutes = int(idle.total_seconds() // 60)
            return ngettext(
                "Votre session a expiré après %(minutes)s minute d'inactivité. "
                "Reconnectez-vous pour continuer.",
                "Votre session a expiré après %(minutes)s minutes d'inactivité. "
                "Reconnectez-vous pour continuer.",
                minutes,
            ) % {"minutes": minutes}
        if now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
            return _("Votre session a expiré. Reconnectez-vous pour continuer.")
        if now - seen >= SEEN_RESOLUTION_SECONDS or SESSION_SEEN_KEY not in session:
            session[SESSION_SEEN_KEY] = now
        return None


class StaffSecondFactorMiddleware:
    """No staff page (back-office, Django admin) without a confirmed and verified second factor.

    A staff member without an authenticator is sent to enrol one; with one, to enter a code.
    People without a staff role are refused.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(STAFF_PREFIXES):
            response = self._gate(request)
            if response is not None:
                return response
        return self.get_response(request)

    @staticmethod
    def _gate(request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse(settings.LOGIN_URL)}?{query}")
        if not user_is_staff_member(user=user):
            raise PermissionDenied(STAFF_ONLY_MESSAGE)
        if second_factor_verified(user=user):  # a staff member, just checked: ``staff_verified``
            return None
        query = urlencode({"next": request.get_full_path()})
        if totp_device_confirmed(user=user) is None:
            return redirect(f"{reverse('accounts:totp_enrol')}?{query}")
        return redirect(f"{reverse('accounts:totp_verify')}?{query}")


class AssistedSessionMiddleware:
    """Sets ``request.mandate``: the mandate a mediator acts under in an assisted session, else
    None (docs/accounts.md, "Acting on someone's behalf").

    The mandate is checked again on every request (``accounts.mandates.mandate_holds``): once it
    is revoked, expired, or the mediator's second factor or role is gone, the session for the
    person ends here, with a message, and the mediator is taken back to their list of mandates.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts.mandates import ASSISTED_SESSION_KEY, mandate_holds
        from accounts.models import Mandate

        request.mandate = None  # type: ignore[attr-defined]
        if request.path.startswith(API_PREFIX):  # the API acts for someone only when a request says so
            return self.get_response(request)
        session = getattr(request, "session", None)
        signed_in = request.user.is_authenticated
        mandate_id = session.get(ASSISTED_SESSION_KEY) if session is not None and signed_in else None
        if mandate_id is not None:
            mandate = Mandate.objects.select_related("person", "site", "mediator").filter(pk=mandate_id).first()
            if mandate is not None and mandate_holds(mandate=mandate, by=request.user):
                request.mandate = mandate  # type: ignore[attr-defined]
            elif session is not None:
                session.pop(ASSISTED_SESSION_KEY, None)
                messages.warning(request, _(
                    "Le mandat n'est plus valable (révoqué, expiré ou hors de votre point d'accueil) : "
                    "vous n'agissez plus pour le compte de cette personne."))
                if not request.path.startswith(STAFF_PREFIXES):
                    return redirect("backoffice:mandates")
        return self.get_response(request)
