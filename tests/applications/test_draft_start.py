"""Starting a request: the draft's first state, and a draft already sent refusing changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from applications import steps
from applications.models import DossierEvent, Status
from applications.services import draft_save_step, draft_start
from territory.models import Department
from tests.factories import DossierFactory, UserFactory, procedure

pytestmark = pytest.mark.django_db


def test_a_new_draft_starts_at_the_first_step_with_the_persons_prefecture_and_says_so():
    person = UserFactory(department=Department.objects.get(code="69"))
    salaried = procedure("renouvellement-salarie")

    dossier, created = draft_start(applicant=person, procedure=salaried)

    assert created
    assert dossier.status == Status.DRAFT and dossier.current_step == steps.steps_for(salaried)[0]
    assert dossier.prefecture == person.competent_prefecture and dossier.prefecture is not None
    event = DossierEvent.objects.get(dossier=dossier)
    assert (event.kind, event.to_status, event.actor) == (DossierEvent.Kind.CREATED, Status.DRAFT, person)
    assert draft_start(applicant=person, procedure=salaried) == (dossier, False)  # the same draft again


def test_a_request_already_sent_refuses_a_step_with_its_message():
    sent = DossierFactory(status=Status.SUBMITTED)

    with pytest.raises(ValidationError) as refusal:
        draft_save_step(dossier=sent, step="situation", data={}, by=sent.applicant)

    assert refusal.value.messages == ["Cette demande est déjà envoyée : elle ne peut plus être modifiée ainsi."]


@pytest.mark.parametrize(("code", "first_step", "family"), [
    ("duplicata-perte-vol", "identity", "duplicate"),  # no eligibility questions: straight to the identity
    ("changement-adresse", "identity", "update"),
    ("renouvellement-salarie", "eligibility", "renewal"),
])
def test_a_new_draft_starts_at_its_procedures_own_first_step_in_its_family(code, first_step, family):
    dossier, _ = draft_start(applicant=UserFactory(), procedure=procedure(code))

    dossier.refresh_from_db()
    assert (dossier.current_step, dossier.family) == (first_step, family)
