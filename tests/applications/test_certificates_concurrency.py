"""The extension-certificate sweep against other transactions, on PostgreSQL: a decision committed
while the sweep runs wins, and two sweeps at once issue each certificate once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from applications.models import Dossier, Status
from applications.services import dossier_transition
from applications.services.certificates import extension_certificates_sweep
from documents.models import DocumentKind, IssuedDocument
from tests.applications.test_certificates import certificates, pending_renewal
from tests.factories import StaffFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (CI runs it)"),
    pytest.mark.django_db(transaction=True),
]


def test_a_decision_committed_during_the_sweep_wins():
    dossiers = [pending_renewal(days_left=days) for days in (1, 2, 3, 4)]
    decided = dossiers[1]
    agent = StaffFactory(role__code=decided.prefecture.department.code)
    locked = threading.Event()
    errors: list[Exception] = []

    def decide() -> None:
        try:
            with transaction.atomic():
                Dossier.objects.select_for_update().get(pk=decided.pk)
                locked.set()
                time.sleep(1)  # the sweep meets the dossier locked, still pending in its last commit
                dossier_transition(dossier=decided, to=Status.DECIDED_UNFAVOURABLE, by=agent)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            locked.set()
            connections.close_all()

    thread = threading.Thread(target=decide)
    thread.start()
    assert locked.wait(10)
    issued = extension_certificates_sweep(today=timezone.localdate(), chunk_size=2)
    thread.join()

    assert errors == []
    assert issued == 3
    assert certificates(decided) == []
    assert [len(certificates(dossier)) for dossier in dossiers] == [1, 0, 1, 1]
    decided.refresh_from_db()
    assert (decided.status, decided.certificate_valid_until) == (Status.DECIDED_UNFAVOURABLE, None)


def test_two_sweeps_at_once_issue_each_certificate_once():
    dossiers = [pending_renewal(days_left=days % 7) for days in range(12)]
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = extension_certificates_sweep(today=timezone.localdate(), batch_size=5, chunk_size=3)
        except Exception as exc:  # reported below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 12  # type: ignore[arg-type]
    assert IssuedDocument.objects.filter(kind=DocumentKind.EXTENSION_CERTIFICATE).count() == 12
    assert all(len(certificates(dossier)) == 1 for dossier in dossiers)


def test_a_file_held_by_another_transaction_does_not_hold_up_the_others_certificates():
    held, other = pending_renewal(days_left=1), pending_renewal(days_left=2)  # one chunk
    locked, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold() -> None:  # an agent's long decision on one file, say
        try:
            with transaction.atomic():
                Dossier.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(15)
        finally:
            locked.set()
            connections.close_all()

    def sweep() -> None:
        try:
            outcome["issued"] = extension_certificates_sweep(today=timezone.localdate())
        except Exception as exc:  # reported below
            outcome["error"] = exc
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    sweeper = threading.Thread(target=sweep)
    sweeper.start()
    # The other file's certificate is committed while the first one is still locked: the chunk
    # skipped it (SKIP LOCKED) instead of waiting for it.
    deadline = time.monotonic() + 10
    while not certificates(other) and time.monotonic() < deadline:
        time.sleep(0.1)
    other_first = bool(certificates(other)) and not certificates(held)
    release.set()
    holder.join()
    sweeper.join()

    assert other_first
    assert outcome == {"issued": 2}  # the held file was taken alone once free
    assert len(certificates(held)) == len(certificates(other)) == 1
