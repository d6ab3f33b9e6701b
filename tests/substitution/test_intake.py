"""Paper intake at the desk (issue 11, item 6): the paper file becomes an ordinary dossier with
channel "paper", its receipt issued at once, the report closed as filed on paper."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from applications.models import DocumentType, Dossier, DossierEvent, Procedure
from applications.services import PaperIdentity
from applications.services.certificates import extension_certificates_sweep
from appointments.models import Booking
from documents.models import IssuedDocument
from documents.selectors import document_verify_code
from substitution import services
from substitution.models import BlockingReport, Invitation, ReportEvent
from tests.factories import (
    BlockingReportFactory,
    InvitationFactory,
    PermitFactory,
    StaffFactory,
    UserFactory,
    procedure,
)

pytestmark = pytest.mark.django_db

FIRST = "premiere-demande-salarie"
RENEWAL = "renouvellement-salarie"


@pytest.fixture
def agent(db):
    """An agent of the Rhône (69), the reports' prefecture, at the paper-filing desk."""
    return StaffFactory(with_totp=True, first_name="Jeanne", last_name="Martin")


def paper_file(code: str = FIRST, **overrides) -> services.PaperFile:
    chosen = procedure(code)
    values = {
        "identity": PaperIdentity(last_name="Traoré", first_name="Moussa", birth_date=date(1990, 4, 2),
                                  identity_document="passport", birth_place="Bamako (Mali)", nationality="malienne"),
        "procedure": chosen,
        "pieces": list(DocumentType.objects.filter(pk__in=chosen.requirements.values("document_type"))[:2]),
        **overrides,
    }
    return services.PaperFile(**values)


def test_intake_files_a_paper_dossier_with_its_receipt_and_closes_the_report(agent, client):
    invitation = InvitationFactory(report__with_account=True)
    report, person = invitation.report, invitation.report.person

    intake = services.paper_intake_register(invitation=invitation, by=agent, paper=paper_file())

    dossier = Dossier.objects.get(applicant=person)
    assert intake.dossier == dossier
    assert dossier.channel == "paper"
    assert dossier.status == "submitted"
    assert dossier.prefecture == report.prefecture
    assert dossier.reference.startswith(f"{timezone.localdate():%Y}-69-")
    # The legal clock as for an online filing: 90 days for a first request, from the day received.
    assert dossier.legal_deadline == timezone.localdate() + timedelta(days=settings.LEGAL_TARGET_DAYS_FIRST)
    assert dossier.priority == 2  # in the prefecture's queue
    assert dossier.answers["paper"]["identity_document"] == "passport"
    # The receipt, issued at once, lists the pieces received and is verifiable.
    receipt = IssuedDocument.objects.get(kind="filing_receipt", subject_id=str(dossier.pk))
    assert intake.receipt == receipt
    assert receipt.holder == person
    assert receipt.context["channel"] == "paper"
    assert len(receipt.context["documents"]) == 2
    assert document_verify_code(code=receipt.verification_code) == receipt
    submitted = DossierEvent.objects.get(dossier=dossier, kind="submitted")
    assert submitted.actor == agent and submitted.on_behalf_of == person
    assert submitted.data["channel"] == "paper" and submitted.data["agent"] == str(agent)
    # The report and its convocation.
    report.refresh_from_db()
    invitation.refresh_from_db()
    assert report.status == "filed_on_paper"
    assert report.dossier == dossier
    assert invitation.status == Invitation.Status.HONOURED
    assert invitation.booking.status == Booking.Status.DONE
    event = ReportEvent.objects.get(report=report, kind="filed_on_paper")
    assert event.actor == agent and event.text == dossier.reference
    assert AuditEvent.objects.filter(action="report.filed_on_paper", actor=agent).count() == 1
    # The person sees it in their space like any other request, with who registered it.
    client.force_login(person)
    space = client.get(reverse("applications:dashboard"))
    assert dossier.reference in space.content.decode()
    page = client.get(reverse("applications:dossier", args=[dossier.pk])).content.decode()
    assert "déposé au guichet sur papier par Jeanne" in page


def test_a_person_without_an_account_gets_one_and_follows_the_report_in_it(agent):
    invitation = InvitationFactory()
    report = invitation.report
    assert report.person is None

    intake = services.paper_intake_register(invitation=invitation, by=agent, paper=paper_file())

    report.refresh_from_db()
    person = intake.dossier.applicant
    assert report.person == person
    assert (person.first_name, person.last_name, person.birth_date) == ("Moussa", "Traoré", date(1990, 4, 2))
    assert person.phone == report.phone


def test_an_agent_of_another_prefecture_cannot_register_nor_see_it(agent, staff_client):
    invitation = InvitationFactory()
    other = StaffFactory(with_totp=True, role__code="33")
    with pytest.raises(PermissionDenied):
        services.paper_intake_register(invitation=invitation, by=other, paper=paper_file())
    client = staff_client(other)
    assert client.get(reverse("substitution_backoffice:intake", args=[invitation.pk])).status_code == 404
    assert client.post(reverse("substitution_backoffice:intake", args=[invitation.pk]),
                       {"procedure": procedure(FIRST).pk}).status_code == 404
    assert not Dossier.objects.exists()


def test_a_ccc_agent_cannot_register_a_paper_file(ccc, staff_client):
    invitation = InvitationFactory()
    with pytest.raises(PermissionDenied):
        services.paper_intake_register(invitation=invitation, by=ccc, paper=paper_file())
    response = staff_client(ccc).get(reverse("substitution_backoffice:intake", args=[invitation.pk]))
    assert response.status_code == 403
    assert "Seuls les agents de la préfecture compétente" in response.content.decode()


@pytest.mark.parametrize("status", ["missed", "replaced", "cancelled"])
def test_only_a_scheduled_invitation_takes_a_paper_file(agent, status):
    invitation = InvitationFactory(status=status)
    with pytest.raises(ValidationError) as refusal:
        services.paper_intake_register(invitation=invitation, by=agent, paper=paper_file())
    assert refusal.value.code == "not_scheduled"
    assert not Dossier.objects.exists()


def test_one_dossier_per_report_a_second_attempt_fails_cleanly(agent):
    invitation = InvitationFactory(report__with_account=True)
    services.paper_intake_register(invitation=invitation, by=agent, paper=paper_file())
    with pytest.raises(ValidationError) as refusal:
        services.paper_intake_register(invitation=invitation, by=agent, paper=paper_file())
    assert refusal.value.code == "already_filed"
    assert Dossier.objects.count() == 1
    assert ReportEvent.objects.filter(kind="filed_on_paper").count() == 1


def test_a_report_not_invited_is_refused_by_the_transition_table(agent):
    invitation = InvitationFactory(report__status="unresolved")
    with pytest.raises(ValidationError):
        services.paper_intake_register(invitation=invitation, by=agent, paper=paper_file())
    assert not Dossier.objects.exists()


def test_the_desk_cannot_register_before_the_day_of_the_convocation(agent):
    invitation = InvitationFactory(day_offset=1)
    with pytest.raises(ValidationError) as refusal:
        services.paper_intake_register(invitation=invitation, by=agent, paper=paper_file())
    assert refusal.value.code == "booking"
    assert not Dossier.objects.exists()


def test_the_identity_document_checked_is_required(agent):
    invitation = InvitationFactory()
    identity = PaperIdentity(last_name="Traoré", first_name="Moussa", birth_date=date(1990, 4, 2),
                             identity_document="")
    with pytest.raises(ValidationError) as refusal:
        services.paper_intake_register(invitation=invitation, by=agent, paper=paper_file(identity=identity))
    assert "identity_document" in refusal.value.error_dict


def test_a_renewal_needs_the_permit_renewed(agent):
    invitation = InvitationFactory(report__with_account=True)
    with pytest.raises(ValidationError) as refusal:
        services.paper_intake_register(invitation=invitation, by=agent, paper=paper_file(RENEWAL))
    assert "renewed_permit" in refusal.value.error_dict


def test_a_paper_renewal_gets_the_extension_certificate_from_the_nightly_sweep(agent):
    person = UserFactory()
    invitation = InvitationFactory(report=BlockingReportFactory(with_account=True, person=person, status="invited"))
    expires = timezone.localdate() + timedelta(days=90)  # inside the renewal window (120 to 60 days)
    permit = PermitFactory(holder=person, valid_until=expires)

    intake = services.paper_intake_register(invitation=invitation, by=agent,
                                            paper=paper_file(RENEWAL, renewed_permit=permit))

    dossier = intake.dossier
    assert dossier.filed_on_time is True
    assert dossier.permit_expires_on == expires
    assert dossier.legal_deadline == timezone.localdate() + timedelta(days=settings.LEGAL_TARGET_DAYS_RENEWAL)
    # The night before the permit ends, still undecided: the sweep issues the certificate.
    issued = extension_certificates_sweep(today=expires - timedelta(days=1))
    assert issued == 1
    certificate = IssuedDocument.objects.get(kind="extension_certificate", subject_id=str(dossier.pk))
    assert certificate.holder == person


def test_a_renewal_blocked_online_in_time_is_on_time_on_paper(agent):
    """The person reported while the window was open; the paper file comes after it closed."""
    person = UserFactory()
    report = BlockingReportFactory(with_account=True, person=person, status="invited",
                                   opened_at=timezone.now() - timedelta(days=30))
    invitation = InvitationFactory(report=report)
    permit = PermitFactory(holder=person, valid_until=timezone.localdate() + timedelta(days=50))  # closed today

    intake = services.paper_intake_register(invitation=invitation, by=agent,
                                            paper=paper_file(RENEWAL, renewed_permit=permit))

    assert intake.dossier.filed_on_time is True


def test_a_renewal_permit_read_at_the_desk_is_recorded_for_the_person(agent):
    invitation = InvitationFactory()
    read = services.PermitRead(number="ts1234567", category="salarie", valid_from=timezone.localdate() - timedelta(
        days=300), valid_until=timezone.localdate() + timedelta(days=80), allows_work=True)

    intake = services.paper_intake_register(invitation=invitation, by=agent, paper=paper_file(RENEWAL, permit=read))

    permit = intake.dossier.renewed_permit
    assert (permit.number, permit.holder, permit.allows_work) == ("TS1234567", intake.dossier.applicant, True)


def test_the_report_page_and_the_desk_day_offer_the_intake_to_the_prefecture_agent(agent, ccc, staff_client):
    invitation = InvitationFactory()
    report = invitation.report
    url = reverse("substitution_backoffice:intake", args=[invitation.pk])
    client = staff_client(agent)
    assert url in client.get(reverse("substitution_backoffice:detail", args=[report.reference])).content.decode()
    slot = invitation.booking.slot
    day = reverse("appointments_backoffice:day", args=[slot.desk_id, timezone.localdate(slot.starts_at)])
    assert url in client.get(day).content.decode()
    # The CCC sees the report, not the button.
    ccc_page = staff_client(ccc).get(reverse("substitution_backoffice:detail", args=[report.reference]))
    assert url not in ccc_page.content.decode()


def test_the_desk_form_registers_the_file_and_shows_the_receipt_to_print(agent, staff_client):
    invitation = InvitationFactory(report__with_account=True, report__procedure=procedure(FIRST))
    client = staff_client(agent)
    url = reverse("substitution_backoffice:intake", args=[invitation.pk])
    page = client.get(url)
    assert page.status_code == 200
    piece = page.context["form"].fields["pieces"].queryset.first()
    response = client.post(url, {
        "procedure": procedure(FIRST).pk, "identity_document": "passport", "last_name": "Traoré",
        "first_name": "Moussa", "birth_date": "1990-04-02", "pieces": [piece.pk],
        "received_on": timezone.localdate().isoformat(),
    })
    assert response.status_code == 302
    done = client.get(response["Location"])
    receipt = IssuedDocument.objects.get(kind="filing_receipt")
    assert reverse("documents:download", args=[receipt.pk]) in done.content.decode()
    # The receipt opens for the agent (access-checked); rendered by a worker, eagerly in tests.
    assert client.get(reverse("documents:download", args=[receipt.pk])).status_code in (200, 202)
    assert BlockingReport.objects.get().status == "filed_on_paper"
    # Back on the form: already registered, to the receipt.
    assert client.get(url)["Location"] == response["Location"]


def test_the_desk_form_shows_the_services_refusal_next_to_the_field(agent, staff_client):
    invitation = InvitationFactory(report__with_account=True, report__procedure=procedure(RENEWAL))
    client = staff_client(agent)
    response = client.post(reverse("substitution_backoffice:intake", args=[invitation.pk]), {
        "procedure": procedure(RENEWAL).pk, "identity_document": "passport", "last_name": "Traoré",
        "first_name": "Moussa", "birth_date": "1990-04-02", "received_on": timezone.localdate().isoformat(),
        "permit_number": "TS1", "permit_category": "salarie",
        "permit_valid_from": (timezone.localdate() - timedelta(days=300)).isoformat(),
        "permit_valid_until": (timezone.localdate() + timedelta(days=300)).isoformat(),  # window not open yet
    })
    assert response.status_code == 400
    assert "pourra être déposé à partir du" in response.content.decode()
    assert not Dossier.objects.exists()
    assert Procedure.objects.filter(code=RENEWAL).exists()
