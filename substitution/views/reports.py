"""Report pages. Thin: parse, call one service or selector, render.

The person (/signaler/): the form "Je n'arrive pas à faire ma démarche", with or without an account;
the page shown once after sending it; the status page through the secret link or the person's space.
Staff (/backoffice/signalements/, behind the second factor of accounts.middleware): the support
queue and a report's page for CCC agents, recording a phone or walk-in report, and the read-only
view of mediators and prefecture agents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest, client_ip, rate_limit_allow
from core.http import uploaded_file_response
from substitution import selectors, services
from substitution.access import is_support, may_see_reports, mediator_site_ids
from substitution.forms import (
    AnswerForm,
    ContactForm,
    LinkAnomalyForm,
    QueueFilterForm,
    ReopenForm,
    ReportForm,
    StaffReportForm,
    UnresolvedForm,
)
from substitution.models import BlockingReport, Channel, ReportEvidence
from substitution.origin import origin_page, origin_read
from substitution.workflow import PLAIN_STATUS, REOPENABLE_STATUSES, ReportStatus
from territory.models import Prefecture, Site

#: Reports an anonymous visitor may send per address and hour: enough for a family sharing a
#: connection, too few to flood the support.
ANONYMOUS_REPORTS_PER_HOUR = 5
SESSION_CREATED = "substitution:created"
#: What another page puts in the staff form before opening it (``record_prefill``).
SESSION_PREFILL = "substitution:record_prefill"
QUEUE_PAGE_SIZE = 25


# --- Helpers ------------------------------------------------------------------------------------

def _may_record(*, user) -> bool:
    return is_support(user=user) or bool(mediator_site_ids(user=user))


_reports_only = role_required(
    may_see_reports, gettext_lazy("Seuls les agents qui traitent les signalements ont accès à cette page.")
)
_recorders_only = role_required(
    _may_record,
    gettext_lazy("Seuls les agents du centre de contact et les médiateurs numériques enregistrent un signalement."),
)
_support_only = role_required(
    is_support, gettext_lazy("Seuls les agents du centre de contact (CCC) traitent les signalements.")
)


def _services_errors(form: Form, error: ValidationError) -> None:
    """A service's refusal shown on the form: on the field it names, else at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _blockage(form: ReportForm, *, files: list, page_url: str = "", error: tuple[str, str] = ("", "")):
    data = form.cleaned_data
    return services.Blockage(kind=data["kind"], procedure=data.get("procedure"), tried=data.get("tried", ""),
                             page_url=page_url, error_code=error[0], error_message=error[1], files=files)


def _contact(form: ContactForm) -> services.Contact:
    return services.Contact(**{name: form.cleaned_data.get(name) or "" for name in ContactForm.CONTACT_FIELDS
                               if name != "language"}, language=form.cleaned_data.get("language") or "fr")


def _files_lost(form: Form) -> bool:
    """Whether files were chosen for a form that comes back with errors: the browser forgets them."""
    return bool(form.is_bound and form.files)


def _status_context(report: BlockingReport, *, secret: str = "", for_person: bool = True) -> dict[str, Any]:
    return {
        "report": report, "secret": secret, "plain_status": PLAIN_STATUS.get(report.status, ""),
        "timeline": selectors.report_timeline(report=report, for_person=for_person),
        "evidence": selectors.report_evidence(report=report),
        "may_reopen": report.status in REOPENABLE_STATUSES, "reopen_form": ReopenForm(),
        "overdue": report.deadline < timezone.localdate(),
        **_paper_status(report),
    }


def _paper_status(report: BlockingReport) -> dict[str, Any]:
    from substitution.views.paper import status_context  # the paper path's module imports this one

    return status_context(report)


def _download(item: ReportEvidence) -> FileResponse:
    return uploaded_file_response(item.file, content_type=item.content_type, name=f"piece-{item.pk}{item.extension}")


def record_prefill(request: HttpRequest, *, first_name: str, last_name: str, phone: str, back_url: str,
                   back_label: str) -> None:
    """Opens the staff form with the person's name already typed and, once the report is recorded,
    a link ``back_label`` to ``back_url`` (a back-office path): the PAN's walk-in log sends a mediator
    here from a visit. Kept in the session, never in the URL, where names and phones would reach
    access logs."""
    if not back_url.startswith("/backoffice/"):
        back_url = ""
    request.session[SESSION_PREFILL] = {"first_name": first_name, "last_name": last_name, "phone": phone,
                                        "back_url": back_url, "back_label": str(back_label)}


# --- The person ---------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """"Je n'arrive pas à faire ma démarche": anyone, with or without an account."""
    user = request.user if request.user.is_authenticated else None
    prefecture = user.competent_prefecture if user else None
    form_class = ReportForm if user else ContactForm
    if request.method == "GET":
        page = origin_page(request)
        origin = request.GET.get("origine", "")
        form = form_class(initial={"origin": origin}, ask_postcode=prefecture is None)
        return render(request, "substitution/report.html", {
            "form": form, "page_url": page, "error": origin_read(origin), "signed_in": bool(user)})

    form = form_class(request.POST, request.FILES, ask_postcode=prefecture is None)
    page = request.POST.get("page", "")[:500] if user else ""
    error = origin_read(request.POST.get("origin", "")) if user else ("", "")
    status = 200
    if form.is_valid():
        if user is None and not rate_limit_allow(scope="substitution:report", key=client_ip(request),
                                                 limit=ANONYMOUS_REPORTS_PER_HOUR, window_seconds=3600):
            form.add_error(None, _("Trop de signalements ont été envoyés depuis cette connexion. Réessayez dans "
                                   "une heure, ou appelez le centre de contact au 0 806 001 620."))
            status = 429
        else:
            try:
                opened = services.report_open(
                    channel=Channel.ONLINE, person=user, by=user,
                    contact=None if user else _contact(form),  # type: ignore[arg-type]
                    prefecture=prefecture or form.prefecture,  # type: ignore[arg-type]  # the form found it
                    blockage=_blockage(form, files=form.cleaned_data.get("evidence") or [],
                                       page_url=page if page.startswith("/") else "", error=error),
                )
            except ValidationError as refusal:
                _services_errors(form, refusal)
            else:
                request.session[SESSION_CREATED] = {"reference": opened.report.reference, "secret": opened.secret}
                return redirect("substitution:created", reference=opened.report.reference)
    return render(request, "substitution/report.html", {
        "form": form, "page_url": page, "error": error, "signed_in": bool(user), "files_lost": _files_lost(form),
    }, status=status)


@require_GET
def created(request: HttpRequest, reference: str) -> HttpResponse:
    """The reference, the deadline and, without an account, the follow link: shown once."""
    just_made = request.session.pop(SESSION_CREATED, None)
    if just_made and just_made["reference"] == reference:
        report = BlockingReport.objects.select_related("prefecture").get(reference=reference)
        secret = just_made["secret"]
    else:
        report, secret = selectors.report_get_for_user(user=request.user, reference=reference), ""
        if report.person_id != request.user.pk:
            raise Http404
    follow_url = (request.build_absolute_uri(reverse("substitution:follow", args=[report.reference, secret]))
                  if secret else "")
    response = render(request, "substitution/created.html", {"report": report, "follow_url": follow_url})
    response["Cache-Control"] = "private, no-store"  # the secret link must not stay in a cache
    return response


@require_GET
def follow(request: HttpRequest, reference: str, secret: str) -> HttpResponse:
    report = selectors.report_get_by_secret(reference=reference, secret=secret)
    response = render(request, "substitution/status.html", _status_context(report, secret=secret))
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"  # the secret is in this page's address
    return response


@require_POST
def follow_reopen(request: HttpRequest, reference: str, secret: str) -> HttpResponse:
    report = selectors.report_get_by_secret(reference=reference, secret=secret)
    return _reopen(request, report, by=None, secret=secret,
                   back=reverse("substitution:follow", args=[reference, secret]))


@require_GET
def follow_evidence(request: HttpRequest, reference: str, secret: str, pk: int) -> FileResponse:
    report = selectors.report_get_by_secret(reference=reference, secret=secret)
    return _download(selectors.evidence_get(report=report, pk=pk))


@login_required
@require_GET
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "substitution/mine.html", {
        "reports": list(selectors.reports_for_person(user=request.user))})


def own_report(request: AuthenticatedHttpRequest, reference: str) -> BlockingReport:
    report = selectors.report_get_for_user(user=request.user, reference=reference)
    if report.person_id != request.user.pk:  # staff see it in the back-office, not here
        raise Http404
    return report


@login_required
@require_GET
def mine_detail(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return render(request, "substitution/status.html", _status_context(own_report(request, reference)))


@login_required
@require_POST
def mine_reopen(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    report = own_report(request, reference)
    return _reopen(request, report, by=request.user, back=reverse("substitution:mine_detail", args=[reference]))


@login_required
@require_GET
def mine_evidence(request: AuthenticatedHttpRequest, reference: str, pk: int) -> FileResponse:
    return _download(selectors.evidence_get(report=own_report(request, reference), pk=pk))


def _reopen(request: HttpRequest, report: BlockingReport, *, by, back: str, secret: str = "") -> HttpResponse:
    form = ReopenForm(request.POST)
    form.is_valid()
    return person_action(
        request, lambda: services.report_reopen(report=report, by=by, secret=secret,
                                                text=form.cleaned_data.get("text", "")),
        done=_("C'est noté : le support reprend votre signalement. La date limite reste la même."), back=back)


def person_action(request: HttpRequest, action: Callable[[], object], *, done: str, back: str) -> HttpResponse:
    """A move the person makes from their status page: a refusal is shown there; a person the
    service does not recognise (a wrong secret) gets a 404, as for the page itself."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, done)
    return redirect(back)


# --- Staff --------------------------------------------------------------------------------------

@login_required
@require_GET
@_reports_only
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The reports to deal with, the nearest deadline first."""
    support = is_support(user=request.user)
    prefectures = (Prefecture.objects.select_related("department").order_by("department__code") if support
                   else Prefecture.objects.none())
    params = request.GET.copy()
    params.pop("page", None)
    form = QueueFilterForm(params or None, prefectures=list(prefectures))
    cleaned = form.cleaned if params else {}
    filters = selectors.QueueFilters(
        status=cleaned.get("status", ""), kind=cleaned.get("kind", ""), channel=cleaned.get("channel", ""),
        prefecture=cleaned.get("prefecture"), overdue=bool(cleaned.get("overdue")), q=cleaned.get("q", ""),
    )
    today = timezone.localdate()
    page = Paginator(selectors.reports_queue(user=request.user, filters=filters, today=today),
                     QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "substitution/backoffice/queue.html", {
        "form": form, "page": page, "today": today, "query": params.urlencode(), "support": support,
        "may_record": support or bool(mediator_site_ids(user=request.user)),
    })


@login_required
@require_http_methods(["GET", "POST"])
@_recorders_only
def record(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A CCC agent records a phone call; a mediator, a walk-in at their site."""
    user = request.user
    support = is_support(user=user)
    sites = None if support else Site.objects.filter(pk__in=mediator_site_ids(user=user)).order_by("name")
    prefill = request.session.get(SESSION_PREFILL) or {}
    form = StaffReportForm(request.POST or None, request.FILES or None, sites=sites, initial={
        name: prefill[name] for name in ("first_name", "last_name", "phone") if prefill.get(name)})
    if request.method == "POST" and form.is_valid():
        site = None
        if not support:
            site = form.cleaned_data.get("site") or sites.first()  # type: ignore[union-attr]
        try:
            opened = services.report_open(
                channel=Channel.PHONE if support else Channel.PAN, by=user, site=site, contact=_contact(form),
                prefecture=form.prefecture,  # type: ignore[arg-type]  # the form found it
                blockage=_blockage(form, files=form.cleaned_data.get("evidence") or []),
            )
        except ValidationError as refusal:
            _services_errors(form, refusal)
        else:
            request.session.pop(SESSION_PREFILL, None)
            request.session[SESSION_CREATED] = {"reference": opened.report.reference, "secret": opened.secret,
                                                "back": [prefill.get("back_url", ""), prefill.get("back_label", "")]}
            return redirect("substitution_backoffice:recorded", reference=opened.report.reference)
    return render(request, "substitution/backoffice/record.html", {
        "form": form, "support": support, "files_lost": request.method == "POST" and _files_lost(form)})


@login_required
@require_GET
@_recorders_only
def recorded(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """What to read out or print for the person: reference, deadline, follow link (shown once)."""
    report = selectors.report_get_for_user(user=request.user, reference=reference)
    just_made = request.session.pop(SESSION_CREATED, None)
    mine = just_made if just_made and just_made["reference"] == reference else {}
    secret = mine.get("secret", "")
    follow_url = (request.build_absolute_uri(reverse("substitution:follow", args=[report.reference, secret]))
                  if secret else "")
    back_url, back_label = mine.get("back", ("", ""))
    response = render(request, "substitution/backoffice/recorded.html", {
        "report": report, "follow_url": follow_url, "back_url": back_url, "back_label": back_label})
    response["Cache-Control"] = "private, no-store"
    return response


def staff_report(request: AuthenticatedHttpRequest, reference: str) -> BlockingReport:
    report = selectors.report_get_for_user(user=request.user, reference=reference)
    if not selectors.report_is_overseen_by(user=request.user, report=report):
        raise Http404
    return report


def detail_page(request: AuthenticatedHttpRequest, report: BlockingReport, *, status: int = 200,
                 **forms: Form) -> HttpResponse:
    support = is_support(user=request.user)
    choices = list(selectors.anomalies_to_link(report=report)) if support else []
    return render(request, "substitution/backoffice/detail.html", {
        **_status_context(report, for_person=False), "support": support, "anomalies": choices,
        "suggestions": selectors.anomaly_suggestions(report=report) if support else [],
        "answer_form": forms.get("answer_form") or AnswerForm(prefix="answer"),
        "unresolved_form": forms.get("unresolved_form") or UnresolvedForm(prefix="unresolved"),
        "anomaly_form": forms.get("anomaly_form") or LinkAnomalyForm(prefix="anomaly", choices=choices),
        "may_answer": support and report.status in (ReportStatus.OPEN, ReportStatus.ANSWERED),
        "may_mark_unresolved": support and report.status in (ReportStatus.OPEN, ReportStatus.ANSWERED),
        "may_resolve": support and report.status == ReportStatus.UNRESOLVED,
        **_paper_detail(request, report, forms.get("impossibility_form")),
    }, status=status)


def _paper_detail(request, report, form) -> dict[str, Any]:
    from substitution.views.paper import detail_context  # the paper path's module imports this one

    return detail_context(request, report, form)


@login_required
@require_GET
@_reports_only
def detail(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return detail_page(request, staff_report(request, reference))


def _act(request: AuthenticatedHttpRequest, reference: str, form_name: str, form: Form, action: Callable,
         done: str) -> HttpResponse:
    report = staff_report(request, reference)
    if form.is_valid():
        try:
            action(report, form.cleaned_data)
        except ValidationError as refusal:
            _services_errors(form, refusal)
        except PermissionDenied:
            raise
        else:
            messages.success(request, done)
            return redirect("substitution_backoffice:detail", reference=reference)
    return detail_page(request, report, status=400, **{form_name: form})


@login_required
@require_POST
@_support_only
def answer(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return _act(request, reference, "answer_form", AnswerForm(request.POST, prefix="answer"),
                lambda report, data: services.report_answer(report=report, by=request.user, text=data["text"],
                                                            resolved=data["resolved"]),
                _("La réponse est enregistrée ; la personne la voit sur sa page de suivi."))


@login_required
@require_POST
@_support_only
def mark_unresolved(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return _act(request, reference, "unresolved_form", UnresolvedForm(request.POST, prefix="unresolved"),
                lambda report, data: services.report_mark_unresolved(report=report, by=request.user, why=data["why"]),
                _("Le signalement est enregistré comme non résolu. La date limite continue de courir."))


@login_required
@require_POST
@_support_only
def resolve(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return _act(request, reference, "answer_form", AnswerForm(request.POST, prefix="answer"),
                lambda report, data: services.report_resolve(report=report, by=request.user, text=data["text"]),
                _("Le signalement est marqué comme résolu."))


@login_required
@require_POST
@_support_only
def link_anomaly(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    report = staff_report(request, reference)
    choices = list(selectors.anomalies_to_link(report=report))

    def link(report, data):
        anomaly = data["anomaly"] or services.anomaly_create(
            by=request.user, title=data["title"], kind=report.kind, procedure=report.procedure,
            error_code=report.error_code)
        services.report_link_anomaly(report=report, by=request.user, anomaly=anomaly)

    return _act(request, reference, "anomaly_form",
                LinkAnomalyForm(request.POST, prefix="anomaly", choices=choices), link,
                _("Le signalement est rattaché à l'anomalie."))


@login_required
@require_GET
@_reports_only
def evidence(request: AuthenticatedHttpRequest, reference: str, pk: int) -> FileResponse:
    return _download(selectors.evidence_get(report=staff_report(request, reference), pk=pk))
