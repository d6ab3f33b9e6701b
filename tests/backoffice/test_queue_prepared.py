"""The queue's page read through its SQL built once per process (``core.prepared``) for the default
shape (no filter but the prefecture and the status tabs; 50 rows; the first page or a dated cursor)
gives the rows the ORM gives for the same request, and the other shapes still go through the ORM."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import Role
from applications.backoffice.selectors import QueueFilters, queue_page, queue_page_rows, queue_status_counts
from applications.backoffice.selectors import queue as queue_module
from applications.backoffice.selectors.queue import Cursor
from applications.models import Status, search_name
from tests.backoffice.conftest import queued
from tests.core.test_prepared import as_rows
from tests.factories import StaffFactory, prefecture

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_of_two():
    """An agent of the Rhône and the Gironde, with dossiers in both: assigned or not (a null
    foreign key for the page's ``select_related``), several statuses and priorities, one undated."""
    agent = StaffFactory(first_name="Jeanne", last_name="Martin")
    agent.memberships.create(role=Role.AGENT, prefecture=prefecture("33"))
    queued(name="Blanc Anne", filed_days_ago=2)
    queued(name="Noir Marc", status=Status.UNDER_REVIEW, assigned_to=agent, filed_days_ago=20)
    queued(name="Vert Paul", department="33", deadline_in=-10, filed_days_ago=40)
    queued(name="Rouge Lina", department="33", permit_in=10)
    queued(name="Gris Luc", department="33", status=Status.CARD_READY, filed_days_ago=60)
    queued(name="Gris Tom", status=Status.WITHDRAWN)  # closed: never in the queue
    undated = queued(name="Brun Léa", filed_days_ago=5)
    type(undated).objects.filter(pk=undated.pk).update(priority_date=None)
    return agent


def name(row) -> str:
    """A page row's applicant as ``queued`` named them (from the identity step), normalised."""
    return search_name(row.identity_last_name, row.identity_first_name)


def through_the_orm(monkeypatch):
    monkeypatch.setattr(queue_module, "_prepared_shape", lambda *args: False)
    monkeypatch.setattr(queue_module, "_counts_prepared", lambda filters: False)


@pytest.mark.parametrize("filters", [
    QueueFilters(),
    QueueFilters(statuses=(Status.SUBMITTED,)),
    QueueFilters(statuses=("under_review", "card_ready")),
    QueueFilters(prefecture=None, statuses=()),
])
def test_the_default_shape_gives_the_orms_rows_first_and_next_pages(agent_of_two, monkeypatch, filters):
    gironde = prefecture("33").pk
    cases = [(filters, None), (QueueFilters(prefecture=gironde, statuses=filters.statuses), None)]
    first, _ = queue_page_rows(user=agent_of_two, filters=filters)
    dated = [row for row in first if row.priority_date is not None]
    if dated:
        cases.append((filters, Cursor(dated[0].priority, dated[0].priority_date, dated[0].id)))
    cases.append((filters, Cursor(0, date(2000, 1, 1), 0)))

    prepared = [(as_rows(queue_page_rows(user=agent_of_two, filters=f, after=a)[0]),
                 queue_status_counts(user=agent_of_two, filters=f)) for f, a in cases]
    assert queue_module._QUEUE_FIRST_PAGE._compiled and queue_module._QUEUE_NEXT_PAGE._compiled
    through_the_orm(monkeypatch)
    by_orm = [(as_rows(queue_page_rows(user=agent_of_two, filters=f, after=a)[0]),
               queue_status_counts(user=agent_of_two, filters=f)) for f, a in cases]

    assert prepared == by_orm
    assert prepared[0][0], "the world gives the page rows to compare"


def test_the_prepared_page_keeps_the_prefecture_and_status_filters(agent_of_two):
    gironde = prefecture("33").pk
    everything, _ = queue_page_rows(user=agent_of_two, filters=QueueFilters())
    in_gironde, _ = queue_page_rows(user=agent_of_two, filters=QueueFilters(prefecture=gironde))
    card_ready, _ = queue_page_rows(user=agent_of_two, filters=QueueFilters(statuses=("card_ready",)))
    elsewhere, _ = queue_page_rows(user=agent_of_two, filters=QueueFilters(prefecture=prefecture("75").pk))

    names = [name(row) for row in everything]
    assert names[:2] == ["rouge lina", "vert paul"], "rights at risk, then past the deadline"
    assert sorted(names[2:]) == ["blanc anne", "brun lea", "gris luc", "noir marc"]
    assert {row.prefecture_id for row in in_gironde} == {gironde} and len(in_gironde) == 3
    assert [name(row) for row in card_ready] == ["gris luc"]
    assert elsewhere == [], "not one of the agent's prefectures: an empty IN list, nothing read"
    assert queue_status_counts(user=agent_of_two, filters=QueueFilters(prefecture=gironde)) == {
        "submitted": 2, "card_ready": 1}
    assert [(row.assigned_to_id, row.agent_first_name, row.agent_last_name) for row in everything
            if row.assigned_to_id] == [(agent_of_two.pk, "Jeanne", "Martin")]
    assert sum(row.assigned_to_id is None and row.agent_last_name is None for row in everything) == 5


def test_the_other_shapes_go_through_the_orm(agent_of_two, monkeypatch):
    def refused(**values):
        raise AssertionError("prepared query used for a shape it does not have")

    monkeypatch.setattr(queue_module, "_QUEUE_FIRST_PAGE", refused)
    monkeypatch.setattr(queue_module, "_QUEUE_NEXT_PAGE", refused)
    monkeypatch.setattr(queue_module, "_QUEUE_STATUS_COUNTS", refused)

    assert [name(row) for row in queue_page_rows(user=agent_of_two, filters=QueueFilters(q="noir"))[0]
            ] == ["noir marc"]
    assert len(queue_page_rows(user=agent_of_two, filters=QueueFilters(assigned="me"))[0]) == 1
    assert len(queue_page_rows(user=agent_of_two, filters=QueueFilters(), limit=2)[0]) == 2
    assert len(queue_page(user=agent_of_two, filters=QueueFilters())[0]) == 6
    # an undated cursor of priority 0: after it, every row but the dated one at risk (priority 0)
    assert len(queue_page_rows(user=agent_of_two, filters=QueueFilters(), after=Cursor(0, None, 0))[0]) == 5
    assert queue_status_counts(user=agent_of_two, filters=QueueFilters(deadline="overdue")) == {"submitted": 1}


def test_the_counts_are_read_from_the_index_on_prefecture_and_status(agent_of_two):
    """The counts by status are a ``COUNT(*)`` (not of a column) over the index on (prefecture,
    status): on PostgreSQL an index-only scan of those two columns, also under the prepared
    statement's generic plan, where ``COUNT(id)`` or the wider queue index read the table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from applications.models import Dossier

    assert any(index.name == "dossier_status_count_idx" and index.fields == ["prefecture", "status"]
               for index in Dossier._meta.indexes)
    for counted in (QueueFilters(), QueueFilters(q="blanc")):  # prepared, and through the ORM
        with CaptureQueriesContext(connection) as queries:
            counts = queue_status_counts(user=agent_of_two, filters=counted)
        assert counts
        (sql,) = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]
        assert 'COUNT(*) AS "n"' in sql
