"""The back-office file page put together (issue 17): its parts (breadcrumb, heading, main column,
side column) are templates rendered once per language and shape by each process
(``core.fragments.slotted_template``), and each request only fills in the dossier's own values,
escaped here as ``{{ value }}`` would have escaped them (``presenters.shown``). Rendered by the
template language each time, the page's ~40 translations, ~200 variables and its conditions were half
of the page's CPU; tests/backoffice/test_file_page.py compares the HTML with the former template's.

What varies from one dossier to the next within a shape goes into slots (names, dates, the forms'
HTML, the lists); what the shape holds (flags, the status, the staff actions) is part of the key,
so that no value of one dossier can show on another's page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # missing from django-stubs
from django.utils.translation import gettext as _

from applications.actions import StaffActions
from applications.backoffice.presenters import date_writer, formatted_date, shown
from applications.clock import Clock
from applications.models import Dossier, Status
from applications.presenters import document_item_html, type_name
from core.fragments import slotted_template
from core.l10n import CURRENT_LANGUAGE, active_language, words_once

_PARTS = "applications/backoffice/"


def _day(value: Any, language: Any = CURRENT_LANGUAGE) -> str:
    """A day as ``{{ value|date:"j F Y" }}`` writes it ("" for none)."""
    return shown(formatted_date(value, "j F Y", language=language))


def page_title(dossier: Dossier, *, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The page's title, as ``{% blocktranslate %}Dossier {{ ref }}{% endblocktranslate %}`` wrote it."""
    title = words_once("file-title", lambda: {"title": _("Dossier %(ref)s")}, language=language)["title"]
    return SafeString(title % {"ref": shown(dossier.reference)})  # the value escaped


def breadcrumb_html(dossier: Dossier) -> SafeString:
    """The breadcrumb: the back-office's home, the queue, this dossier's reference."""
    return slotted_template(_PARTS + "_file_breadcrumb.html", context={}, slots={"current": shown(dossier.reference)})


def header_html(dossier: Dossier, *, applicant_name: str, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The page's heading: reference, applicant, procedure, badges, filing, agent in charge, journal."""
    agent = dossier.assigned_to
    return slotted_template(_PARTS + "_file_header.html", context={
        "status": dossier.status, "channel": dossier.channel, "filed_on_time": dossier.filed_on_time,
        "assigned": bool(agent),
    }, slots={
        "reference": shown(dossier.reference),
        "applicant_name": shown(applicant_name),
        "procedure_name": shown(type_name(dossier.procedure, active_language() if language is CURRENT_LANGUAGE
                                           else language)),  # the descriptor's ~28 calls, once a process
        "channel_label": shown(dossier.get_channel_display()) if dossier.channel == "paper" else "",
        "submitted": shown(formatted_date(template_localtime(dossier.submitted_at), "DATETIME_FORMAT",
                                               language=language)),
        "prefecture": shown(dossier.prefecture.name) if dossier.prefecture else "",
        "agent_name": shown(agent.get_full_name()) if agent else "",
    }, ids={"pk": dossier.pk})


#: One table of the applicant's answers, as the main column's ``{% for title, rows in answer_sections %}`` wrote it.
_ANSWER_TABLE = (
    '\n  <div class="fr-table fr-table--sm fr-table--bordered fr-mb-2w">\n'
    "    \n"  # a template comment stood on this line
    '    <div class="fr-table__wrapper"><div class="fr-table__container" tabindex="0" role="region"'
    ' aria-label="{title}"><div class="fr-table__content">\n'
    "      <table>\n"
    '        <caption class="fr-h6">{title}</caption>\n'
    '        <thead class="fr-sr-only"><tr><th scope="col">{question}</th><th scope="col">{answer}</th></tr></thead>\n'
    "        <tbody>\n"
    "        {rows}\n"
    "        </tbody>\n"
    "      </table>\n"
    "    </div></div></div>\n"
    "  </div>\n"
    "  "
)


def answers_html(tables: list[tuple[Any, SafeString]], *, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The applicant's answers, one table per step (``presenters.answer_tables``: rows escaped)."""
    # {% translate %} of a literal: not escaped
    words = words_once("answers", lambda: {"question": _("Question"), "answer": _("Réponse")}, language=language)
    return SafeString("".join(_ANSWER_TABLE.format(  # titles escaped, rows by answer_tables
        title=shown(title), rows=rows, **words) for title, rows in tables))


#: One attachment's accordion, as the main column's ``{% for attachment, … in attachments %}`` wrote it.
_ATTACHMENT_PANEL = (
    '\n    <section class="fr-accordion">\n'
    '      <h3 class="fr-accordion__title">\n'
    '        <button type="button" class="fr-accordion__btn" aria-expanded="{expanded}" aria-controls="piece-{pk}">\n'
    "          {title}\n"
    "        </button>\n"
    "      </h3>\n"
    '      <div class="fr-collapse" id="piece-{pk}">\n'
    "        {body}\n"
    "        {form}\n"
    "      </div>\n"
    "    </section>\n"
    "  "
)
_REVIEW_FORM = (
    '\n        <form method="post" action="{url}" novalidate>\n'
    "          {csrf}\n"
    "          {form}\n"
    '          <button type="submit" class="fr-btn fr-btn--secondary fr-btn--sm">{save}</button>\n'
    "        </form>\n"
    "        "
)


def csrf_input(token: str) -> str:
    """What ``{% csrf_token %}`` writes for this token (nothing without one)."""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{conditional_escape(token)}">' if token else ""


def attachments_html(panels: list[tuple], *, csrf_token: str, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The attachments' accordions (``presenters.attachment_panels``: title, text and review address
    escaped), each with its review form (HTML, or a form bound with errors) when reviews are open."""
    save = words_once("review-form", lambda: {"save": _("Enregistrer la vérification")}, language=language)["save"]
    csrf = csrf_input(csrf_token)
    parts = []
    for attachment, form, expanded, title, body, review_url in panels:
        parts.append(_ATTACHMENT_PANEL.format(
            expanded="true" if expanded else "false", pk=shown(attachment.id), title=title, body=body,
            form=_REVIEW_FORM.format(url=review_url, csrf=csrf, form=conditional_escape(form), save=save)
            if form else "",
        ))
    return SafeString("".join(parts))  # values escaped above and by attachment_panels


def main_html(dossier: Dossier, *, data: dict, tables: list, panels: list, timeline: SafeString, open_request: Any,
              csrf_token: str, language: Any = CURRENT_LANGUAGE, today: date | None = None) -> SafeString:
    """The main column: another request for the same permit, the open complement request, the
    answers, the attachments (and their replaced versions), the timeline, the documents, the
    appointments. Its lists are rendered only when there are some (the rarer ones by their
    templates, as before). ``language``: the active one, when the caller has read it."""
    context: dict[str, Any] = {
        "same_permit": bool(data["same_permit_requests"]), "open_request": open_request is not None,
        "request_has_message": bool(open_request and open_request.message), "has_answers": bool(tables),
        "has_attachments": bool(panels), "has_previous": bool(data["previous_attachments"]),
        "has_documents": bool(data["documents"]), "has_bookings": bool(data["bookings"]),
    }
    slots = {
        "answers": answers_html(tables, language=language) if tables else "",
        "attachment_panels": attachments_html(panels, csrf_token=csrf_token, language=language) if panels else "",
        "timeline": timeline,
        "same_permit_alert": _part("_file_same_permit.html", dossier, data, "same_permit_requests"),
        "previous_versions": _part("_file_previous.html", dossier, data, "previous_attachments"),
        "documents_list": documents_html(data["documents"], language=language, today=today),
        "bookings_table": _part("_file_bookings.html", dossier, data, "bookings"),
        "due_day": "", "request_types": "", "request_message": "",
    }
    if open_request is not None:
        slots["due_day"] = _day(open_request.due_on, language)
        slots["request_types"] = ", ".join(shown(kind.name) for kind in open_request.document_types.all())
        slots["request_message"] = shown(open_request.message)
    return slotted_template(_PARTS + "_file_main.html", context=context, slots=slots)


def documents_html(documents: list, *, language: Any = CURRENT_LANGUAGE, today: date | None = None) -> str:
    """The issued documents' list, as _file_documents.html wrote it (each line by
    ``applications.presenters.document_item_html``, escaped there), when the dossier has any."""
    if not documents:
        return ""
    today = today or timezone.localdate()
    return "<ul>\n    " + "".join(f"\n    {document_item_html(document, today=today, language=language)}\n\n    "
                                   for document in documents) + "\n  </ul>\n"


def _part(name: str, dossier: Dossier, data: dict, key: str) -> str:
    """One of the main column's rarer lists by its template, when the dossier has any."""
    if not data[key]:
        return ""
    return render_to_string(_PARTS + name, {key: data[key], "dossier": dossier})


def clock_badges_html(badges: list[tuple[str, str]]) -> str:
    """The legal clock's badges (``applications.presenters.clock_badges``), as their include wrote them."""
    return ('<ul class="fr-badges-group">'
            + "".join(f'<li><p class="fr-badge {conditional_escape(css)}">{conditional_escape(text)}</p></li>'
                      for css, text in badges)
            + "</ul>\n")


def side_html(dossier: Dossier, *, clock: Clock, badges: list[tuple[str, str]], actions: StaffActions,
              action_forms: dict, csrf_token: str, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The side column: the legal clock, then the actions the person may take now, with their forms
    (blank ones as HTML kept by the view, forms bound with errors as they are)."""
    card_next = Status(actions.card_next) if actions.card_next else None
    card = action_forms.get("card")
    delivery = card is not None and card_next == Status.CARD_DELIVERED
    day = date_writer("j F Y", language=language)  # the format's plan looked up once for the column's days
    slots = {
        "csrf_token": conditional_escape(csrf_token),
        "clock_badges": clock_badges_html(badges),
        "deadline": shown(day(clock.deadline) or "–"),
        "paused_on": shown(day(dossier.clock_paused_on)) if clock.paused else "",
        "days_left": shown(clock.days_left) if clock.days_left is not None else "",
        "permit_end": shown(day(dossier.permit_expires_on)) if dossier.permit_expires_on else "",
        "certificate_until": shown(day(dossier.certificate_valid_until)) if dossier.certificate_valid_until else "",
        "card_errors": conditional_escape(card.non_field_errors()) if card is not None else "",
        **{f"{name}_form": conditional_escape(action_forms[name]) if name in action_forms else ""
           for name in ("assign", "complements", "decide", "extension")},
        **{f"card_{field}": card[field].as_field_group() if delivery else ""  # type: ignore[index]
           for field in ("number", "valid_from", "valid_until", "category")},
    }
    return slotted_template(_PARTS + "_file_side.html", context={
        "actions": actions, "card_next": card_next, "status": dossier.status,
        "paused": clock.paused, "has_days_left": clock.days_left is not None, "overdue": clock.overdue,
        "permit_expires": bool(dossier.permit_expires_on), "rights_at_risk": clock.rights_at_risk,
        "is_renewal": dossier.procedure.is_renewal, "has_certificate": bool(dossier.certificate_valid_until),
        "extension_granted": dossier.extension_granted,
    }, slots=slots, ids={"pk": dossier.pk})
