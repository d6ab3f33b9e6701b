"""Issue 9, items 3 and 9: the permit card on /espace/ follows the renewal (filed, covered by a
certificate, decided, card ready, delivered) and the new permit replaces the old one at delivery;
handing the card over closes the collection appointment, or is recorded as made without one.

It broke as: after a renewal was filed, decided and the card handed over, the old card still said
"C'est le moment de demander son renouvellement" and the new permit never appeared; the
collection appointment stayed "Confirmé"."""

from datetime import date, datetime, time, timedelta
from html import unescape

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from applications.models import DossierEvent, Permit, Status
from applications.services import card_mark, dossier_decide, dossier_mark_complete
from applications.services.certificates import extension_certificate_issue
from appointments.dates import local_instant
from appointments.models import Booking, Desk, Motive, Slot
from appointments.services import booking_create
from appointments.services.bookings import Subject
from tests.backoffice.conftest import file_renewal, sign_in
from tests.factories import StaffFactory, biometrics_taken

pytestmark = pytest.mark.django_db

WINDOW_OPEN = "C'est le moment de demander son renouvellement"


def dashboard(client, person) -> str:
    client.force_login(person)
    response = client.get(reverse("applications:dashboard"))
    assert response.status_code == 200
    return unescape(response.content.decode())


def card_of(html: str, permit: Permit) -> str:
    """The text of one permit's follow-up block on the dashboard."""
    start = html.index(f'id="titre-{permit.pk}-suivi"')
    return html[start:html.index("</div>", start)]


def deliver(dossier, agent, **overrides):
    facts = {"number": "R1234567890", "valid_from": timezone.localdate(),
             "valid_until": timezone.localdate() + timedelta(days=4 * 365), **overrides}
    return card_mark(dossier=dossier, by=agent, to=Status.CARD_DELIVERED, **facts)


def ready(dossier, agent):
    dossier = dossier_mark_complete(dossier=dossier, by=agent)
    biometrics_taken(dossier)
    dossier = dossier_decide(dossier=dossier, by=agent, outcome=Status.DECIDED_FAVOURABLE)
    dossier = card_mark(dossier=dossier, by=agent, to=Status.CARD_IN_PRODUCTION)
    return card_mark(dossier=dossier, by=agent, to=Status.CARD_READY)


def collection_slot(dossier, *, starts_at) -> Slot:
    motive = Motive.objects.get(code=Motive.Code.CARD_COLLECTION)
    desk, _ = Desk.objects.get_or_create(site=dossier.prefecture.sites.first(), name="Guichet remise")
    desk.motives.add(motive)
    return Slot.objects.create(desk=desk, motive=motive, starts_at=starts_at, capacity=1,
                               ends_at=starts_at + timedelta(minutes=10))


def book_collection(dossier, *, starts_at) -> Booking:
    person = dossier.applicant
    return booking_create(person=person, slot=collection_slot(dossier, starts_at=starts_at), by=person,
                          subject=Subject("applications.dossier", str(dossier.pk), dossier.reference))


def test_the_permit_card_kept_asking_for_a_renewal_after_the_new_card_was_handed_over(client):
    agent = StaffFactory()
    dossier = file_renewal(days_left=90)
    person, old = dossier.applicant, dossier.renewed_permit

    html = card_of(dashboard(client, person), old)
    assert WINDOW_OPEN not in html
    assert "Renouvellement demandé le" in html
    assert reverse("applications:dossier", args=[dossier.pk]) in html

    dossier = ready(dossier, agent)
    html = card_of(dashboard(client, person), old)
    assert "Votre nouveau titre est prêt : prenez rendez-vous pour le retirer." in html
    assert f"{reverse('appointments:book', args=['card_collection'])}?pour=applications.dossier:{dossier.pk}" in html

    soon = timezone.now() + timedelta(hours=1)
    booking = book_collection(dossier, starts_at=soon)
    html = card_of(dashboard(client, person), old)
    assert "Rendez-vous de remise le" in html and reverse("appointments:detail", args=[booking.pk]) in html

    with time_machine.travel(soon):
        deliver(dossier, agent)
    page = dashboard(client, person)
    new = Permit.objects.get(number="R1234567890")
    assert (new.holder, new.dossier, new.category, new.allows_work) == (person, dossier, old.category, True)
    old.refresh_from_db()
    assert old.replaced_by == new
    assert WINDOW_OPEN not in page
    assert "Remplacé par votre nouveau titre n° R1234567890" in card_of(page, old)
    # The new permit has its own card, first.
    assert page.index("Titre n° R1234567890") < page.index(f"Titre n° {old.number}")


def test_the_permit_card_shows_the_extension_certificate_that_covers_the_holder(client):
    dossier = file_renewal(days_left=65)
    permit = dossier.renewed_permit
    with time_machine.travel(datetime.combine(permit.valid_until + timedelta(days=1), time(10)).astimezone()):
        certificate = extension_certificate_issue(dossier=dossier, today=timezone.localdate())
        html = card_of(dashboard(client, dossier.applicant), permit)

    assert certificate is not None
    assert f"attestation de prolongation d'instruction n° {certificate.number}" in html
    assert f"valable jusqu'au {certificate.valid_until.day} " in html
    assert reverse("documents:download", args=[certificate.pk]) in html


def test_the_decided_and_refused_stages(client):
    agent = StaffFactory()
    dossier = dossier_mark_complete(dossier=file_renewal(days_left=90), by=agent)
    biometrics_taken(dossier)
    dossier_decide(dossier=dossier, by=agent, outcome=Status.DECIDED_FAVOURABLE)
    html = card_of(dashboard(client, dossier.applicant), dossier.renewed_permit)
    assert "Renouvellement accordé : votre nouveau titre est en fabrication." in html

    other = dossier_mark_complete(dossier=file_renewal(days_left=90, last_name="Silva"), by=agent)
    dossier_decide(dossier=other, by=agent, outcome=Status.DECIDED_UNFAVOURABLE, reasons="Motif.",
                   appeal_routes="Recours gracieux.")
    html = card_of(dashboard(client, other.applicant), other.renewed_permit)
    assert "Renouvellement refusé." in html and WINDOW_OPEN not in html


def test_the_dashboard_reads_permits_renewals_and_appointments_in_a_fixed_number_of_queries(client):
    agent = StaffFactory()
    dossier = file_renewal(days_left=90)
    person = dossier.applicant
    client.force_login(person)
    url = reverse("applications:dashboard")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count()  # the first request of a session also writes its last-seen time
    without_bookings = count()
    ready(dossier, agent)
    book_collection(dossier, starts_at=timezone.now() + timedelta(days=2))
    # Bookings are read in one more query when there are some (issue 14), however many; and the
    # documents in force, read only when the person holds one (issue 17, second round): the
    # favourable decision given by ``ready``.
    few = count()
    assert few == without_bookings + 2
    for _ in range(3):
        file_renewal(days_left=90, applicant=person)
    other = ready(file_renewal(days_left=90, applicant=person), agent)
    book_collection(other, starts_at=timezone.now() + timedelta(days=3))
    assert count() == few
    assert few <= 9


# --- Delivery: what the card says, with bounds and clear messages ----------------------------------

@pytest.mark.parametrize(("facts", "field", "message"), [
    ({"number": "12"}, "number", "6 à 20 lettres ou chiffres"),
    ({"number": "AB-12/34"}, "number", "6 à 20 lettres ou chiffres"),
    ({"valid_from": None}, "valid_from", "Indiquez la date de début de validité"),
    ({"valid_from": date(1999, 1, 1)}, "valid_from", "doit être comprise entre"),
    ({"valid_until": None}, "valid_until", "Indiquez la date de fin de validité"),
    ({"valid_until": date(2000, 1, 1)}, "valid_until", "ne peut pas être déjà expiré"),
    ({"valid_until": timezone.localdate() + timedelta(days=11 * 366)}, "valid_until", "au plus 10 ans après"),
])
def test_a_card_with_impossible_facts_is_refused_with_a_message_and_nothing_changes(facts, field, message):
    agent = StaffFactory()
    dossier = ready(file_renewal(days_left=90), agent)

    with pytest.raises(ValidationError) as error:
        deliver(dossier, agent, **facts)

    assert message in " ".join(error.value.message_dict[field])
    dossier.refresh_from_db()
    assert dossier.status == Status.CARD_READY
    assert not Permit.objects.filter(dossier=dossier).exists()


@pytest.mark.parametrize(("valid_until", "accepted"), [(date(2038, 2, 28), True), (date(2038, 3, 1), False)])
def test_a_card_valid_from_29_february_may_last_until_28_february_ten_years_later(valid_until, accepted):
    with time_machine.travel(datetime(2028, 3, 1, 10, tzinfo=timezone.get_current_timezone())):
        agent = StaffFactory()
        dossier = ready(file_renewal(days_left=90), agent)
        if accepted:
            deliver(dossier, agent, valid_from=date(2028, 2, 29), valid_until=valid_until)
            assert Permit.objects.get(dossier=dossier).valid_until == valid_until
        else:
            with pytest.raises(ValidationError) as error:
                deliver(dossier, agent, valid_from=date(2028, 2, 29), valid_until=valid_until)
            assert "au plus 10 ans après" in error.value.message_dict["valid_until"][0]


def test_every_refusal_of_the_cards_facts_is_given_in_full():
    agent = StaffFactory()
    dossier = ready(file_renewal(days_left=90), agent)
    today = timezone.localdate()
    earliest, latest = today - timedelta(days=365), today + timedelta(days=365)
    with pytest.raises(ValidationError) as error:
        deliver(dossier, agent, number="R1", valid_from=None, valid_until=today)
    assert error.value.message_dict == {
        "number": ["Indiquez le numéro imprimé sur le titre : 6 à 20 lettres ou chiffres, sans espace."],
        "valid_from": ["Indiquez la date de début de validité imprimée sur le titre."],
        "valid_until": ["Cette date de fin de validité est passée : un titre remis aujourd'hui ne peut pas être "
                        "déjà expiré."],
    }
    with pytest.raises(ValidationError) as error:
        deliver(dossier, agent, valid_from=latest + timedelta(days=1), valid_until=None)
    assert error.value.message_dict == {
        "valid_from": [f"La date de début de validité doit être comprise entre le {earliest:%d/%m/%Y} et le "
                       f"{latest:%d/%m/%Y}."],
        "valid_until": ["Indiquez la date de fin de validité imprimée sur le titre."],
    }
    with pytest.raises(ValidationError) as error:
        deliver(dossier, agent, number=dossier.renewed_permit.number,
                valid_until=today + timedelta(days=11 * 366))
    assert error.value.message_dict == {
        "number": ["Ce numéro est déjà celui d'un autre titre enregistré : vérifiez-le sur la carte."],
        "valid_until": ["La fin de validité doit être après le début, et au plus 10 ans après."],
    }


@pytest.mark.parametrize(("days", "accepted"), [(-366, False), (-365, True), (365, True), (366, False)])
def test_a_card_may_have_started_up_to_a_year_ago_or_start_up_to_a_year_ahead(days, accepted):
    agent = StaffFactory()
    dossier = ready(file_renewal(days_left=90), agent)
    start = timezone.localdate() + timedelta(days=days)
    if accepted:
        deliver(dossier, agent, valid_from=start, valid_until=start + timedelta(days=3 * 365))
        assert Permit.objects.get(dossier=dossier).valid_from == start
    else:
        with pytest.raises(ValidationError) as error:
            deliver(dossier, agent, valid_from=start, valid_until=start + timedelta(days=3 * 365))
        assert list(error.value.message_dict) == ["valid_from"]


def test_the_card_number_is_recorded_as_printed_without_spaces_in_capitals():
    agent = StaffFactory()
    dossier = ready(file_renewal(days_left=90), agent)
    deliver(dossier, agent, number=" r12 345 678 ")
    assert Permit.objects.get(dossier=dossier).number == "R12345678"


def test_a_card_number_already_recorded_is_refused(client):
    agent = StaffFactory()
    dossier = ready(file_renewal(days_left=90), agent)
    with pytest.raises(ValidationError) as error:
        deliver(dossier, agent, number=dossier.renewed_permit.number)
    assert "déjà celui d'un autre titre" in error.value.message_dict["number"][0]


def test_a_first_request_or_duplicate_names_its_category_at_delivery():
    from applications.models import Procedure
    from tests.factories import DossierFactory

    agent = StaffFactory()
    dossier = DossierFactory(status="card_ready", procedure=Procedure.objects.get(code="duplicata-perte-vol"))
    with pytest.raises(ValidationError) as error:
        deliver(dossier, agent)
    assert "Indiquez la catégorie du titre remis." in error.value.message_dict["category"]
    deliver(dossier, agent, category="visiteur")
    permit = Permit.objects.get(dossier=dossier)
    assert (permit.category, permit.allows_work, permit.replaced_by) == ("visiteur", False, None)


@pytest.mark.parametrize(("old_allows_work", "category", "allows_work"), [
    (True, "visiteur", False), (False, "etudiant", True), (False, "salarie", True),
])
def test_the_card_delivered_allows_work_as_its_category_does_whatever_the_old_one_did(
        old_allows_work, category, allows_work):
    agent = StaffFactory()
    dossier = ready(file_renewal(days_left=90), agent)
    type(dossier.renewed_permit).objects.filter(pk=dossier.renewed_permit_id).update(allows_work=old_allows_work)
    deliver(dossier, agent, category=category)
    permit = Permit.objects.get(dossier=dossier)
    assert (permit.category, permit.allows_work) == (category, allows_work)


def test_every_category_a_card_may_carry_says_whether_it_allows_work():
    from applications.models import PermitCategory
    from applications.services.certificates import WORK_UNKNOWN, work_right_for_category

    assert all(work_right_for_category(category) != WORK_UNKNOWN for category in PermitCategory.values)


def test_the_back_office_form_keeps_what_was_typed_and_shows_the_message_next_to_the_field(client):
    agent = StaffFactory(with_totp=True)
    dossier = ready(file_renewal(days_left=90), agent)
    sign_in(client, agent)

    response = client.post(reverse("backoffice_instruction:card", args=[dossier.pk]), {
        "to": "card_delivered", "number": "R98", "valid_from": timezone.localdate().isoformat(),
        "valid_until": (timezone.localdate() + timedelta(days=365)).isoformat(),
    })
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="R98"' in html and "6 à 20 lettres ou chiffres" in html
    dossier.refresh_from_db()
    assert dossier.status == Status.CARD_READY


# --- Item 9: the collection appointment ---------------------------------------------------------

def test_handing_over_the_card_closes_todays_collection_appointment():
    agent = StaffFactory()
    dossier = ready(file_renewal(days_left=90), agent)
    soon = timezone.now() + timedelta(minutes=30)
    booking = book_collection(dossier, starts_at=soon)

    with time_machine.travel(soon):
        deliver(dossier, agent)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.DONE
    assert AuditEvent.objects.get(action="booking.done").actor == agent  # the agent who handed it over
    event = DossierEvent.objects.get(dossier=dossier, to_status=Status.CARD_DELIVERED)
    assert event.data["appointment"] == booking.pk and event.data["without_appointment"] is False


def test_a_handover_without_an_appointment_is_allowed_and_recorded_as_such():
    agent = StaffFactory()
    dossier = ready(file_renewal(days_left=90), agent)

    deliver(dossier, agent)

    event = DossierEvent.objects.get(dossier=dossier, to_status=Status.CARD_DELIVERED)
    assert event.data["without_appointment"] is True and event.data["appointment"] is None
    audit = AuditEvent.objects.get(action="dossier.status_changed", data__to=Status.CARD_DELIVERED)
    assert audit.data["without_appointment"] is True
    # The timeline names the new card, its validity and the card it replaces.
    dossier.refresh_from_db()
    new_card = Permit.objects.get(holder=dossier.applicant, number="R1234567890")
    assert {key: event.data[key] for key in ("permit", "permit_id", "valid_from", "valid_until", "replaces")} == {
        "permit": "R1234567890", "permit_id": new_card.pk, "valid_from": new_card.valid_from.isoformat(),
        "valid_until": new_card.valid_until.isoformat(), "replaces": dossier.renewed_permit.number,
    }
    assert dossier.renewed_permit.number


def test_an_unknown_card_step_is_refused_with_its_message():
    agent = StaffFactory()
    dossier = ready(file_renewal(days_left=90), agent)

    with pytest.raises(ValidationError) as refusal:
        card_mark(dossier=dossier, by=agent, to=Status.DECIDED_FAVOURABLE)

    assert refusal.value.messages == ["Étape de fabrication inconnue."]


def test_a_handover_before_the_appointment_day_frees_that_appointment():
    agent = StaffFactory()
    dossier = ready(file_renewal(days_left=90), agent)
    later = local_instant(timezone.localdate() + timedelta(days=3), time(10))
    booking = book_collection(dossier, starts_at=later)

    deliver(dossier, agent)

    booking.refresh_from_db()
    booking.slot.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.slot.booked == 0
    event = DossierEvent.objects.get(dossier=dossier, to_status=Status.CARD_DELIVERED)
    assert event.data["without_appointment"] is True
