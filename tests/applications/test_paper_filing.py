"""Paper filing in applications (``dossier_register_paper``): what the desk must enter and what it is
refused, independent of the substitution flow that calls it."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications.models import DocumentType, Dossier, DossierEvent, Status
from applications.services import PaperIdentity, dossier_register_paper
from documents.models import IssuedDocument
from tests.factories import DossierFactory, StaffFactory, UserFactory, prefecture, procedure, tax_stamp

pytestmark = pytest.mark.django_db

IDENTITY = PaperIdentity(last_name="Diallo", first_name="Awa", birth_date=date(1988, 1, 9),
                         identity_document="residence_permit")


def register(**overrides):
    values = {"applicant": UserFactory(), "procedure": procedure("premiere-demande-salarie"),
              "prefecture": prefecture("69"), "by": StaffFactory(), "identity": IDENTITY, **overrides}
    return dossier_register_paper(**values)


def test_the_clock_starts_on_the_day_the_file_was_received():
    received = timezone.localdate() - timedelta(days=3)
    dossier = register(received_on=received)
    assert dossier.legal_deadline == received + timedelta(days=settings.LEGAL_TARGET_DAYS_FIRST)
    assert dossier.answers["paper"]["received_on"] == received.isoformat()


def test_a_paper_file_has_no_e_photo_code():
    dossier = register()
    assert (dossier.status, dossier.ephoto_code) == ("submitted", "")


def test_only_an_agent_of_the_prefecture_registers_a_paper_file():
    with pytest.raises(PermissionDenied):
        register(by=StaffFactory(role__code="33"))
    with pytest.raises(PermissionDenied):
        register(by=StaffFactory(verified=False))
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"received_on": date(2999, 1, 1)}, "received_on"),
    ({"tax_stamp_number": "1234"}, "tax_stamp_number"),
    ({"identity": PaperIdentity(last_name="", first_name="Awa", birth_date=None, identity_document="passport")},
     "last_name"),
    ({"identity": PaperIdentity(last_name="Diallo", first_name="Awa", birth_date=None,
                                identity_document="passport")}, "birth_date"),
])
def test_what_the_desk_must_enter(overrides, field):
    with pytest.raises(ValidationError) as refusal:
        register(**overrides)
    assert field in refusal.value.error_dict
    assert not Dossier.objects.exists()


def test_only_pieces_the_procedure_asks_for_are_listed():
    chosen = procedure("premiere-demande-salarie")
    other = DocumentType.objects.exclude(pk__in=chosen.requirements.values("document_type")).first()
    with pytest.raises(ValidationError) as refusal:
        register(procedure=chosen, pieces=[other])
    assert "pieces" in refusal.value.error_dict


def test_a_tax_stamp_serves_once_on_paper_too():
    stamp = tax_stamp()
    DossierFactory(filed=True, tax_stamp_number=stamp)
    with pytest.raises(ValidationError) as refusal:
        register(tax_stamp_number=stamp)
    assert "tax_stamp_number" in refusal.value.error_dict
    assert register(tax_stamp_number="").tax_stamp_number == ""


def test_the_timeline_says_who_filed_on_paper_for_whom_and_which_receipt_was_issued():
    applicant, agent = UserFactory(), StaffFactory()
    chosen = procedure("premiere-demande-salarie")
    piece = chosen.requirements.order_by("position").first().document_type
    received = timezone.localdate() - timedelta(days=2)

    dossier = register(applicant=applicant, by=agent, procedure=chosen, pieces=[piece], received_on=received)

    filed = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.SUBMITTED)
    assert (filed.actor, filed.on_behalf_of, filed.from_status, filed.to_status) == (
        agent, applicant, Status.DRAFT, Status.SUBMITTED)
    assert filed.data == {"on_time": None, "channel": "paper", "agent": str(agent),
                          "received_on": received.isoformat()}
    receipt = IssuedDocument.objects.get(subject_id=str(dossier.pk), kind="filing_receipt")
    assert (receipt.context["documents"], receipt.context["channel"], receipt.context["on_time"]) == (
        [piece.name], "paper", None)
    issued = DossierEvent.objects.get(dossier=dossier, kind=DossierEvent.Kind.RECEIPT_ISSUED)
    assert issued.data == {"document": receipt.pk, "number": receipt.number}
