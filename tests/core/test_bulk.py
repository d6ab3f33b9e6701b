"""core.bulk: many rows of one model in one statement, with the values the ORM would have written."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from applications.models import DossierEvent
from core.bulk import BulkInsert, together
from notifications.models import Channel, Notification, Status
from tests.factories import DossierFactory, UserFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only, as the batch jobs using it"),
    pytest.mark.django_db,
]

_AUDIT = BulkInsert(AuditEvent, varying=("object_id", "data"), shared=("action", "object_type"),
                    returning=("id", "object_id"))
_OUTBOX = BulkInsert(Notification, varying=("recipient_id", "object_id", "channel", "subject", "body", "sent_at"),
                     shared=("event", "object_type"), returning=("id", "object_id", "channel"),
                     ignore_conflicts=True)


def test_the_rows_get_their_values_the_shared_ones_and_every_other_columns_default():
    data = [{"number": "ANEF-1", "nested": {"accents": "Préfecture « Rhône »", "list": [1, None, True]}},
            {"emoji": "\U0001f600", "quote": 'il a dit "oui"\n'}]
    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        written = _AUDIT(varying=[["7", "8"], data], shared=["document.issued", "documents.issueddocument"])
    assert len(queries) == 1
    rows = {line.object_id: line for line in AuditEvent.objects.filter(pk__in=[pk for pk, _o in written])}
    assert {object_id for _pk, object_id in written} == set(rows) == {"7", "8"}
    assert [rows["7"].data, rows["8"].data] == data  # JSON taken as it is, not as a string
    assert {(line.action, line.object_type, line.actor_id, line.on_behalf_of_id) for line in rows.values()} == {
        ("document.issued", "documents.issueddocument", None, None)}
    assert all(before <= line.at <= timezone.now() for line in rows.values())  # the default, at the call


def test_dates_and_instants_keep_their_value_and_conflicts_are_left_out_of_what_is_returned():
    person = UserFactory()
    sent = datetime(2026, 3, 29, 1, 59, 59, 123456, tzinfo=ZoneInfo("Europe/Paris"))  # before the clocks change
    rows = [[person.pk, person.pk], ["1", "1"], [Channel.INBOX, Channel.EMAIL], ["Objet", "Objet"],
            ["Corps\n", "Corps\n"], [sent, None]]
    first = _OUTBOX(varying=rows, shared=["x.happened", "applications.dossier"])
    again = _OUTBOX(varying=rows, shared=["x.happened", "applications.dossier"])

    assert sorted(channel for _pk, _o, channel in first) == ["email", "inbox"]
    assert again == []  # the outbox's unique key: nothing written twice, nothing returned
    inbox = Notification.objects.get(pk=next(pk for pk, _o, channel in first if channel == "inbox"))
    assert (inbox.sent_at, inbox.status, inbox.attempts, inbox.last_error) == (sent, Status.PENDING, 0, "")
    assert Notification.objects.get(recipient=person, channel="email").sent_at is None


def test_nothing_to_write_is_no_statement_and_a_wrong_shape_is_refused():
    with CaptureQueriesContext(connection) as queries:
        assert _AUDIT(varying=[[], []], shared=["a", "b"]) == []
    assert len(queries) == 0
    with pytest.raises(ValueError, match="different lengths"):
        _AUDIT(varying=[["1"], []], shared=["a", "b"])
    with pytest.raises(ValueError, match="One list per varying column"):
        _AUDIT(varying=[["1"]], shared=["a", "b"])
    with pytest.raises(ValueError, match="has no column nope"):
        BulkInsert(AuditEvent, varying=("nope",))
    with pytest.raises(TypeError, match="set is not a column value"):
        _AUDIT(varying=[["1"], [{"x": {1}}]], shared=["a", "b"])


def test_together_runs_every_statement_in_one_round_trip_and_returns_the_last_ones_rows():
    dossier = DossierFactory()
    now = timezone.now()
    events = BulkInsert(DossierEvent, varying=("dossier_id", "data"), shared=("kind", "at"),
                        returning=("id", "dossier_id"))
    with CaptureQueriesContext(connection) as queries:
        rows = together(
            _AUDIT.statement(varying=[[str(dossier.pk)], [{"n": 1}]], shared=["dossier.note", "applications.dossier"]),
            ("UPDATE applications_dossier SET certificate_valid_until = %s WHERE id = %s",
             [date(2027, 1, 1), dossier.pk]),
            events.statement(varying=[[dossier.pk], [{"n": 1}]], shared=["note", now]))
    assert len(queries) == 1
    [(event_id, dossier_id)] = rows
    assert dossier_id == dossier.pk and DossierEvent.objects.get(pk=event_id).data == {"n": 1}
    assert AuditEvent.objects.get(action="dossier.note").object_id == str(dossier.pk)
    dossier.refresh_from_db()
    assert dossier.certificate_valid_until == date(2027, 1, 1)
    assert DossierEvent.objects.get(pk=event_id).at == now


def test_on_another_database_the_same_rows_are_written_one_by_one(monkeypatch):
    """SQLite (the laptop's database) has no json_to_recordset: the ORM writes the rows, with the
    same values, defaults, conflicts skipped and columns returned."""
    person = UserFactory()
    monkeypatch.setattr(connection, "vendor", "sqlite")  # the path taken elsewhere, run here
    rows = [[person.pk, person.pk], ["1", "1"], [Channel.INBOX, Channel.EMAIL], ["Objet", "Objet"],
            ["Corps\n", "Corps\n"], [timezone.now(), None]]
    first = _OUTBOX(varying=rows, shared=["x.happened", "applications.dossier"])
    again = _OUTBOX(varying=rows, shared=["x.happened", "applications.dossier"])
    audit = _AUDIT(varying=[["9"], [{"nested": [1]}]], shared=["document.issued", "documents.issueddocument"])

    assert sorted(channel for _pk, _o, channel in first) == ["email", "inbox"] and again == []
    assert Notification.objects.filter(recipient=person).count() == 2
    assert Notification.objects.get(recipient=person, channel="email").status == Status.PENDING
    [(pk, object_id)] = audit
    assert object_id == "9" and AuditEvent.objects.get(pk=pk).data == {"nested": [1]}
    with pytest.raises(IntegrityError):  # conflicts are errors unless ignored
        BulkInsert(Notification, varying=("recipient_id", "object_id", "channel", "subject", "body"),
                   shared=("event", "object_type"))(varying=rows[:5], shared=["x.happened", "applications.dossier"])
