"""The admin lists issued documents read-only and revokes them through the service."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Role
from documents.models import DocumentStatus
from tests.factories import PASSWORD, StaffFactory, totp_code

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:documents_issueddocument_changelist")


@pytest.fixture
def admin_client(client):
    administrator = StaffFactory(role=Role.ADMINISTRATOR, with_totp=True)
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    client.post(reverse("accounts:login"), {"username": administrator.email, "password": PASSWORD})
    client.post(reverse("accounts:totp_verify"), {"code": totp_code()})
    client.administrator = administrator
    return client


def test_documents_are_found_by_printed_code_and_holder_email(admin_client, holder, issue_receipt):
    document = issue_receipt(holder)
    other = issue_receipt(holder)

    by_code = admin_client.get(CHANGELIST, {"q": document.verification_code_display.lower()})
    by_email = admin_client.get(CHANGELIST, {"q": holder.email})

    assert document.number in by_code.content.decode()
    assert other.number not in by_code.content.decode()
    assert other.number in by_email.content.decode()
    detail = admin_client.get(reverse("admin:documents_issueddocument_change", args=[document.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # read-only


def test_the_revoke_action_goes_through_the_service(admin_client, holder, issue_receipt):
    document = issue_receipt(holder)

    admin_client.post(CHANGELIST, {"action": "revoke", "_selected_action": [document.pk]})

    document.refresh_from_db()
    assert document.status == DocumentStatus.REVOKED
    assert AuditEvent.objects.filter(
        action="document.revoked", object_id=str(document.pk), actor=admin_client.administrator
    ).exists()
