"""Back-office instruction pages (DESIGN §6): the queue, the file with its actions and the audit
journal. Thin: parse the input, call one selector or one service, render. Agents and supervisors
only (``instructing_staff_required``: mediators and support agents get a 403); every dossier is
reached through ``dossier_get_for_staff`` (404 outside one's prefectures).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from csp.constants import SELF
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Membership
from applications import presenters, services
from applications.actions import staff_actions
from applications.backoffice import file_page, forms, selectors
from applications.backoffice import presenters as file_presenters
from applications.backoffice.selectors import Cursor, QueueFilters
from applications.backoffice.views import instructing_staff_required
from applications.catalogue_cache import procedure_names
from applications.clock import QUEUE_STATUSES, clock_for
from applications.models import Dossier, Status
from applications.selectors import applicant_snapshot
from applications.services.certificates import favourable_decision_certificate_facts
from core.csrf import masked_token
from core.fragments import local_fragment, slotted_template
from core.http import uploaded_file_response
from core.l10n import active_language, words_once
from core.layout import as_usual, slotted_page

if TYPE_CHECKING:
    pass

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
JOURNAL_PAGE_SIZE = 25
#: The queue's statuses as plain text, in order (their enum members' ``.value`` cost a call each).
QUEUE_STATUS_VALUES = tuple(status.value for status in QUEUE_STATUSES)


def _allow_previews(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The file page shows the attachments in frames served by the portal itself (its policy kept
    per process by ``core.csp``, as the pages' without an update). (django-csp's own annotation
    admits only views without URL arguments, hence this typed wrapper.)"""
    return csp_update({"frame-src": [SELF]})(view)


def _dossier_agents(dossier: Dossier) -> list[Membership]:
    """Whom the file may be assigned to: the instructing staff of its prefecture."""
    if dossier.prefecture_id is None:
        return []
    return selectors.prefecture_agents(prefecture_ids={dossier.prefecture_id})


# --- The queue ------------------------------------------------------------------------------------

@require_GET
@instructing_staff_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    prefectures = selectors.instructing_prefectures(user=user)
    agents = selectors.prefecture_agent_choices(prefecture_ids={p.pk for p in prefectures},
                                                several=len(prefectures) > 1)
    language = active_language()
    if request.GET:
        params = request.GET.copy()
        for key in ("after", "limit"):
            params.pop(key, None)
    else:  # the default view (most requests): nothing to copy
        params = _NO_PARAMETERS
    # Without parameters (most requests), no filter: what the unbound form would give, without
    # building it (its fields are deep-copied per instance); its HTML is kept (_queue_filters_html).
    # A status tab alone (``?status=…``): the status filter as the form would clean it (the statuses
    # as given when all are the queue's, else none), without building the form either.
    form = None
    if not params:
        filters = QueueFilters()
    elif params.keys() == {"status"}:
        statuses = tuple(params.getlist("status"))
        filters = QueueFilters(statuses=statuses if all(s in QUEUE_STATUS_VALUES for s in statuses) else ())
    else:
        form = forms.QueueFilterForm(params, prefectures=prefectures, agent_choices=agents)
        filters = form.filters()
    limit = _page_size(request.GET.get("limit"))
    after = Cursor.decode(request.GET.get("after", ""))
    rows, next_cursor = selectors.queue_page_rows(user=user, filters=filters, after=after, limit=limit)
    counts = selectors.queue_status_counts(user=user, filters=filters)
    today = timezone.localdate()

    kept = params
    if limit != DEFAULT_PAGE_SIZE:
        kept = params.copy()
        kept["limit"] = str(limit)
    tabs, tabs_html = _status_tabs(kept, counts, filters.statuses, language)
    cells, rows_html = presenters.queue_table(
        rows, today, several_prefectures=len(prefectures) > 1,
        # the catalogue's cached names, and the person's prefectures (the queue holds no other)
        procedure_names=procedure_names({row.procedure_id for row in rows}),
        department_codes={p.pk: p.department.code for p in prefectures},
        unassigned=words_once("queue-unassigned", lambda: _("Non attribué"), language=language), language=language)
    total = sum(counts.values())
    # The export form's token, the header's too (one masking a page): only where the form shows, as
    # ``{% csrf_token %}`` did.
    csrf_token = masked_token(request) if cells else ""
    context = {
        "filters_form": _queue_filters_html(form, params, request.GET.get("limit", ""), prefectures, agents),
        "rows": cells,
        "rows_html": rows_html,
        "today": today,
        "after": after,
        # (a cursor is digits, dots and dashes, which URL encoding leaves as they are)
        "next_url": (f"?{_with(kept, after=next_cursor.encode())}" if kept else f"?after={next_cursor.encode()}")
        if next_cursor else "",
        "first_url": f"?{kept.urlencode()}" if kept else "?",
        "exports_url": _exports_url(),
        "export_query": params.urlencode() if params else "",
        "status_tabs": tabs,
        "status_tabs_html": tabs_html,
        "caption": _queue_caption_once(total, filtered=bool(params), after=after is not None, language=language),
        "total": total,
        "filtered": bool(params),
        "several_prefectures": len(prefectures) > 1,
        **({"csrf_token": csrf_token} if csrf_token else {}),
    }
    context["content"] = content = _queue_content_html(context, csrf_token=csrf_token)
    if as_usual(request):  # a message waiting: the engine's page, with the view's values as before
        return render(request, "applications/backoffice/queue.html", context)
    # The page's layout kept with it (core.layout): its template reads the content alone.
    return slotted_page(request, "applications/backoffice/queue.html", context={},
                        slots={"content": content}, csrf_token=csrf_token)


#: The default view's parameters: none (never changed: the view copies it before adding any).
_NO_PARAMETERS = QueryDict()


def _queue_content_html(context: dict, *, csrf_token: str) -> SafeString:
    """The queue's content, rendered once per language and shape (issue 17: its template was a
    fifth of the page): the view's values go into its slots, escaped as ``{{ value }}`` did."""
    escape = presenters.escape_text
    return slotted_template("applications/backoffice/_queue_content.html", context={
        "has_rows": bool(context["rows"]), "continued": bool(context["after"]),
        "has_next": bool(context["next_url"]),
    }, slots={
        "filters": escape(context["filters_form"]),
        "tabs": escape(context["status_tabs_html"]),
        "table_caption": escape(context["caption"]),
        "table_rows": escape(context["rows_html"]),
        "exports_action": f'{escape(context["exports_url"])}?{escape(context["export_query"])}',
        "first_href": escape(context["first_url"]),
        "next_href": escape(context["next_url"]),
        "csrf_input": file_page.csrf_input(csrf_token),
    })


#: The captions by language and what they say (filtered, count, continued): put into words once by
#: each process (issue 17), and dropped when past ``_CAPTIONS_MAX``.
_CAPTIONS: dict[tuple, SafeString] = {}
_CAPTIONS_MAX = 2048


def _queue_caption_once(total: int, *, filtered: bool, after: bool, language: str | None) -> SafeString:
    """``_queue_caption``, kept by this process for the language and what the caption says."""
    key = (language, total, filtered, after)
    caption = _CAPTIONS.get(key)
    if caption is None:
        if len(_CAPTIONS) >= _CAPTIONS_MAX:
            _CAPTIONS.clear()
        caption = _CAPTIONS[key] = _queue_caption(total, filtered=filtered, after=after)
    return caption


def _queue_caption(total: int, *, filtered: bool, after: bool) -> SafeString:
    """The table's caption, as the template's ``{% blocktranslate count %}`` wrote it (the
    translation as it is, the count escaped): issue 17, a fifth of the page's own template work."""
    if filtered:
        text = ngettext("%(counter)s dossier correspond aux filtres", "%(counter)s dossiers correspondent aux filtres",
                        total)
    else:
        text = ngettext("%(counter)s dossier en cours", "%(counter)s dossiers en cours", total)
    text %= {"counter": _count(total)}
    if after:
        text += " – " + _("suite de la liste")
    return mark_safe(text)  # noqa: S308 (our translations, and a number)


#: The exports page's URL by URL configuration and script prefix: reversed once per process.
_EXPORTS_URLS: dict[tuple[str, str], str] = {}


def _exports_url() -> str:
    key = (str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())
    url = _EXPORTS_URLS.get(key)
    if url is None:
        url = _EXPORTS_URLS[key] = reverse("backoffice_reports:exports")
    return url


def _queue_filters_html(
    form: forms.QueueFilterForm | None, params: QueryDict, limit: str, prefectures: list, agents: list
) -> SafeString:
    """The filter form, rendered once per language, choices (procedures, agents, prefectures) and
    values entered, by this process (issue 14: rendering its widgets was about a third of the page),
    and built only then when no value was entered."""
    def render() -> SafeString:
        bound = form or forms.QueueFilterForm(params or None, prefectures=prefectures, agent_choices=agents)
        return mark_safe(render_to_string(  # noqa: S308 (rendered here)
            "applications/backoffice/_queue_filters.html", {"form": bound, "filtered": bool(params), "limit": limit}))

    choices = forms.queue_filter_choices(prefectures=prefectures, agent_choices=agents)
    return local_fragment("queue-filters", sorted(params.lists()), limit, choices, render=render)


def _page_size(raw: str | None) -> int:
    try:
        return max(1, min(MAX_PAGE_SIZE, int(raw or DEFAULT_PAGE_SIZE)))
    except ValueError:
        return DEFAULT_PAGE_SIZE


def _with(query: QueryDict, **changes) -> str:
    query = query.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


def _count(number: int) -> str:
    """A count as ``{{ count }}`` writes it: ``localize`` gives a plain ``str()`` of an integer unless
    thousands are separated (three format lookups to find that out)."""
    return conditional_escape(localize(number)) if settings.USE_THOUSAND_SEPARATOR else str(number)


def _tab_words() -> tuple[str, str, list[tuple[str, str, str]]]:
    """The "all" tab's label, plain and escaped, and each queue status with its label, plain and escaped."""
    labels = presenters.status_labels()
    every = _("Tous")
    return every, presenters.escape_text(every), [
        (status, labels[status], presenters.escape_text(labels[status])) for status in QUEUE_STATUS_VALUES]


def _status_tabs(kept: QueryDict, counts: dict[str, int], selected: tuple[str, ...],
                 language: str | None) -> tuple[list[dict], SafeString]:
    """The status tabs (label, count, URL, current) and their HTML (byte for byte what the
    template's ``{% for tab in status_tabs %}`` wrote): the labels put into words and escaped once
    per language by each process, the URLs' shared part escaped once (issue 17)."""
    without_status = kept
    if "status" in kept:
        without_status = kept.copy()
        without_status.pop("status")
    others = without_status.urlencode() if without_status else ""
    # Each tab's URL is the others' parameters and its status last, as ``_with(without_status,
    # status=…)`` writes it: a status value is a plain identifier, which URL encoding leaves as it is.
    status_url = f"?{others}&status=" if others else "?status="
    status_url_html = presenters.escape_text(status_url) if others else status_url
    every, every_html, words = words_once("queue-tabs", _tab_words, language=language)
    thousands = settings.USE_THOUSAND_SEPARATOR
    marked, current_attr = " fr-tag--icon-left fr-icon-check-line", ' aria-current="true"'
    total = sum(counts.values())
    every_url_html = presenters.escape_text(f"?{others}") if others else "?"
    tabs = [{"label": every, "count": total, "url": f"?{others}", "current": not selected}]
    html = [
        f'\n      <li><a class="fr-tag fr-tag--sm{"" if selected else marked}" '
        f'href="{every_url_html}"{"" if selected else current_attr}>'
        f'{every_html} ({_count(total) if thousands else total})</a></li>\n    ']
    for status, label, label_html in words:
        n = counts.get(status, 0)
        current = selected == (status,)
        tabs.append({"label": label, "count": n, "url": status_url + status, "current": current})
        html.append(
            f'\n      <li><a class="fr-tag fr-tag--sm{marked if current else ""}" href="{status_url_html}{status}"'
            f'{current_attr if current else ""}>{label_html} ({_count(n) if thousands else n})</a></li>\n    ')
    return tabs, mark_safe("".join(html))  # noqa: S308 (every value escaped)


# --- The file -------------------------------------------------------------------------------------

@require_GET
@instructing_staff_required
@_allow_previews
def dossier(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dossier, same_permit = selectors.dossier_file_get_for_staff(user=request.user, pk=pk)
    return _file_page(request, dossier, same_permit=same_permit)


def _file_page(
    request: AuthenticatedHttpRequest, dossier: Dossier, *, bound: dict | None = None, status: int = 200,
    same_permit: list[Dossier] | None = None,
) -> HttpResponse:
    """The file page, with the forms of the actions possible in the current state. ``bound`` holds
    a form that came back with errors ({name: form}), shown in place of the blank one.
    ``same_permit``: the other requests for the same permit, when the getter read them."""
    user = request.user
    bound = bound or {}
    # The complements form's choices are read apart, as its HTML's key (``shows`` below).
    # What the getter found the file without (``dossier_file_get_for_staff``; a dossier read by
    # another getter is read in full): the page shows only the open complement request.
    skip = [name for name, attribute in (("complement_requests", "file_has_open_request"),
                                         ("bookings", "file_has_bookings"))
            if not getattr(dossier, attribute, True)]
    data = selectors.dossier_file_data(dossier=dossier, requirements=False, same_permit=same_permit, skip=skip)
    # the statuses of the biometrics bookings come with the file's bookings (a query less)
    actions = staff_actions(dossier=dossier, user=user, biometrics_statuses=data["biometrics_statuses"])
    today = timezone.localdate()
    agents = _dossier_agents(dossier) if actions.assign else []
    blank = {
        "assign": lambda: forms.AssignForm(prefix="assign", agents=agents,
                                           initial={"agent": dossier.assigned_to_id}),
        "complements": lambda: forms.ComplementsForm(prefix="complements", procedure=dossier.procedure),
        "decide": lambda: forms.DecisionForm(prefix="decision", outcomes=actions.decide),
        "extension": lambda: forms.ExtensionForm(prefix="extension"),
        # Issue 9 (item 3): at delivery the agent types what the card says.
        "card": lambda: forms.CardForm(initial={"category": dossier.procedure.permit_category}),
    }
    # What a blank form shows beyond the language (issue 14: rendering the forms was a quarter of
    # the page): its HTML is rendered once per process for these, a form bound with errors each time.
    shows = {
        "assign": lambda: (tuple((m.user_id, presenters.agent_label(m.user)) for m in agents), dossier.assigned_to_id),
        "complements": lambda: (selectors.dossier_requirement_names(dossier=dossier), today),
        "decide": lambda: tuple(actions.decide),
        "extension": tuple,
    }
    action_forms: dict[str, Form | SafeString] = {}
    for name, make in blank.items():
        if getattr(actions, name):
            action_forms[name] = bound.get(name) or (
                make() if name not in shows else _blank_form_html(name, shows[name](), make))
    review_forms: dict[int, Form | SafeString] = {}
    if actions.review and data["attachments"]:
        blank_review = _blank_review_parts()
        for attachment in data["attachments"]:  # ``id``: the primary key without ``pk``'s two calls
            review_forms[attachment.id] = bound.get(f"review-{attachment.id}") or SafeString(
                str(int(attachment.id)).join(blank_review))  # HTML rendered by the form, an integer
    # A form of an action this state no longer offers: say why at the top of the page.
    shown = {*action_forms, *(f"review-{pk}" for pk in review_forms)}
    for name, form in bound.items():
        if name not in shown:
            for error in form.non_field_errors():
                messages.error(request, error)
    attachments = []  # each with its review form (HTML when blank) and whether its panel opens on errors
    for a in data["attachments"]:
        form = review_forms.get(a.id)
        attachments.append((a, form, presenters.preview_kind(a), isinstance(form, Form) and bool(form.errors)))
    events = data["events"]
    if any(event.kind == "amended" for event in events):
        labels = presenters.amendable_labels()
        for event in events:
            if event.kind == "amended":
                event.field_label = labels.get(event.data.get("field"), event.data.get("field", ""))
    for event in events:
        if event.kind == "complements_requested" and event.data.get("due_on"):
            event.due_on = presenters.french_date(event.data["due_on"])
    # Issue 17: the page's parts are rendered once per language and shape (applications/backoffice/file_page.py).
    csrf_token = masked_token(request) if actions.any or review_forms else ""  # no form, no token (as before)
    clock = clock_for(dossier, today)
    language = active_language()  # read once for the page's presenters (a dozen calls each read)
    main = file_page.main_html(
        dossier, data=data, csrf_token=csrf_token, language=language, today=today,
        tables=file_presenters.answer_tables(presenters.answer_sections(dossier)),
        panels=file_presenters.attachment_panels(dossier.pk, attachments, language=language) if attachments else [],
        timeline=file_presenters.timeline_html(events, applicant_id=dossier.applicant_id, language=language),
        open_request=next((r for r in data["complement_requests"] if r.answered_at is None), None))
    # The page's layout kept with it (core.layout), the same token in the header's forms (one
    # masking a page, not two); a message waiting (a form of an action gone) renders it as usual.
    return slotted_page(request, "applications/backoffice/dossier.html", context={}, csrf_token=csrf_token, slots={
        "title": file_page.page_title(dossier, language=language),
        "breadcrumb": file_page.breadcrumb_html(dossier),
        "header": file_page.header_html(dossier, applicant_name=applicant_snapshot(dossier=dossier)["name"],
                                        language=language),
        "main": main,
        "side": file_page.side_html(dossier, clock=clock, badges=presenters.clock_badges(dossier, clock),
                                    actions=actions, action_forms=action_forms, csrf_token=csrf_token,
                                    language=language),
    }, status=status)


def _blank_form_html(name: str, shows: object, make: Callable[[], Form]) -> SafeString:
    """A blank action form of the file page, rendered once per language and ``shows`` (what it
    shows beyond the language: its choices, its initial values) by this process."""
    return local_fragment("file-form", name, shows, render=lambda: mark_safe(str(make())))  # noqa: S308


#: Stands for the attachment's id in the blank review form's HTML: its prefix (``att<id>``) is all
#: that changes from one attachment to the next (names, ids, the labels' ``for``).
_ATTACHMENT_PLACEHOLDER = "__anef-attachment__"


def _blank_review_parts() -> tuple[str, ...]:
    """The blank review form of an attachment, rendered once per language by this process with a
    placeholder for the attachment's id in its prefix, split there: the view joins the parts with
    each attachment's id (looked up once per page, not once per attachment)."""
    return local_fragment("file-review-form-parts", render=lambda: tuple(str(
        forms.AttachmentReviewForm(prefix=f"att{_ATTACHMENT_PLACEHOLDER}")).split(_ATTACHMENT_PLACEHOLDER)))


@require_GET
@instructing_staff_required
def attachment(request: AuthenticatedHttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """The file of an attachment, for the inline preview on the file page (and only there: it may
    be framed by this site alone, and runs sandboxed with nothing allowed to load)."""
    item = selectors.attachment_get_for_staff(user=request.user, dossier_pk=pk, pk=attachment_pk)
    return uploaded_file_response(item.file, content_type=item.content_type,
                                  name=f"piece-{item.pk}{item.extension}", framable=True)


# --- Actions: one POST, one service ---------------------------------------------------------------

def _run(request, dossier, *, name, form, call, success, status=200):
    """Runs the service when the form parses; on a ValidationError the file page comes back with
    the form bound and the messages next to their fields; otherwise a redirect with a message."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as error:  # TransitionNotAllowed included
            _add_service_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("backoffice_instruction:dossier", pk=dossier.pk)
    dossier = selectors.dossier_get_for_staff(user=request.user, pk=dossier.pk)  # as it is now
    return _file_page(request, dossier, bound={name: form}, status=status)


def _add_service_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


def _action(view):
    """POST only, instructing staff only, and the dossier through the access-checked getter."""

    @require_POST
    @instructing_staff_required
    @_allow_previews  # the file page may come back
    @wraps(view)
    def wrapped(request, pk, *args, **kwargs):
        dossier = selectors.dossier_get_for_staff(user=request.user, pk=pk)
        return view(request, dossier, *args, **kwargs)

    return wrapped


@_action
def take(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    return _run(request, dossier, name="take", form=forms.EmptyForm(request.POST),
                call=lambda _data: services.dossier_assign(dossier=dossier, agent=request.user, by=request.user),
                success=_("Le dossier vous est attribué."))


@_action
def assign(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    agents = _dossier_agents(dossier)
    form = forms.AssignForm(request.POST, prefix="assign", agents=agents)

    def call(data):
        services.dossier_assign(dossier=dossier, agent=data["agent"], by=request.user)

    return _run(request, dossier, name="assign", form=form, call=call, success=_("L'attribution est enregistrée."))


@_action
def complete(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    return _run(request, dossier, name="complete", form=forms.EmptyForm(request.POST),
                call=lambda _data: services.dossier_mark_complete(dossier=dossier, by=request.user),
                success=_("Le dossier est déclaré complet : l'instruction commence."))


@_action
def complements(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    form = forms.ComplementsForm(request.POST, prefix="complements", procedure=dossier.procedure)

    def call(data):
        services.complements_request(dossier=dossier, by=request.user, document_types=list(data["document_types"]),
                                     message=data["message"], due_on=data["due_on"])

    return _run(request, dossier, name="complements", form=form, call=call,
                success=_("La demande de compléments est envoyée au demandeur. Le délai d'instruction est suspendu."))


@_action
def attachment_review(request: AuthenticatedHttpRequest, dossier: Dossier, attachment_pk: int) -> HttpResponse:
    item = selectors.attachment_get_for_staff(user=request.user, dossier_pk=dossier.pk, pk=attachment_pk)
    form = forms.AttachmentReviewForm(request.POST, prefix=f"att{item.pk}")

    def call(data):
        services.attachment_review(attachment=item, by=request.user, accepted=data["decision"] == "accept",
                                   reason=data["reason"])

    return _run(request, dossier, name=f"review-{item.pk}", form=form, call=call,
                success=_("%(name)s : vérification enregistrée.") % {"name": item.document_type.name})


@_action
def biometrics(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    return _run(request, dossier, name="biometrics", form=forms.EmptyForm(request.POST),
                call=lambda _data: services.biometrics_request(dossier=dossier, by=request.user),
                success=_("Le relevé d'empreintes est demandé ; le demandeur en est informé."))


@_action
def decide(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    """Two steps: the chosen decision comes back as a confirmation page saying what will be issued
    and told to the applicant; only its "Confirm" button records it. "Change" goes back to the file
    page with what was typed."""
    form = forms.DecisionForm(request.POST, prefix="decision")
    if "edit" in request.POST:
        form.is_valid()
        return _file_page(request, dossier, bound={"decide": form})
    if "confirm" in request.POST or not form.is_valid():
        def call(data):
            services.dossier_decide(dossier=dossier, by=request.user, outcome=data["outcome"],
                                    reasons=data["reasons"], appeal_routes=data["appeal_routes"])

        favourable = form.is_valid() and form.cleaned_data["outcome"] == Status.DECIDED_FAVOURABLE
        return _run(request, dossier, name="decide", form=form, call=call, success=_(
            "La décision est enregistrée. L'attestation de décision favorable est en cours de préparation : "
            "elle sera téléchargeable dans quelques instants.") if favourable else _("La décision est enregistrée."))
    data = form.cleaned_data
    try:
        services.dossier_decision_check(dossier=dossier, by=request.user, outcome=data["outcome"],
                                        reasons=data["reasons"], appeal_routes=data["appeal_routes"])
    except ValidationError as error:
        _add_service_errors(form, error)
        return _file_page(request, dossier, bound={"decide": form})
    return render(request, "applications/backoffice/decision_confirm.html", {
        "dossier": dossier,
        "applicant_name": applicant_snapshot(dossier=dossier)["name"],
        "form": form,
        "outcome": forms.DecisionForm.OUTCOMES[Status(data["outcome"])],
        "reasons": data["reasons"].strip(),
        "appeal_routes": data["appeal_routes"].strip(),
        "certificate": (favourable_decision_certificate_facts(dossier=dossier)
                        if data["outcome"] == Status.DECIDED_FAVOURABLE else None),
    })


@_action
def card(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    form = forms.CardForm(request.POST)

    def call(data):
        services.card_mark(dossier=dossier, by=request.user, to=data["to"], number=data["number"],
                           valid_from=data["valid_from"], valid_until=data["valid_until"], category=data["category"])

    return _run(request, dossier, name="card", form=form, call=call, success=_("L'étape du titre est enregistrée."))


@_action
def extension(request: AuthenticatedHttpRequest, dossier: Dossier) -> HttpResponse:
    form = forms.ExtensionForm(request.POST, prefix="extension")
    return _run(request, dossier, name="extension", form=form,
                call=lambda data: services.extension_grant(dossier=dossier, by=request.user, reason=data["reason"]),
                success=_("Les attestations de prolongation sont accordées à ce renouvellement."))


# --- Audit journal --------------------------------------------------------------------------------

@require_GET
@instructing_staff_required
def journal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dossier = selectors.dossier_get_for_staff(user=request.user, pk=pk)
    page = Paginator(selectors.dossier_audit_events(dossier=dossier), JOURNAL_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "applications/backoffice/journal.html", {
        "dossier": dossier, "page": page,
        "rows": [(event, presenters.audit_label(event.action), presenters.audit_details(event.data))
                 for event in page],
    })
