"""The migration that dated replacements: documents replaced before it get the day their
successor took over, so that certificates re-issued ahead of their lapse are in force again."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from documents.models import IssuedDocument
from tests.factories import UserFactory

BEFORE = [("documents", "0003_document_kind_issued_index")]
AFTER = [("documents", "0004_superseded_on")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def every_leaf():
    """Every app at its last migration: going back to BEFORE also unapplied the migrations of other
    apps that depend on documents (substitution's), and the tests after this one need them."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_documents_replaced_before_the_migration_get_the_day_their_successor_took_over():
    holder = UserFactory()
    today = timezone.localdate()
    old_apps = migrate(BEFORE)
    try:
        Document = old_apps.get_model("documents", "IssuedDocument")
        common = {"holder_id": holder.pk, "holder_name": "A", "subject_type": "x", "subject_id": "1",
                  "template": "t", "issued_at": timezone.now()}

        codes = iter(["ABCDEFGHJK", "BCDEFGHJKM", "CDEFGHJKMN", "DEFGHJKMNP"])

        def document(number, kind, **fields):
            return Document.objects.create(kind=kind, number=number, verification_code=next(codes),
                                           **common, **fields)

        next_one = document("ANEF-API-2026-0000000002", "extension_certificate",
                            valid_from=today + datetime.timedelta(days=7),
                            valid_until=today + datetime.timedelta(days=98))
        current = document("ANEF-API-2026-0000000001", "extension_certificate",
                           valid_from=today - datetime.timedelta(days=84),
                           valid_until=today + datetime.timedelta(days=6),
                           status="superseded", superseded_by=next_one)
        new_receipt = document("ANEF-ADD-2026-0000000002", "filing_receipt")
        old_receipt = document("ANEF-ADD-2026-0000000001", "filing_receipt",
                               status="superseded", superseded_by=new_receipt)
    finally:
        migrate(AFTER)
        migrate(every_leaf())

    current = IssuedDocument.objects.get(pk=current.pk)
    assert current.superseded_on == next_one.valid_from
    assert current.public_status(today) == "valid"  # in force again until the next one starts
    assert IssuedDocument.objects.get(pk=old_receipt.pk).superseded_on == today
