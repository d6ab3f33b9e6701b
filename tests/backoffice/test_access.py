"""Who reaches the instruction back-office, and what an agent of one prefecture can see of another."""

import pytest
from django.urls import reverse

from accounts.models import Role
from applications.models import Dossier, Status
from documents.models import IssuedDocument
from documents.services import document_render
from tests.backoffice.conftest import file_renewal, listed, queued, sign_in
from tests.factories import PASSWORD, StaffFactory, UserFactory, prefecture, procedure

pytestmark = pytest.mark.django_db

QUEUE = reverse("backoffice_instruction:queue")
WORKLOAD = reverse("backoffice_instruction:workload")

#: Every action URL of a file, with a POST body that would be valid if the person were allowed.
ACTIONS = {
    "take": {},
    "assign": {"assign-agent": ""},
    "complete": {},
    "complements": {"complements-message": "Le passeport est illisible.", "complements-due_on": "2099-01-01"},
    "biometrics": {},
    "decide": {"decision-outcome": "closed_without_action", "decision-reasons": "Doublon."},
    "card": {"to": "card_in_production"},
    "extension": {"extension-reason": "Hospitalisation."},
}


@pytest.fixture
def bordeaux_dossier():
    return file_renewal(department="33", last_name="Girard", first_name="Chloé", foreigner_number="3333333333")


def test_an_agent_of_lyon_can_neither_see_nor_act_on_a_file_of_bordeaux(agent_client, bordeaux_dossier):
    dossier = bordeaux_dossier
    lyon_dossier = queued(name="Petit Louis")
    attachment = dossier.attachments.first()
    receipt = IssuedDocument.objects.get(subject_type="applications.dossier", subject_id=str(dossier.pk))

    assert listed(agent_client.get(QUEUE)) == [lyon_dossier.reference]
    for query in (dossier.reference, "Girard", "3333333333"):
        assert listed(agent_client.get(QUEUE, {"q": query})) == []

    assert agent_client.get(reverse("backoffice_instruction:dossier", args=[dossier.pk])).status_code == 404
    assert agent_client.get(reverse("backoffice_instruction:journal", args=[dossier.pk])).status_code == 404
    assert agent_client.get(
        reverse("backoffice_instruction:attachment", args=[dossier.pk, attachment.pk])).status_code == 404
    # Nor through a file of their own prefecture.
    assert agent_client.get(
        reverse("backoffice_instruction:attachment", args=[lyon_dossier.pk, attachment.pk])).status_code == 404
    assert agent_client.get(reverse("documents:download", args=[receipt.pk])).status_code == 404

    for name, data in ACTIONS.items():
        response = agent_client.post(reverse(f"backoffice_instruction:{name}", args=[dossier.pk]), data)
        assert response.status_code == 404, name
    response = agent_client.post(
        reverse("backoffice_instruction:attachment_review", args=[dossier.pk, attachment.pk]),
        {f"att{attachment.pk}-decision": "accept"},
    )
    assert response.status_code == 404
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED and dossier.assigned_to is None
    assert dossier.attachments.filter(review="pending").count() == dossier.attachments.count()


def test_the_agents_of_the_prefecture_see_the_file_its_pieces_and_its_documents(client, bordeaux_dossier):
    agent = StaffFactory(role__code="33", with_totp=True)
    sign_in(client, agent)
    dossier = bordeaux_dossier
    attachment = dossier.attachments.first()
    receipt = IssuedDocument.objects.get(subject_type="applications.dossier", subject_id=str(dossier.pk))

    assert listed(client.get(QUEUE)) == [dossier.reference]
    assert client.get(reverse("backoffice_instruction:dossier", args=[dossier.pk])).status_code == 200
    assert client.get(reverse("backoffice_instruction:journal", args=[dossier.pk])).status_code == 200
    assert client.get(reverse("backoffice_instruction:attachment", args=[dossier.pk, attachment.pk])).status_code == 200
    # Its worker runs after a commit, which this test never makes: 202 "being prepared", then the PDF.
    download = reverse("documents:download", args=[receipt.pk])
    assert client.get(download).status_code == 202
    document_render(document=receipt)
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_drafts_never_reach_the_back_office(agent_client):
    draft = Dossier.objects.create(applicant=UserFactory(), procedure=procedure(), prefecture=prefecture("69"))
    assert agent_client.get(reverse("backoffice_instruction:dossier", args=[draft.pk])).status_code == 404


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.SUPPORT])
def test_staff_who_do_not_instruct_are_refused(client, role):
    dossier = queued()
    sign_in(client, StaffFactory(role=role, with_totp=True))
    assert client.get(reverse("backoffice:home")).status_code == 200  # their own back-office home
    for url in (QUEUE, WORKLOAD, reverse("backoffice_instruction:dossier", args=[dossier.pk]),
                reverse("backoffice_instruction:journal", args=[dossier.pk])):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("backoffice_instruction:take", args=[dossier.pk])).status_code == 403
    assert client.post(reverse("backoffice_instruction:reassign")).status_code == 403


def test_an_agent_who_is_not_a_supervisor_cannot_open_the_supervision_page(agent_client):
    assert agent_client.get(WORKLOAD).status_code == 403
    assert agent_client.post(reverse("backoffice_instruction:reassign"), {"from_agent": "1"}).status_code == 403


def test_applicants_are_refused(client):
    dossier = queued()
    client.force_login(dossier.applicant)
    for url in (QUEUE, reverse("backoffice_instruction:dossier", args=[dossier.pk])):
        assert client.get(url).status_code == 403
    assert client.post(reverse("backoffice_instruction:take", args=[dossier.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    dossier = queued()
    for url in (QUEUE, reverse("backoffice_instruction:dossier", args=[dossier.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_without_a_verified_second_factor_are_sent_to_the_code_page(client, instructor):
    dossier = queued()
    client.post(reverse("accounts:login"), {"username": instructor.email, "password": PASSWORD})
    for url in (QUEUE, reverse("backoffice_instruction:dossier", args=[dossier.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:totp_verify"))
    response = client.post(reverse("backoffice_instruction:take", args=[dossier.pk]))
    assert response["Location"].startswith(reverse("accounts:totp_verify"))
    dossier.refresh_from_db()
    assert dossier.assigned_to is None


def test_the_preview_is_sandboxed_and_may_be_framed_by_the_portal_only(agent_client):
    dossier = file_renewal()
    attachment = dossier.attachments.first()
    response = agent_client.get(reverse("backoffice_instruction:attachment", args=[dossier.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "frame-ancestors 'self'" in policy and "script-src" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Disposition"].startswith("inline")
    b"".join(response.streaming_content)

    page = agent_client.get(reverse("backoffice_instruction:dossier", args=[dossier.pk]))
    assert "frame-src 'self'" in page["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"
    # The rest of the site is not framable, and frames nothing.
    queue = agent_client.get(QUEUE)
    assert "frame-src" not in queue["Content-Security-Policy"]
