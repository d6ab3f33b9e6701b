"""Supervision: the workload of each agent of the supervisor's prefecture, and reassignment."""

from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from applications.models import Dossier, DossierEvent, Status
from applications.services import dossiers_reassign
from tests.backoffice.conftest import queued, sign_in
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

WORKLOAD = reverse("backoffice_instruction:workload")
REASSIGN = reverse("backoffice_instruction:reassign")


@pytest.fixture
def team(client, supervisor):
    sign_in(client, supervisor)
    anne = StaffFactory(first_name="Anne", last_name="Roux")
    marc = StaffFactory(first_name="Marc", last_name="Petit")
    StaffFactory(role__code="33", first_name="Zoé", last_name="Ailleurs")  # another prefecture
    return anne, marc


def test_the_workload_counts_open_overdue_and_at_risk_files_per_agent(client, team):
    anne, marc = team
    queued(name="Blanc A", assigned_to=anne)
    queued(name="Blanc B", assigned_to=anne, deadline_in=-3)
    queued(name="Blanc C", assigned_to=anne, permit_in=5)
    queued(name="Blanc D", assigned_to=anne, status=Status.CARD_READY)  # still open: the card
    queued(name="Blanc E", assigned_to=anne, status=Status.CARD_DELIVERED)  # closed
    queued(name="Blanc F", assigned_to=marc, status=Status.COMPLEMENTS_REQUESTED, deadline_in=-3,
           clock_paused_on=timezone.localdate())  # paused: not overdue
    queued(name="Blanc G")
    queued(name="Blanc H", department="33", assigned_to=anne)  # never counted here

    response = client.get(WORKLOAD)
    assert response.status_code == 200
    [(prefecture, loads, unassigned)] = response.context["prefectures"]
    assert prefecture.department.code == "69" and unassigned == 1
    figures = {load.membership.user.last_name: (load.open, load.overdue, load.at_risk) for load in loads}
    assert figures["Roux"] == (4, 1, 1)
    assert figures["Petit"] == (1, 0, 0)
    assert "Ailleurs" not in figures
    page = unescape(response.content.decode())
    assert "Réattribuer les dossiers de Anne ROUX" in page


def test_a_supervisor_reassigns_some_files_of_an_agent_to_another(client, team, supervisor):
    anne, marc = team
    first, second, third = (queued(name=f"Blanc {c}", assigned_to=anne) for c in "ABC")

    page = client.get(WORKLOAD, {"agent": anne.pk})
    form = page.context["form"]
    assert set(form.fields["dossiers"].queryset) == {first, second, third}
    assert set(form.fields["to_agent"].queryset) == {marc, supervisor}  # not Anne herself

    response = client.post(REASSIGN, {"from_agent": anne.pk, "dossiers": [first.pk, third.pk], "to_agent": marc.pk},
                           follow=True)
    assert "2 dossiers réattribués à Marc PETIT." in unescape(response.content.decode())
    assigned = dict(Dossier.objects.values_list("reference", "assigned_to"))
    assert assigned[first.reference] == marc.pk and assigned[third.reference] == marc.pk
    assert assigned[second.reference] == anne.pk
    assert DossierEvent.objects.filter(kind="assigned", actor=supervisor).count() == 2


def test_reassignment_needs_files_and_an_agent_and_keeps_to_the_prefecture(client, team):
    anne, marc = team
    mine = queued(name="Blanc A", assigned_to=anne)
    elsewhere = queued(name="Noir B", department="33", assigned_to=anne)
    response = client.post(REASSIGN, {"from_agent": anne.pk})
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert "Cochez au moins un dossier." in page and "Choisissez l'agent qui reprend ces dossiers." in page

    bordeaux_agent = StaffFactory(role__code="33")
    response = client.post(REASSIGN, {"from_agent": anne.pk, "dossiers": [elsewhere.pk],
                                      "to_agent": bordeaux_agent.pk})
    assert response.status_code == 200
    assert Dossier.objects.get(pk=elsewhere.pk).assigned_to == anne
    assert Dossier.objects.get(pk=mine.pk).assigned_to == anne


def test_only_supervisors_reach_supervision(client):
    sign_in(client, StaffFactory(role=Role.AGENT, with_totp=True))
    assert client.get(WORKLOAD).status_code == 403


# --- Reassignment through its service -------------------------------------------------------------

def test_reassignment_moves_only_the_files_still_held_by_the_first_agent(supervisor):
    anne, marc, julie = StaffFactory(last_name="Roux"), StaffFactory(last_name="Petit"), StaffFactory()
    kept, taken_meanwhile = queued(name="Blanc A", assigned_to=anne), queued(name="Blanc B", assigned_to=anne)
    Dossier.objects.filter(pk=taken_meanwhile.pk).update(assigned_to=julie)  # between the page and the post

    done = dossiers_reassign(dossiers=[kept, taken_meanwhile], from_agent=anne, to_agent=marc, by=supervisor)

    assert done.moved == 1
    assert done.refused == [f"{taken_meanwhile.reference} : Ce dossier n'est plus attribué à {anne.get_full_name()}."]
    assert Dossier.objects.get(pk=kept.pk).assigned_to == marc
    assert Dossier.objects.get(pk=taken_meanwhile.pk).assigned_to == julie


def test_reassignment_refuses_files_of_a_prefecture_the_supervisor_does_not_supervise(supervisor):
    anne, marc = StaffFactory(), StaffFactory()
    bordeaux = queued(name="Noir B", department="33", assigned_to=anne)
    done = dossiers_reassign(dossiers=[bordeaux], from_agent=anne, to_agent=marc, by=supervisor)
    assert done.moved == 0
    assert done.refused == [f"{bordeaux.reference} : Ce dossier ne relève pas d'une préfecture que vous encadrez."]
    assert Dossier.objects.get(pk=bordeaux.pk).assigned_to == anne


def test_reassignment_refuses_an_agent_of_another_prefecture_as_the_new_one(supervisor):
    anne = StaffFactory()
    mine = queued(name="Blanc A", assigned_to=anne)
    done = dossiers_reassign(dossiers=[mine], from_agent=anne, to_agent=StaffFactory(role__code="33"), by=supervisor)
    assert done.moved == 0 and "habilité" in done.refused[0]
    assert Dossier.objects.get(pk=mine.pk).assigned_to == anne


@pytest.mark.parametrize("by", [lambda: StaffFactory(role=Role.AGENT),
                                lambda: StaffFactory(supervisor=True, verified=False)],
                         ids=["an_agent", "a_password_only_supervisor"])
def test_only_a_verified_supervisor_reassigns(by):
    anne, marc = StaffFactory(), StaffFactory()
    mine = queued(name="Blanc A", assigned_to=anne)
    with pytest.raises(PermissionDenied) as refusal:
        dossiers_reassign(dossiers=[mine], from_agent=anne, to_agent=marc, by=by())
    assert str(refusal.value) == "Seul un chef de bureau peut réattribuer des dossiers."
    assert Dossier.objects.get(pk=mine.pk).assigned_to == anne
