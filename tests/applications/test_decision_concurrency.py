"""Two agents decide the same file at the same moment, on PostgreSQL with real threads: one
decision is recorded, with its own reasons; the other is refused and writes nothing (issue 10:
``dossier_decide`` locks and checks before it writes the reasons)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from applications.models import DossierEvent, Status
from applications.services import dossier_decide
from applications.workflow import TransitionNotAllowed
from tests.factories import DossierFactory, StaffFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL (CI runs it)"),
    pytest.mark.django_db(transaction=True),
]


def test_two_agents_deciding_at_once_record_one_decision_with_its_own_reasons(mails):
    dossier = DossierFactory(status="under_review")
    code = dossier.prefecture.department.code
    decisions = [
        dict(by=StaffFactory(role__code=code), outcome="decided_unfavourable", reasons="Ressources insuffisantes.",
             appeal_routes="Recours gracieux sous deux mois."),
        dict(by=StaffFactory(role__code=code), outcome="closed_without_action", reasons="Doublon d'une autre demande."),
    ]
    barrier = threading.Barrier(len(decisions))
    results: list[object] = [None] * len(decisions)

    def decide(index: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            dossier_decide(dossier=dossier, **decisions[index])
            results[index] = "decided"
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    with mails():
        threads = [threading.Thread(target=decide, args=(i,)) for i in range(len(decisions))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert sorted(map(type, results), key=str) == sorted([str, TransitionNotAllowed], key=str)
    winner = decisions[results.index("decided")]
    dossier.refresh_from_db()
    assert dossier.status == winner["outcome"]
    assert dossier.decision_reasons == winner["reasons"]
    assert dossier.appeal_routes == winner.get("appeal_routes", "")
    assert DossierEvent.objects.filter(dossier=dossier, kind="decided").count() == 1
    assert dossier.status in (Status.DECIDED_UNFAVOURABLE, Status.CLOSED_WITHOUT_ACTION)
