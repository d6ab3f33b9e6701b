"""Appointment pages. Thin: parse, call one selector or service, render.

Applicants (/rendez-vous/): their bookings, booking a self-service motive, the booking's page with
its letter and calendar file, cancel, reschedule, the waiting list and the offers of freed seats.
Staff (/backoffice/guichets/, behind the second factor of accounts.middleware): the desks of their
sites, a desk's day with check-in, and, for supervisors, opening rules and closures.

A refusal to book is never an error page: the page comes back with the reason and the next free
slots to choose from.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest
from accounts.mandates import applicant_for, assisted_subject_allowed, assisted_subject_check
from appointments import presenters, registry, selectors
from appointments.dates import local_instant, parse_day, parse_instant
from appointments.forms import ClosureForm, MarkForm, OpeningRuleForm, SlotChoiceForm
from appointments.ics import calendar_event
from appointments.models import Booking, Motive, Slot
from appointments.services import (
    AlreadyBooked,
    BookingError,
    booking_cancel,
    booking_create,
    booking_mark,
    booking_reconvocable,
    booking_reconvoke,
    booking_reschedule,
    offer_accept,
    offer_decline,
    waitlist_join,
)
from appointments.services.bookings import Subject
from appointments.services.settings import (
    closure_create,
    desk_slots_generate,
    rule_create,
    rule_delete,
)
from core.layout import slotted_page
from documents.models import DocumentKind
from documents.selectors import documents_for_subject

#: Free slots shown per page.
PAGE_SIZE = 10
#: Extra rows read past a page, so that a page never ends between two slots starting at the same
#: time at two desks (the next page starts strictly after the last time shown).
PAGE_TIES = 20
#: Motives booked online only for a file whose state allows it (the registry says which).
SUBJECT_REQUIRED = selectors.SUBJECT_REQUIRED  # the booking page names it too


# --- Helpers ------------------------------------------------------------------------------------

def _after(value: str | None) -> datetime | None:
    """The ``apres`` cursor of a free-slot page (absent: from now); a bad one is a 404."""
    if not value:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise Http404 from None


def _picked_day(request: AuthenticatedHttpRequest, params: dict) -> tuple[datetime | None, dict]:
    """The day picker above the free slots (``?jour=2026-03-14``): the ``apres`` cursor it stands
    for (the start of that day, never before now), and what the picker shows: the bounds, the day
    typed, a message for a day it cannot show (the slots then start from now), and the other
    parameters of the page to keep (``params``)."""
    today = timezone.localdate()
    latest = today + timedelta(weeks=settings.SLOT_WEEKS_AHEAD)
    raw = request.GET.get("jour", "").strip()
    picker = {"day_min": today, "day_max": latest, "day_value": raw, "day_error": "",
              "day_params": [(key, value) for key, value in params.items() if value not in (None, "")]}
    if not raw:
        return None, picker
    try:
        day = parse_day(raw)
    except ValueError:
        picker["day_error"] = _("Saisissez une date valide, par exemple 14/03/2026.")
        return None, picker
    if not today <= day <= latest:
        picker["day_error"] = _("Choisissez un jour entre le %(earliest)s et le %(latest)s.") % {
            "earliest": today.strftime("%d/%m/%Y"), "latest": latest.strftime("%d/%m/%Y")}
        return None, picker
    start = local_instant(day, datetime.min.time()) or timezone.now()
    return max(start, timezone.now()), picker


def _by_day(slots: list[Slot], next_after: datetime | None = None) -> dict:
    """What templates/appointments/_slots.html shows: the slots grouped by day, whether to name
    the desk of each (several desks on the page), and the ``apres`` of the next page."""
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(timezone.localdate(slot.starts_at), []).append(slot)
    return {"days": list(days.items()), "show_desk": len({s.desk_id for s in slots}) > 1,
            "next_after": next_after}


def _slot_page(rows) -> dict:
    """One page of free slots (see ``_by_day``)."""
    rows = list(rows[:PAGE_SIZE + PAGE_TIES])
    page = rows[:PAGE_SIZE]
    while page and len(page) < len(rows) and rows[len(page)].starts_at == page[-1].starts_at:
        page.append(rows[len(page)])
    more = len(rows) > len(page)
    return _by_day(page, page[-1].starts_at if more and page else None)


def _query(**params) -> str:
    kept = {key: value for key, value in params.items() if value not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


def _subject(booking: Booking) -> Subject | None:
    return Subject(booking.subject_type, booking.subject_id) if booking.subject_id else None


def _upcoming(booking: Booking) -> bool:
    return booking.status == Booking.Status.BOOKED and booking.slot.starts_at > timezone.now()


def _movable_until(booking: Booking) -> date | None:
    """The last day the applicant may move the booking to (convocations only), else None."""
    return booking.movable_until if booking.kind == Booking.Kind.CONVOCATION else None


def _may_reschedule(booking: Booking) -> bool:
    if not _upcoming(booking):
        return False
    if booking.kind == Booking.Kind.CONVOCATION:
        return booking.movable_until is not None and booking.movable_until >= timezone.localdate()
    return True


# --- Applicant pages ----------------------------------------------------------------------------
#
# During an assisted session (a mediator acting under a person's mandate) these pages are the
# person's: ``applicant_for(request)`` is whose appointments they show and book, ``request.user``
# stays the actor (docs/accounts.md, "Acting on someone's behalf").

def _booking_get(request: AuthenticatedHttpRequest, pk: int) -> Booking:
    booking = selectors.booking_get_for_user(user=applicant_for(request), pk=pk)
    assisted_subject_check(request, booking.subject_type, booking.subject_id)
    return booking


@login_required
@require_GET
def booking_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    everyone = selectors.bookings_of_person(user=applicant_for(request))
    bookings = [b for b in everyone if assisted_subject_allowed(request, b.subject_type, b.subject_id)]
    now = timezone.now()
    upcoming = [b for b in reversed(bookings) if b.active and b.slot.ends_at > now]
    past = [b for b in bookings if b not in upcoming]
    # Read only when the bookings' query says one is pending (or there is no booking, which tells
    # nothing): most people have none.
    offers = (selectors.offers_pending_for_person(user=applicant_for(request))
              if not everyone or everyone[0].offer_pending else [])  # type: ignore[attr-defined]
    upcoming_html = presenters.upcoming_cards_html(upcoming)
    if not offers and not past:
        # The template then reads only these: the layout kept with the page (core.layout).
        return slotted_page(request, "appointments/list.html", context={"upcoming": bool(upcoming)},
                            slots={"upcoming_html": upcoming_html})
    return render(request, "appointments/list.html", {
        "upcoming": upcoming, "upcoming_html": upcoming_html, "past": past[:20], "offers": offers,
    })


def _subject_for(request: AuthenticatedHttpRequest, motive: Motive) -> tuple[registry.SubjectInfo | None, bool]:
    """The file named by ``?pour=<type>:<id>`` and whether the person may book ``motive`` for it:
    their own file, in a state that allows it (the owning app's provider decides)."""
    raw = request.GET.get("pour", "")
    subject_type, _sep, subject_id = raw.partition(":")
    if not assisted_subject_allowed(request, subject_type, subject_id):
        return None, False
    return selectors.booking_subject_for(person=applicant_for(request), motive=motive, subject_type=subject_type,
                                         subject_id=subject_id)


@login_required
@require_http_methods(["GET", "POST"])
def book(request: AuthenticatedHttpRequest, motive: str) -> HttpResponse:
    motive_obj = selectors.motive_get_self_bookable(code=motive)
    subject, allowed = _subject_for(request, motive_obj)
    if not allowed:
        return render(request, "appointments/subject_refused.html", {"motive": motive_obj}, status=403)
    sites = list(selectors.sites_for_person(user=applicant_for(request), motive=motive_obj,
                                            prefecture_id=subject.prefecture_id if subject else None))
    chosen = request.POST.get("site") or request.GET.get("site")
    site = next((s for s in sites if str(s.pk) == chosen), None)
    if site is None and len(sites) == 1:
        site = sites[0]
    pour = request.GET.get("pour", "")
    after = _after(request.GET.get("apres"))
    picked, picker = _picked_day(request, {"pour": pour, "site": site.pk if site else None})
    after = picked or after
    context = {**picker, "applicant": applicant_for(request),
        "motive": motive_obj, "subject": subject, "sites": sites, "site": site, "pour": pour,
        "after": after, "error": "", "alternatives": None,
        "action": reverse("appointments:book", args=[motive_obj.code]) + _query(pour=pour),
    }
    if request.method == "POST" and site is not None:
        form = SlotChoiceForm(request.POST)
        slot = form.is_valid() and selectors.slot_get_bookable(pk=form.cleaned_data["slot"], motive=motive_obj,
                                                                site_ids=[site.pk])
        if not slot:
            context["error"] = _("Choisissez un créneau dans la liste.")
        else:
            try:
                booking = booking_create(
                    person=applicant_for(request), slot=slot, by=request.user,
                    subject=Subject(subject.type, subject.id, subject.label) if subject else None,
                )
            except BookingError as error:  # SlotTaken, AlreadyBooked, or a limit
                context["error"] = str(error)
                context["alternatives"] = error.alternatives
                context["already_booked"] = isinstance(error, AlreadyBooked)
            else:
                messages.success(request, _("Votre rendez-vous est réservé. Vous recevrez une confirmation."))
                return redirect("appointments:detail", pk=booking.pk)
    if site is not None:
        if context["alternatives"]:
            context.update(_by_day(context["alternatives"]))
        else:
            context.update(_slot_page(selectors.free_slots(motive=motive_obj, site_ids=[site.pk], after=after)))
        context["next_url"] = reverse("appointments:book", args=[motive_obj.code]) + _query(
            pour=pour, site=site.pk, apres=context["next_after"] and context["next_after"].isoformat())
        context["first_url"] = (reverse("appointments:book", args=[motive_obj.code])
                                + _query(pour=pour, site=site.pk))
    return render(request, "appointments/book.html", context)


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    booking = _booking_get(request, pk)
    letter = documents_for_subject(subject=booking).filter(kind=DocumentKind.CONVOCATION).first()
    upcoming = _upcoming(booking)
    return render(request, "appointments/detail.html", {
        "book_again_url": _book_again_url(request, booking),
        "booking": booking, "site": booking.slot.desk.site, "letter": letter, "upcoming": upcoming,
        "may_reschedule": _may_reschedule(booking), "movable_until": _movable_until(booking),
        "waiting": upcoming and selectors.waitlist_entry_active(
            user=applicant_for(request), motive=booking.motive, site=booking.slot.desk.site) is not None,
        "file_reference": booking.subject_id and registry.subject_label(booking.subject_type, booking.subject_id),
    })


def _book_again_url(request: AuthenticatedHttpRequest, booking: Booking) -> str:
    """Where a cancelled appointment can be booked again online: the same motive, for the same file
    if the file still allows it, unless another appointment of that motive is already active; ""
    otherwise (a convocation: the prefecture convokes again)."""
    if booking.status != Booking.Status.CANCELLED or not booking.motive.self_bookable:
        return ""
    pour = ""
    if booking.subject_id:
        info = registry.subject_for(applicant_for(request), booking.subject_type, booking.subject_id)
        if info is None or booking.motive.code not in info.self_bookable_motives:
            return ""
        pour = f"{booking.subject_type}:{booking.subject_id}"
    if selectors.booking_active_exists(user=applicant_for(request), motive=booking.motive,
                                       subject_type=booking.subject_type, subject_id=booking.subject_id):
        return ""
    return reverse("appointments:book", args=[booking.motive.code]) + _query(pour=pour, site=booking.slot.desk.site_id)


@login_required
@require_GET
def ics(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    booking = _booking_get(request, pk)
    slot, site = booking.slot, booking.slot.desk.site
    address = site.full_address
    description = [
        _("Motif : %(motive)s") % {"motive": booking.motive.get_code_display()},
        _("Guichet : %(desk)s") % {"desk": slot.desk.name},
    ]
    if site.access_notes:
        description.append(_("Accès : %(notes)s") % {"notes": site.access_notes})
    if site.opening_hours:
        description.append(_("Horaires : %(hours)s") % {"hours": site.opening_hours})
    description += [
        _("Plan : %(url)s") % {"url": site.map_url},
        _("Rendez-vous personnel : présentez une pièce d'identité au nom de %(name)s.") % {"name": booking.person_name},
    ]
    if booking.motive.documents_to_bring:
        description.append(_("À apporter : %(documents)s") % {"documents": booking.motive.documents_to_bring})
    description.append(_("Déplacer ou annuler : %(url)s")
                       % {"url": settings.SITE_URL + reverse("appointments:detail", args=[booking.pk])})
    body = calendar_event(
        uid=f"rendez-vous-{booking.pk}@{urlsplit(settings.SITE_URL).hostname or 'anef'}",
        stamp=timezone.now(), starts_at=slot.starts_at, ends_at=slot.ends_at,
        summary=_("Rendez-vous : %(motive)s") % {"motive": booking.motive.get_code_display()},
        location=f"{site.name}, {address}" if address else site.name,
        description="\n".join(description), cancelled=booking.status == Booking.Status.CANCELLED,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rendez-vous-{booking.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    booking = _booking_get(request, pk)
    if request.method == "POST":
        try:
            booking_cancel(booking=booking, by=request.user)
        except BookingError as error:
            messages.error(request, str(error))
            return redirect("appointments:detail", pk=booking.pk)
        messages.success(request, _("Votre rendez-vous est annulé. Le créneau est proposé à une autre personne."))
        return redirect("appointments:detail", pk=booking.pk)  # which offers to book again
    if not _upcoming(booking):
        messages.error(request, _("Ce rendez-vous n'est plus annulable."))
        return redirect("appointments:detail", pk=booking.pk)
    return render(request, "appointments/cancel.html", {"booking": booking})


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    booking = _booking_get(request, pk)
    if not _may_reschedule(booking):
        messages.error(request, _("Ce rendez-vous ne peut pas être déplacé en ligne."))
        return redirect("appointments:detail", pk=booking.pk)
    site_ids, until = [booking.slot.desk.site_id], _movable_until(booking)
    action = reverse("appointments:reschedule", args=[booking.pk])
    picked, picker = _picked_day(request, {})
    context = {**picker, "booking": booking, "until": until, "action": action, "error": "", "alternatives": None,
               "after": picked}
    if request.method == "POST":
        form = SlotChoiceForm(request.POST)
        slot = form.is_valid() and selectors.slot_get_bookable(pk=form.cleaned_data["slot"], motive=booking.motive,
                                                                site_ids=site_ids)
        if not slot or slot.pk == booking.slot_id:
            context["error"] = _("Choisissez un créneau dans la liste.")
        else:
            try:
                new = booking_reschedule(booking=booking, slot=slot, by=request.user)
            except BookingError as error:
                context["error"] = str(error)
                context["alternatives"] = [s for s in error.alternatives if s.pk != booking.slot_id and (
                    until is None or timezone.localdate(s.starts_at) <= until)]
            else:
                messages.success(request, _("Votre rendez-vous est déplacé."))
                return redirect("appointments:detail", pk=new.pk)
    if context["alternatives"]:
        context.update(_by_day(context["alternatives"]))
    else:
        rows = selectors.free_slots(
            motive=booking.motive, site_ids=site_ids, after=picked or _after(request.GET.get("apres")), until=until,
        ).exclude(pk=booking.slot_id)
        context.update(_slot_page(rows))
    context["next_url"] = action + _query(apres=context["next_after"] and context["next_after"].isoformat())
    context["first_url"] = action
    return render(request, "appointments/reschedule.html", context)


@login_required
@require_POST
def waitlist(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    booking = _booking_get(request, pk)
    if not _upcoming(booking):
        messages.error(request, _("Ce rendez-vous n'est plus actif."))
    else:
        waitlist_join(person=applicant_for(request), motive=booking.motive, site=booking.slot.desk.site,
                      subject=_subject(booking))
        messages.success(request, _("Vous êtes sur la liste d'attente. Si un créneau plus tôt se libère, il vous "
                                    "sera proposé par message ; vous garderez ce rendez-vous si vous le refusez."))
    return redirect("appointments:detail", pk=booking.pk)


@login_required
@require_POST
def offer_accept_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    offer = selectors.offer_get_for_user(user=applicant_for(request), pk=pk)
    try:
        booking = offer_accept(offer=offer, person=applicant_for(request), by=request.user)
    except BookingError as error:
        messages.error(request, str(error))
        return redirect("appointments:list")
    messages.success(request, _("Créneau accepté : voici votre nouveau rendez-vous."))
    return redirect("appointments:detail", pk=booking.pk)


@login_required
@require_POST
def offer_decline_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    offer = selectors.offer_get_for_user(user=applicant_for(request), pk=pk)
    offer_decline(offer=offer, person=applicant_for(request))
    messages.info(request, _("Proposition refusée. Vos rendez-vous ne changent pas."))
    return redirect("appointments:list")


# --- Staff pages --------------------------------------------------------------------------------

@role_required(selectors.staff_site_ids,
               _lazy("Seuls les agents des préfectures et les médiateurs numériques ont accès aux guichets."))
@require_GET
def desks(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = list(selectors.desks_for_staff(user=request.user))
    return render(request, "appointments/backoffice/desks.html", {
        "desks": [(desk, selectors.desk_supervised_by(user=request.user, desk=desk)) for desk in rows],
        "today": timezone.localdate(),
    })


@login_required
@require_GET
def day(request: AuthenticatedHttpRequest, desk: int, day: date) -> HttpResponse:
    desk_obj = selectors.desk_get_for_staff(user=request.user, pk=desk)
    on = day
    bookings = selectors.desk_day(desk=desk_obj, day=on)
    labels = registry.subject_labels([(b.subject_type, b.subject_id) for b in bookings])
    again = selectors.files_booked_again(bookings=bookings)
    actions = registry.desk_actions(request.user, bookings)  # what higher apps offer (the paper intake)
    for booking in bookings:
        booking.desk_action = actions.get(booking.pk)  # type: ignore[attr-defined]
    now = timezone.now()
    return render(request, "appointments/backoffice/day.html", {
        "desk": desk_obj, "day": on, "today": timezone.localdate(),
        "previous": on - timedelta(days=1), "next": on + timedelta(days=1),
        "rows": [(b, labels.get((b.subject_type, b.subject_id), ""), b.slot.starts_at <= now,
                  (b.subject_type, b.subject_id, b.motive_id) in again, booking_reconvocable(booking=b))
                 for b in bookings],
        "supervisor": selectors.desk_supervised_by(user=request.user, desk=desk_obj),
    })


@login_required
@require_POST
def mark(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_get_for_staff(user=request.user, pk=pk)
    form = MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Action inconnue."))
    else:
        try:
            booking = booking_mark(booking=booking, by=request.user, status=form.cleaned_data["status"])
        except BookingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("%(name)s : %(status)s.") % {"name": booking.person_name,
                                                                      "status": booking.get_status_display()})
    return redirect(reverse("appointments_backoffice:day", kwargs={
        "desk": booking.slot.desk_id, "day": timezone.localdate(booking.slot.starts_at).isoformat(),
    }) + f"#rdv-{booking.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def reconvoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """After a no-show on a convocation: a new convocation, same motive and file, same site."""
    booking = selectors.booking_get_for_staff(user=request.user, pk=pk)
    day_url = reverse("appointments_backoffice:day", kwargs={
        "desk": booking.slot.desk_id, "day": timezone.localdate(booking.slot.starts_at).isoformat()})
    if not booking_reconvocable(booking=booking):
        messages.error(request, _("Seule une convocation manquée peut être renouvelée."))
        return redirect(day_url)
    site_ids = [booking.slot.desk.site_id]
    action = reverse("appointments_backoffice:reconvoke", args=[booking.pk])
    label = registry.subject_label(booking.subject_type, booking.subject_id) if booking.subject_id else ""
    picked, picker = _picked_day(request, {})
    context = {**picker, "booking": booking, "label": label, "action": action, "day_url": day_url, "error": "",
               "alternatives": None, "after": picked, "movable_days": settings.CONVOCATION_MOVABLE_DAYS}
    if request.method == "POST":
        form = SlotChoiceForm(request.POST)
        slot = form.is_valid() and selectors.slot_get_bookable(pk=form.cleaned_data["slot"], motive=booking.motive,
                                                                site_ids=site_ids)
        if not slot:
            context["error"] = _("Choisissez un créneau dans la liste.")
        else:
            try:
                new = booking_reconvoke(booking=booking, slot=slot, by=request.user, label=label)
            except BookingError as error:
                context["error"] = str(error)
                context["alternatives"] = error.alternatives
            else:
                messages.success(request, _("%(name)s est convoqué(e) le %(date)s. La convocation lui est envoyée.")
                                 % {"name": new.person_name,
                                    "date": timezone.localtime(slot.starts_at).strftime("%d/%m/%Y %H:%M")})
                return redirect(day_url)
    if context["alternatives"]:
        context.update(_by_day(context["alternatives"]))
    else:
        context.update(_slot_page(selectors.free_slots(
            motive=booking.motive, site_ids=site_ids, after=picked or _after(request.GET.get("apres")))))
    context["next_url"] = action + _query(apres=context["next_after"] and context["next_after"].isoformat())
    context["first_url"] = action
    return render(request, "appointments/backoffice/reconvoke.html", context)


def _supervised_desk(request: AuthenticatedHttpRequest, pk: int):
    desk = selectors.desk_get_for_staff(user=request.user, pk=pk)
    if not selectors.desk_supervised_by(user=request.user, desk=desk):
        raise PermissionDenied(_("Seul un chef de bureau de la préfecture de ce guichet peut changer ses horaires."))
    return desk


def _rules_page(request, desk, *, rule_form=None, closure_form=None, status=200) -> HttpResponse:
    return render(request, "appointments/backoffice/rules.html", {
        "desk": desk, "rules": list(selectors.desk_rules(desk=desk)),
        "closures": list(selectors.desk_closures(desk=desk)),
        "rule_form": rule_form or OpeningRuleForm(desk=desk, prefix="rule"),
        "closure_form": closure_form or ClosureForm(prefix="closure"),
        "weeks": settings.SLOT_WEEKS_AHEAD, "today": timezone.localdate(),
    }, status=status)


def _to_move_page(request, desk, bookings: list[Booking], title: str) -> HttpResponse:
    return render(request, "appointments/backoffice/to_move.html", {"desk": desk, "bookings": bookings, "title": title})


def _add_errors(form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_GET
def rules(request: AuthenticatedHttpRequest, desk: int) -> HttpResponse:
    return _rules_page(request, _supervised_desk(request, desk))


@login_required
@require_POST
def rule_add(request: AuthenticatedHttpRequest, desk: int) -> HttpResponse:
    desk_obj = _supervised_desk(request, desk)
    form = OpeningRuleForm(request.POST, desk=desk_obj, prefix="rule")
    if form.is_valid():
        try:
            rule_create(desk=desk_obj, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Horaire ajouté. Générez les créneaux pour l'ouvrir à la réservation."))
            return redirect("appointments_backoffice:rules", desk=desk_obj.pk)
    return _rules_page(request, desk_obj, rule_form=form)


@login_required
@require_POST
def rule_remove(request: AuthenticatedHttpRequest, desk: int, rule: int) -> HttpResponse:
    desk_obj = _supervised_desk(request, desk)
    to_move = rule_delete(rule=selectors.rule_get_for_desk(desk=desk_obj, pk=rule), by=request.user)
    messages.success(request, _("Horaire supprimé ; ses créneaux libres à venir sont fermés."))
    if to_move:
        return _to_move_page(request, desk_obj, to_move, _("Horaire supprimé : rendez-vous à déplacer"))
    return redirect("appointments_backoffice:rules", desk=desk_obj.pk)


@login_required
@require_POST
def closure_add(request: AuthenticatedHttpRequest, desk: int) -> HttpResponse:
    desk_obj = _supervised_desk(request, desk)
    form = ClosureForm(request.POST, prefix="closure")
    if form.is_valid():
        try:
            _closure, to_move = closure_create(desk=desk_obj, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Fermeture enregistrée ; les créneaux libres de ces jours sont fermés."))
            if to_move:
                return _to_move_page(request, desk_obj, to_move, _("Fermeture : rendez-vous à déplacer"))
            return redirect("appointments_backoffice:rules", desk=desk_obj.pk)
    return _rules_page(request, desk_obj, closure_form=form)


@login_required
@require_POST
def generate(request: AuthenticatedHttpRequest, desk: int) -> HttpResponse:
    desk_obj = _supervised_desk(request, desk)
    created = desk_slots_generate(desk=desk_obj, by=request.user, weeks=settings.SLOT_WEEKS_AHEAD)
    messages.success(request, ngettext("%(count)s nouveau créneau ouvert sur %(weeks)s semaines.",
                                       "%(count)s nouveaux créneaux ouverts sur %(weeks)s semaines.", created)
                     % {"count": created, "weeks": settings.SLOT_WEEKS_AHEAD})
    return redirect("appointments_backoffice:rules", desk=desk_obj.pk)
