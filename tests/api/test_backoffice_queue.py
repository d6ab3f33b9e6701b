"""The agents' queue through the API: the same dossiers in the same order as the back-office
queue for the same data and filters, the queue's own keyset as the cursor, refused filters, and a
constant number of queries whatever the number of rows."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from applications.clock import priorities_refresh
from applications.models import Dossier, Status
from tests.api.conftest import client_for, token_for
from tests.backoffice.conftest import listed, queue_with_its_values, queued, sign_in  # noqa: F401 (a fixture)
from tests.factories import StaffFactory, prefecture, procedure

pytestmark = pytest.mark.django_db

QUEUE = "/api/v1/backoffice/dossiers/"
HTML_QUEUE = reverse("backoffice_instruction:queue")


def references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


@pytest.fixture
def html_client(client, agent, queue_with_its_values):  # noqa: F811 (the fixture imported above)
    """The same agent on the back-office pages (password, then the code), the queue rendered by the
    engine so that its rows are the view's values (``listed``)."""
    return sign_in(client, agent)


def test_the_queue_is_the_back_offices_in_the_same_order(agent, agent_api, html_client):
    newest = queued(name="Blanc Anne", filed_days_ago=2)
    oldest = queued(name="Noir Marc", filed_days_ago=20)
    overdue = queued(name="Vert Paul", filed_days_ago=40, deadline_in=-10)
    at_risk = queued(name="Rouge Lina", filed_days_ago=1, permit_in=10)
    decided = queued(name="Gris Tom", status=Status.DECIDED_FAVOURABLE, filed_days_ago=60)
    queued(name="Brun Léa", status=Status.WITHDRAWN)  # closed: in neither
    queued(name="Loin Paul", department="33")  # another prefecture: in neither

    expected = [at_risk.reference, overdue.reference, decided.reference, oldest.reference, newest.reference]
    assert listed(html_client.get(HTML_QUEUE)) == expected
    response = agent_api.get(QUEUE)
    assert references(response) == expected
    rows = {row["reference"]: row for row in response.json()["results"]}
    assert rows[at_risk.reference]["priority"] == 0 and rows[at_risk.reference]["clock"]["rights_at_risk"] is True
    assert rows[overdue.reference]["clock"]["overdue"] is True and rows[overdue.reference]["clock"]["days_left"] == -10
    assert rows[newest.reference]["applicant_name"] == "Anne BLANC"
    assert rows[newest.reference]["prefecture"]["department"] == "69"
    assert response.json()["next"] is None


def test_every_filter_gives_what_the_back_office_queue_gives(agent, agent_api, html_client):
    colleague = StaffFactory(first_name="Luc", last_name="Moreau")
    queued(name="Blanc Anne")
    queued(name="Noir Marc", status=Status.UNDER_REVIEW, assigned_to=agent)
    queued(name="Vert Paul", status=Status.COMPLEMENTS_REQUESTED, clock_paused_on=timezone.localdate(),
           assigned_to=colleague)
    queued(name="Rouge Lina", channel="paper", kind="premiere-demande-salarie", deadline_in=3)
    queued(name="Gris Tom", deadline_in=-1)
    queued(name="Brun Léa", permit_in=5, foreigner_number="1234567890")
    queued(name="Blanche Zoé", status=Status.CARD_READY)

    cases = [
        {"status": ["under_review", "complements_requested"]}, {"status": "card_ready"},
        {"procedure": procedure("premiere-demande-salarie").pk}, {"channel": "paper"}, {"channel": "online"},
        {"assigned": "me"}, {"assigned": str(colleague.pk)}, {"assigned": "none"},
        {"deadline": "paused"}, {"deadline": "overdue"}, {"deadline": "due_soon"}, {"deadline": "at_risk"},
        {"q": "blanc"}, {"q": "1234567890"}, {"channel": "online", "deadline": "overdue"},
        {"prefecture": prefecture("69").pk}, {},
    ]
    sizes = set()
    for params in cases:
        expected = listed(html_client.get(HTML_QUEUE, params))
        assert references(agent_api.get(QUEUE, params)) == expected, params
        sizes.add(len(expected))
    assert len(sizes) > 3  # the filters did filter


def test_an_agent_of_two_prefectures_filters_by_one(agent):
    Membership.objects.create(user=agent, role=Role.AGENT, prefecture=prefecture("33"))
    lyon, bordeaux = queued(name="Blanc Anne"), queued(name="Noir Marc", department="33")
    api = client_for(token_for(agent))
    assert set(references(api.get(QUEUE))) == {lyon.reference, bordeaux.reference}
    assert references(api.get(QUEUE, {"prefecture": prefecture("33").pk})) == [bordeaux.reference]


@pytest.mark.parametrize("params, field", [
    ({"prefecture": "75"}, "prefecture"),  # not theirs (an agent of one prefecture)
    ({"status": "withdrawn"}, "status"),  # not a status of the queue
    ({"deadline": "whenever"}, "deadline"),
    ({"assigned": "somebody"}, "assigned"),
    ({"channel": "fax"}, "channel"),
])
def test_a_filter_value_that_is_not_one_of_the_choices_is_refused(agent_api, params, field):
    """The back-office page drops such a value (a stale bookmark still opens); a program is told."""
    if field == "prefecture":
        params = {"prefecture": prefecture("75").pk}
    queued(name="Blanc Anne")
    response = agent_api.get(QUEUE, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_choice"
    assert list(body["fields"]) == [field]


def test_another_prefecture_is_refused_to_an_agent_of_two_that_does_not_include_it(agent):
    Membership.objects.create(user=agent, role=Role.AGENT, prefecture=prefecture("33"))
    response = client_for(token_for(agent)).get(QUEUE, {"prefecture": prefecture("75").pk})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["prefecture"]


def test_pages_follow_the_queues_own_keyset_with_the_filters(agent_api):
    for i in range(12):
        queued(name=f"Nom{i:02d} Prénom", filed_days_ago=i % 7)
    top = queued(name="Rouge Lina", permit_in=3)  # priority 0
    queued(name="Papier Jean", channel="paper")  # filtered out

    seen, pages = [], 0
    response = agent_api.get(QUEUE, {"page_size": 5, "channel": "online"})
    while True:
        pages += 1
        seen += references(response)
        next_url = response.json()["next"]
        if not next_url:
            break
        query = parse_qs(urlsplit(next_url).query)
        assert query["channel"] == ["online"] and query["page_size"] == ["5"]
        last = Dossier.objects.get(reference=seen[-1])
        # The queue's keyset, not an offset: the position of the last row shown.
        assert query["cursor"] == [f"{last.priority}.{last.priority_date.isoformat()}.{last.pk}"]
        response = agent_api.get(next_url)
    assert pages == 3
    expected = list(Dossier.objects.filter(channel="online").order_by("priority", "priority_date", "id")
                    .values_list("reference", flat=True))
    assert seen == expected and seen[0] == top.reference and len(set(seen)) == 13


def test_a_row_inserted_before_the_cursor_does_not_shift_the_next_page(agent_api):
    rows = [queued(name=f"Nom{i:02d} X", filed_days_ago=10 + i) for i in range(4)]
    first = agent_api.get(QUEUE, {"page_size": 2})
    shown = references(first)
    queued(name="Rouge Lina", permit_in=3)  # goes to the top, before the cursor
    second = references(agent_api.get(first.json()["next"]))
    assert not set(second) & set(shown)
    assert set(shown) | set(second) == {row.reference for row in rows}


def test_a_bad_cursor_is_refused(agent_api):
    queued(name="Blanc Anne")
    response = agent_api.get(QUEUE, {"cursor": "nonsense"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
    assert "curseur" in response.json()["message"]


def test_the_page_size_is_bounded(agent_api):
    for i in range(3):
        queued(name=f"Nom{i:02d} X")
    assert len(references(agent_api.get(QUEUE, {"page_size": 2}))) == 2
    assert len(references(agent_api.get(QUEUE, {"page_size": 1000}))) == 3


def test_the_query_count_does_not_grow_with_the_queue(agent, agent_api):
    colleague = StaffFactory(first_name="Luc", last_name="Moreau")

    def fill(n):
        for i in range(n):
            queued(name=f"Nom{i:02d} X", filed_days_ago=i % 20, assigned_to=colleague if i % 2 else agent,
                   permit_in=10 if i % 5 == 0 else None, deadline_in=-2 if i % 7 == 0 else None,
                   kind="premiere-demande-salarie" if i % 3 == 0 else "renouvellement-salarie")
        priorities_refresh(today=timezone.localdate())

    fill(3)
    agent_api.get(QUEUE)  # warm-up: per-process caches (the procedures' choices)
    with CaptureQueriesContext(connection) as few:
        assert len(references(agent_api.get(QUEUE, {"page_size": 100}))) == 3
    fill(40)
    with CaptureQueriesContext(connection) as many:
        assert len(references(agent_api.get(QUEUE, {"page_size": 100}))) == 43
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    # The key and its device, the agent's memberships, the agents of their prefectures, the page.
    assert len(few) <= 5, [q["sql"] for q in few.captured_queries]
