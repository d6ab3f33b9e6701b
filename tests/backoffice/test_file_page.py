"""The file page's cheaper paths (issue 14): what they give is what the plain path gives.

Blank action forms are rendered once per language and what they show by each process: each test
here changes one thing a form shows and checks that the page shows it at once."""

from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from applications.backoffice import forms
from applications.backoffice.selectors import prefecture_agents
from applications.models import DocumentType, Dossier, DossierEvent, Status
from applications.services import dossier_mark_complete
from tests.backoffice.conftest import file_renewal, sign_in

pytestmark = pytest.mark.django_db


def page_of(client, dossier) -> str:
    response = client.get(reverse("backoffice_instruction:dossier", args=[dossier.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_blank_forms_are_those_a_form_renders(client, supervisor, instructor, language, settings):
    sign_in(client, supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    submitted = file_renewal()
    under_review = file_renewal(last_name="Roux")
    dossier_mark_complete(dossier=under_review, by=instructor)
    for _ in range(2):  # rendered, then from this process's copy
        page = page_of(client, submitted)
        with translation.override(language):
            agents = prefecture_agents(prefecture_ids={submitted.prefecture_id})
            assert str(forms.AssignForm(prefix="assign", agents=agents, initial={"agent": None})) in page
            assert str(forms.ComplementsForm(prefix="complements", procedure=submitted.procedure)) in page
            assert str(forms.DecisionForm(prefix="decision", outcomes=[Status.CLOSED_WITHOUT_ACTION])) in page
        page = page_of(client, under_review)
        with translation.override(language):
            for attachment in under_review.attachments.filter(is_current=True):
                assert str(forms.AttachmentReviewForm(prefix=f"att{attachment.pk}")) in page
            assert "att__anef-attachment__" not in page


def test_a_renamed_document_type_shows_at_once_in_the_complements_form(agent_client):
    dossier = file_renewal()
    assert "Justificatif de domicile" in unescape(page_of(agent_client, dossier))
    DocumentType.objects.filter(code="justificatif-domicile").update(name="Preuve d'adresse")
    page = unescape(page_of(agent_client, dossier))
    assert "Preuve d'adresse" in page and "Justificatif de domicile" not in page


def test_a_renamed_document_type_shows_at_once_in_english_through_its_french_fallback(agent_client, settings):
    # The complements form's HTML is kept under its choices' names in every language (issue 17):
    # an English page without an English name shows the French one, renamed or not.
    dossier = file_renewal()
    DocumentType.objects.filter(code="justificatif-domicile").update(name_en="")
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Justificatif de domicile" in unescape(page_of(agent_client, dossier))
    DocumentType.objects.filter(code="justificatif-domicile").update(name_fr="Preuve d'adresse")
    page = unescape(page_of(agent_client, dossier))
    assert "Preuve d'adresse" in page and "Justificatif de domicile" not in page


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_requests_document_types_are_those_prefetch_related_gives(language, django_assert_num_queries):
    from django.db.models import prefetch_related_objects

    from applications.backoffice.selectors.dossiers import _COMPLEMENT_REQUESTS, _prefetch_document_types
    from applications.models import ComplementRequest

    dossier = file_renewal()
    kinds = list(DocumentType.objects.order_by("id")[:3])
    for index, kind in enumerate(kinds):  # names whose order differs from one language to the other
        DocumentType.objects.filter(pk=kind.pk).update(name_fr=f"{'cba'[index]} pièce", name_en=f"{'abc'[index]} piece")
    for count, answered in ((3, True), (0, True), (2, False)):  # one open request at most
        request = ComplementRequest.objects.create(dossier=dossier, due_on=timezone.localdate(),
                                                   answered_at=timezone.now() if answered else None)
        request.document_types.set(kinds[:count])
    with translation.override(language):
        expected = list(ComplementRequest.objects.filter(dossier=dossier))
        prefetch_related_objects(expected, "document_types")
        requests = _COMPLEMENT_REQUESTS(dossier_id=dossier.pk)
        with django_assert_num_queries(1):
            _prefetch_document_types(requests)
        with django_assert_num_queries(0):
            got = {r.pk: [(t.pk, t.name) for t in r.document_types.all()] for r in requests}
        assert got == {r.pk: [(t.pk, t.name) for t in r.document_types.all()] for r in expected}
        assert any(len(types) == 3 for types in got.values())


def test_the_complements_due_date_moves_with_the_day(client, instructor):
    dossier = file_renewal()
    today = timezone.localdate()
    sign_in(client, instructor)
    assert f'value="{(today + timedelta(days=30)).isoformat()}"' in page_of(client, dossier)
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=12)
    with time_machine.travel(tomorrow, tick=False):
        sign_in(client, instructor)  # the second factor's check is dated
        assert f'value="{(today + timedelta(days=31)).isoformat()}"' in page_of(client, dossier)


def test_a_renamed_agent_shows_at_once_in_the_assignment_form(client, supervisor, instructor):
    sign_in(client, supervisor)
    dossier = file_renewal()
    assert f">{instructor.get_full_name()}</option>" in page_of(client, dossier)
    User.objects.filter(pk=instructor.pk).update(last_name="Lefèvre")
    page = page_of(client, dossier)
    assert ">Jeanne LEFÈVRE</option>" in page and f">{instructor.get_full_name()}</option>" not in page


#: The file page's timeline as its template wrote it before ``timeline_html`` (kept here to compare).
TIMELINE_TEMPLATE = """{% load i18n %}""" + (Path(__file__).parent / "timeline_before.txt").read_text()


def events_of_every_kind(applicant) -> list[DossierEvent]:
    """Events of each kind and each branch of the timeline, with details holding characters to escape."""
    agent = User(pk=90_001, first_name="Zoé", last_name="O'Brien <b>")
    mediator = User(pk=90_002, first_name="Marc", last_name="Lévy & fils")
    at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # the next day in Paris

    def event(kind, **fields):
        return DossierEvent(kind=kind, at=at, **fields)

    amended = event("amended", actor=applicant, data={"field": "phone", "before": "", "after": "06 <01>"})
    amended.field_label = "Téléphone \"mobile\""
    requested = event("complements_requested", actor=agent, from_status="under_review",
                      to_status="complements_requested", data={"documents": ["Passeport", "Preuve <d'adresse>"],
                                                               "message": "Vite & bien"})
    requested.due_on = "15/03/2026"
    return [
        event("created", actor=applicant, to_status="draft"),
        event("submitted", actor=applicant, from_status="draft", to_status="submitted", data={"channel": "online"}),
        event("submitted", actor=agent, to_status="submitted", data={"channel": "paper", "agent": "Zoé <O'Brien>"}),
        event("submitted", actor=mediator, on_behalf_of=applicant, to_status="submitted",
              data={"on_behalf": {"site_city": "Villeurbanne & co"}}),
        event("receipt_issued", data={"number": "R-2026-<1>"}),
        event("certificate_issued", data={"number": 12345}),
        amended,
        event("document_added", actor=applicant, data={"document_type": "Passeport <scan>"}),
        event("attachment_reviewed", actor=agent, data={"document_type": "Passeport", "accepted": True}),
        event("attachment_reviewed", actor=agent, data={"document_type": "Photo", "accepted": False,
                                                        "reason": "Floue & sombre"}),
        requested,
        event("complements_requested", actor=agent, data={"documents": []}),
        event("assigned", actor=agent, data={"to": "Jeanne <Martin>"}),
        event("assigned", actor=agent, data={"to": ""}),
        event("decided", actor=agent, from_status="under_review", to_status="decided_unfavourable",
              data={"reasons": "Contrat <absent>", "message": "« cité »"}),
        event("status_changed", to_status="card_ready", data={"on_behalf": True}),
        event("note", data=["not", "a", "dictionary"]),
    ]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_timeline_is_what_its_template_wrote(language):
    from django.template import Context, Template

    from applications.backoffice.presenters import timeline_html

    applicant = User(pk=90_000, first_name="Amina", last_name="Diallo")
    events = events_of_every_kind(applicant)
    with translation.override(language), timezone.override("Europe/Paris"):
        expected = Template(TIMELINE_TEMPLATE).render(Context({"events": events, "dossier": Dossier(
            applicant_id=applicant.pk)}))
        assert timeline_html(events, applicant_id=applicant.pk) == expected
    assert "&lt;O&#x27;Brien&gt;" in expected and "Villeurbanne &amp; co" in expected  # the cases are escaped


#: The attachments' accordions as the file page's template wrote them before ``attachment_panels``.
ATTACHMENTS_TEMPLATE = """{% load i18n %}""" + (Path(__file__).parent / "attachments_before.txt").read_text()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_attachments_panels_are_what_their_template_wrote(language):
    from django.template import Context, Template
    from django.utils.safestring import mark_safe

    from applications.backoffice.file_page import attachments_html
    from applications.backoffice.presenters import attachment_panels
    from applications.models import Attachment

    passport = DocumentType(name="Passeport <recto & verso>")
    at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    rows = []
    for pk, (review, reason, added, preview) in enumerate([
        ("pending", "", False, "pdf"), ("rejected", "Floue & <sombre>", True, "image"), ("accepted", "", True, ""),
        ("unknown", "", False, "pdf"),
    ], start=41):
        attachment = Attachment(pk=pk, document_type=passport, review=review, review_reason=reason,
                                added_after_submission=added, original_name=f"scan {pk} & <co>.pdf",
                                size=1_234_567 * pk, uploaded_at=at, content_type="application/pdf")
        form = mark_safe(f'<div class="form">{pk}</div>') if pk % 2 else None  # noqa: S308 (a form's HTML)
        rows.append((attachment, form, preview, pk == 42))
    with translation.override(language), timezone.override("Europe/Paris"):
        dossier = Dossier(pk=7)
        expected = Template(ATTACHMENTS_TEMPLATE).render(Context({"attachments": rows, "dossier": dossier,
                                                                  "csrf_token": "t0ken"}))
        panels = attachment_panels(dossier.pk, rows)
        assert "  " + attachments_html(panels, csrf_token="t0ken") == expected  # the loop's tag was indented
    assert "Floue &amp; &lt;sombre&gt;" in expected and "/backoffice/dossiers/7/pieces/42/" in expected


def test_the_answers_rows_are_what_their_template_wrote():
    from django.template import Context, Template

    from applications.backoffice.presenters import answer_tables

    loop = ('{% for label, value in rows %}<tr><th scope="row" class="fr-text--regular">{{ label }}</th>'
            "<td>{{ value }}</td></tr>{% endfor %}")
    sections = [("Identité", [("Nom", "O'Brien <script>"), ("Adresse", "3 rue & fils")]), ("Vide", [])]
    tables = answer_tables(sections)
    assert [title for title, _rows in tables] == ["Identité", "Vide"]
    for (_title, rows), (_same, html) in zip(sections, tables, strict=True):
        assert html == Template(loop).render(Context({"rows": rows}))
    assert "O&#x27;Brien &lt;script&gt;" in tables[0][1]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_dates_are_what_the_date_filter_writes(language):
    from datetime import date

    from django.template.defaultfilters import date as date_filter
    from django.utils.timezone import template_localtime

    from applications.backoffice.presenters import formatted_date

    instants = [datetime(2026, month, day, hour, minute, tzinfo=UTC)
                for month in range(1, 13) for day, hour, minute in ((1, 0, 5), (9, 22, 59), (28, 23, 30))]
    days = [date(2026, month, 1) for month in range(1, 13)] + [date(999, 12, 31)]
    formats = ["j F Y, H:i", "DATETIME_FORMAT", "DATE_FORMAT", "j F Y", "d/m/Y", "\\l\\e j", "N j, Y, P", "D j F"]
    with translation.override(language), timezone.override("Europe/Paris"):
        for value in [template_localtime(instant) for instant in instants]:
            for name in formats:
                assert formatted_date(value, name) == date_filter(value, name), (value, name)
        for value in days:
            for name in ("j F Y", "d/m/Y", "DATE_FORMAT"):
                assert formatted_date(value, name) == date_filter(value, name), (value, name)
        for value in (None, ""):
            assert formatted_date(value, "j F Y") == ""
    assert formatted_date(date(2026, 3, 2), "j F Y") in ("2 mars 2026", "2 March 2026")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_page_parts_escape_what_people_typed_in_either_language(client, instructor, language, settings):
    from django.utils.translation import gettext

    sign_in(client, instructor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    dossier = file_renewal(last_name="O'Brien <b>", first_name="Zoé & <i>co</i>")
    for _ in range(2):  # rendered, then from this process's copy of each part
        page = page_of(client, dossier)
        assert "<b>" not in page.lower() and "<i>" not in page
        assert "&lt;b&gt;" in page.lower() and "Zoé &amp; &lt;i&gt;co&lt;/i&gt;" in page
        with translation.override(language):
            for words in ("Pièces justificatives", "Historique", "Délai légal", "Prendre le dossier"):
                assert f">{gettext(words)}<" in page
            assert gettext("Dossier %(ref)s") % {"ref": dossier.reference} in page


def test_the_answers_tables_escape_their_titles_and_rows():
    from django.utils.safestring import mark_safe

    from applications.backoffice.file_page import answers_html

    html = answers_html([("Étape <1> & co", mark_safe("<tr><td>rows</td></tr>"))])  # noqa: S308 (a test's rows)
    assert 'aria-label="Étape &lt;1&gt; &amp; co"' in html
    assert '<caption class="fr-h6">Étape &lt;1&gt; &amp; co</caption>' in html
    assert "<tr><td>rows</td></tr>" in html  # rows come escaped from answer_tables


def test_the_page_and_its_header_share_one_csrf_token(client, supervisor):
    """Masking a token costs 33 random choices: the view's token is the one the header's forms show."""
    import re

    sign_in(client, supervisor)
    page = page_of(client, file_renewal())
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) > 3 and len(set(tokens)) == 1


def test_the_file_pages_policy_is_django_csps_with_frames_of_the_portal(agent_client):
    """Issue 17: the file page's Content-Security-Policy (``@csp_update``) is built once per process
    by core.csp; it is what django-csp's middleware wrote, nonce included."""
    import re

    from csp.constants import SELF
    from csp.utils import build_policy

    def directives(policy):
        return sorted(re.split(r";\s*", policy))

    dossier = file_renewal()
    for _ in range(2):  # built, then from this process's copy
        response = agent_client.get(reverse("backoffice_instruction:dossier", args=[dossier.pk]))
        nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
        assert directives(response["Content-Security-Policy"]) == directives(
            build_policy(update={"frame-src": [SELF]}, nonce=nonce))
        assert "frame-src 'self'" in response["Content-Security-Policy"]
        assert response.get("Content-Security-Policy-Report-Only") == (build_policy(report_only=True) or None)


def test_the_file_of_another_prefecture_stays_out_of_reach_though_it_renews_the_same_permit(agent_client):
    """The getter reads the other requests for the same permit in the dossier's query: a dossier of
    another prefecture is still a 404, and the requests it shares a permit with are not found
    through it."""
    from tests.factories import DossierFactory, PermitFactory, prefecture, procedure

    permit = PermitFactory()
    mine = DossierFactory(applicant=permit.holder, status="submitted", renewed_permit=permit,
                          prefecture=prefecture("69"))
    elsewhere = DossierFactory(applicant=permit.holder, status="under_review", renewed_permit=permit,
                               prefecture=prefecture("33"), procedure=procedure("duplicata-perte-vol"))
    response = agent_client.get(reverse("backoffice_instruction:dossier", args=[elsewhere.pk]))
    assert response.status_code == 404
    html = page_of(agent_client, mine)
    # as before: the other request is named whatever its prefecture
    assert f'{reverse("backoffice_instruction:dossier", args=[elsewhere.pk])}">{elsewhere.reference}</a>' in html
    Dossier.objects.filter(pk=elsewhere.pk).update(status=Status.WITHDRAWN)
    assert "une autre demande en cours pour le même titre" not in page_of(agent_client, mine)


def test_the_open_complement_request_and_the_bookings_show_once_the_file_has_some(client, instructor, supervisor):
    """The page reads the complement requests and the bookings only when the dossier's query found
    an open request or a booking about the file: each shows as soon as there is one."""
    from applications.services import complements_request
    from tests.factories import biometrics_taken

    dossier = file_renewal()
    sign_in(client, instructor)
    html = page_of(client, dossier)
    assert "Rendez-vous liés au dossier" not in html and "Merci" not in html
    biometrics_taken(dossier, status="booked")
    html = unescape(page_of(client, dossier))
    assert "Rendez-vous liés au dossier" in html and "Guichet biométrie" in html
    kind = DocumentType.objects.get(code="justificatif-domicile")
    complements_request(dossier=dossier, by=instructor, document_types=[kind], message="Merci <b>",
                        due_on=timezone.localdate() + timedelta(days=30))
    html = unescape(page_of(client, dossier))
    assert "Merci <b>" in html


def test_the_complements_forms_pieces_read_with_the_dossier_are_those_of_its_procedure(agent_client, instructor):
    """The getter reads the procedure's pieces with the dossier (arrays, one per column): the same
    rows as ``requirement_names``, and a piece added to the procedure shows on the next page."""
    from applications.backoffice.selectors import dossier_file_get_for_staff, dossier_requirement_names
    from applications.backoffice.selectors import requirement_names as names_of
    from applications.models import ProcedureDocument

    dossier = file_renewal()
    user = instructor
    found, _ = dossier_file_get_for_staff(user=user, pk=dossier.pk)
    assert dossier_requirement_names(dossier=found) == names_of(procedure_id=dossier.procedure_id)
    assert len(names_of(procedure_id=dossier.procedure_id)) > 2
    extra = DocumentType.objects.exclude(procedures=dossier.procedure).first()
    ProcedureDocument.objects.create(procedure=dossier.procedure, document_type=extra)
    found, _ = dossier_file_get_for_staff(user=user, pk=dossier.pk)
    assert dossier_requirement_names(dossier=found) == names_of(procedure_id=dossier.procedure_id)
    assert extra.pk in [row[0] for row in dossier_requirement_names(dossier=found)]
    assert unescape(str(extra.name)) in unescape(page_of(agent_client, dossier))
