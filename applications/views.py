"""Applicant pages: catalogue, filing form, dashboard and dossier page. Thin: parse, call one
service or selector, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.mandates import applicant_for, assisted_dossier_allowed, assisted_dossier_check
from applications import forms, presenters, selectors, services, steps
from applications.apps import DOSSIER_SUBJECT_TYPE
from applications.catalogue_cache import CATALOGUE, catalogue_cards, procedure_names
from applications.models import Status
from applications.workflow import NEXT_ACTION, OPEN_STATUSES, PLAIN_STATUS, TransitionNotAllowed
from appointments.models import Motive
from appointments.selectors import active_bookings_by_subject, bookings_about
from core.fragments import public_page
from core.http import uploaded_file_response
from core.l10n import active_language, words_once
from core.layout import slotted_page
from documents.selectors import documents_in_force_for_holder
from notifications.models import Channel as NotificationChannel
from notifications.services import channels_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# During an assisted session (a mediator acting under a person's mandate) these pages are the
# person's: ``applicant_for(request)`` names whose dossiers they show, ``request.user`` stays the
# actor the services record (docs/accounts.md, "Acting on someone's behalf").

def _dossier_get(request: AuthenticatedHttpRequest, pk: int):
    dossier = selectors.dossier_get_for_user(user=applicant_for(request), pk=pk)
    assisted_dossier_check(request, dossier.pk)
    return dossier


def _attachment_get(request: AuthenticatedHttpRequest, pk: int, attachment_pk: int):
    assisted_dossier_check(request, pk)
    return selectors.attachment_get_for_user(user=applicant_for(request), dossier_pk=pk, pk=attachment_pk)


@public_page(depends_on=(CATALOGUE,))
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(request, "applications/catalogue.html", {"cards": catalogue_cards(request)})


@login_required
@require_POST
def start(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    procedure = selectors.procedure_get_active(code=code)
    assisted_dossier_check(request, None)  # a mandate for one dossier starts no other
    dossier, created = services.draft_start(applicant=applicant_for(request), procedure=procedure, by=request.user)
    if not created:
        messages.info(request, _("Vous aviez déjà commencé cette démarche : reprenez où vous en étiez."))
    return redirect("applications:step", pk=dossier.pk, step=dossier.current_step)


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The applicant's space: their requests with the current step and next action, and permits."""
    applicant = applicant_for(request)
    everyone = selectors.dashboard_dossiers(user=applicant)
    dossiers = [d for d in everyone if assisted_dossier_allowed(request, d.pk)]
    # Bookings show on filed dossiers only (their line, their permit's renewal): none filed, none read.
    # Whether there is any is carried by the dossiers' own query (``active_booking``).
    appointments = (active_bookings_by_subject(user=applicant, subject_type=DOSSIER_SUBJECT_TYPE,
                                               any_active=any(d.active_booking for d in dossiers))  # type: ignore[attr-defined]
                    if any(d.status != Status.DRAFT for d in dossiers) else {})
    names = procedure_names({d.procedure_id for d in dossiers})
    language = active_language()  # read once for the page's presenters
    filed = []
    for d in dossiers:
        if d.status == Status.DRAFT:
            continue
        booked = appointments.get(str(d.pk), [])
        # A card ready whose collection is booked: the next step is that appointment, not booking one.
        action = "" if d.status == Status.CARD_READY and booked else NEXT_ACTION[d.status]
        filed.append(presenters.filed_row_html(d, names[d.procedure_id], PLAIN_STATUS[d.status], action, booked,
                                               language=language))
    # Read only when the dossiers' query says the person holds such a document (or they have no
    # dossier, which tells nothing): most hold none (issue 17).
    today = timezone.localdate()  # read once for the certificates and the permits
    certificates = [c for c in documents_in_force_for_holder(holder=applicant, today=today)
                    if assisted_dossier_allowed(request, int(c.subject_id) if c.subject_id.isdigit() else None)
                    ] if not everyone or everyone[0].continuity_document else []  # type: ignore[attr-defined]
    permits = selectors.permits_for_holder(user=applicant, today=today, dossiers=dossiers, certificates=certificates,
                                           bookings=appointments)
    content_html = presenters.dashboard_html(
        greeting=presenters.greeting(applicant, language=language),
        drafts=[(d, names[d.procedure_id]) for d in dossiers if d.status == Status.DRAFT], filed=filed,
        permit_cards=[presenters.permit_card_html(item, late_fee=settings.LATE_RENEWAL_FEE_EUR, language=language)
                      for item in permits],
        # The channels the reminders go by besides the inbox (notifications.channels_for), said under
        # the cards, and whether the page is the person's own (a mediator acting for them changes
        # their own profile).
        reminder_channels_sentence=presenters.reminder_channels_sentence(
            [_channel_labels(language)[c] for c in channels_for(applicant) if c != NotificationChannel.INBOX],
            language=language)
        if permits else "",
        own_space=applicant.pk == request.user.pk,
        certificates_html=presenters.document_items_html(certificates, language=language) if certificates else "",
        language=language,
    )
    # The layout kept with the page (core.layout).
    return slotted_page(request, "applications/dashboard.html", context={}, slots={"content_html": content_html})


def _channel_labels(language: str | None) -> dict[str, str]:
    """The notification channels' labels in ``language``, once per language by each process."""
    return words_once("notification-channels", language=language,
                      translate=lambda: {channel.value: str(channel.label) for channel in NotificationChannel})


def _step_form(request, dossier, step, data=None):
    saved = dossier.answers.get(step)
    user = applicant_for(request)
    initial = saved
    if step == "identity" and not saved:
        initial = {
            "last_name": user.last_name, "first_name": user.first_name,
            "birth_date": user.birth_date.isoformat() if user.birth_date else "",
            "birth_place": user.birth_place, "nationality": user.nationality,
            "foreigner_number": user.foreigner_number,
        }
    elif step == "situation" and not saved:
        initial = {
            "address": user.address, "postal_code": user.postal_code, "city": user.city,
            "department": user.department.code if user.department_id else None, "phone": user.phone,
        }
    return forms.step_form(step, data, procedure=dossier.procedure, applicant=user, initial=initial)


def _step_context(dossier, step):
    order = steps.steps_for(dossier.procedure)
    index = order.index(step)
    return {
        "dossier": dossier, "step": step, "step_label": steps.STEP_LABELS[step],
        "step_number": index + 1, "step_count": len(order),
        "next_label": steps.STEP_LABELS[order[index + 1]] if index + 1 < len(order) else None,
        "previous": steps.previous_step(dossier.procedure, step),
    }


@login_required
@require_http_methods(["GET", "POST"])
def step(request: AuthenticatedHttpRequest, pk: int, step: str) -> HttpResponse:
    dossier = _dossier_get(request, pk)
    if dossier.status != Status.DRAFT:
        if request.method == "POST":  # sent again (back button, second tab): say where it stands
            messages.info(request, _("Cette demande est déjà envoyée : voici son suivi."))
        return redirect("applications:dossier", pk=dossier.pk)
    if step not in steps.steps_for(dossier.procedure):
        return redirect("applications:step", pk=dossier.pk, step=dossier.current_step)
    if step == "documents":
        return _documents_step(request, dossier)
    if step == "review":
        return _review_step(request, dossier)
    form = _step_form(request, dossier, step, request.POST if request.method == "POST" else None)
    form.help_step = (dossier.procedure.code, step)  # its errors link to this step's help (forms/error_summary.html)
    mismatch = None
    if request.method == "POST" and form.is_valid():
        data = forms.step_answers(form)
        dossier = services.draft_save_step(dossier=dossier, step=step, data=data, by=request.user)
        mismatch = (selectors.eligibility_mismatch(procedure=dossier.procedure, answers=data)
                    if step == "eligibility" else None)
        if mismatch is None:
            return redirect("applications:step", pk=dossier.pk, step=steps.next_step(dossier.procedure, step))
    return render(request, "applications/step.html", {
        **_step_context(dossier, step), "form": form, "mismatch": mismatch,
    })


def _documents_step(request, dossier):
    data = selectors.dossier_page_data(dossier=dossier)
    current = {a.document_type_id: a for a in data["attachments"]}
    rows = [(r, current.get(r.document_type_id),
             forms.UploadForm(document_type=r.document_type, prefix=f"t{r.document_type_id}"))
            for r in data["requirements"]]
    if request.method == "POST":
        services.draft_save_step(dossier=dossier, step="documents", data={"visited": True}, by=request.user)
        return redirect("applications:step", pk=dossier.pk, step="review")
    return render(request, "applications/step_documents.html", {**_step_context(dossier, "documents"), "rows": rows})


def _review_step(request, dossier):
    readiness = selectors.dossier_submission_readiness(dossier=dossier)
    form = forms.ReviewForm(request.POST if request.method == "POST" else None,
                            procedure=dossier.procedure, late=readiness.timing == "closed")
    form.help_step = (dossier.procedure.code, "review")
    if request.method == "POST":
        inputs = {
            "tax_stamp_number": request.POST.get("tax_stamp_number", ""),
            "ephoto_code": request.POST.get("ephoto_code", ""),
            "accept_late": bool(request.POST.get("accept_late")),
        }
        if form.is_valid():
            try:
                services.dossier_submit(dossier=dossier, by=request.user, **inputs)
            except TransitionNotAllowed:
                # Filed meanwhile (a double click, two tabs): the first request did the work.
                messages.info(request, _("Cette demande est déjà envoyée : voici son suivi."))
                return redirect("applications:dossier", pk=dossier.pk)
            except ValidationError as error:
                _add_submit_errors(form, error.error_dict if hasattr(error, "error_dict") else {"__all__": [error]})
            else:
                messages.success(request, _("Votre demande est envoyée. Votre attestation de dépôt est disponible "
                                            "ci-dessous."))
                return redirect("applications:dossier", pk=dossier.pk)
        else:  # the form's own errors and the dossier's, in one round
            _add_submit_errors(form, services.dossier_submit_check(dossier=dossier, readiness=readiness, **inputs))
    return render(request, "applications/step_review.html", {
        **_step_context(dossier, "review"), "form": form,
        "missing": readiness.missing, "in_progress": readiness.in_progress,
        "data": selectors.dossier_page_data(dossier=dossier), "timing": readiness.timing, "window": readiness.window,
        "late_fee": settings.LATE_RENEWAL_FEE_EUR,
    })


def _add_submit_errors(form, errors: dict) -> None:
    """The service's errors on the review form; a field the form already faults keeps its message,
    and the request already in progress is shown by the page itself, with its link."""
    for field, field_errors in errors.items():
        if field == "renewed_permit" or field in form.errors:
            continue
        form.add_error(field if field in form.fields else None,
                       [message for error in field_errors for message in ValidationError(error).messages])


def _help_tag(error: ValidationError, *, default: str) -> str:
    """The message tag by which an upload refusal names its code, for the link to its help
    (``help:<code>``, read by templates/base.html)."""
    errors = error.error_list if hasattr(error, "error_list") else [error]
    code = next((item.code for item in errors if item.code and item.code not in {"invalid", "required"}), default)
    return f"help:{code}"


@login_required
@require_POST
def upload(request: AuthenticatedHttpRequest, pk: int, type_pk: int) -> HttpResponse:
    dossier = _dossier_get(request, pk)
    # The URL names one of this procedure's document types, or nothing (404); attachment_add refuses any other.
    requirement = (dossier.procedure.requirements.select_related("document_type")
                   .filter(document_type_id=type_pk).first())
    document_type = requirement.document_type if requirement else None
    back = (reverse("applications:step", args=[dossier.pk, "documents"]) if dossier.status == Status.DRAFT
            else reverse("applications:dossier", args=[dossier.pk])) + f"#piece-{type_pk}"
    if document_type is None:
        raise Http404
    form = forms.UploadForm(request.POST, request.FILES, document_type=document_type, prefix=f"t{type_pk}")
    if not form.is_valid():
        messages.error(request, _("%(type)s : %(error)s") % {
            "type": document_type.name, "error": " ".join(map(str, form.errors["file"])),
        }, extra_tags=_help_tag(form.errors.as_data()["file"][0], default="file"))
        return redirect(back)
    try:
        services.attachment_add(dossier=dossier, document_type=document_type,
                                uploaded_file=form.cleaned_data["file"], by=request.user)
    except ValidationError as error:
        messages.error(request, _("%(type)s : fichier refusé. %(error)s") % {"type": document_type.name,
                                                                              "error": " ".join(error.messages)},
                       extra_tags=_help_tag(error, default="file"))
    else:
        messages.success(request, _("%(type)s : fichier enregistré.") % {"type": document_type.name})
    return redirect(back)


@login_required
def attachment(request: AuthenticatedHttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    item = _attachment_get(request, pk, attachment_pk)
    return uploaded_file_response(item.file, content_type=item.content_type, name=f"piece-{item.pk}{item.extension}")


@login_required
@require_POST
def attachment_remove(request: AuthenticatedHttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    item = _attachment_get(request, pk, attachment_pk)
    try:
        services.attachment_remove(attachment=item, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Le fichier est retiré."))
    return redirect(reverse("applications:step", args=[pk, "documents"]))


@login_required
def dossier(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # The page's own getter: the same check as ``_dossier_get``, fewer columns (issue 17).
    dossier, attachments = selectors.dossier_page_get_for_user(user=applicant_for(request), pk=pk)
    assisted_dossier_check(request, dossier.pk)
    if dossier.status == Status.DRAFT:
        return redirect("applications:step", pk=dossier.pk, step=dossier.current_step)
    return _dossier_page(request, dossier, attachments=attachments)


def _dossier_page(
    request: AuthenticatedHttpRequest, dossier, *, complements_form=None, status: int = 200, attachments=None
) -> HttpResponse:
    """The dossier page; a form sent from it that needs correcting comes back bound, with its errors.
    ``attachments``: the pieces' maker, when the getter read them with the dossier."""
    data = selectors.dossier_page_data(dossier=dossier, html=True, attachments=attachments)
    is_open = dossier.status in OPEN_STATUSES
    today = timezone.localdate()
    complement = data["complement_request"]
    requested_rows = []
    upload_types = []
    if is_open:
        requested = {t.pk for t in complement.document_types.all()} if complement else set()
        current = {a.document_type_id: a for a in data["attachments"]}
        requested_types, sent_since = [], []
        for document_type in data["document_types"]:
            if document_type.pk in requested:
                # Sent since the request: the piece the prefecture asked for is there.
                sent = current.get(document_type.pk)
                requested_types.append(document_type)
                sent_since.append(sent if sent and complement and sent.uploaded_at >= complement.requested_at else None)
            else:
                upload_types.append(document_type)
        if requested_types:
            requested_rows = list(zip(presenters.dossier_upload_rows(dossier, requested_types, requested=True),
                                      sent_since, strict=True))
    # None read when the applicant has no booking about any dossier (the getter's ``any_booking``).
    bookings = (bookings_about(user=applicant_for(request), subject_type=DOSSIER_SUBJECT_TYPE,
                               subject_id=str(dossier.pk)) if getattr(dossier, "any_booking", True) else [])
    language = active_language()  # read once for the page's presenters
    page = {
        "page_title": presenters.dossier_page_title(dossier, language=language),
        "head_html": presenters.dossier_head_html(dossier, plain_status=PLAIN_STATUS[dossier.status],
                                                  next_action=NEXT_ACTION[dossier.status], back_link=True,
                                                  language=language),
        "rest_html": presenters.dossier_rest_html(
            dossier, bookings=bookings, is_open=is_open,
            card_collection_booked=any(b.active and b.motive.code == Motive.Code.CARD_COLLECTION for b in bookings),
            documents_html=presenters.document_items_html(data["documents"], today=today, language=language)
            if data["documents"] else "",
            attachments_html=presenters.dossier_attachments_html(dossier, data["attachments"], language=language),
            upload_forms_html=presenters.dossier_upload_forms_html(dossier, upload_types, language=language)
            if upload_types else "",
            timeline_html=presenters.dossier_timeline_html(dossier, data["events"], language=language),
            # The person alone withdraws: never a mediator under their mandate.
            corrections_html=presenters.dossier_corrections_html(
                dossier, _amendable_fields(), withdraw=not getattr(request, "mandate", None), language=language)
            if is_open else ""),
    }
    if dossier.status != Status.COMPLEMENTS_REQUESTED:
        # The template reads only these (its complements' form is for that status alone): the
        # layout kept with the page (core.layout).
        return slotted_page(request, "applications/dossier.html", context={},
                            slots={**page, "page_title": conditional_escape(page["page_title"])},
                            forms=("rest_html",), status=status)
    return render(request, "applications/dossier.html", {
        "dossier": dossier, **data, **page,
        "requested_rows": requested_rows,
        "complement_days_left": (complement.due_on - today).days if complement else None,
        "complement_days_overdue": (today - complement.due_on).days if complement else None,
        "complements_form": (complements_form or forms.ComplementsAnswerForm())
        if dossier.status == Status.COMPLEMENTS_REQUESTED else None,
        "today": today,
    }, status=status)


def _amendable_fields() -> list[tuple[str, str, StrOrPromise | None]]:
    form_classes: dict[str, type[Form]] = {"identity": forms.IdentityForm, "situation": forms.SituationForm}
    return [(section, field, form_classes[section].base_fields[field].label)
            for section, fields in services.dossiers_module.AMENDABLE.items() for field in fields]


@login_required
@require_http_methods(["GET", "POST"])
def abandon(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dossier = _dossier_get(request, pk)
    if dossier.status != Status.DRAFT:
        return redirect("applications:dossier", pk=dossier.pk)
    if request.method == "POST":
        services.draft_abandon(dossier=dossier, by=request.user)
        messages.success(request, _("Le brouillon « %(name)s » est supprimé. Vous pouvez choisir une autre démarche.")
                         % {"name": dossier.procedure.name})
        return redirect("applications:catalogue")
    return render(request, "applications/abandon.html", {"dossier": dossier})


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dossier = _dossier_get(request, pk)
    if getattr(request, "mandate", None) is not None:  # the service refuses it too: say so before the form
        raise PermissionDenied(_("Seule la personne elle-même peut retirer sa demande."))
    form = forms.WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_withdraw(dossier=dossier, by=request.user, reason=form.cleaned_data["reason"])
        except TransitionNotAllowed as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Votre demande est retirée."))
        return redirect("applications:dossier", pk=dossier.pk)
    return render(request, "applications/withdraw.html", {"dossier": dossier, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def amend(request: AuthenticatedHttpRequest, pk: int, section: str, field: str) -> HttpResponse:
    dossier = _dossier_get(request, pk)
    labels = {(s, f): label for s, f, label in _amendable_fields()}
    if (section, field) not in labels:  # before anything is saved (the service refuses it too)
        raise Http404
    current = dossier.answers.get(section, {}).get(field, "")
    form = forms.AmendForm(request.POST or None, initial={"value": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_amend(dossier=dossier, by=request.user, step=section, field=field,
                                   value=form.cleaned_data["value"])
        except ValidationError as error:
            form.add_error("value", error.messages)
        else:
            messages.success(request, _("Votre correction est enregistrée et apparaît dans l'historique."))
            return redirect("applications:dossier", pk=dossier.pk)
    form.fields["value"].label = labels[(section, field)]
    return render(request, "applications/amend.html", {"dossier": dossier, "form": form, "current": current,
                                                       "field": labels[(section, field)]})


@login_required
@require_POST
def complements(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    dossier = _dossier_get(request, pk)
    form = forms.ComplementsAnswerForm(request.POST)
    if not form.is_valid():  # too long: shown again with the message, nothing typed is lost
        return _dossier_page(request, dossier, complements_form=form, status=400)
    try:
        services.complements_answer(dossier=dossier, by=request.user, message=form.cleaned_data["message"])
    except ValidationError as error:  # TransitionNotAllowed included
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Votre réponse est envoyée à la préfecture."))
    return redirect("applications:dossier", pk=dossier.pk)
