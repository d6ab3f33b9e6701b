"""The queue: priority order, badges, filters, search, keyset pagination, and a constant number of
queries whatever the number of dossiers."""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from applications.clock import QUEUE_STATUSES, priorities_refresh
from applications.models import Dossier, Status
from tests.backoffice.conftest import file_renewal, listed, queued, sign_in
from tests.factories import StaffFactory, prefecture, procedure

pytestmark = pytest.mark.django_db

QUEUE = reverse("backoffice_instruction:queue")


def test_rights_at_risk_first_then_overdue_then_by_age(agent_client):
    newest = queued(name="Blanc Anne", filed_days_ago=2)
    oldest = queued(name="Noir Marc", filed_days_ago=20)
    overdue = queued(name="Vert Paul", filed_days_ago=40, deadline_in=-10)
    at_risk = queued(name="Rouge Lina", filed_days_ago=1, permit_in=10)
    decided = queued(name="Gris Tom", status=Status.DECIDED_FAVOURABLE, filed_days_ago=60)  # still open (card)
    queued(name="Brun Léa", status=Status.WITHDRAWN)  # closed: not in the queue

    response = agent_client.get(QUEUE)
    assert listed(response) == [at_risk.reference, overdue.reference, decided.reference, oldest.reference,
                                newest.reference]
    page = unescape(response.content.decode())
    expiry = (timezone.localdate() + timedelta(days=10)).strftime("%d/%m/%Y")
    assert f"Droits menacés ·<span class=\"fr-sr-only\"> titre valable jusqu'au</span> {expiry}" in page
    assert "Hors délai · 10 jours" in page
    assert "28 jours restants" in page  # the newest: filed 2 days ago, 30-day target


def test_the_badges_say_when_the_clock_is_paused(agent_client):
    queued(name="Blanc Anne", status=Status.COMPLEMENTS_REQUESTED, clock_paused_on=timezone.localdate())
    page = unescape(agent_client.get(QUEUE).content.decode())
    assert ">Suspendu<" in page


def test_filters_by_status_procedure_channel_agent_and_deadline(agent_client, instructor):
    colleague = StaffFactory(first_name="Luc", last_name="Moreau")
    submitted = queued(name="Blanc Anne")
    reviewing = queued(name="Noir Marc", status=Status.UNDER_REVIEW, assigned_to=instructor)
    waiting = queued(name="Vert Paul", status=Status.COMPLEMENTS_REQUESTED, clock_paused_on=timezone.localdate(),
                     assigned_to=colleague)
    paper = queued(name="Rouge Lina", channel="paper", kind="premiere-demande-salarie", deadline_in=3)
    overdue = queued(name="Gris Tom", deadline_in=-1)
    at_risk = queued(name="Brun Léa", permit_in=5)

    def refs(**params):
        return set(listed(agent_client.get(QUEUE, params)))

    assert refs(status=["under_review", "complements_requested"]) == {reviewing.reference, waiting.reference}
    assert refs(procedure=procedure("premiere-demande-salarie").pk) == {paper.reference}
    assert refs(channel="paper") == {paper.reference}
    assert refs(assigned="me") == {reviewing.reference}
    assert refs(assigned=str(colleague.pk)) == {waiting.reference}
    assert refs(assigned="none") == {submitted.reference, paper.reference, overdue.reference, at_risk.reference}
    assert refs(deadline="paused") == {waiting.reference}
    assert refs(deadline="overdue") == {overdue.reference}
    assert refs(deadline="due_soon") == {paper.reference}
    assert refs(deadline="at_risk") == {at_risk.reference}
    # Filters combine; an unknown value is ignored rather than emptying the queue.
    assert refs(channel="paper", deadline="overdue") == set()
    assert refs(deadline="whenever") == refs()
    assert len(refs()) == 6


def test_the_filters_stay_in_the_url_and_the_form(agent_client, instructor):
    queued(name="Blanc Anne", status=Status.UNDER_REVIEW, assigned_to=instructor)
    response = agent_client.get(QUEUE, {"status": "under_review", "assigned": "me", "q": "blanc"})
    page = response.content.decode()
    assert re.search(r'<input type="checkbox" name="status" value="under_review"[^>]* checked', page)
    assert not re.search(r'<input type="checkbox" name="status" value="submitted"[^>]* checked', page)
    assert '<option value="me" selected>' in page
    assert 'value="blanc"' in page


def test_status_counts_ignore_the_status_filter_and_respect_the_others(agent_client):
    queued(name="Blanc Anne")
    queued(name="Blanc Paul")
    queued(name="Noir Marc", status=Status.UNDER_REVIEW)
    queued(name="Blanche Zoé", status=Status.COMPLEMENTS_REQUESTED, clock_paused_on=timezone.localdate())

    response = agent_client.get(QUEUE, {"q": "blanc", "status": "submitted"})
    tabs = {tab["label"]: tab["count"] for tab in response.context["status_tabs"]}
    assert tabs["Tous"] == 3
    assert tabs["Déposé"] == 2 and tabs["Compléments demandés"] == 1 and tabs["En cours d'instruction"] == 0
    current = [tab for tab in response.context["status_tabs"] if tab["current"]]
    assert [tab["label"] for tab in current] == ["Déposé"]
    assert "Déposé (2)" in unescape(response.content.decode())


def test_a_status_tab_alone_filters_as_the_form_would(agent_client):
    """``?status=…`` alone is read without building the form (issue 17): the same filter, and an
    unknown status drops the status filter as the form's cleaning does."""
    queued(name="Blanc Anne")
    queued(name="Noir Marc", status=Status.UNDER_REVIEW)
    assert listed(agent_client.get(QUEUE, {"status": "under_review"})) == listed(
        agent_client.get(QUEUE, {"status": "under_review", "q": ""}))
    assert len(listed(agent_client.get(QUEUE, {"status": "under_review"}))) == 1
    assert len(listed(agent_client.get(QUEUE, {"status": ["under_review", "submitted"]}))) == 2
    for unknown in (["nope"], ["under_review", "nope"], [""]):
        response = agent_client.get(QUEUE, {"status": unknown})
        assert len(listed(response)) == 2
        assert response.content.decode().count('<input type="checkbox" name="status"') == len(QUEUE_STATUSES)


def test_search_by_reference_name_prefix_and_foreigner_number(agent_client):
    diallo = file_renewal(last_name="Diallo", first_name="Amina", foreigner_number="1234567890")
    eloise = file_renewal(last_name="Éloïse-Durand", first_name="Marie", foreigner_number="")
    queued(name="Dupont Jean")

    def refs(query):
        return listed(agent_client.get(QUEUE, {"q": query}))

    assert refs(diallo.reference) == [diallo.reference]
    assert refs(diallo.reference.lower()) == [diallo.reference]
    assert refs("diall") == [diallo.reference]
    assert refs("DIALLO amina") == [diallo.reference]
    assert refs("eloise") == [eloise.reference]  # accents and case ignored
    assert refs("ÉLOÏSE durand") == [eloise.reference]
    assert refs("1234567890") == [diallo.reference]
    assert refs("12 34 56 78 90") == [diallo.reference]
    assert refs("amina") == []  # a prefix of the family name, not any word
    assert refs("2099-69-0000001") == []


def test_keyset_pagination_walks_the_whole_queue_once(agent_client):
    dossiers = [queued(name=f"Nom{i:02d} Prénom", filed_days_ago=i % 7) for i in range(12)]
    queued(name="Rouge Lina", permit_in=3)  # a priority-0 row at the top
    seen = []
    response = agent_client.get(QUEUE, {"limit": 5, "channel": "online"})
    pages = 0
    while True:
        pages += 1
        seen += listed(response)
        next_url = response.context["next_url"]
        if not next_url:
            break
        query = parse_qs(urlsplit(next_url).query)
        assert query["channel"] == ["online"] and query["limit"] == ["5"]  # the filters travel along
        assert "Page suivante" in response.content.decode()
        response = agent_client.get(QUEUE + next_url)
        assert "Retour au début" in response.content.decode()
        first = parse_qs(urlsplit(response.context["first_url"]).query)
        assert "after" not in first and first["channel"] == ["online"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 13
    expected = list(Dossier.objects.order_by("priority", "priority_date", "id").values_list("reference", flat=True))
    assert seen == expected
    assert seen[0] not in {d.reference for d in dossiers}  # the rights at risk came first


def test_fifty_five_dossiers_make_two_pages_of_fifty_and_five(agent_client):
    for i in range(55):
        queued(name=f"Nom{i:02d} X", filed_days_ago=1)
    first = agent_client.get(QUEUE)
    assert len(listed(first)) == 50
    second = agent_client.get(QUEUE + first.context["next_url"])
    assert len(listed(second)) == 5 and not second.context["next_url"]


def test_a_bad_cursor_starts_from_the_top(agent_client):
    one = queued(name="Blanc Anne")
    assert listed(agent_client.get(QUEUE, {"after": "nonsense"})) == [one.reference]


def test_an_agent_of_two_prefectures_chooses_one(client, instructor):
    Membership.objects.create(user=instructor, role=Role.AGENT, prefecture=prefecture("33"))
    sign_in(client, instructor)
    lyon, bordeaux = queued(name="Blanc Anne"), queued(name="Noir Marc", department="33")
    assert set(listed(client.get(QUEUE))) == {lyon.reference, bordeaux.reference}
    assert listed(client.get(QUEUE, {"prefecture": prefecture("33").pk})) == [bordeaux.reference]
    assert 'name="prefecture"' in client.get(QUEUE).content.decode()


def test_each_row_names_its_procedure_and_for_an_agent_of_two_prefectures_its_departement(client, instructor):
    """Issue 14: the rows take the procedure's name from the catalogue's cached choices and the
    département from the agent's prefectures, not from a join: the page says the same."""
    sign_in(client, instructor)
    lyon = queued(name="Blanc Anne")
    row = client.get(QUEUE).context["rows"][0]
    assert row["hint"] == lyon.procedure.name

    Membership.objects.create(user=instructor, role=Role.AGENT, prefecture=prefecture("33"))
    bordeaux = queued(name="Noir Marc", department="33", channel="paper")
    hints = {row["reference"]: row["hint"] for row in client.get(QUEUE).context["rows"]}
    assert hints == {lyon.reference: f"{lyon.procedure.name} · 69",
                     bordeaux.reference: f"{bordeaux.procedure.name} · Papier · 33"}


def test_what_applicants_typed_is_escaped_in_the_rows(agent_client):
    """Issue 14: the rows are put into HTML in Python; what a person typed stays text."""
    queued(name="Dupont <b>Anne</b> & Cie")
    page = agent_client.get(QUEUE).content.decode()
    assert "<b>Anne</b>" not in page
    assert "&lt;b&gt;Anne&lt;/b&gt; &amp; Cie" in page


def test_the_query_count_does_not_grow_with_the_queue(agent_client, instructor):
    colleague = StaffFactory(first_name="Luc", last_name="Moreau")

    def fill(n):
        for i in range(n):
            queued(name=f"Nom{i:02d} X", filed_days_ago=i % 20, assigned_to=colleague if i % 2 else instructor,
                   permit_in=10 if i % 5 == 0 else None, deadline_in=-2 if i % 7 == 0 else None)
        priorities_refresh(today=timezone.localdate())

    fill(3)
    agent_client.get(QUEUE)  # warm-up: session and per-process caches
    with CaptureQueriesContext(connection) as few:
        assert len(listed(agent_client.get(QUEUE))) == 3
    fill(27)
    with CaptureQueriesContext(connection) as many:
        assert len(listed(agent_client.get(QUEUE))) == 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 10, len(few)


def test_the_filter_form_is_kept_per_choices_and_values_so_a_new_colleague_shows_at_once(agent_client):
    """Issue 14: the filter form is rendered once per language, choices and values entered; a new
    agent of the prefecture is a new choice, and so a new form, on the very next request."""
    queued(name="Blanc Anne", filed_days_ago=2)
    assert "Zola" not in agent_client.get(QUEUE).content.decode()

    colleague = StaffFactory(last_name="Zola", first_name="Émile")
    page = agent_client.get(QUEUE).content.decode()
    assert f'<option value="{colleague.pk}">' in page and "ZOLA" in page

    filtered = agent_client.get(QUEUE, {"assigned": str(colleague.pk), "deadline": "overdue"}).content.decode()
    assert f'<option value="{colleague.pk}" selected>' in filtered
    assert '<option value="overdue" selected>' in filtered
    assert f'<option value="{colleague.pk}" selected>' not in agent_client.get(QUEUE).content.decode()


def test_each_row_names_the_applicant_as_the_snapshot_does_and_the_agent_by_full_name(agent_client, instructor):
    """Issue 17: the rows read the identity step's names in SQL, not the decoded answers; a part left
    blank there comes from the account, and a nameless account is named by its e-mail address."""
    from applications.selectors import applicant_snapshot
    from tests.factories import UserFactory

    typed = queued(name="Diallo Amina", applicant=UserFactory(first_name="Awa", last_name="Ndiaye"),
                   assigned_to=instructor)
    half = queued(name="Blanc Anne", applicant=UserFactory(first_name="Zoé", last_name="Morel"))
    Dossier.objects.filter(pk=half.pk).update(answers={"identity": {"last_name": "", "first_name": "Anne"}})
    nameless = queued(name="Noir Marc", applicant=UserFactory(first_name="", last_name="", email="x@example.org"),
                      channel="paper")
    Dossier.objects.filter(pk=nameless.pk).update(answers={})

    rows = {row["reference"]: row for row in agent_client.get(QUEUE).context["rows"]}
    for dossier in (typed, half, nameless):
        dossier.refresh_from_db()
        assert rows[dossier.reference]["name"] == applicant_snapshot(dossier=dossier)["name"]
    assert [rows[d.reference]["name"] for d in (typed, half, nameless)] == ["Amina DIALLO", "Anne MOREL",
                                                                            "x@example.org"]
    assert rows[typed.reference]["agent"] == "Jeanne MARTIN" and rows[half.reference]["agent"] == ""
    assert rows[nameless.reference]["hint"] == f"{nameless.procedure.name} · Papier"
    assert rows[typed.reference]["submitted"] == timezone.localtime(typed.submitted_at).strftime("%d/%m/%Y")


#: The queue's rows as the template wrote them before issue 14 put them into HTML in Python.
ROWS_TEMPLATE = """{% for row in rows %}<tr>
<td><ul class="fr-badges-group">{% for css, text in row.badges %}<li><p class="fr-badge {{ css }}">{{ text }}</p></li>\
{% endfor %}</ul></td>
<th scope="row"><a href="{{ row.url }}">{{ row.reference }}</a> <span class="fr-hint-text">{{ row.hint }}</span></th>
<td>{{ row.name }}{% if row.foreigner_number %}<span class="fr-hint-text">{{ row.foreigner_number }}</span>\
{% endif %}</td>
<td><p class="fr-badge fr-badge--sm fr-badge--no-icon {{ row.status_class }}">{{ row.status }}</p></td>
<td>{{ row.submitted }}</td>
<td>{{ row.deadline }}</td>
<td>{% if row.agent %}{{ row.agent }}{% else %}<span class="fr-text--sm">{{ unassigned }}</span>{% endif %}</td>
</tr>{% endfor %}"""


def test_the_rows_are_what_the_template_wrote(agent_client, instructor):
    """Issue 14 put the rows into HTML in Python, issue 17 shares what rows have in common (a clock
    state's badges, a status): the HTML is still what the template's loop wrote (newlines and
    indentation aside), in both languages, every value escaped."""
    from django.template import engines
    from django.utils import translation

    queued(name="Rouge Lina", permit_in=10, assigned_to=instructor)
    queued(name="Vert Paul", deadline_in=-10)
    queued(name="Blanc Anne", status=Status.COMPLEMENTS_REQUESTED, clock_paused_on=timezone.localdate())
    queued(name="O'Brien <Anne>", channel="paper", foreigner_number="1234567890")
    queued(name="Gris Tom", status=Status.CARD_READY)
    queued(name="Noir Marc")
    queued(name="Brun Léa")  # the same clock state as the one above: their badges shared
    template = engines["django"].from_string(ROWS_TEMPLATE)
    for language in ("fr", "en"):
        agent_client.cookies["anef_language"] = language
        response = agent_client.get(QUEUE)
        with translation.override(language):
            expected = template.render({"rows": response.context["rows"], "unassigned": translation.gettext(
                "Non attribué")})
        assert len(response.context["rows"]) == 7
        assert str(response.context["rows_html"]).replace("\n", "").replace("  ", "") == expected.replace("\n", "")
    assert "&lt;Anne&gt; O&#x27;BRIEN" in expected and "Papier" not in expected and "Paper" in expected
