"""Acting on someone's behalf (issue 12, item 3): a mediator sees a person's files only under a
mandate in force, only what it covers, never judges them, and everything done for the person is
recorded as such, in their timeline and in the audit log, with both names."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.mandates import ASSISTED_SESSION_KEY
from accounts.models import AuditEvent, Mandate
from accounts.services import mandate_consent_code_issue, mandate_grant_by_code, mandate_revoke
from applications.models import DossierEvent, Status
from applications.services import draft_save_step
from documents.models import IssuedDocument
from documents.services import document_render
from tests.applications.helpers import IDENTITY, pdf_file, renewable_permit, situation
from tests.backoffice.conftest import EPHOTO, RENEWAL, file_renewal, sign_in
from tests.factories import PASSWORD, DossierFactory, StaffFactory, UserFactory, prefecture, tax_stamp

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return prefecture("69").sites.first()


@pytest.fixture
def mediator(site):
    return StaffFactory(mediator=True, role__site=site, with_totp=True, first_name="Claire",
                        last_name="Médiatrice")


@pytest.fixture
def person():
    user = UserFactory(without_email=True, first_name="Amina", last_name="Diallo")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def filed(person):
    return file_renewal(applicant=person)


@pytest.fixture
def mediator_client(client, mediator):
    return sign_in(client, mediator)


def grant(person, mediator, site, **options):
    code = mandate_consent_code_issue(person=person)
    return mandate_grant_by_code(by=mediator, site=site, login_id=person.login_id, code=code, **options)


def act_for(client, mandate):
    response = client.post(reverse("backoffice:assisted_session_start", args=[mandate.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("applications:dashboard")


def person_urls(dossier) -> list[tuple[str, str]]:
    attachment = dossier.attachments.first()
    receipt = IssuedDocument.objects.filter(holder=dossier.applicant).first()
    return [
        ("get", reverse("applications:dossier", args=[dossier.pk])),
        ("get", reverse("applications:step", args=[dossier.pk, "identity"])),
        ("get", reverse("applications:attachment", args=[dossier.pk, attachment.pk])),
        ("post", reverse("applications:upload", args=[dossier.pk, attachment.document_type_id])),
        ("get", reverse("applications:withdraw", args=[dossier.pk])),
        ("get", reverse("applications:amend", args=[dossier.pk, "situation", "phone"])),
        ("post", reverse("applications:complements", args=[dossier.pk])),
        ("get", reverse("documents:download", args=[receipt.pk])),
    ]


def assert_refused_everywhere(client, dossier):
    for method, url in person_urls(dossier):
        assert getattr(client, method)(url).status_code == 404, url
    html = client.get(reverse("applications:dashboard")).content.decode()
    assert dossier.reference not in html


# --- Without a mandate in force: nothing -----------------------------------------------------------

def test_a_mediator_without_a_mandate_is_refused_everywhere(mediator_client, filed):
    assert_refused_everywhere(mediator_client, filed)


def test_a_mediator_cannot_act_under_someone_elses_mandate(mediator_client, person, site, filed):
    colleague = StaffFactory(mediator=True, role__site=site, with_totp=True)
    mandate = grant(person, colleague, site)  # to the colleague by name
    assert mediator_client.post(reverse("backoffice:assisted_session_start", args=[mandate.pk])).status_code == 404
    assert ASSISTED_SESSION_KEY not in mediator_client.session
    assert_refused_everywhere(mediator_client, filed)


@pytest.mark.parametrize("end", ["expired", "revoked"])
def test_an_ended_mandate_ends_the_session_and_refuses_everywhere(mediator_client, mediator, person, site, filed,
                                                                  end):
    mandate = grant(person, mediator, site)
    act_for(mediator_client, mandate)
    assert filed.reference in mediator_client.get(reverse("applications:dashboard")).content.decode()
    if end == "expired":
        Mandate.objects.filter(pk=mandate.pk).update(created_at=timezone.now() - timedelta(days=31),
                                                     expires_at=timezone.now() - timedelta(seconds=1))
    else:
        mandate_revoke(mandate=mandate, by=person)
    response = mediator_client.get(reverse("applications:dossier", args=[filed.pk]), follow=True)
    assert response.redirect_chain[0][1] == 302
    assert response.request["PATH_INFO"] == reverse("backoffice:mandates")
    assert "plus valable" in response.content.decode()
    assert ASSISTED_SESSION_KEY not in mediator_client.session
    assert_refused_everywhere(mediator_client, filed)
    assert mediator_client.post(reverse("backoffice:assisted_session_start", args=[mandate.pk])).status_code == 404


def test_a_dossier_mandate_covers_that_dossier_alone(mediator_client, mediator, person, site, filed):
    other = DossierFactory(applicant=person, filed=True)
    mandate = grant(person, mediator, site, scope="dossier", dossier_reference=filed.reference)
    act_for(mediator_client, mandate)
    assert mediator_client.get(reverse("applications:dossier", args=[filed.pk])).status_code == 200
    assert mediator_client.get(reverse("applications:dossier", args=[other.pk])).status_code == 404
    assert mediator_client.post(reverse("applications:start", args=[RENEWAL])).status_code == 404
    assert other.reference not in mediator_client.get(reverse("applications:dashboard")).content.decode()


def test_a_mediator_never_sees_other_peoples_files_during_a_session(mediator_client, mediator, person, site):
    stranger_file = file_renewal(last_name="Martin", first_name="Alice")
    act_for(mediator_client, grant(person, mediator, site))
    assert_refused_everywhere(mediator_client, stranger_file)


def test_a_mediator_never_judges_completeness(mediator_client, mediator, person, site, filed):
    act_for(mediator_client, grant(person, mediator, site))
    assert mediator_client.get(reverse("backoffice_instruction:dossier", args=[filed.pk])).status_code in (403, 404)
    assert mediator_client.post(reverse("backoffice_instruction:queue")).status_code in (403, 405)


def test_a_mediator_does_not_withdraw_a_request(mediator_client, mediator, person, site, filed):
    act_for(mediator_client, grant(person, mediator, site))
    response = mediator_client.post(reverse("applications:withdraw", args=[filed.pk]), {"reason": "x", "confirm": "on"})
    assert response.status_code == 403
    filed.refresh_from_db()
    assert filed.status == Status.SUBMITTED


def test_the_person_cannot_be_managed_by_the_mediator(mediator_client, mediator, person, site):
    act_for(mediator_client, grant(person, mediator, site))
    assert mediator_client.get(reverse("accounts:mandates")).status_code == 403


# --- Under a mandate: the work, recorded as done on the person's behalf -------------------------------

def test_a_renewal_filed_on_behalf_shows_both_names_in_the_timeline_and_the_audit_log(
        client, mediator_client, mediator, person, site):
    permit = renewable_permit(person, 90)
    mandate = grant(person, mediator, site)
    act_for(mediator_client, mandate)
    html = mediator_client.get(reverse("applications:dashboard")).content.decode()
    assert "Vous agissez pour le compte de Amina DIALLO" in html and "Terminer" in html

    response = mediator_client.post(reverse("applications:start", args=[RENEWAL]))
    dossier = person.dossiers.get()
    assert response.status_code == 302
    for step, data in (("eligibility", {"titre_meme_motif": "yes"}), ("identity", IDENTITY),
                       ("situation", situation(permit)), ("questions", {"employeur": "ACME", "type_contrat": "CDI"})):
        draft_save_step(dossier=dossier, step=step, data=data, by=mediator)
    for requirement in dossier.procedure.requirements.all():
        response = mediator_client.post(
            reverse("applications:upload", args=[dossier.pk, requirement.document_type_id]),
            {f"t{requirement.document_type_id}-file": pdf_file()})
        assert response.status_code == 302
    response = mediator_client.post(reverse("applications:step", args=[dossier.pk, "review"]), {
        "certify": "on", "tax_stamp_number": tax_stamp(), "ephoto_code": EPHOTO})
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED

    submitted = dossier.events.get(kind=DossierEvent.Kind.SUBMITTED)
    assert submitted.actor == mediator and submitted.on_behalf_of == person
    assert submitted.data["on_behalf"]["mediator"] == "Claire MÉDIATRICE"
    assert dossier.events.get(kind=DossierEvent.Kind.CREATED).on_behalf_of == person
    audit = AuditEvent.objects.get(action="dossier.submitted")
    assert audit.actor == mediator and audit.on_behalf_of == person
    assert audit.data["on_behalf"]["mediator"] == "Claire MÉDIATRICE"
    assert audit.data["on_behalf"]["person"] == "Amina DIALLO"

    receipt = document_render(document=IssuedDocument.objects.get(holder=person, kind="filing_receipt"))
    response = mediator_client.get(reverse("documents:download", args=[receipt.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    printed = AuditEvent.objects.get(action="document.printed_on_behalf")
    assert printed.actor == mediator and printed.on_behalf_of == person

    client.force_login(person)  # the person, later, in their own space
    html = client.get(reverse("applications:dossier", args=[dossier.pk])).content.decode()
    assert f"fait par Claire MÉDIATRICE, médiateur au PAN de {site.city}" in html

    agent_client = sign_in(Client(), StaffFactory(with_totp=True))  # the prefecture sees it too
    html = agent_client.get(reverse("backoffice_instruction:dossier", args=[dossier.pk])).content.decode()
    assert f"médiateur au PAN de {site.city}" in html and "pour le compte de Amina DIALLO" in html


def test_the_audit_journal_names_the_mediator_and_the_person():
    from applications.presenters import audit_details

    rows = audit_details({"on_behalf": {"mediator": "Claire MÉDIATRICE", "site_city": "Lyon",
                                        "person": "Amina DIALLO", "mandate": 3}})
    assert rows == [("Sous mandat", "fait par Claire MÉDIATRICE, médiateur au PAN de Lyon, pour le compte de "
                                    "Amina DIALLO")]
