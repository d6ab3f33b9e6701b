"""A renewal from filing to the card in the holder's hands, walked in the browser by everyone
involved, once in French and once in English (issue 9, "Done when"):

the agent asks for a complement; the applicant sees it and answers with an upload; the agent
declares the file complete and, "Favorable" not being offered yet, convokes for fingerprints; the
applicant sees the appointment; the desk marks it received on its day; the agent decides favourably
through the confirmation step; the applicant downloads the certificate; the card is produced and
made ready; the applicant books its collection; the desk hands it over.

Every page visited is screenshotted and checked with axe. The whole day runs under time_machine
(the live server shares the test's process, so its clock moves too), on a working day after today:
cookies are dated by the server, so the clock only moves forward.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone, translation
from playwright.sync_api import Browser, BrowserContext, Page, expect

from applications.models import DocumentType, Dossier, Status
from appointments.holidays import is_public_holiday
from appointments.models import Booking, Desk, Motive, OpeningRule
from appointments.services import slots_generate
from documents.models import DocumentKind, IssuedDocument
from tests.backoffice.conftest import file_renewal
from tests.e2e.conftest import blank_pdf
from tests.factories import PASSWORD, StaffFactory, UserFactory, prefecture, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

PARIS = ZoneInfo("Europe/Paris")
BROWSER_LOCALE = {"fr": "fr-FR", "en": "en-GB"}


def tr(lang: str, text, **values) -> str:
    """The interface text as the person reads it: the French msgid (or a lazy label), in their
    language, without the markup a screen reader reads as plain text."""
    with translation.override("fr"):
        msgid = str(text)
    with translation.override(lang):
        translated = translation.gettext(msgid)
    translated = translated % values if values else translated
    return re.sub(r"<[^>]+>", "", translated)


def working_day_after(days: int) -> datetime:
    """08:00 (Paris) on the first weekday at least ``days`` days from now that is not a holiday."""
    day = timezone.localdate() + timedelta(days=days)
    while day.weekday() >= 5 or is_public_holiday(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(8), tzinfo=PARIS)


def open_prefecture_desk() -> Desk:
    """A desk of the Rhône prefecture taking fingerprints and handing over cards, every weekday
    morning, with a week of slots from today."""
    # The transactional flush of the live-server tests empties the motives too: load them again.
    import_module("appointments.migrations.0002_load_motives").load(apps, None)
    motives = list(Motive.objects.filter(code__in=[Motive.Code.BIOMETRICS, Motive.Code.CARD_COLLECTION]))
    desk = Desk.objects.create(site=prefecture("69").sites.first(), name="Guichet 1 – Titres")
    desk.motives.set(motives)
    OpeningRule.objects.bulk_create([
        OpeningRule(desk=desk, motive=motive, weekday=day, opens_at=time(9), closes_at=time(12), capacity=2,
                    valid_from=timezone.localdate())
        for day in range(5) for motive in motives
    ])
    slots_generate(start=timezone.localdate(), weeks=1, desk_ids=[desk.pk])
    return desk




class Person:
    """One person's browser: their own context (cookies, language), console errors collected."""

    def __init__(self, browser: Browser, lang: str, errors: list[str]):
        self.lang = lang
        self.context: BrowserContext = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale=BROWSER_LOCALE[lang], accept_downloads=True)
        self.page: Page = self.context.new_page()
        self.page.on("console", lambda m: errors.append(f"{m.location.get('url')}: {m.text}")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda error: errors.append(str(error)))

    def t(self, text: str, **values) -> str:
        return tr(self.lang, text, **values)

    def sign_in(self, live_server, email: str, *, staff: bool = False) -> None:
        page, t = self.page, self.t
        self.context.clear_cookies()  # a new session, as on a new day at the desk
        page.goto(live_server.url + "/compte/connexion/")
        page.get_by_label(t("Adresse e-mail")).fill(email)
        page.get_by_label(t("Mot de passe")).fill(PASSWORD)
        page.locator("main").get_by_role("button", name=t("Se connecter")).click()
        if staff:
            page.get_by_label(t("Code de vérification")).fill(totp_code())
            page.get_by_role("button", name=t("Valider")).click()
            expect(page.locator("h1")).to_have_text(t("Espace agent"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_renewal_goes_from_complements_to_the_card_in_hand(
    lang, browser: Browser, live_server, settings, visited, tmp_path
):
    settings.SITE_URL = live_server.url
    errors: list[str] = []
    with time_machine.travel(working_day_after(7), tick=True) as clock:
        desk = open_prefecture_desk()
        applicant = UserFactory(first_name="Amina", last_name="Diallo", preferred_language=lang)
        dossier = file_renewal(applicant=applicant, last_name="Diallo", first_name="Amina")
        agent = StaffFactory(with_totp=True, first_name="Jeanne", last_name="Martin", preferred_language=lang)
        desk_agent = StaffFactory(with_totp=True, first_name="Karim", last_name="Haddad", preferred_language=lang)

        # --- The agent opens the file and asks for a complement.
        office = Person(browser, lang, errors)
        page, t = office.page, office.t
        office.sign_in(live_server, agent.email, staff=True)
        visited(page, "agent-home")
        page.locator("header").get_by_role("link", name=t("Dossiers à instruire")).click()
        expect(page.locator("h1")).to_have_text(t("Dossiers à instruire"))
        visited(page, "queue")
        page.get_by_role("link", name=dossier.reference).click()
        expect(page.locator("h1")).to_have_text(t("Dossier %(ref)s", ref=dossier.reference))
        visited(page, "file-submitted")

        due = timezone.localdate() + timedelta(days=15)
        form = page.locator("form", has=page.get_by_role("button", name=t("Envoyer la demande de compléments")))
        with translation.override(lang):  # catalogue content: the agent reads it in their language
            proof_of_address = DocumentType.objects.get(code="justificatif-domicile").name
        form.get_by_label(proof_of_address).check(force=True)
        precisions = form.get_by_label(t("Précisions pour le demandeur"))
        precisions.fill("Votre justificatif de domicile a plus de trois mois.")
        form.get_by_label(t("À fournir avant le")).fill(due.isoformat())
        form.get_by_role("button", name=t("Envoyer la demande de compléments")).click()
        expect(page.locator(".fr-alert--success")).to_contain_text(
            t("La demande de compléments est envoyée au demandeur. Le délai d'instruction est suspendu."))
        visited(page, "file-complements-requested")

        # --- The applicant sees the request and answers it with a document.
        clock.shift(timedelta(minutes=3))
        home = Person(browser, lang, errors)
        person, pt = home.page, home.t
        home.sign_in(live_server, applicant.email)
        expect(person.locator("h1")).to_have_text(pt("Mon espace"))
        visited(person, "applicant-dashboard")
        with translation.override(lang):  # catalogue content, in the reader's language
            procedure_name = dossier.procedure.name
        person.get_by_role("link", name=procedure_name).click()
        expect(person.locator(".fr-callout__title")).to_have_text(pt("Compléments demandés"))
        expect(person.locator("main")).to_contain_text("Votre justificatif de domicile a plus de trois mois.")
        visited(person, "applicant-complements")
        person.get_by_text(pt("Ajouter ou remplacer une pièce")).click()
        address = dossier.procedure.requirements.get(document_type__code="justificatif-domicile").document_type
        upload = person.locator(f"#piece-{address.pk}")
        upload.locator("input[type=file]").set_input_files(blank_pdf(tmp_path / "domicile.pdf"))
        upload.get_by_role("button", name=re.compile("^" + re.escape(pt("Envoyer : %(name)s", name="")))).click()
        expect(person.locator(".fr-alert--success")).to_be_visible()
        person.get_by_label(pt("Votre réponse")).fill("Voici une facture d'électricité du mois dernier.")
        person.get_by_role("button", name=pt("Envoyer ma réponse")).click()
        expect(person.locator(".fr-alert--success")).to_be_visible()
        visited(person, "applicant-answered")

        # --- The agent declares the file complete: a refusal is possible, "Favorable" not yet.
        clock.shift(timedelta(minutes=2))
        page.reload()
        expect(page.locator("main")).to_contain_text("Voici une facture d'électricité du mois dernier.")
        page.get_by_role("button", name=t("Déclarer le dossier complet")).click()
        expect(page.locator(".fr-alert--success")).to_contain_text(
            t("Le dossier est déclaré complet : l'instruction commence."))
        decision = page.locator("form", has=page.get_by_role("button", name=t("Vérifier la décision")))
        expect(decision.get_by_label(t("Défavorable (refus motivé)"))).to_have_count(1)
        expect(decision.get_by_label(t("Favorable"), exact=True)).to_have_count(0)
        expect(page.locator("#favourable-waits")).to_have_text(
            t("Décision favorable possible après le relevé des empreintes."))
        visited(page, "file-under-review")
        page.get_by_role("button", name=t("Demander le relevé d'empreintes")).click()
        expect(page.locator(".fr-alert--success")).to_contain_text(
            t("Le relevé d'empreintes est demandé ; le demandeur en est informé."))
        convocation = Booking.objects.get(person=applicant, motive__code=Motive.Code.BIOMETRICS)
        expect(page.locator("main")).to_contain_text(
            t("Le demandeur est convoqué (voir « Rendez-vous ») : la décision favorable sera possible quand le "
              "guichet aura marqué le rendez-vous comme reçu."))
        visited(page, "file-convoked")

        # --- The applicant sees the convocation.
        person.reload()
        appointment = person.locator("#rendez-vous + ul")
        expect(appointment).to_contain_text(pt("Relevé d'empreintes et photo"))
        visited(person, "applicant-convoked")
        person.locator("header").get_by_role("link", name=pt("Mes rendez-vous")).click()
        expect(person.locator("h1")).to_have_text(pt("Mes rendez-vous"))
        visited(person, "applicant-appointments")

        # --- On the appointment's day and hour, the desk receives the applicant.
        clock.move_to(timezone.localtime(convocation.slot.starts_at) + timedelta(minutes=2))
        counter = Person(browser, lang, errors)
        desk_page, dt = counter.page, counter.t
        counter.sign_in(live_server, desk_agent.email, staff=True)
        desk_page.locator("header").get_by_role("link", name=dt("Guichets")).click()
        expect(desk_page.locator("h1")).to_have_text(dt("Guichets"))
        visited(desk_page, "desks")
        desk_page.get_by_role("link", name=dt('Rendez-vous du jour<span class="fr-sr-only"> – %(name)s</span>',
                                              name=desk.name)).click()
        row = desk_page.locator(f"#rdv-{convocation.pk}")
        expect(row).to_contain_text(dossier.reference)
        visited(desk_page, "desk-day-biometrics")
        row.locator("button[value=done]").click()
        expect(desk_page.locator(f"#rdv-{convocation.pk}")).to_contain_text(str(dt("Reçu")))
        visited(desk_page, "desk-day-biometrics-done")

        # --- The agent decides favourably, through the confirmation step.
        clock.shift(timedelta(minutes=10))
        office.sign_in(live_server, agent.email, staff=True)  # a new day's session
        page.goto(f"{live_server.url}/backoffice/dossiers/{dossier.pk}/")
        expect(page.locator("main")).to_contain_text(t("Empreintes relevées au guichet."))
        decision = page.locator("form", has=page.get_by_role("button", name=t("Vérifier la décision")))
        decision.get_by_label(t("Favorable"), exact=True).check(force=True)  # DSFR draws its own radio
        decision.get_by_role("button", name=t("Vérifier la décision")).click()
        expect(page.locator("h1")).to_have_text(t("Confirmer la décision – dossier %(ref)s", ref=dossier.reference))
        expect(page.locator("main")).to_contain_text(t("Le titulaire est autorisé à travailler."))
        assert Dossier.objects.get(pk=dossier.pk).status == Status.UNDER_REVIEW  # nothing recorded yet
        visited(page, "decision-confirm")
        page.get_by_role("button", name=t("Confirmer la décision")).click()
        expect(page.locator(".fr-alert--success")).to_be_visible()
        assert Dossier.objects.get(pk=dossier.pk).status == Status.DECIDED_FAVOURABLE
        visited(page, "file-decided")

        # --- The applicant comes back (signed out after 30 idle minutes) for the certificate.
        home.sign_in(live_server, applicant.email)
        person.goto(f"{live_server.url}/dossiers/{dossier.pk}/")
        expect(person.locator(".fr-callout__title")).to_have_text(pt("Décision favorable"))
        certificate = IssuedDocument.objects.get(subject_id=str(dossier.pk), kind=DocumentKind.FAVOURABLE_DECISION)
        visited(person, "applicant-decided")
        with person.expect_download() as download:
            person.get_by_role("link", name=re.compile(re.escape(certificate.number))).click()
        assert open(download.value.path(), "rb").read(5) == b"%PDF-"

        # --- The card is produced, then ready.
        for step in (Status.CARD_IN_PRODUCTION, Status.CARD_READY):
            page.get_by_role("button", name=t("Marquer : %(step)s", step=tr(lang, step.label))).click()
            expect(page.locator(".fr-alert--success")).to_contain_text(t("L'étape du titre est enregistrée."))
        visited(page, "file-card-ready")

        # --- The applicant books the collection.
        person.reload()
        expect(person.locator(".fr-callout__title")).to_have_text(pt("Titre disponible"))
        visited(person, "applicant-card-ready")
        person.get_by_role("link", name=pt("Prendre rendez-vous pour retirer mon titre")).click()
        expect(person.locator("h1")).to_have_text(pt("Prendre rendez-vous"))
        visited(person, "book-collection")
        person.locator("input[name=slot]").first.check(force=True)
        person.get_by_role("button", name=pt("Réserver ce créneau")).click()
        expect(person.locator(".fr-alert--success")).to_be_visible(timeout=30_000)
        collection = Booking.objects.get(person=applicant, motive__code=Motive.Code.CARD_COLLECTION)
        visited(person, "collection-booked")

        # --- On that day and hour, the desk hands the card over.
        clock.move_to(timezone.localtime(collection.slot.starts_at) + timedelta(minutes=2))
        counter.sign_in(live_server, desk_agent.email, staff=True)
        desk_page.goto(f"{live_server.url}/backoffice/guichets/{desk.pk}/"
                       f"{timezone.localdate(collection.slot.starts_at).isoformat()}/")
        row = desk_page.locator(f"#rdv-{collection.pk}")
        expect(row).to_contain_text(dossier.reference)
        row.locator("button[value=done]").click()
        expect(desk_page.locator(f"#rdv-{collection.pk}")).to_contain_text(str(dt("Reçu")))
        visited(desk_page, "desk-day-collection-done")
        desk_page.goto(f"{live_server.url}/backoffice/dossiers/{dossier.pk}/")
        # What the card says becomes the holder's new permit.
        card_until = timezone.localdate() + timedelta(days=4 * 365)
        desk_page.get_by_label(dt("Numéro du titre remis")).fill("R4455667788")
        desk_page.get_by_label(dt("Valable à partir du")).fill(timezone.localdate().isoformat())
        desk_page.get_by_label(dt("Valable jusqu'au")).fill(card_until.isoformat())
        desk_page.get_by_role("button", name=dt("Marquer : %(step)s",
                                                step=tr(lang, Status.CARD_DELIVERED.label))).click()
        expect(desk_page.locator(".fr-alert--success")).to_contain_text(dt("L'étape du titre est enregistrée."))
        visited(desk_page, "file-card-delivered")
        assert Dossier.objects.get(pk=dossier.pk).status == Status.CARD_DELIVERED

        home.sign_in(live_server, applicant.email)
        person.goto(f"{live_server.url}/dossiers/{dossier.pk}/")
        expect(person.locator(".fr-callout__title")).to_have_text(pt("Titre remis"))
        visited(person, "applicant-card-delivered")
        # Their space now shows the new permit, and the old one as replaced by it.
        person.goto(f"{live_server.url}/espace/")
        expect(person.locator("main")).to_contain_text("R4455667788")
        visited(person, "applicant-new-permit")

        for someone in (office, home, counter):
            someone.context.close()
    assert not errors, "Errors in the browser console:\n" + "\n".join(errors)
