"""The optional read replica (DATABASE_REPLICA_URL, core.replica): the statistics page and the CSV
exports read from it; nothing is ever written there. In these tests the replica is the test
database reached by a second connection (a TEST mirror) opened read-only, as a streaming replica
is: a write routed there would fail with "cannot execute … in a read-only transaction"."""

from __future__ import annotations

import copy

import pytest
from django.db import connection, connections, router
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Dossier, QueueExport
from core.replica import REPLICA, reading_from_replica
from tests.backoffice.conftest import sign_in
from tests.backoffice.test_exports import filed, read_csv, request_export
from tests.factories import StaffFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the replica is a PostgreSQL connection"),
    # Committed rows: the replica's connection sees what the primary committed, like a real one.
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
]
WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "TRUNCATE")


@pytest.fixture(scope="module")
def replica_alias(django_db_setup):
    """Adds the replica alias, as DATABASE_REPLICA_URL does in the settings (with TEST MIRROR)."""
    replica = copy.deepcopy(connections["default"].settings_dict)
    replica["OPTIONS"] = {**replica.get("OPTIONS", {}), "options": "-c default_transaction_read_only=on"}
    replica["TEST"] = {**replica["TEST"], "MIRROR": "default"}
    connections.settings[REPLICA] = replica
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


def statements(queries) -> list[str]:
    return [query["sql"].lstrip("( ").split(None, 1)[0].upper() for query in queries]


def test_the_replica_refuses_writes_so_that_routing_one_there_would_fail(replica_alias):
    with pytest.raises(Exception, match="read-only transaction"), connections[REPLICA].cursor() as cursor:
        cursor.execute("CREATE TABLE replica_probe (id int)")


def test_reads_go_to_the_replica_only_inside_the_block_and_writes_never(replica_alias):
    dossier = filed()
    assert router.db_for_read(Dossier) == "default"
    with reading_from_replica():
        assert router.db_for_read(Dossier) == REPLICA
        assert router.db_for_write(Dossier) == "default"
        assert Dossier.objects.select_for_update().db == "default"  # a lock is a write
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            read = Dossier.objects.get(pk=dossier.pk)
        read.search_name = "changed"
        read.save(update_fields=["search_name"])  # read from the replica, written to the primary
    assert statements(on_replica.captured_queries) == ["SELECT"]
    assert Dossier.objects.get(pk=dossier.pk).search_name == "changed"
    with CaptureQueriesContext(connections[REPLICA]) as after:
        assert read.applicant.pk == dossier.applicant_id  # its relations: from the primary again
    assert after.captured_queries == []


def test_the_statistics_page_reads_its_figures_from_the_replica(client, replica_alias):
    filed()
    sign_in(client, StaffFactory(with_totp=True))
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        response = client.get(reverse("backoffice_reports:statistics"))
    assert response.status_code == 200
    assert on_replica.captured_queries, "the figures were read from the primary"
    assert not set(statements(on_replica.captured_queries)) & set(WRITES)


def test_an_export_reads_its_rows_from_the_replica_and_writes_its_file_and_status_to_the_primary(
        client, mails, replica_alias):
    dossier = filed()
    sign_in(client, StaffFactory(with_totp=True))
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        export = request_export(client, mails)
    assert export.status == QueueExport.Status.READY and export.row_count == 1
    sql = " ".join(query["sql"] for query in on_replica.captured_queries)
    assert "applications_dossier" in sql  # the rows
    assert not set(statements(on_replica.captured_queries)) & set(WRITES)
    _, rows = read_csv(client.get(reverse("backoffice_reports:export_download", args=[export.pk])))
    assert [row[0] for row in rows[1:]] == [dossier.reference]
