"""A card is ready: its holder books the collection from the dossier page, downloads the letter,
moves the appointment, and an agent checks them in at the desk on the day."""

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from appointments.dates import local_instant
from appointments.models import Booking, Desk, Motive, OpeningRule, Slot
from appointments.selectors import free_slots
from appointments.services import booking_create, slots_generate
from tests.factories import (
    PASSWORD,
    DossierFactory,
    StaffFactory,
    UserFactory,
    prefecture,
    totp_code,
)

pytestmark = pytest.mark.django_db(transaction=True)


def open_collection_desk() -> Desk:
    """The demo's card-collection desk at the prefecture of the Rhône, with three weeks of slots."""
    from importlib import import_module

    from django.apps import apps

    # The transactional flush of the live-server tests empties the motives too: load them again.
    import_module("appointments.migrations.0002_load_motives").load(apps, None)
    motive = Motive.objects.get(code=Motive.Code.CARD_COLLECTION)
    desk = Desk.objects.create(site=prefecture("69").sites.first(), name="Guichet 2 – Remise des titres")
    desk.motives.set([motive])
    OpeningRule.objects.bulk_create([
        OpeningRule(desk=desk, motive=motive, weekday=day, opens_at=time(9), closes_at=time(12), capacity=1,
                    valid_from=timezone.localdate())
        for day in range(6)
    ])
    slots_generate(start=timezone.localdate(), weeks=3, desk_ids=[desk.pk])
    return desk


def sign_in(page: Page, live_server, email: str) -> None:
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()


def test_a_card_holder_books_the_collection_moves_it_and_is_checked_in(
    browser: Browser, live_server, settings, visited
):
    settings.SITE_URL = live_server.url
    desk = open_collection_desk()
    person = UserFactory(first_name="Mei", last_name="Chen")
    dossier = DossierFactory(status="card_ready", applicant=person, prefecture=prefecture("69"))
    agent = StaffFactory(with_totp=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.location.get('url')}: {m.text}") if m.type == "error" else None)

    sign_in(page, live_server, person.email)
    expect(page.locator("h1")).to_have_text("Mon espace")
    page.goto(f"{live_server.url}/dossiers/{dossier.pk}/")
    expect(page.locator(".fr-callout__title")).to_have_text("Titre disponible")
    visited(page, "dossier-card-ready")

    # Book: one site, the next free slots by day, ten at a time.
    page.get_by_role("link", name="Prendre rendez-vous pour retirer mon titre").click()
    expect(page.locator("h1")).to_have_text("Prendre rendez-vous")
    expect(page.locator("main")).to_contain_text(f"dossier n° {dossier.reference}")
    expect(page.locator("input[name=slot]")).to_have_count(10)
    visited(page, "book")
    page.get_by_role("link", name="Créneaux suivants").click()
    expect(page.get_by_role("link", name="Premiers créneaux libres")).to_be_visible()
    visited(page, "book-next-slots")

    # Or straight to a day with the day picker (issue 9): the slots start on that day.
    day = timezone.localdate() + timedelta(days=9)
    expected = free_slots(motive=desk.motives.get(), site_ids=[desk.site_id],
                          after=local_instant(day, time(0))).first()
    page.get_by_label("Voir les créneaux libres à partir du").fill(day.isoformat())
    page.get_by_role("button", name="Afficher les créneaux de ce jour").click()
    expect(page.locator("input[name=slot]").first).to_have_value(str(expected.pk))
    expect(page.locator("main")).to_contain_text("106 rue Pierre Corneille, 69003 Lyon")
    visited(page, "book-day-picker")
    page.get_by_role("link", name="Premiers créneaux libres").click()
    first = page.locator("input[name=slot]").first
    first.check(force=True)  # DSFR draws its own radio over the input

    # Someone else takes that seat meanwhile: the page comes back with the next free slots.
    taken = Slot.objects.get(pk=first.get_attribute("value"))
    booking_create(person=UserFactory(), slot=taken, by=agent, kind=Booking.Kind.CONVOCATION)
    page.get_by_role("button", name="Réserver ce créneau").click()
    expect(page.locator("#error-summary")).to_contain_text("Ce créneau vient d'être pris.", timeout=30_000)
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator(f"#slot-{taken.pk}")).to_have_count(0)
    visited(page, "book-slot-taken")
    page.locator("input[name=slot]").first.check(force=True)
    page.get_by_role("button", name="Réserver ce créneau").click()

    # The letter's PDF is rendered after commit, in the request under CELERY_TASK_ALWAYS_EAGER: the
    # first WeasyPrint run of a process takes seconds.
    expect(page.locator(".fr-alert--success")).to_contain_text("Votre rendez-vous est réservé", timeout=30_000)
    booking = Booking.objects.get(person=person, status=Booking.Status.BOOKED)
    expect(page.locator("h1")).to_have_text("Remise du titre de séjour")
    expect(page.locator("main")).to_contain_text("Rendez-vous personnel : présentez une pièce d'identité à ce nom")
    expect(page.locator("main")).to_contain_text("Mei CHEN")
    visited(page, "booking")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la convocation").click()
    assert open(download_info.value.path(), "rb").read(5) == b"%PDF-"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ajouter à mon agenda").click()
    calendar = open(download_info.value.path(), "rb").read()
    assert calendar.startswith(b"BEGIN:VCALENDAR\r\n") and f"rendez-vous-{booking.pk}@".encode() in calendar

    # Cancelling asks first; keep it.
    page.get_by_role("link", name="Annuler ce rendez-vous").click()
    expect(page.locator("h1")).to_have_text("Annuler le rendez-vous")
    visited(page, "cancel-confirm")
    page.get_by_role("link", name="Non, garder le rendez-vous").click()

    # Move it to another slot.
    page.get_by_role("link", name="Déplacer ce rendez-vous").click()
    expect(page.locator("h1")).to_have_text("Déplacer le rendez-vous")
    visited(page, "reschedule")
    page.locator("input[name=slot]").nth(1).check(force=True)
    page.get_by_role("button", name="Déplacer sur ce créneau").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Votre rendez-vous est déplacé", timeout=30_000)
    moved = Booking.objects.get(person=person, status=Booking.Status.BOOKED)
    assert moved.rescheduled_from_id == booking.pk and moved.slot_id != booking.slot_id
    visited(page, "booking-moved")

    page.locator("header").get_by_role("link", name="Mes rendez-vous").click()
    expect(page.locator("h1")).to_have_text("Mes rendez-vous")
    expect(page.locator("main")).to_contain_text("Remise du titre de séjour")
    visited(page, "my-appointments")
    context.close()

    # On the day: the agent signs in with the code and checks the person in.
    local = timezone.localtime()
    start = max(local - timedelta(minutes=5), local.replace(hour=0, minute=0, second=0, microsecond=0))
    Slot.objects.filter(pk=moved.slot_id).update(starts_at=start, ends_at=start + timedelta(minutes=10))
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = staff.new_page()
    page.on("console", lambda m: errors.append(f"{m.location.get('url')}: {m.text}") if m.type == "error" else None)
    sign_in(page, live_server, agent.email)
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Espace agent")
    page.locator("header").get_by_role("link", name="Guichets").click()
    expect(page.locator("h1")).to_have_text("Guichets")
    visited(page, "desks")
    page.get_by_role("link", name=f"Rendez-vous du jour – {desk.name}").click()
    row = page.locator(f"#rdv-{moved.pk}")
    expect(row).to_contain_text("Mei CHEN")
    expect(row).to_contain_text(dossier.reference)
    visited(page, "desk-day")
    row.get_by_role("button", name="Arrivé").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Mei CHEN : Arrivé.")
    expect(page.locator(f"#rdv-{moved.pk}")).to_contain_text("Arrivé")
    visited(page, "desk-day-checked-in")
    moved.refresh_from_db()
    assert moved.status == Booking.Status.CHECKED_IN
    assert not errors, errors
    staff.close()


def test_a_supervisor_sets_hours_closes_a_day_and_reconvokes_a_no_show(browser: Browser, live_server, settings,
                                                                        visited):
    from appointments.services.bookings import Subject

    settings.SITE_URL = live_server.url
    desk = open_collection_desk()
    biometrics = Motive.objects.get(code=Motive.Code.BIOMETRICS)
    desk.motives.add(biometrics)
    supervisor = StaffFactory(supervisor=True, with_totp=True)
    person = UserFactory(first_name="Youssef", last_name="Benali")
    dossier = DossierFactory(status="under_review", applicant=person, prefecture=prefecture("69"))
    card = free_slots(motive=desk.motives.get(code="card_collection"), site_ids=[desk.site_id]).first()
    holder = booking_create(person=UserFactory(first_name="Lucas", last_name="Silva"), slot=card,
                            by=supervisor, kind=Booking.Kind.CONVOCATION)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.location.get('url')}: {m.text}") if m.type == "error" else None)
    sign_in(page, live_server, supervisor.email)
    page.get_by_label("Code de vérification").fill(totp_code())
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Espace agent")

    page.goto(f"{live_server.url}/backoffice/guichets/")
    page.get_by_role("link", name=f"Horaires et fermetures – {desk.name}").click()
    expect(page.locator("h1")).to_contain_text("Horaires et fermetures")
    visited(page, "rules")

    # A biometrics afternoon on Mondays: refused first (closing before opening), then added.
    form = page.locator("form", has=page.get_by_role("heading", name="Ajouter un horaire"))
    form.get_by_label("Motif").select_option(label="Relevé d'empreintes et photo")
    form.get_by_label("Jour").select_option(label="lundi")
    form.get_by_label("Ouverture").fill("14:00")
    form.get_by_label("Fermeture").fill("13:00")
    form.get_by_role("button", name="Ajouter l'horaire").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("L'heure de fermeture doit suivre l'heure d'ouverture.")
    visited(page, "rules-error")
    form = page.locator("form", has=page.get_by_role("heading", name="Ajouter un horaire"))
    form.get_by_label("Fermeture").fill("16:00")
    form.get_by_role("button", name="Ajouter l'horaire").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Horaire ajouté")
    page.get_by_role("button", name="Générer les créneaux").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("ouverts sur 8 semaines")
    assert OpeningRule.objects.filter(desk=desk, motive=biometrics, weekday=0).exists()

    # Closing the day of a booked card collection: the booking is listed, to be moved.
    day = timezone.localdate(card.starts_at).isoformat()
    form = page.locator("form", has=page.get_by_role("heading", name="Fermer des jours"))
    form.get_by_label("Premier jour de fermeture").fill(day)
    form.get_by_label("Dernier jour de fermeture").fill(day)
    form.get_by_label("Motif de la fermeture").fill("Travaux")
    form.get_by_role("button", name="Enregistrer la fermeture").click()
    expect(page.locator("h1")).to_have_text("Fermeture : rendez-vous à déplacer")
    expect(page.locator("main")).to_contain_text("Lucas SILVA")
    visited(page, "to-move")
    holder.refresh_from_db()
    assert holder.status == Booking.Status.BOOKED

    # A convocation missed this morning: absent, then convoked again.
    slot = free_slots(motive=biometrics, site_ids=[desk.site_id]).first()
    missed = booking_create(person=person, slot=slot, by=supervisor, kind=Booking.Kind.CONVOCATION,
                            subject=Subject("applications.dossier", str(dossier.pk), dossier.reference),
                            movable_until=timezone.localdate())
    local = timezone.localtime()
    start = max(local - timedelta(minutes=30), local.replace(hour=0, minute=0, second=0, microsecond=0))
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(minutes=15))
    page.goto(f"{live_server.url}/backoffice/guichets/{desk.pk}/{timezone.localdate().isoformat()}/")
    row = page.locator(f"#rdv-{missed.pk}")
    row.get_by_role("button", name="Absent").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Youssef BENALI : Absent.")
    page.locator(f"#rdv-{missed.pk}").get_by_role("link", name="Reconvoquer").click()
    expect(page.locator("h1")).to_have_text("Reconvoquer Youssef BENALI")
    visited(page, "reconvoke")
    page.locator("input[name=slot]").first.check(force=True)
    page.get_by_role("button", name="Convoquer sur ce créneau").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Youssef BENALI est convoqué(e) le", timeout=30_000)
    visited(page, "desk-day-after-reconvocation")
    assert Booking.objects.filter(person=person, status=Booking.Status.BOOKED, kind="convocation").exists()
    assert not errors, errors
    page.close()
