"""Parts of the back-office file page put into words in Python (issue 14): its timeline and the
text of its attachments' panels. Rendered by the template language, their tags and filters per
event and per attachment were two fifths of the page's calls; here each value goes through what
the template did with it (``shown``: local time, localisation, escaping; the same filters and
translations), and tests/backoffice/test_file_page.py compares the HTML with the template's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import filesizeformat, join
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.dateformat import re_escaped, re_formatchars
from django.utils.dates import MONTHS
from django.utils.formats import get_format, localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString
from django.utils.timezone import get_current_timezone, template_localtime  # type: ignore[attr-defined]  # missing from django-stubs
from django.utils.translation import gettext as _

from applications.models import Attachment, DossierEvent
from applications.presenters import status_labels, type_name
from core.l10n import CURRENT_LANGUAGE, HTML_ESCAPES, active_language, words_once


def shown(value: Any) -> str:
    """A value as ``{{ value }}`` writes it: in local time, localised, escaped. Plain text (most
    values) goes straight to the escaping: local time and localisation leave a ``str`` as it is
    (issue 17: a tenth of the file page's calls); safe text is written as it is, and an integer as
    ``localize`` writes it without thousands separators (``str``, which needs no escaping)."""
    kind = type(value)
    if kind is str:  # not a SafeString, which is written as it is
        return SafeString(value.translate(HTML_ESCAPES))
    if kind is SafeString:
        return value
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return SafeString(value)
    if isinstance(value, Promise):  # a lazy translation: as ``conditional_escape`` writes its text
        text = str(value)
        return text if isinstance(text, SafeData) else SafeString(text.translate(HTML_ESCAPES))
    return conditional_escape(localize(template_localtime(value)))


#: What ``date_format`` writes for each format character the file page's formats use (others go to
#: Django's own formatter): numbers as ``django.utils.dateformat`` writes them, month names per language.
_DATE_PARTS: dict[str, Callable[[Any, dict[int, str]], str]] = {
    "d": lambda value, _months: f"{value.day:02d}",
    "j": lambda value, _months: str(value.day),
    "m": lambda value, _months: f"{value.month:02d}",
    "F": lambda value, months: months[value.month],
    "Y": lambda value, _months: f"{value.year:04d}",
    "H": lambda value, _months: f"{value.hour:02d}",
    "i": lambda value, _months: f"{value.minute:02d}",
}
#: Per language and format: the format's pieces (text, or a format character), whether it writes a
#: time, the month names; None for a format with other characters.
_DatePlan = tuple[tuple[tuple[bool, str], ...], bool, dict[int, str]]
_DATE_PLANS: dict[tuple[str | None, str], _DatePlan | None] = {}


def formatted_date(value: Any, format_name: str, *, language: Any = CURRENT_LANGUAGE) -> str:
    """``{{ value|date:format_name }}`` (``value`` in local time already, as ``template_localtime``
    gives it), not escaped. The format is read and split once per language by each process, and the
    month names translated then: Django's formatter does both on every call, about 125 calls a date
    (issue 17). Other formats, and other values than dates, go to the ``date`` filter itself.
    ``language``: the active one, when the caller has read it."""
    key = (active_language() if language is CURRENT_LANGUAGE else language, format_name)
    if key not in _DATE_PLANS:
        _DATE_PLANS[key] = _date_plan(format_name)
    plan = _DATE_PLANS[key]
    if plan is None or not isinstance(value, date) or (plan[1] and not isinstance(value, datetime)):
        return date_filter(value, format_name)
    pieces, _time, months = plan
    return "".join([_DATE_PARTS[piece](value, months) if is_char else piece for is_char, piece in pieces])


def date_writer(format_name: str, *, language: Any = CURRENT_LANGUAGE) -> Callable[[Any], str]:
    """``formatted_date`` for one format and the current language, its plan looked up once: for a
    list's dates (the timeline's, the attachments'), each then costs a few calls. ``language``:
    the active one, when the caller has read it."""
    key = (active_language() if language is CURRENT_LANGUAGE else language, format_name)
    if key not in _DATE_PLANS:
        _DATE_PLANS[key] = _date_plan(format_name)
    plan = _DATE_PLANS[key]
    if plan is None:
        return lambda value: date_filter(value, format_name)
    pieces, time, months = plan
    parts = _DATE_PARTS

    def write(value: Any) -> str:
        if not isinstance(value, date) or (time and not isinstance(value, datetime)):
            return date_filter(value, format_name)
        return "".join([parts[piece](value, months) if is_char else piece for is_char, piece in pieces])

    return write


def local_time_writer() -> Callable[[Any], Any]:
    """``template_localtime`` with the current time zone looked up once: an aware ``datetime``
    (what the database gives) is put in that zone; anything else goes to ``template_localtime``."""
    zone = get_current_timezone()
    use_tz = settings.USE_TZ

    def local(value: Any) -> Any:
        if use_tz and type(value) is datetime and value.utcoffset() is not None:
            return value.astimezone(zone)
        return template_localtime(value)

    return local


def _date_plan(format_name: str) -> _DatePlan | None:
    """The pieces of a format (``get_format``: a setting's name gives the language's format) as
    ``DateFormat.format`` splits them."""
    pieces = []
    for index, piece in enumerate(re_formatchars.split(str(get_format(format_name)))):
        if index % 2:
            if piece not in _DATE_PARTS:
                return None
            pieces.append((True, piece))
        elif piece:
            pieces.append((False, re_escaped.sub(r"\1", piece)))
    time = any(is_char and piece in "Hi" for is_char, piece in pieces)
    return tuple(pieces), time, {number: str(name) for number, name in MONTHS.items()}


def _lookup(value: Any, key: str) -> Any:
    """``value.key`` as the template language reads a JSON detail: the dictionary's entry, else
    nothing ("" is what it shows for a missing one)."""
    if isinstance(value, dict):
        return value.get(key, "")
    return getattr(value, key, "")


def _said(translated: str) -> str:
    """A ``{% translate %}``: the translation, escaped. (Callers translate the literal text
    themselves: ``makemessages`` finds only literal ``_("…")`` calls.)"""
    return conditional_escape(translated)


def _with(translated: str, **values: Any) -> str:
    """A ``{% blocktranslate with … %}``: the translation (not escaped), its values escaped."""
    return translated % {name: shown(value) for name, value in values.items()}




_KIND_LABELS: dict[str | None, dict[str, str]] = {}
_NO_DETAILS: dict[str, Any] = {}


def event_kind_labels(language: Any = CURRENT_LANGUAGE) -> dict[str, str]:
    """The events' kinds in words in the current language, once per language by each process."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    labels = _KIND_LABELS.get(language)
    if labels is None:
        labels = _KIND_LABELS[language] = {kind.value: str(kind.label) for kind in DossierEvent.Kind}
    return labels


#: How the timeline writes when an event happened.
_AT = "j F Y, H:i"


def timeline_html(events: list[DossierEvent], *, applicant_id: int | None,
                  language: Any = CURRENT_LANGUAGE) -> SafeString:
    """The file's history, as the ``{% for event in events %}`` of the file page wrote it.
    ``language``: the active one, when the caller has read it (a dozen calls each read)."""
    parts: list[str] = []
    if not events:  # nothing to put into words (a list: a generator would always be true)
        return SafeString("")
    # The kinds' and statuses' labels once per language, not ``get_kind_display()``'s dictionary of
    # every choice made (and every lazy label hashed) per event and field.
    if language is CURRENT_LANGUAGE:
        language = active_language()
    kinds, statuses = event_kind_labels(language), status_labels(language)
    # The words of the template's tags, once per language (literal ``_()`` calls, for makemessages).
    words = words_once("timeline", lambda: {
        "applicant": _said(_("le demandeur")),
        "system": _said(_("le système")),
        "mediator": _("médiateur au PAN de %(site)s"),
        "on_behalf_of": _("pour le compte de %(name)s"),
        "amended": _said(_("Modification par le demandeur")),
        "paper": _("déposé au guichet sur papier par %(name)s"),
        "accepted": _said(_("acceptée")),
        "refused": _said(_("refusée")),
        "due": _("à fournir avant le %(day)s"),
        "assigned_to": _("à %(name)s"),
        "unassigned": _said(_("attribution retirée")),
        "reasons": _said(_("Motifs :")),
        "reason": _said(_("Motif :")),
    }, language=language)
    at, local = date_writer(_AT, language=language), local_time_writer()
    for event in events:
        kind = event.kind
        data = event.data
        # ``_lookup(data, key)``: a JSON detail that is not an object has none of these keys as an
        # attribute either, so it reads as an empty one (a call less per detail, ten per event).
        detail = data.get if isinstance(data, dict) else _NO_DETAILS.get
        if event.actor_id == applicant_id:
            who = words["applicant"]
        elif event.actor:
            who = shown(event.actor.get_full_name())
        else:
            who = words["system"]
        on_behalf = detail("on_behalf", "")
        if on_behalf:
            who += f" ({_with(words['mediator'], site=_lookup(on_behalf, 'site_city'))})"
        if event.on_behalf_of:
            who += " " + _with(words["on_behalf_of"], name=event.on_behalf_of.get_full_name())
        change = ""
        if event.to_status and kind != "submitted" and kind != "created":
            change = " – "
            if event.from_status:
                change += f"{shown(statuses.get(event.from_status, event.from_status))} → "
            change += shown(statuses.get(event.to_status, event.to_status))
        amended = kind == "amended"
        # Each event in one piece (issue 17: a list's append per line of the template was a sixth
        # of the timeline's calls); the lines an event has not are empty, their line breaks kept.
        paper = edit = document = requested = assigned = number = ""
        if kind == "submitted" and detail("channel", "") == "paper":
            paper = f'<p class="fr-text--sm fr-mb-0">{_with(words["paper"], name=detail("agent", ""))}</p>'
        if amended:
            edit = (f'\n          <p class="fr-text--sm fr-mb-0">{shown(getattr(event, "field_label", ""))} : '
                    f'« {shown(detail("before", "") or "–")} » → « {shown(detail("after", "") or "–")} »</p>'
                    "\n        ")
        if kind == "document_added" or kind == "attachment_reviewed":
            review = ""
            if kind == "attachment_reviewed":
                review = " – " + (words["accepted"] if detail("accepted", "") else words["refused"])
            document = f'<p class="fr-text--sm fr-mb-0">{shown(detail("document_type", ""))}{review}</p>'
        elif kind == "complements_requested":
            due_on = getattr(event, "due_on", "")
            due = f" – {_with(words['due'], day=due_on)}" if due_on else ""
            requested = f'<p class="fr-text--sm fr-mb-0">{shown(join(detail("documents", ""), ", "))}{due}</p>'
        elif kind == "assigned":
            to = detail("to", "")
            assigned = ('<p class="fr-text--sm fr-mb-0">'
                        f'{_with(words["assigned_to"], name=to) if to else words["unassigned"]}</p>')
        elif kind == "receipt_issued" or kind == "certificate_issued":
            number = f'<p class="fr-text--sm fr-mb-0">{shown(detail("number", ""))}</p>'
        message, reasons, reason = detail("message", ""), detail("reasons", ""), detail("reason", "")
        parts.append(
            f'\n      <li class="fr-mb-2w{" anef-timeline__amended" if amended else ""}">\n'
            f'        <p class="fr-text--sm fr-mb-0">{shown(at(local(event.at)))} –\n'
            f"          {who}</p>\n"
            f'        <p class="fr-mb-0"><strong>{shown(kinds.get(kind, kind))}</strong>\n'
            "          "
            + ('<span class="fr-badge fr-badge--sm fr-badge--warning fr-ml-1w">'
               f'{words["amended"]}</span>' if amended else "")
            + f"\n          {change}</p>\n        "
            f"{paper}\n        {edit}\n        {document}\n        {requested}\n        {assigned}\n        "
            f"{number}\n        "
            + (f'<p class="fr-text--sm fr-mb-0">« {shown(message)} »</p>' if message else "")
            + "\n        "
            + (f'<p class="fr-text--sm fr-mb-0">{words["reasons"]} {shown(reasons)}</p>' if reasons else "")
            + "\n        "
            + (f'<p class="fr-text--sm fr-mb-0">{words["reason"]} {shown(reason)}</p>' if reason else "")
            + "\n      </li>\n    ")
    return SafeString("".join(parts))  # every value escaped above


def answer_tables(sections: list[tuple[Any, list[tuple[str, str]]]]) -> list[tuple[Any, SafeString]]:
    """The applicant's answers (``applications.presenters.answer_sections``): each section's title
    with its rows as the file page's ``{% for label, value in rows %}`` wrote them (what people
    typed stays text: every value escaped)."""
    # SafeString rather than mark_safe: a plain str each (mark_safe's lazy check costs six calls);
    # text (every answer, most labels) escaped in place, as ``shown`` escapes it
    return [(title, SafeString("".join(  # every value escaped
        '<tr><th scope="row" class="fr-text--regular">'
        f'{label.translate(HTML_ESCAPES) if type(label) is str else shown(label)}</th>'
        f'<td>{value.translate(HTML_ESCAPES) if type(value) is str else shown(value)}</td></tr>'
        for label, value in rows))) for title, rows in sections]


@lru_cache(maxsize=4096)
def _file_size(language: str | None, size: int) -> str:
    """``{{ size|filesizeformat }}`` before escaping, once per language and size by each process
    (about fifty calls each: a translation and a number's formats)."""
    return filesizeformat(size)


_REVIEW_LABELS: dict[str | None, dict[str, str]] = {}
#: Stands for the attachment's id in the URLs reversed once per page.
_PLACEHOLDER = 918_273_645


#: Stands for the dossier's id in the URLs reversed once per process.
_DOSSIER_PLACEHOLDER = 918_273_646
#: An attachment's URLs before the dossier's id, between it and the attachment's placeholder, and
#: after, by URL name, URL configuration and script prefix.
_ATTACHMENT_URLS: dict[tuple[str, str, str], tuple[str, str]] = {}


def _attachment_url(name: str, dossier_pk: int) -> str:
    """``reverse(name, args=[dossier_pk, _PLACEHOLDER])``, reversed once per process (and URL
    configuration) with placeholders for both ids: two reverse() a page were a tenth of its
    attachments' panels (issue 17)."""
    key = (name, str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())
    parts = _ATTACHMENT_URLS.get(key)
    if parts is None:
        url = reverse(name, args=[_DOSSIER_PLACEHOLDER, _PLACEHOLDER])
        before, after = url.split(str(_DOSSIER_PLACEHOLDER))
        parts = _ATTACHMENT_URLS[key] = (before, after)
    return f"{parts[0]}{int(dossier_pk)}{parts[1]}"


def attachment_panels(dossier_pk: int, rows: list[tuple], *, language: Any = CURRENT_LANGUAGE) -> list[tuple]:
    """The attachments' accordions: for each (attachment, review form, preview kind, open), the
    same with the panel's title, its text (up to the link that opens the file) and the review
    form's address, as the file page's template wrote them. Its URLs are reversed once per page.
    ``language``: the active one, when the caller has read it."""
    if language is CURRENT_LANGUAGE:
        language = active_language()
    reviews = _REVIEW_LABELS.get(language)
    if reviews is None:
        reviews = _REVIEW_LABELS[language] = {review.value: str(review.label) for review in Attachment.Review}
    file_url = _attachment_url("backoffice_instruction:attachment", dossier_pk)
    review_url = _attachment_url("backoffice_instruction:attachment_review", dossier_pk)
    words = words_once("attachment-panels", lambda: {
        "added": _said(_("ajoutée après le dépôt")),
        "refusal": _("Motif du refus : %(reason)s"),
        "preview_of": _("Aperçu de la pièce : %(name)s"),
        "file_sent": _("Fichier « %(name)s » (%(size)s), envoyé le %(date)s."),
        "open_in_tab": _("Ouvrir la pièce « %(name)s » dans un nouvel onglet"),
    }, language=language)
    added, refusal, preview_of = words["added"], words["refusal"], words["preview_of"]
    file_sent, open_in_tab = words["file_sent"], words["open_in_tab"]
    sent_at, local = date_writer("DATETIME_FORMAT", language=language), local_time_writer()
    panels = []
    for attachment, form, preview, expanded in rows:
        name = type_name(attachment.document_type, language)  # the descriptor's ~28 calls, once a process
        # each value escaped once, the translations filled in as ``_with`` fills them
        named = {"name": shown(name)}
        ident = str(attachment.id)
        title = f"{named['name']} – {shown(reviews.get(attachment.review, attachment.review))}"
        if attachment.added_after_submission:
            title += f" – {added}"
        url = shown(file_url.replace(str(_PLACEHOLDER), ident))
        size = _file_size(language, attachment.size)
        when = sent_at(local(attachment.uploaded_at))
        reason = ""
        if attachment.review_reason:
            reason = f"<br>{_with(refusal, reason=attachment.review_reason)}"
        shown_preview = ""
        if preview == "image":
            shown_preview = (f'\n          <img src="{url}" alt="{preview_of % named}" '
                             'width="640" class="fr-responsive-img fr-mb-2w" loading="lazy">\n        ')
        elif preview == "pdf":
            label = preview_of % named
            shown_preview = (
                f'\n          \n          <iframe data-src="{url}" title="{label}" width="100%" height="560" '
                'class="fr-mb-1w anef-js-only"></iframe>\n'
                f'          <noscript><iframe src="{url}" title="{label}" width="100%" height="560" loading="lazy" '
                'class="fr-mb-1w"></iframe></noscript>\n        ')
        sent = file_sent % {"name": shown(attachment.original_name), "size": shown(size), "date": shown(when)}
        body = (
            '<p class="fr-text--sm">\n'
            f"          {sent}\n"
            f"          {reason}\n"
            "        </p>\n"
            "        \n"
            f"        {shown_preview}\n"
            f'        <p><a class="fr-link fr-link--sm" href="{url}" target="_blank" rel="noopener">'
            f"{open_in_tab % named}</a></p>"
        )
        # SafeString: plain text built here (mark_safe's check for a lazy one costs six calls)
        panels.append((attachment, form, expanded, SafeString(title),  # values escaped above
                       SafeString(body),  # values escaped above
                       shown(review_url.replace(str(_PLACEHOLDER), ident))))
    return panels
