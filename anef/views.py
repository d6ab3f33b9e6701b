"""Public pages of the portal and the operations probe."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView
from django.views.i18n import set_language as django_set_language

from anef import health
from core.storage import storage_ok
from notifications.selectors import outbox_metrics


class HomeView(TemplateView):
    template_name = "pages/home.html"


class AccessibilityView(TemplateView):
    template_name = "pages/accessibility.html"


class LegalNoticeView(TemplateView):
    template_name = "pages/legal_notice.html"


class PersonalDataView(TemplateView):
    template_name = "pages/personal_data.html"


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also remembers the choice on the person's profile."""
    from accounts.services import LANGUAGE_CHOSEN_SESSION_KEY, user_set_language

    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    elif check_for_language(language):
        # Before signing in: the login keeps this choice (and stores it on the profile).
        request.session[LANGUAGE_CHOSEN_SESSION_KEY] = language
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        post = request.POST.copy()
        post["next"] = "/"
        request.POST = QueryDict(post.urlencode(), encoding=request.encoding)  # immutable, as Django's
    return django_set_language(request)


def _outbox_metrics() -> dict | None:
    try:
        return outbox_metrics()
    except Exception:
        return None


@never_cache
@require_GET
@never_cache
@require_GET
def livez(request: HttpRequest) -> HttpResponse:
    """Liveness, for an orchestrator: this process answers requests. It checks nothing outside the
    process, so that a database or Redis outage never gets every web node restarted at once."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness, for the load balancer: this node can serve (database, cache and file store
    answer). 503 takes it out of rotation until they answer again; nothing else is disclosed."""
    checks = {"database": health.database_ok(), "cache": health.cache_ok(), "storage": storage_ok()}
    failing = [name for name, ok in checks.items() if not ok]
    status = 503 if failing else 200
    body = "ok" if not failing else "not ready: " + ", ".join(failing)
    return HttpResponse(body, content_type="text/plain", status=status)


def healthz(request: HttpRequest) -> JsonResponse:
    database = health.database_ok()
    broker = health.broker_ok()
    status = 200 if database and broker else 503
    body: dict = {
        "status": "ok" if status == 200 else "error",
        "database": "ok" if database else "error",
        "broker": "ok" if broker else "error",
    }
    if _monitoring_allowed(request):
        heartbeat_age = health.last_heartbeat_age()
        # Informational: seconds since beat last had a worker run its heartbeat job.
        body["scheduler_heartbeat_age_seconds"] = None if heartbeat_age is None else round(heartbeat_age)
        # Informational: the outbox's e-mails and SMS (docs/operations.md, "Delivery").
        body["outbox"] = _outbox_metrics() if database else None
    return JsonResponse(body, status=status)


def _monitoring_allowed(request: HttpRequest) -> bool:
    """The operational figures of /healthz go to everyone while HEALTHZ_TOKEN is unset (one
    machine, a private network), else only to a request that sends it as a bearer token."""
    token = settings.HEALTHZ_TOKEN
    if not token:
        return True
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return constant_time_compare(sent, token)
