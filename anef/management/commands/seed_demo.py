"""Demo data: prefectures with sites, one account per role, applicants with permits.

Safe to run twice (everything is looked up before it is created); refused when DEBUG is off so it
can never run against a production database.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from accounts.services import TOTP_DEVICE_NAME, membership_grant
from applications.models import Permit, PermitCategory
from territory.models import Prefecture, Site

#: A fixed TOTP key (hex) for every demo staff account, so a demo works with any authenticator app.
DEMO_TOTP_KEY = "616e65662d64656d6f2d746f74702d6b65792121"  # b"anef-demo-totp-key!!"
DEMO_PREFECTURES = ("69", "33", "93")
DEMO_DOMAIN = "demo.anef.example"
#: What a demo applicant wrote in the catalogue's free-text questions (an agent reads them on the file).
DEMO_TEXT_ANSWERS = {
    "employeur": "Boulangerie Martin SARL",
    "etablissement": "Université Lumière Lyon 2",
    "formation": "Master de sociologie",
    "motif_absence_passeport": "Mon consulat ne délivre plus de passeport depuis un an.",
}


def _demo_pdf(name: str):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(f"{name}.pdf", buffer.getvalue(), content_type="application/pdf")


class Command(BaseCommand):
    help = "Loads demo data (refused when DEBUG is off). Safe to run twice."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo is refused when DEBUG is off: it creates known passwords.")
        with transaction.atomic():
            rows = self._seed()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at " + settings.SITE_URL + "/compte/connexion/"))
        secret = b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
        widths = [max(len(r[i]) for r in rows + [("role", "e-mail", "password", "TOTP secret")]) for i in range(4)]
        header = ("role", "e-mail", "password", "TOTP secret (base32)")
        line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
        self.stdout.write(line)
        self.stdout.write("-" * len(line))
        for role, email, password, staff in rows:
            cells = (role, email, password, secret if staff == "yes" else "")
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))

    def _seed(self) -> list[tuple[str, str, str, str]]:
        prefectures = {p.department.code: p for p in Prefecture.objects.filter(
            department__code__in=DEMO_PREFECTURES).select_related("department")}
        pan_sites = {}
        for code, prefecture in prefectures.items():
            home = prefecture.sites.first()
            if home is None:
                raise CommandError(f"The prefecture of {code} has no site: load the territory first.")
            pan_sites[code], _ = Site.objects.get_or_create(
                prefecture=prefecture, name=f"Point d'accueil numérique – {prefecture.city}",
                defaults={"kind": Site.Kind.PAN, "city": prefecture.city, "postal_code": home.postal_code},
            )
        rows: list[tuple[str, str, str, str]] = []

        def account(email, password, first, last, *, staff=False, department=None, **extra):
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email, password=password, first_name=first, last_name=last,
                    email_verified_at=timezone.now(), department=department, **extra,
                )
            if staff:
                device, _ = TOTPDevice.objects.get_or_create(
                    user=user, name=TOTP_DEVICE_NAME, defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
                )
            return user

        password = "Demo-Anef-2026!"  # noqa: S105 - documented demo password, DEBUG only
        admin = account(f"admin@{DEMO_DOMAIN}", password, "Alix", "Admin", staff=True,
                        is_staff=True, is_superuser=True)
        membership_grant(user=admin, role=Role.ADMINISTRATOR)
        rows.append((str(Role.ADMINISTRATOR.label), admin.email, password, "yes"))
        support = account(f"ccc@{DEMO_DOMAIN}", password, "Camille", "Contact", staff=True)
        membership_grant(user=support, role=Role.SUPPORT)
        rows.append((str(Role.SUPPORT.label), support.email, password, "yes"))
        for code, prefecture in prefectures.items():
            agent = account(f"agent.{code}@{DEMO_DOMAIN}", password, "Ana", f"Agent {code}", staff=True)
            membership_grant(user=agent, role=Role.AGENT, prefecture=prefecture)
            rows.append((f"{Role.AGENT.label} ({prefecture.department.code})", agent.email, password, "yes"))
            chief = account(f"chef.{code}@{DEMO_DOMAIN}", password, "Claude", f"Chef {code}", staff=True)
            membership_grant(user=chief, role=Role.SUPERVISOR, prefecture=prefecture)
            membership_grant(user=chief, role=Role.AGENT, prefecture=prefecture)
            rows.append((f"{Role.SUPERVISOR.label} ({code})", chief.email, password, "yes"))
            mediator = account(f"mediateur.{code}@{DEMO_DOMAIN}", password, "Maël", f"Médiateur {code}", staff=True)
            membership_grant(user=mediator, role=Role.MEDIATOR, site=pan_sites[code])
            rows.append((f"{Role.MEDIATOR.label} ({code})", mediator.email, password, "yes"))

        today = timezone.localdate()
        applicants = [
            # e-mail, names, département, permits: (category, days until expiry, allows work)
            ("amina.diallo", "Amina", "Diallo", "69", [(PermitCategory.EMPLOYEE, 95, True)]),
            ("lucas.silva", "Lucas", "Silva", "33", [(PermitCategory.STUDENT, 45, False)]),
            ("mei.chen", "Mei", "Chen", "93", [(PermitCategory.TALENT, 300, True)]),
            ("youssef.benali", "Youssef", "Benali", "69",
             [(PermitCategory.PRIVATE_FAMILY_LIFE, 10, True), (PermitCategory.STUDENT, -355, False)]),
            # Her card ended yesterday; her renewal is still being examined: an extension certificate
            # covers her (issue 9: /espace/'s "Mes attestations en vigueur" and the card's stage).
            ("fatou.sow", "Fatou", "Sow", "69", [(PermitCategory.EMPLOYEE, -1, True)]),
        ]
        for n, (login, first, last, code, permits) in enumerate(applicants, start=1):
            user = account(f"{login}@{DEMO_DOMAIN}", password, first, last,
                           department=prefectures[code].department,
                           birth_date=today.replace(year=today.year - 25 - n, month=3, day=n + 1),
                           nationality="", city=prefectures[code].city)
            for m, (category, days, work) in enumerate(permits, start=1):
                until = today + timedelta(days=days)
                Permit.objects.get_or_create(
                    number=f"DEMO{n:03d}{m:02d}",
                    defaults={"holder": user, "category": category, "allows_work": work,
                              "valid_from": until - timedelta(days=365), "valid_until": until},
                )
            rows.append((str(Role.APPLICANT.label), user.email, password, "no"))
        # Desks first: a favourable decision waits for fingerprints taken at one of them.
        self._seed_desks(prefectures=prefectures, pan_sites=pan_sites)
        self._seed_dossiers(agent=_signed_in(User.objects.get(email=f"agent.69@{DEMO_DOMAIN}")))
        _seed_reports(prefectures=prefectures, pan_sites=pan_sites, support=_signed_in(support))
        _seed_mandate(pan_site=pan_sites["69"])
        _seed_visits(pan=pan_sites["69"])
        return rows

    def _seed_desks(self, *, prefectures, pan_sites) -> None:
        """Desks with weekly hours at each demo prefecture and its digital help point, then eight
        weeks of slots (slots_generate creates only what is missing)."""
        from datetime import time

        from appointments.models import Desk, Motive, OpeningRule
        from appointments.services import slots_generate

        motives = {m.code: m for m in Motive.objects.all()}
        weekdays = range(5)  # Monday to Friday
        morning, afternoon = (time(9), time(12)), (time(13, 30), time(16, 30))
        # desk name, motive, [(weekdays, (opens, closes), capacity)]
        DeskPlan = list[tuple[str, str, list[tuple[Iterable[int], tuple[time, time], int]]]]
        prefecture_desks: DeskPlan = [
            ("Guichet 1 – Empreintes et photo", Motive.Code.BIOMETRICS,
             [(weekdays, morning, 2), (weekdays, afternoon, 2)]),
            ("Guichet 2 – Remise des titres", Motive.Code.CARD_COLLECTION,
             [(weekdays, morning, 2), ((1, 3), afternoon, 2)]),
            ("Guichet 3 – Dépôt sur papier", Motive.Code.PAPER_FILING, [((0, 2, 4), morning, 1)]),
        ]
        pan_desks: DeskPlan = [
            ("Accueil numérique", Motive.Code.PAN_ASSISTANCE,
             [(weekdays, (time(9, 30), time(12, 30)), 1), ((0, 2), (time(14), time(17)), 1)]),
        ]
        today = timezone.localdate()
        for code, prefecture in prefectures.items():
            site = prefecture.sites.filter(kind=Site.Kind.PREFECTURE).first()
            for place, desks in ((site, prefecture_desks), (pan_sites[code], pan_desks)):
                for name, motive_code, rules in desks:
                    desk, created = Desk.objects.get_or_create(site=place, name=name)
                    if not created:
                        continue
                    desk.motives.add(motives[motive_code])
                    OpeningRule.objects.bulk_create([
                        OpeningRule(desk=desk, motive=motives[motive_code], weekday=day, opens_at=opens,
                                    closes_at=closes, capacity=capacity, valid_from=today)
                        for days, (opens, closes), capacity in rules for day in days
                    ])
        slots_generate(start=today, weeks=settings.SLOT_WEEKS_AHEAD)


    def _seed_dossiers(self, *, agent: User) -> None:
        """Dossiers in several states, made through the services as a person would make them."""
        from applications.models import DocumentType, Dossier, Procedure, Status
        from applications.services import (
            attachment_add,
            card_mark,
            complements_request,
            dossier_decide,
            dossier_mark_complete,
            dossier_submit,
            dossier_transition,
            draft_save_step,
            draft_start,
            extension_grant,
        )

        def filed(email: str, code: str, *, states=(), late=False, submit=True) -> Dossier | None:
            user = User.objects.get(email=f"{email}@{DEMO_DOMAIN}")
            if Dossier.objects.filter(applicant=user).exists():
                return None
            procedure = Procedure.objects.get(code=code)
            permit = user.permits.order_by("-valid_until").first()
            dossier, _ = draft_start(applicant=user, procedure=procedure)
            answers: dict[str, dict[str, Any]] = {
                "eligibility": {q["code"]: "yes" if q.get("expected", True) else "no" for q in procedure.eligibility},
                "identity": {"last_name": user.last_name, "first_name": user.first_name,
                             "birth_date": user.birth_date.isoformat() if user.birth_date else "",
                             "birth_place": "Dakar, Sénégal",
                             "nationality": "sénégalaise", "foreigner_number": ""},
                "situation": {"address": "3 rue de la République", "postal_code": "69002", "city": user.city,
                              "department": user.department.code if user.department else "", "phone": "",
                              "family_situation": "single",
                              "occupation": "salariée", "renewed_permit": permit.pk if permit else None},
                "questions": {q["code"]: DEMO_TEXT_ANSWERS.get(q["code"], "–") if q["kind"] == "text"
                              else "yes" if q["kind"] == "boolean" else q["choices"][0]
                              for q in procedure.questions},
            }
            for step, data in answers.items():
                if (step == "eligibility" and not procedure.eligibility
                        or step == "questions" and not procedure.questions):
                    continue
                draft_save_step(dossier=dossier, step=step, data=data, by=user)
            if not submit:
                return None
            for requirement in procedure.requirements.select_related("document_type"):
                attachment_add(dossier=dossier, document_type=requirement.document_type,
                               uploaded_file=_demo_pdf(requirement.document_type.code), by=user)
            # A tax stamp pays for one request: each demo file has its own number.
            dossier = dossier_submit(dossier=dossier, by=user, tax_stamp_number=f"{4200_0000_0000_0000 + dossier.pk}",
                                     ephoto_code="DEMO0000000000000000AB", accept_late=late)
            for state in states:
                dossier = dossier_transition(dossier=dossier, to=state, by=agent)
            return dossier

        filed("amina.diallo", "renouvellement-salarie")
        filed("lucas.silva", "renouvellement-etudiant", submit=False)
        waiting = filed("youssef.benali", "renouvellement-vie-privee-familiale", late=True,
                        states=[Status.UNDER_REVIEW])
        if waiting is not None:  # the prefecture asks for a piece, with a message and a deadline
            complements_request(
                dossier=waiting, by=agent,
                document_types=[DocumentType.objects.get(code="justificatif-domicile")],
                message="Le justificatif de domicile envoyé date de plus de six mois : envoyez-en un plus récent.",
                due_on=timezone.localdate() + timedelta(days=21),
            )
        # Fatou Sow filed late (her card ended yesterday); an agent granted her the extension
        # certificates, and the first one covers her from today while the renewal is examined.
        covered = filed("fatou.sow", "renouvellement-salarie", late=True, states=[Status.UNDER_REVIEW])
        if covered is not None:
            from applications.services.certificates import extension_certificate_issue

            covered = extension_grant(dossier=covered, by=agent, reason="Démonstration : hospitalisation attestée "
                                                                      "pendant la période de renouvellement.")
            extension_certificate_issue(dossier=covered, today=timezone.localdate(), by=agent)
        # Mei Chen lost her card: the duplicate is granted and ready, for the card-collection
        # journey (appointments). Decided and marked by an agent of her prefecture (93).
        lost = filed("mei.chen", "duplicata-perte-vol")
        if lost is not None:
            agent_93 = _signed_in(User.objects.get(email=f"agent.93@{DEMO_DOMAIN}"))
            lost = dossier_mark_complete(dossier=lost, by=agent_93)
            # Her fingerprints were taken at the desk last week. The services record a desk's day
            # only on that day, so this bit of history is written as it would stand today.
            _fingerprints_taken_last_week(lost)
            lost = dossier_decide(dossier=lost, by=agent_93, outcome=Status.DECIDED_FAVOURABLE)
            lost = card_mark(dossier=lost, by=agent_93, to=Status.CARD_IN_PRODUCTION)
            card_mark(dossier=lost, by=agent_93, to=Status.CARD_READY)


def _seed_reports(*, prefectures, pan_sites, support: User) -> None:
    """Blocking reports from the three channels (issue 11), so that the support desk, the
    anomalies, a convocation to file on paper and the figures have something to show. Once: a
    second seed_demo leaves them as they are."""
    from substitution import services as substitution
    from substitution.models import BlockingReport

    if BlockingReport.objects.exists():
        return
    rhone, seine = prefectures["69"], prefectures["93"]
    # Online, without an account: a piece refused, and the support links it to an anomaly.
    refused = substitution.report_open(
        channel="online", prefecture=rhone,
        contact=substitution.Contact(first_name="Kofi", last_name="Mensah", email=f"kofi.mensah@{DEMO_DOMAIN}"),
        blockage=substitution.Blockage(kind="upload_refused", tried="J'ai essayé en PDF puis en photo.",
                                       error_code="upload.format"),
    ).report
    anomaly = substitution.anomaly_create(by=support, title="Justificatif de domicile PDF refusé à tort",
                                          kind="upload_refused", error_code="upload.format")
    substitution.report_link_anomaly(report=refused, by=support, anomaly=anomaly)
    # By phone to the CCC, answered.
    called = substitution.report_open(
        channel="phone", prefecture=seine, by=support,
        contact=substitution.Contact(first_name="Nadia", last_name="Haddad", phone="0612345678"),
        blockage=substitution.Blockage(kind="appointment", tried="Aucun créneau proposé depuis trois semaines."),
    ).report
    substitution.report_answer(report=called, by=support, text=(
        "Des créneaux s'ouvrent chaque lundi à 9 h ; si vous n'en trouvez pas d'ici la date limite, "
        "la préfecture vous convoquera."))
    # At the Rhône's digital help point, by its mediator: no e-mail, a postal address.
    mediator = _signed_in(User.objects.get(email=f"mediateur.69@{DEMO_DOMAIN}"))
    substitution.report_open(
        channel="pan", prefecture=rhone, by=mediator, site=pan_sites["69"],
        contact=substitution.Contact(first_name="Ibrahim", last_name="Koné", address="12 rue Garibaldi",
                                     postal_code="69003", city="Lyon"),
        blockage=substitution.Blockage(kind="account_creation", tried="Pas d'adresse e-mail."),
    )
    # Moussa has neither e-mail nor phone: the Rhône's PAN made his account, and his report's
    # messages go by post, printed at that PAN (issue 12: /backoffice/courriers/ has letters to print).
    from accounts.services import account_create_for_person

    moussa = account_create_for_person(
        first_name="Moussa", last_name="Traoré", birth_date=timezone.localdate().replace(year=1984, month=6, day=2),
        address="5 rue Marc Bloch", postal_code="69007", city="Lyon", department=rhone.department,
        language="fr", by=mediator,
    ).user
    moussa_report = substitution.report_open(
        channel="pan", prefecture=rhone, by=mediator, site=pan_sites["69"], person=moussa,
        blockage=substitution.Blockage(kind="payment", tried="Pas de carte bancaire pour le timbre fiscal."),
    ).report
    substitution.report_answer(report=moussa_report, by=support, text=(
        "Le timbre fiscal s'achète aussi en espèces chez un buraliste agréé ; le médiateur du point "
        "d'accueil peut vous aider à le saisir."))
    # Amina's report went unanswered past its deadline: the deadline job convoked her to file on paper.
    amina = User.objects.get(email=f"amina.diallo@{DEMO_DOMAIN}")
    overdue = substitution.report_open(
        channel="online", prefecture=rhone, person=amina, by=amina,
        blockage=substitution.Blockage(kind="payment", tried="Le timbre fiscal est refusé à chaque essai."),
    ).report
    BlockingReport.objects.filter(pk=overdue.pk).update(
        opened_at=timezone.now() - timedelta(days=16), deadline=timezone.localdate() - timedelta(days=1))
    substitution.deadline_job()


def _seed_mandate(*, pan_site: Site) -> None:
    """Youssef gave the Rhône's demo mediator a mandate with a consent code from his space: the
    mediator's "Agir pour le compte d'une personne" lists him (docs/accounts.md, "Mandates")."""
    from accounts.mandates import mandate_in_force
    from accounts.models import Mandate
    from accounts.services import mandate_consent_code_issue, mandate_grant_by_code

    youssef = User.objects.get(email=f"youssef.benali@{DEMO_DOMAIN}")
    if any(mandate_in_force(m) for m in Mandate.objects.filter(person=youssef)):
        return
    mediator = _signed_in(User.objects.get(email=f"mediateur.69@{DEMO_DOMAIN}"))
    code = mandate_consent_code_issue(person=youssef)
    mandate_grant_by_code(by=mediator, site=pan_site, login_id=youssef.login_id, code=code)


def _seed_visits(*, pan: Site) -> None:
    """The walk-in log of the Rhône's PAN (issue 12): today, a visit in progress, Ibrahim Koné's
    (the walk-in report opened for him), Amina's (done online) and a referral; earlier in the week,
    a few more, so that the day view and the figures have something to show. Once."""
    from mediation import services as mediation
    from mediation.models import Visit
    from substitution.models import BlockingReport

    if Visit.objects.exists():
        return
    mediator = _signed_in(User.objects.get(email=f"mediateur.{pan.prefecture.department.code}@{DEMO_DOMAIN}"))
    now = timezone.now()

    def logged(*, ago: timedelta, minutes: int | None, need: str, outcome: str = "", person: User | None = None,
               name: tuple[str, str] = ("", ""), **record: Any) -> None:
        visitor = None if person else mediation.Visitor(first_name=name[0], last_name=name[1])
        visit = mediation.visit_check_in(by=mediator, site=pan, need=need, person=person, visitor=visitor,
                                         at=now - ago)
        if outcome:
            visit = mediation.visit_record(visit=visit, by=mediator, need=need, outcome=outcome, **record)
        if minutes is not None:
            mediation.visit_end(visit=visit, by=mediator, at=now - ago + timedelta(minutes=minutes))

    report = BlockingReport.objects.filter(channel="pan", site=pan, last_name="Koné").first()
    if report is not None:
        logged(ago=timedelta(minutes=50), minutes=35, need="create_account", outcome="report_opened",
               name=("Ibrahim", "Koné"), report=report,
               help_given="Pas d'adresse e-mail : signalement ouvert, lien de suivi imprimé.")
    logged(ago=timedelta(minutes=90), minutes=20, need="upload_piece", outcome="done_online",
           person=User.objects.get(email=f"amina.diallo@{DEMO_DOMAIN}"),
           help_given="Justificatif de domicile scanné et envoyé avec elle.")
    logged(ago=timedelta(minutes=130), minutes=15, need="other", outcome="referred", name=("Samir", "Haddad"),
           referred_to="Point-justice de Lyon 3e", help_given="Question sur un refus : orienté vers un juriste.")
    logged(ago=timedelta(minutes=10), minutes=None, need="book_appointment", name=("Grace", "Mbala"))
    for days, minutes, need, outcome in ((1, 25, "file_request", "done_online"), (1, 40, "print_document",
                                         "will_come_back"), (3, 30, "follow_file", "done_online")):
        logged(ago=timedelta(days=days, hours=2), minutes=minutes, need=need, outcome=outcome,
               name=("Visiteur", f"Démo {days}-{minutes}"), help_given="Accompagnement pas à pas.")


def _signed_in(agent: User) -> User:
    """The demo agent as after their authenticator code: staff services act only for a person
    whose second factor was verified (accounts.permissions), which is what django-otp's middleware
    records on ``request.user``."""
    agent.otp_device = TOTPDevice.objects.get(user=agent, confirmed=True)
    return agent


def _fingerprints_taken_last_week(dossier) -> None:
    """A past fingerprint appointment of the dossier's applicant, received at the prefecture's
    fingerprint desk: demo history, which no service can write after the day it happened."""
    from appointments.models import Booking, Desk, Motive, Slot

    motive = Motive.objects.get(code=Motive.Code.BIOMETRICS)
    desk = Desk.objects.filter(site__prefecture=dossier.prefecture, motives=motive).first()
    starts = (timezone.now() - timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    slot, _ = Slot.objects.get_or_create(
        desk=desk, motive=motive, starts_at=starts,
        defaults={"ends_at": starts + timedelta(minutes=motive.duration_minutes), "capacity": 1, "booked": 1},
    )
    Booking.objects.get_or_create(
        slot=slot, motive=motive, person=dossier.applicant, subject_type="applications.dossier",
        subject_id=str(dossier.pk),
        defaults={"person_name": dossier.applicant.get_full_name(), "kind": Booking.Kind.CONVOCATION,
                  "status": Booking.Status.DONE},
    )
