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


# --- The permit a paper renewal renews, read on the card at the desk -----------------------------

def record_permit(**overrides):
    from applications.services import permit_record_for_paper

    values = {"holder": UserFactory(), "by": StaffFactory(), "prefecture": prefecture("69"), "number": " ts12345 ",
              "category": "salarie", "valid_from": date(2024, 5, 1), "valid_until": date(2027, 4, 30),
              "allows_work": True, **overrides}
    return permit_record_for_paper(**values)


def test_the_permit_read_on_the_card_is_recorded_for_its_holder_and_audited_on_their_behalf():
    from accounts.models import AuditEvent

    holder, agent = UserFactory(), StaffFactory()
    permit = record_permit(holder=holder, by=agent)

    assert (permit.holder, permit.number, permit.category) == (holder, "TS12345", "salarie")
    assert (permit.valid_from, permit.valid_until, permit.allows_work) == (date(2024, 5, 1), date(2027, 4, 30), True)
    event = AuditEvent.objects.get(action="permit.recorded_at_desk")
    assert (event.actor, event.on_behalf_of) == (agent, holder)
    assert event.data == {"number": "TS12345", "valid_until": "2027-04-30"}


def test_the_holders_own_permit_of_that_number_is_returned_as_it_is():
    from applications.models import Permit
    from tests.factories import PermitFactory

    mine = PermitFactory(number="TS12345")
    assert record_permit(holder=mine.holder, number="ts12345") == mine
    assert Permit.objects.count() == 1


def test_a_number_recorded_for_someone_else_is_refused():
    from tests.factories import PermitFactory

    PermitFactory(number="TS12345")
    with pytest.raises(ValidationError) as refusal:
        record_permit(number="TS12345")
    assert refusal.value.message_dict == {
        "permit_number": ["Ce numéro de titre est enregistré pour une autre personne : vérifiez-le."]}


@pytest.mark.parametrize(("overrides", "messages"), [
    ({"number": "  "}, {"permit_number": ["Indiquez le numéro du titre de séjour renouvelé."]}),
    ({"valid_until": date(2024, 5, 1)}, {
        "permit_valid_until": ["La fin de validité doit suivre le début de validité."]}),
    ({"number": "", "valid_until": date(2024, 4, 1)}, {
        "permit_number": ["Indiquez le numéro du titre de séjour renouvelé."],
        "permit_valid_until": ["La fin de validité doit suivre le début de validité."]}),
])
def test_what_the_card_must_say(overrides, messages):
    from applications.models import Permit

    with pytest.raises(ValidationError) as refusal:
        record_permit(**overrides)
    assert refusal.value.message_dict == messages
    assert not Permit.objects.exists()


@pytest.mark.parametrize("agent", [
    lambda: StaffFactory(role__code="33"), lambda: StaffFactory(verified=False), lambda: StaffFactory(mediator=True),
])
def test_only_a_verified_agent_of_the_competent_prefecture_records_a_permit(agent):
    from applications.models import Permit

    with pytest.raises(PermissionDenied) as refusal:
        record_permit(by=agent())
    assert str(refusal.value) == "Seul un agent de la préfecture compétente enregistre un dossier papier."
    assert not Permit.objects.exists()


def test_the_receipt_names_the_pieces_in_french_whatever_the_agents_language():
    from django.utils import translation

    chosen = procedure("premiere-demande-salarie")
    piece = chosen.requirements.order_by("position").first().document_type
    assert piece.name_en and piece.name_en != piece.name_fr
    with translation.override("en"):
        dossier = register(procedure=chosen, pieces=[piece])
    receipt = IssuedDocument.objects.get(subject_id=str(dossier.pk), kind="filing_receipt")
    assert receipt.context["documents"] == [piece.name_fr]


def test_an_identity_with_nothing_read_is_refused_field_by_field():
    empty = PaperIdentity(last_name=" ", first_name="", birth_date=None, identity_document="library_card",
                          foreigner_number="12345")
    with pytest.raises(ValidationError) as refusal:
        register(identity=empty)
    assert refusal.value.message_dict == {
        "last_name": ["Indiquez le nom de famille lu sur le document d'identité."],
        "first_name": ["Indiquez le ou les prénoms lus sur le document d'identité."],
        "birth_date": ["Indiquez la date de naissance lue sur le document d'identité."],
        "identity_document": ["Indiquez le document d'identité vérifié."],
        "foreigner_number": ["Le numéro étranger comporte 10 chiffres."],
    }


@pytest.mark.parametrize(("number", "accepted"), [
    ("1234567890", True), ("", True), ("123456789", False), ("12345678901", False), ("12345ABCDE", False),
])
def test_the_foreigner_number_has_ten_digits(number, accepted):
    from dataclasses import replace

    identity = replace(IDENTITY, foreigner_number=number)
    if accepted:
        assert register(identity=identity).status == Status.SUBMITTED
    else:
        with pytest.raises(ValidationError) as refusal:
            register(identity=identity)
        assert refusal.value.message_dict == {"foreigner_number": ["Le numéro étranger comporte 10 chiffres."]}


# --- What the desk is refused, word for word -------------------------------------------------------

def test_each_refusal_of_the_desk_says_why():
    from applications.models import Procedure

    chosen = procedure("premiere-demande-salarie")
    other = DocumentType.objects.exclude(pk__in=chosen.requirements.values("document_type")).first()
    Procedure.objects.filter(pk=chosen.pk).update(is_active=False)
    chosen.refresh_from_db()
    used = tax_stamp()
    DossierFactory(filed=True, tax_stamp_number=used)
    with pytest.raises(ValidationError) as refusal:
        register(procedure=chosen, pieces=[other], received_on=timezone.localdate() + timedelta(days=1),
                 tax_stamp_number=used)
    assert refusal.value.message_dict == {
        "procedure": ["Cette démarche n'est plus proposée."],
        "received_on": ["La date de réception ne peut pas être dans le futur."],
        "pieces": ["Cette pièce n'est pas demandée pour cette démarche."],
        "tax_stamp_number": ["Ce numéro de timbre fiscal a déjà servi pour une autre demande. Un timbre ne sert "
                             "qu'une fois : vérifiez le numéro, ou achetez un nouveau timbre."],
    }
    Procedure.objects.filter(pk=chosen.pk).update(is_active=True)
    with pytest.raises(ValidationError) as refusal:
        register(tax_stamp_number="1234 5678")
    assert refusal.value.message_dict == {
        "tax_stamp_number": ["Le numéro de timbre fiscal électronique comporte 16 chiffres."]}


def test_a_stamp_of_a_draft_is_not_used_yet():
    stamp = tax_stamp()
    DossierFactory(tax_stamp_number=stamp)  # a draft somewhere: nothing was paid with it yet
    assert register(tax_stamp_number=stamp).tax_stamp_number == stamp


def test_the_identity_read_at_the_desk_is_kept_in_the_file():
    identity = PaperIdentity(last_name=" Diallo ", first_name=" Awa ", birth_date=date(1988, 1, 9),
                             identity_document="passport", birth_place=" Dakar ", nationality=" sénégalaise ",
                             foreigner_number=" 1234567890 ")
    agent, piece = StaffFactory(), procedure("premiere-demande-salarie").requirements.first().document_type
    dossier = register(identity=identity, by=agent, pieces=[piece])
    assert dossier.answers["identity"] == {
        "last_name": "Diallo", "first_name": "Awa", "birth_date": "1988-01-09", "birth_place": "Dakar",
        "nationality": "sénégalaise", "foreigner_number": "1234567890"}
    assert dossier.answers["paper"] == {
        "identity_document": "passport", "received_on": timezone.localdate().isoformat(), "received_by": agent.pk,
        "pieces_received": [piece.code]}


# --- A renewal on paper ------------------------------------------------------------------------------

def renewal(*, days_left, **overrides):
    from tests.factories import PermitFactory

    applicant = overrides.pop("applicant", None) or UserFactory()
    permit = overrides.pop("renewed_permit", None) or PermitFactory(
        holder=applicant, valid_until=timezone.localdate() + timedelta(days=days_left))
    return register(applicant=applicant, procedure=procedure("renouvellement-salarie"), renewed_permit=permit,
                    **overrides)


def test_a_renewal_names_the_permit_renewed_and_it_must_be_the_persons_own():
    from tests.factories import PermitFactory

    with pytest.raises(ValidationError) as refusal:
        register(procedure=procedure("renouvellement-salarie"))
    assert refusal.value.message_dict == {"renewed_permit": ["Indiquez le titre de séjour renouvelé."]}
    with pytest.raises(ValidationError) as refusal:
        renewal(days_left=90, renewed_permit=PermitFactory())
    assert refusal.value.message_dict == {"renewed_permit": ["Ce titre de séjour n'appartient pas à cette personne."]}


def test_a_renewal_too_early_is_refused_with_the_day_it_opens_unless_the_person_tried_in_time():
    from django.utils.formats import date_format

    today = timezone.localdate()
    with pytest.raises(ValidationError) as refusal:
        renewal(days_left=200)
    opens = date_format(today + timedelta(days=200 - 120), "DATE_FORMAT")
    assert refusal.value.message_dict == {
        "renewed_permit": [f"Le renouvellement pourra être déposé à partir du {opens}."]}
    assert renewal(days_left=90).filed_on_time is True
    late = renewal(days_left=30)
    assert late.filed_on_time is False
    blocked_in_time = renewal(days_left=30, on_time_as_of=today - timedelta(days=40))  # the report's day
    assert blocked_in_time.filed_on_time is True


def test_a_second_renewal_of_the_same_permit_is_refused_naming_the_first():
    applicant = UserFactory()
    first = renewal(days_left=90, applicant=applicant)
    with pytest.raises(ValidationError) as refusal:
        renewal(days_left=90, applicant=applicant, renewed_permit=first.renewed_permit)
    assert refusal.value.message_dict == {"renewed_permit": [
        f"Vous avez déjà une demande en cours pour ce titre de séjour : le dossier n° {first.reference}. "
        "Suivez cette demande, ou retirez-la avant d'en déposer une autre."]}
    other_permit = renewal(days_left=90, applicant=applicant)  # another permit of the same person: fine
    assert other_permit.status == Status.SUBMITTED
