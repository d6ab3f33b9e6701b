"""How dossiers, people and events are put into words for a page or a file: labels, dates, the
applicant's answers, the audit journal's details, the cells of a queue export. No rule and no
query lives here; views, forms and the export service call these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from applications import forms as applicant_forms
from applications.clock import Clock, ClockFacts, clock_for
from applications.models import Attachment, Channel, Dossier, DossierEvent, Permit, PermitCategory, Status
from applications.selectors import PermitStatus, person_name
from applications.steps import STEP_LABELS
from applications.workflow import NEXT_ACTION, PLAIN_STATUS
from core.l10n import CURRENT_LANGUAGE, HTML_ESCAPES, active_language, date_formatter, date_text, shown, words_once
from core.l10n import escaped as html_escape
from core.urls import url_of, url_parts

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.models import User
    from applications.backoffice.selectors import QueueRow

#: Cells a spreadsheet would evaluate as a formula start with one of these (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def french_date(value: date | str | None) -> str:
    """A day as French pages and files write it (31/12/2026); an ISO string (as answers and audit
    details store days) is read first, and one that is no date comes back as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y")


# --- People and files -----------------------------------------------------------------------------

def agent_label(user: User) -> str:
    """An agent, named as everywhere in the back-office."""
    return str(user)  # full name, else e-mail, else login identifier


def dossier_label(dossier: Dossier) -> str:
    """A file: its reference, the applicant (from the identity step) and the procedure."""
    identity = dossier.answers.get("identity", {}) if isinstance(dossier.answers, dict) else {}
    name = " ".join(p for p in ((identity.get("last_name") or "").upper(), identity.get("first_name") or "") if p)
    return " – ".join(p for p in (dossier.reference, name or str(dossier.applicant), dossier.procedure.name) if p)


def preview_kind(attachment: Attachment) -> str:
    """How the file page previews an attachment: "image", "pdf", or "" (none)."""
    if attachment.content_type.startswith("image/"):
        return "image"
    if attachment.content_type == "application/pdf":
        return "pdf"
    return ""


# --- The applicant's answers ----------------------------------------------------------------------

_FIELD_LABELS: dict[tuple[str | None, type], list[tuple[str, str]]] = {}


def _fields_in_words(form_class: type) -> list[tuple[str, str]]:
    """A form's fields as (name, label in the current language), put into words once per
    language by each process (issue 17: a lazy label per field and page was a tenth of the file
    page's answers)."""
    key = (active_language(), form_class)
    fields = _FIELD_LABELS.get(key)
    if fields is None:
        fields = _FIELD_LABELS[key] = [(name, str(field.label))
                                       for name, field in form_class.base_fields.items()]  # type: ignore[attr-defined]
    return fields


def amendable_labels() -> dict[str, str]:
    """The labels of the answers an applicant may amend, by field name."""
    labels = {}
    for form_class in (applicant_forms.IdentityForm, applicant_forms.SituationForm):
        labels.update(dict(_fields_in_words(form_class)))
    return labels


def _permit_name(permit: Permit) -> str:
    """A permit as ``str(permit)`` names it, its category's label from the per-language table
    (``get_category_display`` builds a dict of every choice on each call)."""
    category = _choice_labels(PermitCategory, _CATEGORY_LABELS).get(permit.category, permit.category)
    return f"{category} n° {permit.number}"


def answer_sections(dossier: Dossier) -> list[tuple[StrOrPromise, list[tuple[str, str]]]]:
    """The applicant's answers, step by step, as (label, value) pairs in the form's own words."""
    answers = dossier.answers if isinstance(dossier.answers, dict) else {}
    procedure = dossier.procedure
    # The choices' and steps' labels in words once per language (issue 17: lazy labels compared
    # and put into words per answer were a third of this function's calls).
    yes_no, family, steps = words_once("answer-choices", lambda: (
        {value: str(label) for value, label in applicant_forms.YES_NO},
        {value: str(label) for value, label in applicant_forms.FAMILY},
        {step: str(label) for step, label in STEP_LABELS.items()},
    ))
    sections: list[tuple[StrOrPromise, list[tuple[str, str]]]] = []
    if procedure.eligibility and "eligibility" in answers:
        rows = [(q["text"], str(yes_no.get(answers["eligibility"].get(q["code"]), "–")))
                for q in procedure.eligibility]
        sections.append((steps["eligibility"], rows))
    for step, form_class in (("identity", applicant_forms.IdentityForm), ("situation", applicant_forms.SituationForm)):
        values = answers.get(step)
        if not values:
            continue
        rows = []
        for name, label in _fields_in_words(form_class):
            value = values.get(name, "")
            if name == "family_situation":
                value = family.get(value, value)
            elif name == "birth_date" and value:
                value = french_date(value)
            rows.append((label, str(value) if value not in (None, "") else "–"))
        if step == "situation" and procedure.is_renewal:
            rows.append((_("Titre renouvelé"), _permit_name(dossier.renewed_permit) if dossier.renewed_permit else "–"))
        sections.append((steps[step], rows))
    if procedure.questions and "questions" in answers:
        rows = []
        for question in procedure.questions:
            value = answers["questions"].get(question["code"], "")
            if question.get("kind") == "boolean":
                value = yes_no.get(value, value)
            elif question.get("kind") == "date" and value:
                value = french_date(value)
            rows.append((question["label"], str(value) if value not in (None, "") else "–"))
        sections.append((steps["questions"], rows))
    return sections


# --- The audit journal ----------------------------------------------------------------------------

def audit_label(action: str) -> str:
    """An audit action in words: the timeline's label for a dossier event, else the action itself."""
    kind = action.removeprefix("dossier.")
    return str(DossierEvent.Kind(kind).label) if kind in DossierEvent.Kind.values else action


#: How the journal names the keys of an audit event's details (unknown keys are shown as they are).
AUDIT_KEYS = {
    "from": _lazy("Avant"), "to": _lazy("Après"), "outcome": _lazy("Décision"), "reasons": _lazy("Motifs"),
    "reason": _lazy("Motif"), "message": _lazy("Message"), "documents": _lazy("Pièces demandées"),
    "due_on": _lazy("À fournir avant le"), "document_type": _lazy("Pièce"), "replaces": _lazy("Remplace une version"),
    "accepted": _lazy("Acceptée"), "kind": _lazy("Type de document"), "number": _lazy("Numéro"),
    "document": _lazy("Document (identifiant)"), "on_time": _lazy("Dans les délais"), "step": _lazy("Étape"),
    "field": _lazy("Réponse"), "before": _lazy("Avant"), "after": _lazy("Après"), "valid_from": _lazy("Valable du"),
    "valid_until": _lazy("Valable jusqu'au"), "at": _lazy("Date"), "site": _lazy("Lieu"),
    "on_behalf": _lazy("Sous mandat"),
}


def audit_details(data: Any) -> list[tuple[str, str]]:
    """An audit event's details as (label, value) rows; empty values are left out."""
    if not isinstance(data, dict):
        return [("", str(data))]
    statuses = dict(Status.choices)
    rows = []
    for key, value in data.items():
        if value in ("", None, [], {}):
            continue
        if key in ("from", "to", "outcome") and value in statuses:
            value = statuses[value]
        elif isinstance(value, bool):
            value = _("oui") if value else _("non")
        elif key == "on_behalf" and isinstance(value, dict):  # accounts.mandates.mandate_actor_data
            value = _("fait par %(mediator)s, médiateur au PAN de %(site)s, pour le compte de %(person)s") % {
                "mediator": value.get("mediator", ""), "site": value.get("site_city", ""),
                "person": value.get("person", "")}
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
            value = french_date(value)
        rows.append((str(AUDIT_KEYS.get(key, key)), str(value)))
    return rows


# --- Queue exports (CSV) --------------------------------------------------------------------------

def csv_cell(value: Any) -> str:
    """A text cell a spreadsheet shows as text: one that would be read as a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def export_header() -> list[str]:
    return [_("Référence"), _("Démarche"), _("Statut"), _("Préfecture"), _("Déposé le"), _("Échéance légale"),
            _("Jours restants"), _("Droits menacés"), _("Agent en charge"), _("Demandeur")]


def export_line(row: Any, today: date) -> list[str]:
    """One row of ``applications.backoffice.selectors.queue_rows`` as the export's cells."""
    clock = clock_for(row, today)  # the row has the attributes the clock reads
    # The way the portal names people everywhere (``person_name``); the applicant as in
    # ``applicant_snapshot``: each part from the identity step, else from the account.
    applicant = person_name(first=row.identity_first_name or row.applicant_first_name,
                            last=row.identity_last_name or row.applicant_last_name)
    agent = person_name(first=row.agent_first_name, last=row.agent_last_name)
    return [
        csv_cell(row.reference), csv_cell(row.procedure_name), csv_cell(Status(row.status).label),
        csv_cell(row.prefecture_name),
        french_date(timezone.localtime(row.submitted_at).date() if row.submitted_at else None),
        french_date(row.legal_deadline),
        "" if clock.days_left is None else str(clock.days_left),
        _("oui") if clock.rights_at_risk else _("non"),
        csv_cell(agent), csv_cell(applicant),
    ]


# --- The queue's rows (issue 14: put into words here, once per row, rather than by template tags) -----

#: The DSFR badge colour of each status (the others stay grey).
STATUS_BADGE_CLASSES: dict[str, str] = {
    Status.COMPLEMENTS_REQUESTED: "fr-badge--new",
    Status.SUBMITTED: "fr-badge--info",
    Status.UNDER_REVIEW: "fr-badge--purple-glycine",
    Status.DECIDED_FAVOURABLE: "fr-badge--success",
    Status.CARD_IN_PRODUCTION: "fr-badge--success",
    Status.CARD_READY: "fr-badge--success",
    Status.CARD_DELIVERED: "fr-badge--success",
    Status.DECIDED_UNFAVOURABLE: "fr-badge--error",
}


def clock_badges(dossier: ClockFacts, clock: Clock) -> list[tuple[str, str]]:
    """The legal clock's badges of a dossier (CSS modifiers, text) for the queue and the file page:
    rights at risk (with the permit's end), overdue by how many days, paused, or days left."""
    badges: list[tuple[str, str]] = []
    if clock.rights_at_risk:
        day = dossier.permit_expires_on.strftime("%d/%m/%Y") if dossier.permit_expires_on else ""
        badges.append(("fr-badge--error fr-badge--sm", mark_safe(_(  # noqa: S308 (our own translated markup)
            "Droits menacés ·<span class=\"fr-sr-only\"> titre valable jusqu'au</span> %(day)s") % {"day": day})))
    if clock.overdue:
        days = abs(clock.days_left or 0)
        badges.append(("fr-badge--warning fr-badge--sm", ngettext(
            "Hors délai · %(days)s jour", "Hors délai · %(days)s jours", days) % {"days": days}))
    elif clock.paused:
        badges.append(("fr-badge--info fr-badge--no-icon fr-badge--sm", _("Suspendu")))
    elif clock.days_left is not None:
        badges.append(("fr-badge--no-icon fr-badge--sm", ngettext(
            "%(days)s jour restant", "%(days)s jours restants", clock.days_left) % {"days": clock.days_left}))
    return badges


#: A clock badge and a status badge of the queue's rows (``queue_table``).
_QUEUE_BADGE_HTML = '<li><p class="fr-badge {}">{}</p></li>'
_QUEUE_STATUS_HTML = '<p class="fr-badge fr-badge--sm fr-badge--no-icon {}">{}</p>'


def escape_text(value: object) -> str:
    """``conditional_escape``'s text: marked-safe text as it is, anything else escaped."""
    return str(value) if isinstance(value, SafeData) else str(value).translate(HTML_ESCAPES)


_STATUS_LABELS: dict[str | None, dict[str, str]] = {}


def status_labels(language: Any = CURRENT_LANGUAGE) -> dict[str, str]:
    """The statuses' labels in the current language, put into words once per language by each
    process (the catalogues of translations do not change while it runs), not a lazy string per row
    nor per page. ``language``: the active one, when the caller has read it."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    labels = _STATUS_LABELS.get(language)
    if labels is None:
        labels = _STATUS_LABELS[language] = {status.value: str(status.label) for status in Status}
    return labels


#: The badges of a clock state and their cell's HTML, by language and what they show (the permit's
#: end when rights are at risk, overdue, paused, days left): put into words once by each process,
#: not once per page (issue 17). Bounded: cleared when it grows past ``_BADGE_CELLS_MAX`` states.
_BADGE_CELLS: dict[tuple, tuple[list[tuple[str, str]], str]] = {}
_BADGE_CELLS_MAX = 4096
#: Each status's badge class, label and cell's HTML, by language.
_STATUS_CELLS: dict[str | None, dict[str, tuple[str, str, str]]] = {}


def _status_cells(language: str | None) -> dict[str, tuple[str, str, str]]:
    cells = _STATUS_CELLS.get(language)
    if cells is None:
        labels = status_labels(language)
        cells = _STATUS_CELLS[language] = {}
        for status in Status:
            css, label = STATUS_BADGE_CLASSES.get(status, ""), labels[status.value]
            cells[status.value] = (css, label, _QUEUE_STATUS_HTML.format(escape_text(css), escape_text(label)))
    return cells


def queue_table(
    rows: list[QueueRow], today: date, *, several_prefectures: bool,
    procedure_names: dict[int, str], department_codes: dict[int, str], unassigned: str,
    language: Any = CURRENT_LANGUAGE,
) -> tuple[list[dict[str, Any]], SafeString]:
    """What each cell of the queue's table shows (dicts, from the rows of ``queue_page_rows``;
    ``procedure_names`` and ``department_codes``, by procedure and prefecture id, name what the rows
    did not join), and the table's rows as HTML, every value escaped as the template language would.
    Python rather than the template language: 50 rows through ``{% for %}`` and a dozen variables
    each were a fifth of the page's CPU (issue 14). The badges and status cells are put into words
    and escaped once per language by each process, and looked up once per clock state and status on
    a page; what people typed or named is escaped for all the rows at once (issue 17).
    ``language``: the active one, when the caller has read it."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    before, after = url_parts("backoffice_instruction:dossier", 1)
    status_cells = _status_cells(language)
    paper = _choice_labels(Channel, _CHANNEL_LABELS, language)[Channel.PAPER]
    if len(_BADGE_CELLS) > _BADGE_CELLS_MAX:
        _BADGE_CELLS.clear()
    # The badges and status cells by what the clock and the status read of a row (the same for
    # every row of a clock state and status on this page: ``today`` is the page's).
    shown_of: dict[tuple, tuple] = {}
    cells: list[dict[str, Any]] = []
    for row in rows:
        hint = procedure_names[row.procedure_id]
        if row.channel == Channel.PAPER:
            hint = f"{hint} · {paper}"
        if several_prefectures and row.prefecture_id is not None:
            hint = f"{hint} · {department_codes[row.prefecture_id]}"
        facts = (row.status, row.legal_deadline, row.clock_paused_on, row.permit_expires_on,
                 row.certificate_valid_until)
        shown = shown_of.get(facts)
        if shown is None:
            shown = shown_of[facts] = _queue_shown(row, today, language, status_cells)
        # ``person_name``, written out (a call less per row): "First LAST", else the account's
        # e-mail or login (``str(user)`` for a nameless account).
        first = row.identity_first_name or row.applicant_first_name
        last = (row.identity_last_name or row.applicant_last_name or "").upper()
        name = (f"{first} {last}" if first and last else first or last) or row.applicant_email \
            or row.applicant_login_id
        agent = ""
        if row.assigned_to_id is not None:
            agent_first, agent_last = row.agent_first_name, (row.agent_last_name or "").upper()
            agent = f"{agent_first} {agent_last}" if agent_first and agent_last else agent_first or agent_last
        submitted_on, deadline_on = row.submitted_on, row.legal_deadline
        cells.append({
            "badges": shown[0], "url": f"{before}{row.id}{after}", "reference": row.reference, "hint": hint,
            "name": name, "foreigner_number": row.search_foreigner_number, "status_class": shown[2],
            "status": shown[3],
            "submitted": f"{submitted_on.day:02d}/{submitted_on.month:02d}/{submitted_on.year}" if submitted_on else "",
            "deadline": f"{deadline_on.day:02d}/{deadline_on.month:02d}/{deadline_on.year}" if deadline_on else "–",
            "agent": agent, "badges_html": shown[1], "status_html": shown[4],
        })
    unassigned_html = f'<span class="fr-text--sm">{escape_text(unassigned)}</span>'
    # What people typed or named (reference, hint, name, foreigner number, agent), escaped for the
    # whole page at once: the five values of every row joined by NUL (which PostgreSQL's text never
    # holds), escaped, and split again.
    typed = "\x00".join([
        f"{c['reference']}\x00{c['hint']}\x00{c['name']}\x00{c['foreigner_number'] or ''}\x00{c['agent']}"
        for c in cells]).translate(HTML_ESCAPES).split("\x00")
    hint_open = '<span class="fr-hint-text">'
    return cells, mark_safe("".join([  # noqa: S308 (every value escaped above)
        "<tr>\n"
        f'  <td><ul class="fr-badges-group">{c["badges_html"]}</ul></td>\n'
        f'  <th scope="row"><a href="{c["url"]}">{typed[i]}</a> <span class="fr-hint-text">{typed[i + 1]}</span></th>\n'
        f"  <td>{typed[i + 2]}{hint_open + typed[i + 3] + '</span>' if typed[i + 3] else ''}</td>\n"
        f"  <td>{c['status_html']}</td>\n"
        f"  <td>{c['submitted']}</td>\n"
        f"  <td>{c['deadline']}</td>\n"
        f"  <td>{typed[i + 4] or unassigned_html}</td>\n"
        "</tr>\n"
        for i, c in zip(range(0, 5 * len(cells), 5), cells, strict=True)]))


def _queue_shown(row: QueueRow, today: date, language: str | None,
                 status_cells: dict[str, tuple[str, str, str]]) -> tuple:
    """A row's badges, their cell's HTML, its status's badge class, label and cell's HTML."""
    clock = clock_for(row, today)
    key = (language, clock.rights_at_risk and row.permit_expires_on, clock.overdue, clock.paused, clock.days_left)
    badge_cell = _BADGE_CELLS.get(key)
    if badge_cell is None:
        badges = clock_badges(row, clock)
        badge_cell = _BADGE_CELLS[key] = (badges, "".join(
            _QUEUE_BADGE_HTML.format(escape_text(css), escape_text(text)) for css, text in badges))
    status_cell = status_cells.get(row.status)
    if status_cell is None:  # not a status of the model: shown as it is
        status_cell = ("", row.status, _QUEUE_STATUS_HTML.format("", escape_text(row.status)))
    return (*badge_cell, *status_cell)


_CHANNEL_LABELS: dict[str | None, dict[str, str]] = {}
# --- The applicant's dossier page (issue 14: its rows put into words here, not by tags per item) ----
#
# Issue 17: its lists are written here as HTML, as the template's loops wrote them (the same
# characters, spaces and line breaks: tests/applications/test_dossier_page_html.py compares them
# with the template they replace), every value escaped as ``{{ value }}`` would escape it.

def _url_maker(name: str, *args: Any) -> Any:
    """A URL of ``name`` per dossier (and per item), reversed once per call of the page for
    placeholder ids rather than once per row; each argument ``None`` stands for the value given."""
    from django.urls import reverse

    placeholders = [918273645 + i for i in range(args.count(None))]
    values = iter(placeholders)
    url = reverse(name, args=[next(values) if arg is None else arg for arg in args])
    parts = [url]
    for placeholder in placeholders:
        before, after = parts[-1].split(str(placeholder))
        parts[-1:] = [before, after]
    return lambda *ids: "".join(part + (str(ids[i]) if i < len(ids) else "") for i, part in enumerate(parts))


def _choice_labels(choices: type[models.Choices], cache: dict, language: Any = CURRENT_LANGUAGE) -> dict[str, str]:
    """A field's choices (a ``TextChoices`` class) in words in the current language, once per
    language by each process (the model's ``get_FOO_display`` builds a dict of them on every call,
    and so does the class's ``choices``); ``language``: the active one, when the caller has read it."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    labels = cache.get(language)
    if labels is None:
        labels = cache[language] = {value: str(label) for value, label in choices.choices}
    return labels


_NO_DETAIL: dict[str, Any] = {}


def _detail(data: Any, key: str) -> Any:
    """``data.key`` as the template language reads an event's JSON details: the dictionary's
    entry, else nothing ("" is what it shows for a missing one)."""
    return data.get(key, "") if isinstance(data, dict) else ""


_KIND_LABELS: dict[str | None, dict[str, str]] = {}
_CATEGORY_LABELS: dict[str | None, dict[str, str]] = {}
_REVIEW_LABELS: dict[str | None, dict[str, str]] = {}
_DOCUMENT_KIND_LABELS: dict[str | None, dict[str, str]] = {}


def _dossier_words(language: Any = CURRENT_LANGUAGE) -> dict[str, str]:
    """The words of the dossier page's lists in the current language, once per language by each
    process (literal ``_()`` calls, for makemessages); the ones shown as they are, escaped."""
    return words_once("dossier-page", language=language, translate=lambda: {
        "check": html_escape(_("Vérification :")),
        "none_sent": html_escape(_("Aucune pièce envoyée.")),
        "sent_on": _("envoyée le %(date)s"),
        "by_you": html_escape(_("Par vous")),
        "by_prefecture": html_escape(_("Par la préfecture")),
        "automatic": html_escape(_("Automatiquement")),
        "on_behalf": _("Pour votre compte : fait par %(mediator)s, médiateur au PAN de %(site)s"),
        "paper": _("déposé au guichet sur papier par %(name)s"),
    })


_ATTACHMENT_HTML = (
    '\n  <li class="fr-py-2w">\n'
    '    <p class="fr-mb-0"><strong>{type}</strong></p>\n'
    '    <p class="fr-text--sm fr-mb-0"><a class="anef-filename" href="{url}" target="_blank" rel="noopener">'
    "{name}</a>\n"
    "      – {sent}</p>\n"
    '    <p class="fr-text--sm fr-mb-0">{check} {review}{reason}</p>\n'
    "  </li>\n  "
)


_TYPE_NAMES: dict[tuple, str] = {}


def type_name(document_type: Any, language: str | None) -> str:
    """``document_type.name`` in ``language`` (the active one), as django-modeltranslation reads it
    (``name_<language>``, else the French), remembered by each process for the names stored: the
    descriptor costs about 28 calls per read (issue 17). Also a procedure's (``Procedure.name``)."""
    stored = document_type.__dict__
    try:
        key = (type(document_type), language, stored["name"], stored["name_fr"], stored["name_en"])
    except KeyError:  # a name deferred: read as usual
        return document_type.name
    name = _TYPE_NAMES.get(key)
    if name is None:
        if len(_TYPE_NAMES) > 4096:
            _TYPE_NAMES.clear()
        name = _TYPE_NAMES[key] = document_type.name
    return name


def dossier_attachments_html(dossier: Dossier, attachments: list[Attachment], *,
                             language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The inside of the dossier page's list of current pieces: each one's type, a link to the
    file, the day it was sent and its review in words (with the reason of a refusal). ``language``:
    the active one, when the caller has read it (as the other presenters of the page take it)."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    words = _dossier_words(language)
    if not attachments:
        return mark_safe(f"\n  \n  <li>{words['none_sent']}</li>\n  \n")  # noqa: S308 (our own words, escaped)
    before, middle, after = url_parts("applications:attachment", 2)
    before = f"{before}{int(dossier.pk)}{middle}"
    reviews = _choice_labels(Attachment.Review, _REVIEW_LABELS, language)
    day = date_formatter("DATE_FORMAT", language=language)
    rows = []
    for attachment in attachments:
        reason = attachment.review_reason
        rows.append(_ATTACHMENT_HTML.format(
            type=shown(type_name(attachment.document_type, language)), url=f"{before}{int(attachment.pk)}{after}",
            name=shown(attachment.original_name),
            sent=words["sent_on"] % {"date": html_escape(day(attachment.uploaded_at))},
            check=words["check"], review=shown(reviews.get(attachment.review, attachment.review)),
            reason=f" : {shown(reason)}" if reason else "",
        ))
    return mark_safe("\n  " + "".join(rows) + "\n")  # noqa: S308 (every value escaped above)


_EVENT_HTML = (
    '\n    <li class="{css}">\n'
    '      <p class="fr-text--sm fr-mb-0">{at}</p>\n'
    '      <p class="fr-mb-0"><strong>{kind}</strong>{to_status}</p>\n'
    '      <p class="fr-text--sm">\n'
    "        {by}\n"
    "        {amended}\n"
    "        {added}\n"
    "        {paper}\n"
    "        {message}\n"
    "        {reason}\n"
    "      </p>\n"
    "    </li>\n  "
)


def dossier_timeline_html(dossier: Dossier, events: list[DossierEvent], *,
                          language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The inside of the dossier page's history: each event's day, kind, new status, author (the
    mediator who acted under a mandate) and details (an amended answer, the piece added, the
    prefecture's message and reason)."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    words = _dossier_words(language)
    kinds = _choice_labels(DossierEvent.Kind, _KIND_LABELS, language)
    statuses = status_labels(language)
    day = date_formatter("DATETIME_FORMAT", language=language)
    rows = []
    for event in events:
        kind, data = event.kind, event.data
        # ``_detail``'s reading of the JSON details, its test made once per event
        detail = data.get if isinstance(data, dict) else _NO_DETAIL.get
        on_behalf = detail("on_behalf", "")
        if on_behalf:
            mandate = on_behalf if isinstance(on_behalf, dict) else {}
            by: str = _sentence(words["on_behalf"], mediator=mandate.get("mediator", ""),
                                site=mandate.get("site_city", ""))
        elif event.actor_id == dossier.applicant_id:
            by = words["by_you"]
        elif event.actor_id is not None:  # someone of the prefecture (the database keeps no dangling id)
            by = words["by_prefecture"]
        else:
            by = words["automatic"]
        message, reason = detail("message", ""), detail("reason", "")
        rows.append(_EVENT_HTML.format(
            css="anef-timeline__amended" if kind == "amended" else "",
            at=shown(day(event.at)), kind=shown(kinds.get(kind, kind)),
            to_status=(f" – {shown(statuses.get(event.to_status, event.to_status))}"
                       if kind == "status_changed" or kind == "complements_answered" else ""),
            by=by,
            amended=(f" – {shown(detail('field', ''))} : « {shown(detail('before', ''))} »"
                     f" → « {shown(detail('after', ''))} »" if kind == "amended" else ""),
            added=f" – {shown(detail('document_type', ''))}" if kind == "document_added" else "",
            paper=(f" – {words['paper'] % {'name': shown(detail('agent', ''))}}"
                   if kind == "submitted" and detail("channel", "") == "paper" else ""),
            message=f" – {shown(message)}" if message else "",
            reason=f" – {shown(reason)}" if reason else "",
        ))
    return mark_safe("\n  " + "".join(rows) + "\n")  # noqa: S308 (every value escaped above)


def dossier_upload_rows(
    dossier: Dossier, document_types: list[Any], *, requested: bool = False
) -> list[dict[str, Any]]:
    """The file inputs of the dossier page's upload forms, as ``forms.UploadForm`` with the prefix
    ``t<type id>`` names them (not a form built per piece: nothing is bound on this page);
    ``requested``: the pieces a complement request asks for, which also say "Remplacer : …"."""
    url = _url_maker("applications:upload", dossier.pk, None)
    rows = []
    for document_type in document_types:
        name = f"t{document_type.pk}-file"
        rows.append({
            "type": document_type, "action": url(document_type.pk), "input_id": f"id_{name}", "input_name": name,
            "help_text": _upload_help_text(document_type),
            "send": _sentence(_("Envoyer : %(name)s"), name=document_type.name),
        })
        if requested:
            rows[-1]["replace"] = _sentence(_("Remplacer : %(name)s"), name=document_type.name)
    return rows


def _upload_help_text(document_type: Any) -> str:
    return _("Formats acceptés : %(formats)s. Taille maximale : %(size)s Mo.") % {
        "formats": document_type.formats_label, "size": document_type.max_size_mb}


def dossier_upload_forms_html(dossier: Dossier, document_types: list[Any], *,
                              language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The dossier page's forms to add or replace a piece, one per type, as ``dossier_upload_rows``
    describes them; each form's HTML kept per language and type by each process
    (``core.fragments.local_fragment``), with ``core.fragments.CSRF_PLACEHOLDER`` where the
    page's token goes (``{% with_csrf_token %}`` puts it in)."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    action = url_parts("applications:upload", 2)
    forms = []
    for document_type in document_types:
        key = (language, action, document_type.pk, type_name(document_type, language),
               tuple(document_type.allowed_formats), document_type.max_size_mb)
        parts = _UPLOAD_FORMS.get(key)
        if parts is None:
            if len(_UPLOAD_FORMS) > 1024:
                _UPLOAD_FORMS.clear()
            parts = _UPLOAD_FORMS[key] = _upload_form_parts(document_type)
        forms.append(f"{parts[0]}{dossier.pk}{parts[1]}")
    return mark_safe("\n  " + "".join(forms) + "\n")  # noqa: S308 (escaped by _upload_form_parts)


#: Each upload form's HTML around the dossier's id, by everything it shows (language, URL, type).
_UPLOAD_FORMS: dict[tuple, tuple[str, str]] = {}


def _upload_form_parts(document_type: Any) -> tuple[str, str]:
    """One upload form's HTML, cut where the dossier's id goes in its action."""
    from core.fragments import CSRF_PLACEHOLDER

    action = reverse("applications:upload", args=[918273645, document_type.pk])
    name = f"t{document_type.pk}-file"
    send = _("Envoyer : %(name)s")  # outside the f-string: makemessages does not read calls inside one
    html = (
        f'\n    <form method="post" enctype="multipart/form-data" action="{shown(action)}" class="fr-mt-2w"'
        f' id="piece-{document_type.pk}" novalidate>\n'
        f'      <input type="hidden" name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}">\n'
        '      <div class="fr-upload-group">\n'
        f'        <label class="fr-label" for="id_{name}">{shown(document_type.name)}'
        f'<span class="fr-hint-text">{shown(_upload_help_text(document_type))}</span></label>\n'
        f'        <input class="fr-upload" type="file" id="id_{name}" name="{name}" accept=".pdf,.jpg,.jpeg,.png">\n'
        "      </div>\n"
        '      <button type="submit" class="fr-btn fr-btn--secondary fr-btn--sm fr-mt-1w">'
        f'{_sentence(send, name=document_type.name)}</button>\n'
        "    </form>\n  "
    )
    before, after = html.split("918273645", 1)
    return before, after


def dossier_filed_sentence(dossier: Dossier, *, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The dossier page's "Dossier n° <ref>, déposé le <day and hour>."."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    filed = (html_escape(date_formatter("DATETIME_FORMAT", language=language)(dossier.submitted_at))
             if dossier.submitted_at else "")
    return mark_safe(_head_words(language)["filed"] % {  # noqa: S308 (escaped)
        "ref": shown(dossier.reference), "date": filed})


def _head_words(language: Any = CURRENT_LANGUAGE) -> dict[str, str]:
    """The words of the dossier page's title and head, once per language by each process: those
    of ``{% translate %}`` escaped, those of ``{% blocktranslate %}`` as they are."""
    return words_once("dossier-head", language=language, translate=lambda: {
        "title": _("Dossier %(ref)s"),
        "filed": _("Dossier n° <strong>%(ref)s</strong>, déposé le %(date)s."),
        "to_do": html_escape(_("Ce que vous devez faire :")),
        "on_time": html_escape(_("Déposé dans les délais")),
        "late": html_escape(_("Déposé hors délai")),
        "my_space": html_escape(_("Mon espace")),
    })


def dossier_page_title(dossier: Dossier, *, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The dossier page's title, "Dossier <ref>" (before the portal's name)."""
    return mark_safe(_head_words(language)["title"] % {"ref": shown(dossier.reference)})  # noqa: S308 (escaped)


def dossier_head_html(dossier: Dossier, *, plain_status: Any, next_action: Any, back_link: bool = False,
                      language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The dossier page's head: the procedure, the filed sentence and the prefecture, then the
    callout of where the request stands (its status and its label, in plain words, what to do,
    whether it was filed in time), as the template wrote them (issue 17); first, with
    ``back_link``, the link back to the dashboard. ``plain_status`` and ``next_action``: the
    status's ``PLAIN_STATUS`` and ``NEXT_ACTION``, or other text to escape."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    words, (plain_words, action_words) = _head_words(language), _status_words(language)
    status = dossier.status
    plain = plain_words[status] if plain_status is PLAIN_STATUS.get(status) else conditional_escape(plain_status)
    action = ""
    if next_action:
        to_do = action_words[status] if next_action is NEXT_ACTION.get(status) else conditional_escape(next_action)
        action = f'<p class="fr-mt-2w"><strong>{words["to_do"]}</strong> {to_do}</p>'
    on_time = dossier.filed_on_time
    badge = ""
    if on_time is True:
        badge = f'<p class="fr-mt-2w"><span class="fr-badge fr-badge--success">{words["on_time"]}</span></p>\n  '
    elif on_time is False:
        badge = f'<p class="fr-mt-2w"><span class="fr-badge fr-badge--warning">{words["late"]}</span></p>'
    prefecture = dossier.prefecture
    where = f"{shown(prefecture.name)}." if prefecture else ""
    back = (f'<p class="fr-text--sm fr-mb-1w"><a href="{url_of("applications:dashboard")}">'
            f'{words["my_space"]}</a></p>\n' if back_link else "")
    status_label = status_labels(language).get(status, status)
    return mark_safe(  # noqa: S308 (every value escaped above)
        f"{back}<h1>{shown(type_name(dossier.procedure, language))}</h1>\n"
        f"<p>{dossier_filed_sentence(dossier, language=language)}\n  {where}</p>\n\n"
        '<div class="fr-callout fr-mb-4w">\n'
        f'  <h2 class="fr-callout__title">{shown(status_label)}</h2>\n'
        f'  <p class="fr-callout__text">{plain}</p>\n'
        f"  {action}\n  {badge}\n</div>")


def dossier_bookings_html(bookings: list[Any]) -> str:
    """The dossier page's appointments about it, each a link with its motive, day and hour, then
    its site and status, as the template's loop wrote them."""
    from appointments.models import Booking

    sentence = words_once("dossier-bookings", lambda: _("%(motive)s : %(date)s à %(time)s"))
    statuses = _choice_labels(Booking.Status, _BOOKING_STATUS_LABELS)
    day, hour = date_formatter("l j F Y"), date_formatter("H:i")
    rows = []
    for booking in bookings:
        starts = booking.slot.starts_at
        when = sentence % {"motive": conditional_escape(booking.motive.get_code_display()),
                           "date": html_escape(day(starts)), "time": html_escape(hour(starts))}
        rows.append(f'\n  <li><a href="{url_of("appointments:detail", booking.pk)}">{when}</a>\n'
                    f"    – {shown(booking.slot.desk.site.name)} "
                    f"({html_escape(statuses.get(booking.status, booking.status).lower())})</li>\n  ")
    return "".join(rows)


_BOOKING_STATUS_LABELS: dict[str | None, dict[str, str]] = {}


def dossier_rest_html(dossier: Dossier, *, bookings: list[Any], card_collection_booked: bool, is_open: bool,
                      documents_html: str, attachments_html: str, upload_forms_html: str, timeline_html: str,
                      corrections_html: str) -> SafeString:
    """The dossier page below its head and complements: its appointments, documents, pieces (and
    the forms to add one, with ``core.fragments.CSRF_PLACEHOLDER`` where the page's token goes),
    history and corrections: templates/applications/_dossier_rest.html rendered once per language
    and shape by each process (``core.fragments.slotted_template``), the dossier's HTML put in."""
    from core.fragments import slotted_template

    return slotted_template("applications/_dossier_rest.html", context={
        "card_ready": dossier.status == Status.CARD_READY, "card_collection_booked": card_collection_booked,
        "bookings": bool(bookings), "documents": bool(documents_html), "is_open": is_open,
        "upload": bool(is_open and upload_forms_html),
    }, slots={
        "bookings_html": dossier_bookings_html(bookings) if bookings else "", "documents_html": documents_html,
        "attachments_html": attachments_html, "upload_forms_html": upload_forms_html if is_open else "",
        "timeline_html": timeline_html, "corrections_html": corrections_html if is_open else "",
    }, ids={"pk": dossier.pk})


_CORRECTIONS_HTML: dict[tuple, tuple[str, ...]] = {}
#: Stands for the dossier's id in the HTML kept: neither a URL nor an escaped text holds it.
_ID_MARK = "\0"


def dossier_corrections_html(dossier: Dossier, fields: list[tuple[str, str, Any]], *, withdraw: bool,
                             language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The open dossier page's "Corriger ou retirer" part: a "Corriger : <answer>" link per answer
    that may be amended, then (``withdraw``) the button to withdraw the request. The same on every
    open dossier but for its id: written once per language, list of answers and button by each
    process."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    key = (language, tuple((section, field) for section, field, _label in fields), withdraw)
    parts = _CORRECTIONS_HTML.get(key)
    if parts is None:
        url = _url_maker("applications:amend", None, None, None)
        # Translated outside the f-strings: makemessages does not read calls inside them.
        correct, withdraw_words, title = _("Corriger : %(label)s"), _("Retirer ma demande"), _("Corriger ou retirer")
        links = "".join(f'\n    <li><a href="{shown(url(_ID_MARK, section, field))}">'
                        f'{_sentence(correct, label=label)}</a></li>\n  '
                        for section, field, label in fields)
        button = ""
        if withdraw:
            button = (f'<a class="fr-btn fr-btn--tertiary fr-mt-2w" href="'
                      f'{shown(_url_maker("applications:withdraw", None)(_ID_MARK))}">'
                      f'{html_escape(withdraw_words)}</a>')
        html = (f"\n<h2>{html_escape(title)}</h2>\n"
                f"<ul>\n  {links}\n</ul>\n{button}")
        parts = _CORRECTIONS_HTML[key] = tuple(html.split(_ID_MARK))
    return mark_safe(str(dossier.pk).join(parts))  # noqa: S308 (escaped above)


# --- Issued documents in a list (the dashboard's certificates, a dossier's documents) ------------

def _document_words(language: Any = CURRENT_LANGUAGE) -> dict[str, str]:
    """The words of a document's line in the current language, once per language by each process:
    those of ``{% translate %}`` escaped, those of ``{% blocktranslate %}`` as they are."""
    return words_once("document-line", language=language, translate=lambda: {
        "issued": _("délivrée le %(day)s"),
        "preparing": html_escape(_("PDF en cours de préparation")),
        "valid_between": _("valable du %(start)s au %(end)s inclus"),
        "valid_from": _("valable à partir du %(start)s, jusqu'à la remise du titre de séjour"),
        "in_force": html_escape(_("En vigueur")),
        "next_takes_over": _("La suivante prend le relais le %(day)s."),
        "in_force_from": _("En vigueur à partir du %(day)s"),
    })


def _state_words(language: Any = CURRENT_LANGUAGE) -> dict[str, str]:
    """What a document is worth today (``PublicStatus``), as its badge writes it, once per language."""
    from documents.models import PublicStatus

    return words_once("document-states", language=language, translate=lambda: {
        state.value: html_escape(capfirst(str(state.label))) for state in PublicStatus})


def _long_day(value: date | datetime | None) -> str:
    """A day as ``|date:"j F Y"`` writes it ("" for none), escaped."""
    return "" if value is None else html_escape(_day(value))


def _long_days(language: str) -> Callable[[date | datetime | None], str]:
    """``_long_day`` for the many days of one card, in ``language``: one ``date_formatter``."""
    day = date_formatter("j F Y", language=language)
    return lambda value: "" if value is None else html_escape(day(value))


def document_items_html(documents: list[Any], *, today: date | None = None,
                        language: Any = CURRENT_LANGUAGE) -> SafeString:
    """A list's issued documents, as ``{% for document in documents %}`` with the include of
    templates/documents/_document_item.html on its own indented line wrote them."""
    today = today or timezone.localdate()
    return mark_safe("".join(f"\n    {document_item_html(document, today=today, language=language)}\n\n  "  # noqa: S308 (escaped)
                             for document in documents))


def document_item_html(document: Any, *, today: date | None = None, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """One issued document (an ``IssuedDocument``) in a list: its link, its validity and what it is
    worth today, as /verifier/ judges it; a certificate re-issued ahead of its lapse stays in force
    until the next one takes over: both show. The line templates/documents/_document_item.html
    wrote (but for that file's last line break)."""
    from documents.models import DocumentKind, PublicStatus

    today = today or timezone.localdate()
    if language is CURRENT_LANGUAGE:
        language = active_language()
    words = _document_words(language)
    day = date_formatter(language=language)

    def _long_day(value: date | datetime | None) -> str:
        return "" if value is None else html_escape(day(value))

    state = document.public_status(today)
    kind = _choice_labels(DocumentKind, _DOCUMENT_KIND_LABELS, language).get(document.kind, document.kind)
    badge = "" if document.is_rendered else f'<p class="fr-badge fr-badge--info fr-badge--sm">{words["preparing"]}</p>'
    state_badge = f'<p class="fr-badge fr-badge--sm">{_state_words(language)[state]}</p>'
    worth = ""
    if document.proves_rights:
        start = _long_day(document.valid_from)
        if document.valid_until:
            validity = words["valid_between"] % {"start": start, "end": _long_day(document.valid_until)} + "\n    "
        else:
            validity = words["valid_from"] % {"start": start}
        if state == PublicStatus.VALID:
            pending = ""
            if document.replacement_pending(today):
                successor = words["next_takes_over"] % {"day": _long_day(document.superseded_on)}
                pending = f'<span class="fr-text--sm">{successor}</span>'
            state_badge = (f'<p class="fr-badge fr-badge--success fr-badge--sm">{words["in_force"]}</p>'
                           f"\n      {pending}\n    ")
        elif state == PublicStatus.NOT_YET_VALID:
            state_badge = (f'<p class="fr-badge fr-badge--info fr-badge--sm">'
                           f'{words["in_force_from"] % {"day": _long_day(document.valid_from)}}</p>\n    ')
        worth = f"\n    – {validity}\n    {state_badge}\n  "
    elif state != PublicStatus.VALID and state != PublicStatus.NOT_YET_VALID:
        worth = state_badge
    return mark_safe(  # noqa: S308 (every value escaped above)
        f'\n<li><a href="{url_of("documents:download", document.pk)}">{shown(kind)} n° '
        f"{shown(document.number)}</a>\n"
        f"  – {words['issued'] % {'day': _long_day(document.issued_at)}}\n"
        f"  {badge}\n"
        f"  {worth}\n"
        "</li>"
    )


# --- The applicant's dashboard ------------------------------------------------------------------

def _day(value, fmt: str = "j F Y") -> str:
    """A day (or a moment, in local time) as the ``date`` filter writes it."""
    return date_text(value, fmt)


def _hour(value: datetime) -> str:
    """An hour (in local time) as the ``time`` filter writes it with "H:i"."""
    return date_text(value, "H:i")


def _sentence(message: str, **values: Any) -> SafeString:
    """A translated sentence with its values escaped, as ``{% blocktranslate %}`` writes it."""
    return mark_safe(message % {name: conditional_escape(value) for name, value in values.items()})  # noqa: S308


def greeting(person: User, *, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The dashboard's "Bonjour <first name>."."""
    return mark_safe(_dashboard_words(language)["hello"] % {"name": shown(person.get_short_name())})  # noqa: S308 (escaped)


def reminder_channels_sentence(channels: list[Any], *, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """Which channels the renewal reminders go by besides the inbox, in a sentence (their labels
    joined as ``|join:", "`` joins them)."""
    joined = ", ".join([html_escape(str(channel)) for channel in channels])
    return mark_safe(_dashboard_words(language)["channels"] % {"channels": joined})  # noqa: S308 (escaped)


def _dashboard_words(language: Any = CURRENT_LANGUAGE) -> dict[str, str]:
    """The words of the dashboard's cards and rows in the current language, once per language by
    each process (issue 17): those shown as they are escaped, the sentences (``%(…)s``, filled
    with escaped values) as they are."""
    return words_once("dashboard", language=language, translate=lambda: {
        "hello": _("Bonjour %(name)s."),
        "channels": _("Vous recevez les rappels de renouvellement dans votre espace et par : %(channels)s."),
        "permit": _("Titre n° %(number)s, valable du %(start)s au %(end)s."),
        "works": html_escape(_("Il vous autorise à travailler.")),
        "replaced": html_escape(_("Remplacé")),
        "expired": html_escape(_("Expiré")),
        "next_reminder": _("Prochain rappel : le %(date)s (%(label)s)."),
        "follow_renewal": _("Suivre la demande de renouvellement n° %(ref)s"),
        "replaced_by": _("Remplacé par votre nouveau titre n° %(number)s, valable à partir du %(start)s."),
        "renewal_filed": _("Renouvellement demandé le %(date)s : la préfecture l'examine."),
        "renewal_in_review": html_escape(_("Renouvellement en cours d'examen.")),
        "covered": _("Pendant l'examen, vous êtes en situation régulière grâce à l'attestation de "
                     "prolongation d'instruction n° %(number)s, valable jusqu'au %(end)s inclus."),
        "download_certificate": html_escape(_("Télécharger l'attestation")),
        "renewal_granted": html_escape(_("Renouvellement accordé : votre nouveau titre est en fabrication.")),
        "decision_proves": html_escape(
            _("D'ici sa remise, votre attestation de décision favorable prouve votre droit au séjour.")),
        "renewal_refused": html_escape(_("Renouvellement refusé.")),
        "read_decision": html_escape(_("Lisez la décision : elle indique les délais et voies de recours.")),
        "card_ready": html_escape(_("Votre nouveau titre est prêt.")),
        "collection": _("Rendez-vous de remise le %(date)s à %(time)s, %(site)s."),
        "see_booking": html_escape(_("Voir, déplacer ou annuler ce rendez-vous")),
        "card_ready_book": html_escape(_("Votre nouveau titre est prêt : prenez rendez-vous pour le retirer.")),
        "book_collection": html_escape(_("Prendre rendez-vous pour retirer mon titre")),
        "delivered": html_escape(_("Votre nouveau titre vous a été remis.")),
        "window_later": _("Vous pourrez demander son renouvellement du %(opens)s au %(closes)s."),
        "window_open": _("C'est le moment de demander son renouvellement : faites-le avant le %(closes)s."),
        "window_passed": _("Le délai pour demander le renouvellement à temps est passé : vous pouvez encore le "
                           "demander, mais une taxe de %(fee)s € s'ajoute et vous ne recevrez pas automatiquement "
                           "d'attestation de prolongation."),
        "nothing_to_do": html_escape(_("Rien pour l'instant : la préfecture s'en occupe.")),
        "draft_saved": _("brouillon enregistré le %(date)s"),
        "convocation": _("Vous êtes convoqué(e) : %(motive)s, le %(date)s à %(time)s."),
        "booking": _("Votre rendez-vous : %(motive)s, le %(date)s à %(time)s."),
    })


def _status_words(language: Any = CURRENT_LANGUAGE) -> tuple[dict[str, str], dict[str, str]]:
    """Each status's plain words and next action (``applications.workflow``), escaped, once per
    language by each process."""
    return words_once("dashboard-statuses", language=language, translate=lambda: (
        {status: html_escape(str(text)) for status, text in PLAIN_STATUS.items()},
        {status: html_escape(str(text)) for status, text in NEXT_ACTION.items()},
    ))


def draft_items_html(drafts: list[tuple[Dossier, str]], *, language: Any = CURRENT_LANGUAGE) -> str:
    """The dashboard's drafts to finish, (dossier, procedure name) each: a link to the step where
    it stands and the day it was saved, as the template's loop wrote them."""
    day = date_formatter(language=language)
    saved = _dashboard_words(language)["draft_saved"]
    return "".join([
        f'\n      <li><a href="{shown(reverse("applications:step", args=[dossier.pk, dossier.current_step]))}">'
        f"{shown(name)}</a>\n        – {saved % {'date': html_escape(day(dossier.updated_at))}}</li>\n    "
        for dossier, name in drafts])


def dashboard_html(*, greeting: str, drafts: list[tuple[Dossier, str]], filed: Sequence[str],
                   permit_cards: Sequence[str], reminder_channels_sentence: str, own_space: bool,
                   certificates_html: str, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The dashboard's content: templates/applications/_dashboard_content.html rendered once per
    language and shape by each process (``core.fragments.slotted_template``: which parts show),
    the person's greeting, drafts, rows, cards and certificates put in (HTML, escaped by the
    presenters that wrote them). Issue 17: its dozen tags and loops were a fifth of the page."""
    from core.fragments import slotted_template

    return slotted_template("applications/_dashboard_content.html", context={
        "drafts": bool(drafts), "filed": bool(filed), "permit_cards": bool(permit_cards),
        "own_space": own_space, "certificates": bool(certificates_html),
    }, slots={
        "greeting": greeting, "drafts_html": draft_items_html(drafts, language=language) if drafts else "",
        "filed_html": "".join(filed), "cards_html": "".join(permit_cards),
        "reminder_channels_sentence": reminder_channels_sentence if permit_cards else "",
        "certificates_html": certificates_html,
    })


def _days_left_words(days: int) -> str:
    """"Expire dans <n> jours", put into words once per language and number by each process."""
    return words_once(f"expires-in:{days}", lambda: ngettext(
        "Expire dans %(days)s jour", "Expire dans %(days)s jours", days) % {"days": days})


def permit_card_html(item: PermitStatus, *, late_fee: object, language: Any = CURRENT_LANGUAGE) -> SafeString:
    """A permit's card on the applicant's dashboard: its number and dates, a badge of the time left,
    and where its renewal stands with the next step (``selectors.permits_for_holder``'s stages).
    Written here rather than by the template: a dozen conditions and dated sentences per card were
    a third of the dashboard's template time (issue 14); its words once per language (issue 17).
    ``language``: the active one, when the caller has read it (its days then written by one
    ``date_formatter``)."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    words = _dashboard_words(language)
    long_day = _long_days(language)
    permit, renewal, stage = item.permit, item.renewal, item.stage
    desc = words["permit"] % {"number": shown(permit.number), "start": long_day(permit.valid_from),
                              "end": long_day(permit.valid_until)}
    if permit.allows_work:
        desc = f"{desc} {words['works']}"
    if stage == "replaced":
        badge = f'<p class="fr-badge">{words["replaced"]}</p>'
    elif item.expired:
        badge = f'<p class="fr-badge fr-badge--error">{words["expired"]}</p>'
    else:
        badge = (f'<p class="fr-badge fr-badge--{"warning" if item.days_left <= 60 else "info"}">'
                 f"{_days_left_words(item.days_left)}</p>")
    lines = _permit_follow_up(item, late_fee=late_fee, language=language, long_day=long_day)
    if item.next_reminder:
        day, milestone = item.next_reminder
        reminder = words["next_reminder"] % {"date": long_day(day), "label": conditional_escape(milestone.label)}
        lines += f'<p class="fr-text--sm" id="titre-{int(permit.pk)}-rappel">{reminder}</p>'
    if renewal is not None and stage != "replaced":
        follow = words["follow_renewal"] % {"ref": shown(renewal.reference)}
        lines += f'<p class="fr-text--sm"><a href="{url_of("applications:dossier", renewal.pk)}">{follow}</a></p>'
    category = _choice_labels(PermitCategory, _CATEGORY_LABELS, language).get(permit.category, permit.category)
    return mark_safe(  # noqa: S308 (every value escaped above)
        '<div class="fr-col-12 fr-col-md-6"><div class="fr-card fr-card--no-arrow">'
        '<div class="fr-card__body"><div class="fr-card__content">'
        f'<h3 class="fr-card__title">{shown(category)}</h3><p class="fr-card__desc">{desc}</p>'
        f'<div class="fr-card__start">{badge}</div>'
        f'<div class="fr-mt-2w" id="titre-{int(permit.pk)}-suivi">{lines}</div>'
        "</div></div></div></div>")


def _permit_follow_up(item: PermitStatus, *, late_fee: object, language: str,
                      long_day: Callable[[Any], str]) -> str:
    """Where the permit's renewal stands, and the next step: the card's main paragraph (HTML)."""
    words = _dashboard_words(language)
    permit, renewal, stage = item.permit, item.renewal, item.stage
    if stage == "replaced" and permit.replaced_by is not None:
        new = permit.replaced_by
        return "<p>{}</p>".format(words["replaced_by"] % {"number": shown(new.number),
                                                           "start": long_day(new.valid_from)})
    if renewal is not None and stage == "filed":
        return "<p><strong>{}</strong></p>".format(words["renewal_filed"] % {"date": long_day(renewal.submitted_at)})
    if stage == "certificate":
        certificate = item.certificate
        covered = words["covered"] % {"number": shown(certificate.number), "end": long_day(certificate.valid_until)}
        return (f'<p><strong>{words["renewal_in_review"]}</strong> {covered}<br>'
                f'<a href="{url_of("documents:download", certificate.pk)}">{words["download_certificate"]}</a></p>')
    if stage == "decided":
        return f"<p><strong>{words['renewal_granted']}</strong> {words['decision_proves']}</p>"
    if stage == "refused":
        return f"<p><strong>{words['renewal_refused']}</strong> {words['read_decision']}</p>"
    if renewal is not None and stage == "card_ready":
        collection = item.collection
        if collection is not None:
            starts = collection.slot.starts_at
            when = words["collection"] % {"date": html_escape(_day(starts, "l j F Y")),
                                          "time": html_escape(_hour(starts)),
                                          "site": shown(collection.slot.desk.site.name)}
            return (f'<p><strong>{words["card_ready"]}</strong> {when}<br>'
                    f'<a href="{url_of("appointments:detail", collection.pk)}">{words["see_booking"]}</a></p>')
        book = shown(reverse("appointments:book", args=["card_collection"]))
        return (f'<p><strong>{words["card_ready_book"]}</strong></p>'
                f'<p><a class="fr-btn fr-btn--sm" href="{book}?pour=applications.dossier:{int(renewal.pk)}">'
                f'{words["book_collection"]}</a></p>')
    if stage == "delivered":
        return f"<p>{words['delivered']}</p>"
    if item.window_state == "not_yet":
        return "<p>{}</p>".format(words["window_later"] % {"opens": long_day(item.window.opens),
                                                            "closes": long_day(item.window.closes)})
    if item.window_state == "open":
        return "<p><strong>{}</strong></p>".format(words["window_open"] % {"closes": long_day(item.window.closes)})
    if not item.expired:
        return "<p>{}</p>".format(words["window_passed"] % {"fee": html_escape(str(late_fee))})
    return ""


def filed_row_html(dossier: Dossier, procedure_name: str, plain: Any, action: Any, bookings: list, *,
                   language: Any = CURRENT_LANGUAGE) -> SafeString:
    """A filed request's row on the applicant's dashboard: the procedure and reference, where it
    stands, and what the person has to do, with the appointments booked for it (issue 14: written
    here, as the permit cards are; issue 17: its words once per language). ``plain`` and
    ``action``: the status's ``PLAIN_STATUS`` and ``NEXT_ACTION`` (or "")."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    words, (plain_words, action_words) = _dashboard_words(language), _status_words(language)
    status = dossier.status
    plain_html = plain_words[status] if plain is PLAIN_STATUS.get(status) else conditional_escape(plain)
    lines = ""
    if action or not bookings:
        action_html = (action_words[status] if action is NEXT_ACTION.get(status)
                       else conditional_escape(action)) if action else words["nothing_to_do"]
        lines = f'<p class="fr-mb-1w">{action_html}</p>'
    for booking in bookings:
        starts, site = booking.slot.starts_at, booking.slot.desk.site
        message = words["convocation"] if booking.kind == "convocation" else words["booking"]
        when = message % {"motive": conditional_escape(booking.motive.get_code_display()),
                          "date": html_escape(_day(starts, "l j F Y")), "time": html_escape(_hour(starts))}
        address = f", {shown(site.full_address)}" if site.full_address else ""
        lines += (f'<p class="fr-mb-1w" id="rdv-{int(booking.pk)}">{when}<br>{shown(site.name)}{address}<br>'
                  f'<a href="{url_of("appointments:detail", booking.pk)}">{words["see_booking"]}</a></p>')
    return mark_safe(  # noqa: S308 (every value escaped above)
        f'<tr><td><a href="{url_of("applications:dossier", dossier.pk)}">{shown(procedure_name)}</a><br>'
        f'<span class="fr-text--xs">n° {shown(dossier.reference)}</span></td>'
        f"<td><strong>{shown(status_labels(language).get(status, status))}</strong><br>{plain_html}</td>"
        f"<td>{lines}</td></tr>")
