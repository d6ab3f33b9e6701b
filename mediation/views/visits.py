"""The walk-in log's pages under /backoffice/mediation/ (staff with a verified second factor, see
accounts.middleware). Thin: parse, call one service or selector, render.

Mediators of a PAN check visitors in, record and end visits; they, the supervisors of the PAN's
prefecture and administrators read the day view. A visit or a PAN outside the person's reach is a
404 from its getter; a page reserved to a role is refused by ``role_required``.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts import desk
from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest
from accounts.mandates import mandates_for_mediator
from accounts.models import User
from core.fragments import CSRF_PLACEHOLDER, local_fragment
from core.layout import slotted_page
from mediation import presenters, selectors, services
from mediation.access import may_see_visits, mediator_site_ids
from mediation.forms import CheckInForm, DayForm, RecordForm, SearchForm
from mediation.models import Outcome, Visit
from substitution.views.reports import record_prefill
from territory.models import Site

_mediators_only = role_required(
    mediator_site_ids,
    gettext_lazy("Seuls les médiateurs numériques d'un point d'accueil accueillent des visiteurs."),
)
_log_readers = role_required(
    may_see_visits,
    gettext_lazy("Seuls les médiateurs numériques, les chefs de bureau et les administrateurs consultent le "
                 "journal des visites."),
)


def services_errors(form: Form, error: ValidationError) -> None:
    """A service's refusal shown on the form: on the field it names, else at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _day_url(site_id: int, day: date) -> str:
    return presenters.day_url(site_id, day)


@require_GET
@_log_readers
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The PANs whose log the person reads; today's day view itself when there is one (issue 17:
    the mediator's most read page in one request, not a redirect to the day's address)."""
    sites = selectors.pan_sites_visible(user=request.user)
    if len(sites) == 1:
        return _day_page(request, sites[0], None)
    return render(request, "mediation/backoffice/home.html", {
        "sites": sites, "today": timezone.localdate(), "keeps_log": bool(mediator_site_ids(user=request.user))})


@require_http_methods(["GET", "POST"])
@_mediators_only
def check_in(request: AuthenticatedHttpRequest) -> HttpResponse:
    """"Accueillir un visiteur": find their account, or note their name; then what they need."""
    if request.method == "GET" and not request.GET:  # nothing searched nor chosen yet
        return _blank_check_in_page(request)
    search = SearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_bound and search.is_valid() else ""
    matches = selectors.applicants_search(query=query) if query else []
    chosen = request.POST.get("person") or request.GET.get("personne") or ""
    person = selectors.applicant_get_for_check_in(user=request.user, pk=int(chosen)) if chosen.isdigit() else None
    if request.method == "GET" and not query and person is None and not search.errors:
        return _blank_check_in_page(request)
    sites = selectors.pan_sites_kept_by(user=request.user)
    form = CheckInForm(request.POST or None, sites=sites, initial={"person": person.pk if person else None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        site = data.get("site") or sites.first()
        try:
            if site is None:
                raise ValidationError(_("Le journal des visites est tenu dans les points d'accueil numérique : "
                                        "votre habilitation porte sur un autre site."))
            visit = services.visit_check_in(
                by=request.user, site=site, need=data["need"], need_details=data["need_details"], person=person,
                visitor=None if person else services.Visitor(last_name=data["last_name"],
                                                             first_name=data["first_name"], phone=data["phone"]),
            )
        except ValidationError as refusal:
            services_errors(form, refusal)
        else:
            messages.success(request, _("Visite commencée à %(time)s.") % {
                "time": timezone.localtime(visit.arrived_at).strftime("%H:%M")})
            return redirect("mediation_backoffice:visit", pk=visit.pk)
    return render(request, "mediation/backoffice/check_in.html", {"content": render_to_string(
        "mediation/backoffice/_check_in.html", {
            "search": search, "query": query, "matches": matches, "person": person, "form": form,
            "searched": bool(query)}, request)})


def _blank_check_in_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The check-in page before any search, its layout kept with it (core.layout): the template
    reads the blank form alone, the page's token put in its placeholder."""
    return slotted_page(request, "mediation/backoffice/check_in.html", context={},
                        slots={"blank_form": _blank_check_in_html(request)}, forms=("blank_form",))


def _blank_check_in_html(request: AuthenticatedHttpRequest) -> SafeString:
    """The check-in page's content before any search: the same for every mediator of the same PANs
    but for the CSRF token, so rendered once per language and list of PANs by this process (issue 17:
    the forms' fields were two thirds of the page's cost), with ``CSRF_PLACEHOLDER`` where the token
    goes: the page's template puts the page's own in (``{% with_csrf_token %}``). A mediator of one
    PAN, the usual case, has no PAN to choose: no query for the list."""
    sites = selectors.pan_sites_kept_by(user=request.user) if len(mediator_site_ids(user=request.user)) > 1 else None
    choices = tuple((site.pk, str(site)) for site in sites) if sites is not None and len(sites) > 1 else ()
    html = local_fragment("mediation-check-in", choices, render=lambda: render_to_string(
        "mediation/backoffice/_check_in.html", {
            "search": SearchForm(), "query": "", "matches": [], "person": None, "searched": False,
            "form": CheckInForm(sites=sites, initial={"person": None}), "csrf_token": CSRF_PLACEHOLDER}))
    return mark_safe(html)  # noqa: S308 (our template's, kept)


def _visit_page(request: AuthenticatedHttpRequest, visit: Visit, form: RecordForm | None = None,
                *, status: int = 200) -> HttpResponse:
    keeps_log = visit.site_id in mediator_site_ids(user=request.user)
    if form is None and keeps_log and visit.in_progress:
        reports = selectors.reports_to_link(visit=visit)
        initial = {"need": visit.need, "need_details": visit.need_details, "help_given": visit.help_given,
                   "outcome": visit.outcome, "referred_to": visit.referred_to, "report": visit.report_id}
        if not visit.outcome:
            # Back from substitution's form: the report just opened is the likely outcome.
            just_opened = reports.first()
            if just_opened is not None:
                initial.update(outcome=Outcome.REPORT_OPENED, report=just_opened.pk)
        form = RecordForm(reports=reports, initial=initial)
    acts = keeps_log and visit.in_progress
    # Said on the page: "Agir pour le compte de cette personne" goes straight to the assisted
    # session under a mandate in force, else first to the mandate.
    mandate = (mandates_for_mediator(by=request.user).filter(person_id=visit.person_id).first()
               if acts and visit.person_id else None)
    return render(request, "mediation/backoffice/visit.html", {
        "visit": visit, "form": form if acts else None, "keeps_log": keeps_log, "mandate": mandate,
        "minutes_so_far": services.duration_from(visit.arrived_at, timezone.now()) if visit.in_progress else None,
    }, status=status)


@require_http_methods(["GET", "POST"])
@_log_readers
def visit_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A visit: what was needed, the help, the outcome; saved, or saved and ended in one step."""
    visit = selectors.visit_get_for_staff(user=request.user, pk=pk)
    if request.method == "GET":
        return _visit_page(request, visit)
    form = RecordForm(request.POST, reports=selectors.reports_to_link(visit=visit))
    action = request.POST.get("action")
    if action in _LEAVING:
        return _LEAVING[action](request, visit, form)
    ending = request.POST.get("action") == "end"
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # saved and ended together, or neither
                visit = services.visit_record(
                    visit=visit, by=request.user, need=data["need"], need_details=data["need_details"],
                    help_given=data["help_given"], outcome=data["outcome"], referred_to=data["referred_to"],
                    report=data["report"])
                if ending:
                    visit = services.visit_end(visit=visit, by=request.user,
                                               duration_minutes=data["duration_minutes"])
        except ValidationError as refusal:
            services_errors(form, refusal)
        else:
            if ending:
                messages.success(request, _("Visite terminée (%(minutes)d min).") % {"minutes": visit.duration_minutes})
                return redirect(_day_url(visit.site_id, timezone.localdate(visit.arrived_at)))
            messages.success(request, _("Visite enregistrée."))
            return redirect("mediation_backoffice:visit", pk=visit.pk)
    return _visit_page(request, visit, form, status=400)


#: What may still be missing when the mediator leaves to open a report: it is the report's outcome.
_OUTCOME_FIELDS = {"outcome", "report", "referred_to", "duration_minutes"}


def _save_before_leaving(request: AuthenticatedHttpRequest, visit: Visit, form: RecordForm) -> Visit | HttpResponse:
    """What was typed is saved before the mediator leaves the visit for another page (the outcome
    waits for their return); the visit page with its errors otherwise."""
    form.is_valid()
    if set(form.errors) - _OUTCOME_FIELDS:
        return _visit_page(request, visit, form, status=400)
    data = form.cleaned_data
    try:
        return services.visit_record(visit=visit, by=request.user, need=data["need"],
                                     need_details=data.get("need_details", ""), help_given=data.get("help_given", ""))
    except ValidationError as refusal:
        services_errors(form, refusal)
        return _visit_page(request, visit, form, status=400)


def _to_report(request: AuthenticatedHttpRequest, visit: Visit, form: RecordForm) -> HttpResponse:
    """"Ouvrir un signalement pour cette personne": what was typed is saved (the outcome waits for
    the report), then substitution's "Enregistrer un signalement au guichet" opens with the
    visitor's name typed and a way back to the visit, where the report is chosen as the outcome."""
    saved = _save_before_leaving(request, visit, form)
    if isinstance(saved, HttpResponse):
        return saved
    visit = saved
    person = visit.person
    record_prefill(request, first_name=person.first_name if person else visit.first_name,
                   last_name=person.last_name if person else visit.last_name,
                   phone=person.phone if person else visit.phone,
                   back_url=reverse("mediation_backoffice:visit", args=[visit.pk]), back_label=_("Revenir à la visite"))
    return redirect("substitution_backoffice:record")


def _to_account(request: AuthenticatedHttpRequest, visit: Visit, form: RecordForm) -> HttpResponse:
    """"Créer un compte pour cette personne": what was typed is saved, then accounts' "Créer un
    compte pour une personne" opens with the visitor's name and phone typed; once the account is
    made, its page posts back to ``visit_account``, which links it to the visit."""
    if visit.person_id is not None:
        messages.info(request, _("Cette personne a déjà un compte."))
        return redirect("mediation_backoffice:visit", pk=visit.pk)
    saved = _save_before_leaving(request, visit, form)
    if isinstance(saved, HttpResponse):
        return saved
    return redirect(desk.person_account_prefill(
        request, first_name=saved.first_name, last_name=saved.last_name, phone=saved.phone,
        back_url=reverse("mediation_backoffice:visit_account", args=[saved.pk]),
        back_label=_("Revenir à la visite avec ce compte")))


def _to_person_space(request: AuthenticatedHttpRequest, visit: Visit, form: RecordForm) -> HttpResponse:
    """"Agir pour le compte de cette personne": what was typed is saved; under a mandate in force,
    the assisted session opens on the person's space ("Terminer" comes back here); without one,
    accounts' "Recevoir un mandat par code" opens with the person's identifier typed, and comes
    back here once the mandate is recorded."""
    if visit.person is None:
        return redirect("mediation_backoffice:visit", pk=visit.pk)
    saved = _save_before_leaving(request, visit, form)
    if isinstance(saved, HttpResponse):
        return saved
    visit_url = reverse("mediation_backoffice:visit", args=[saved.pk])
    mandate = mandates_for_mediator(by=request.user).filter(person_id=saved.person_id).first()
    if mandate is not None:
        desk.assisted_session_open(request, by=request.user, mandate=mandate, back_url=visit_url)
        return redirect("applications:dashboard")
    return redirect(desk.mandate_prefill(request, login_id=visit.person.login_id, site_id=saved.site_id,
                                         back_url=reverse("mediation_backoffice:visit", args=[saved.pk]),
                                         back_label=_("Revenir à la visite")))


#: The visit page's buttons that leave for another app's page, the typed fields saved first.
_LEAVING = {"report": _to_report, "account": _to_account, "act": _to_person_space}


@require_http_methods(["GET", "POST"])
@_mediators_only
def visit_account(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Back from "Créer un compte pour une personne": the account just made for this visit (the
    session says which, never the form) becomes its visitor. A GET just returns to the visit."""
    visit = selectors.visit_get_for_staff(user=request.user, pk=pk)
    if request.method == "POST":
        user_id = desk.person_account_made_take(request, back_url=request.path)
        person = User.objects.filter(pk=user_id).first() if user_id else None
        if person is None:
            messages.error(request, _("Aucun compte n'a été créé pour cette visite depuis cet appareil."))
        else:
            try:
                services.visit_link_person(visit=visit, by=request.user, person=person)
            except ValidationError as refusal:
                messages.error(request, " ".join(refusal.messages))
            else:
                messages.success(request, _("Le compte %(login_id)s est rattaché à la visite.")
                                 % {"login_id": person.login_id})
    return redirect("mediation_backoffice:visit", pk=visit.pk)


@require_GET
@_log_readers
def day(request: AuthenticatedHttpRequest, site_id: int, day: str | None = None) -> HttpResponse:
    """The visits of one day at one PAN, those in progress first; a date picker."""
    return _day_page(request, selectors.pan_site_get_for_staff(user=request.user, pk=site_id), day)


def _day_page(request: AuthenticatedHttpRequest, site: Site, day: str | None) -> HttpResponse:
    """The day view of a PAN the person reads (from its getter): the picker's day is a redirect to
    its address; the page's content is written by ``mediation.presenters`` (issue 17)."""
    picker = DayForm(request.GET) if request.GET else None  # the blank picker is the presenter's
    if picker is not None and picker.is_valid():
        return redirect(_day_url(site.pk, picker.cleaned_data["day"]))
    today = timezone.localdate()
    try:
        shown = date.fromisoformat(day) if day else today
    except ValueError:
        shown = None
    if shown is None:
        messages.error(request, _("Cette date n'existe pas : voici le journal d'aujourd'hui."))
        return redirect(_day_url(site.pk, today))
    visits = selectors.visits_of_day(site=site, day=shown)
    keeps_log = site.pk in mediator_site_ids(user=request.user)
    # The page's layout kept with it (core.layout): its template reads these two alone.
    return slotted_page(request, "mediation/backoffice/day.html", context={}, slots={
        "title": presenters.day_title(site=site, day=shown),
        "content": presenters.day_html(site=site, day=shown, visits=visits, picker=picker, keeps_log=keeps_log,
                                       today=today, now=timezone.now()),
    })
