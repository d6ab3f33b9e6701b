"""Blocking reports (signalements), their evidence and timeline, and the anomalies they are linked
to (DESIGN §8, issue 11). The statuses and their transitions live in ``substitution/workflow.py``;
every write goes through ``substitution/services.py``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Language
from applications.models import Dossier, Procedure
from appointments.models import Booking
from documents.models import IssuedDocument
from substitution.workflow import ReportStatus
from territory.models import Prefecture, Site


class Channel(models.TextChoices):
    ONLINE = "online", _("En ligne")
    PHONE = "phone", _("Téléphone (centre de contact)")
    PAN = "pan", _("Point d'accueil numérique")


class ReportKind(models.TextChoices):
    ACCOUNT_CREATION = "account_creation", _("Je n'arrive pas à créer mon compte")
    LOGIN = "login", _("Je n'arrive pas à me connecter")
    PROCEDURE_NOT_OFFERED = "procedure_not_offered", _(
        "Ma démarche n'est pas proposée, ou le service me dit que je n'y ai pas droit")
    UPLOAD_REFUSED = "upload_refused", _("Un document est refusé")
    PAYMENT = "payment", _("Le paiement ou le timbre fiscal ne fonctionne pas")
    APPOINTMENT = "appointment", _("Je n'arrive pas à prendre rendez-vous")
    OTHER = "other", _("Autre difficulté")


class Anomaly(models.Model):
    """One defect of the online service, to which the reports it causes are linked. Part B of issue
    11 ranks them by people blocked and notifies the linked people of a fix."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ouverte")
        WORKAROUND = "workaround", _("Contournement trouvé")
        FIXED = "fixed", _("Corrigée")

    title = models.CharField(_("intitulé"), max_length=200)
    kind = models.CharField(_("type de blocage"), max_length=30, choices=ReportKind.choices)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("démarche"))
    error_code = models.CharField(_("code d'erreur"), max_length=60, blank=True)
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    # The technical team's answer (services/anomalies.py): a workaround to tell the people, or a fix.
    workaround = models.TextField(_("contournement"), blank=True)
    fix_note = models.TextField(_("correction apportée"), blank=True)
    fixed_at = models.DateTimeField(_("corrigée le"), null=True, blank=True)
    fixed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("corrigée par"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("anomalie")
        verbose_name_plural = _("anomalies")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "workaround", "fixed"]),
                                   name="anomaly_status_valid"),
            models.CheckConstraint(condition=Q(status="fixed", fixed_at__isnull=False) | (~Q(status="fixed")
                                                                                       & Q(fixed_at__isnull=True)),
                                   name="anomaly_fixed_iff_fixed_at"),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="anomaly_status_kind_idx")]

    def __str__(self) -> str:
        return self.title


class ReportSequence(models.Model):
    """The last reference number given, per year: references are contiguous per year
    (SIG-2026-000001, 2, 3...). Taken with ``select_for_update`` in the opening transaction, as
    ``documents.DocumentNumberSequence`` is, so two reports opened at once never share a number."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("compteur de signalements")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class BlockingReport(models.Model):
    """A person who cannot complete their procedure online, from one of three channels."""

    reference = models.CharField(_("référence"), max_length=20, unique=True)
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    # The person: an account, or contact details (at least one way to reach them; a CHECK below).
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="blocking_reports", verbose_name=_("compte de la personne"))
    first_name = models.CharField(_("prénom(s)"), max_length=150, blank=True)
    last_name = models.CharField(_("nom de famille"), max_length=150, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("adresse e-mail"), blank=True)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    language = models.CharField(_("langue préférée"), max_length=5, choices=Language.choices,
                                default=Language.FRENCH)
    # What they wanted to do and what blocked them.
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("démarche visée"))
    prefecture = models.ForeignKey(Prefecture, on_delete=models.PROTECT, related_name="blocking_reports",
                                   verbose_name=_("préfecture compétente"))
    kind = models.CharField(_("type de blocage"), max_length=30, choices=ReportKind.choices)
    tried = models.TextField(_("ce qui a été essayé"), blank=True)
    page_url = models.CharField(_("page concernée"), max_length=500, blank=True)
    error_code = models.CharField(_("code d'erreur"), max_length=60, blank=True)
    error_message = models.TextField(_("message d'erreur"), blank=True)
    # Who opened it, and where.
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("ouvert par"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("point d'accueil"))
    # Where it stands.
    status = models.CharField(_("statut"), max_length=30, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    deadline = models.DateField(_("date limite de réponse"))
    opened_at = models.DateTimeField(_("ouvert le"), default=timezone.now)
    resolved_at = models.DateTimeField(_("résolu le"), null=True, blank=True)
    #: SHA-256 of the follow secret (only for a person without an account); the secret itself is
    #: shown once and never stored.
    secret_hash = models.CharField(max_length=64, blank=True)
    anomaly = models.ForeignKey(Anomaly, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports",
                                verbose_name=_("anomalie"))
    # The paper path (part B of issue 11).
    #: Set when no paper-filing slot was free within SUBSTITUTION_INVITATION_HORIZON_DAYS: the
    #: prefecture's supervisors are alerted and the report shows on their dashboard until invited.
    no_slot_flagged_at = models.DateTimeField(_("sans créneau depuis le"), null=True, blank=True)
    #: The dossier registered at the desk from the paper file (channel "paper").
    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="blocking_report", verbose_name=_("dossier déposé sur papier"))

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) | ~Q(phone="") | ~Q(email="")
                           | (~Q(address="") & ~Q(postal_code="") & ~Q(city=""))),
                name="report_person_reachable",
            ),
            models.CheckConstraint(
                condition=Q(channel="pan", site__isnull=False) | (~Q(channel="pan") & Q(site__isnull=True)),
                name="report_site_iff_pan",
            ),
            models.CheckConstraint(
                condition=Q(channel="online") | Q(opened_by__isnull=False),
                name="report_staff_channel_has_opener",
            ),
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="report_channel_valid"),
            models.CheckConstraint(condition=Q(kind__in=ReportKind.values), name="report_kind_valid"),
        ]
        indexes = [
            # The support queue: by status, oldest deadline first.
            models.Index(fields=["status", "deadline", "id"], name="report_queue_idx"),
            models.Index(fields=["prefecture", "status", "deadline"], name="report_prefecture_idx"),
            models.Index(fields=["site", "opened_by"], name="report_site_idx"),
            models.Index(fields=["last_name"], name="report_last_name_idx"),
            # The support queue's default order over the active reports only: its first page walks
            # this and stops after 25 rows, instead of sorting every active report (30 ms for 5,000
            # under load, bench/substitution.py; docs/benchmarks.md).
            models.Index(fields=["deadline", "opened_at", "id"], name="report_active_queue_idx",
                         condition=Q(status__in=["open", "answered", "unresolved"])),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def person_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name.upper()) if part)

    @property
    def has_postal_address(self) -> bool:
        return bool(self.address and self.postal_code and self.city)


def evidence_path(instance: ReportEvidence, filename: str) -> str:
    # Storage names never come from the uploaded name (see applications/uploads.py).
    return f"reports/{instance.report_id}/{instance.sha256[:16]}{instance.extension}"


class ReportEvidence(models.Model):
    """A screenshot or file attached to a report, checked by ``applications.uploads`` and stored
    under the private ``MEDIA_ROOT``; downloaded only through the access-checked views."""

    report = models.ForeignKey(BlockingReport, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("nom du fichier envoyé"), max_length=120)
    content_type = models.CharField(max_length=40)
    extension = models.CharField(max_length=5)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("pièce du signalement")
        verbose_name_plural = _("pièces du signalement")
        constraints = [
            models.UniqueConstraint(fields=["report", "sha256"], name="evidence_unique_per_report"),
        ]

    def __str__(self) -> str:
        return self.original_name


class ReportEvent(models.Model):
    """One line of the report's timeline."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Signalement enregistré")
        ANSWERED = "answered", _("Réponse du support")
        RESOLVED = "resolved", _("Problème résolu")
        UNRESOLVED = "unresolved", _("Anomalie non résolue")
        REOPENED = "reopened", _("La personne signale que ça ne marche toujours pas")
        ANOMALY_LINKED = "anomaly_linked", _("Rattaché à une anomalie")
        ANOMALY_FIXED = "anomaly_fixed", _("Le problème est corrigé : vous pouvez réessayer en ligne")
        IMPOSSIBILITY = "impossibility", _("Impossibilité de faire la démarche en ligne constatée")
        INVITED = "invited", _("Convocation pour déposer un dossier papier")
        NO_SLOT = "no_slot", _("Aucun créneau libre : la préfecture est alertée")
        INVITATION_MISSED = "invitation_missed", _("Convocation manquée")
        FILED_ON_PAPER = "filed_on_paper", _("Dossier déposé sur papier")

    report = models.ForeignKey(BlockingReport, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField(blank=True)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("événement du signalement")
        verbose_name_plural = _("historique des signalements")
        indexes = [models.Index(fields=["report", "at"], name="report_event_idx")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind}"

    @property
    def shown_to_person(self) -> bool:
        """The person sees the answers and the moves of their report, not the internal notes
        (why the support marked it unresolved, which anomaly it is linked to)."""
        return self.kind not in (self.Kind.ANOMALY_LINKED, self.Kind.NO_SLOT)


class Impossibility(models.Model):
    """The formal act that the online service could not be made to work for this person within a
    reasonable time (décret 2023-191): recorded by an agent of the competent prefecture, or by the
    portal itself (``recorded_by`` empty) when the report's deadline passed unresolved. It opens the
    paper path; it is never undone."""

    report = models.OneToOneField(BlockingReport, on_delete=models.PROTECT, related_name="impossibility")
    recorded_at = models.DateTimeField(_("constatée le"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("constatée par"))
    grounds = models.TextField(_("motifs"))

    class Meta:
        verbose_name = _("impossibilité constatée")
        verbose_name_plural = _("impossibilités constatées")

    def __str__(self) -> str:
        return f"{self.report_id} {self.recorded_at:%Y-%m-%d}"


class Invitation(models.Model):
    """A convocation to file on paper: a booked paper-filing slot at the competent prefecture and
    its letter. A missed one is followed by a new one; the person may ask for another date once."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Prévue")
        HONOURED = "honoured", _("Honorée : dossier déposé")
        MISSED = "missed", _("Manquée")
        REPLACED = "replaced", _("Remplacée par une autre date")
        CANCELLED = "cancelled", _("Annulée")

    report = models.ForeignKey(BlockingReport, on_delete=models.PROTECT, related_name="invitations")
    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="invitation")
    letter = models.ForeignKey(IssuedDocument, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("lettre de convocation"))
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    #: None: made by the portal (the deadline job, a missed convocation).
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    #: This date replaces another at the person's request (allowed once per report).
    asked_by_person = models.BooleanField(_("nouvelle date demandée par la personne"), default=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("convocation au dépôt papier")
        verbose_name_plural = _("convocations au dépôt papier")
        constraints = [
            models.UniqueConstraint(fields=["report"], condition=Q(status="scheduled"),
                                    name="invitation_one_scheduled_per_report"),
            models.UniqueConstraint(fields=["report"], condition=Q(asked_by_person=True),
                                    name="invitation_one_new_date_asked_per_report"),
            models.CheckConstraint(condition=Q(status__in=["scheduled", "honoured", "missed", "replaced", "cancelled"]),
                                   name="invitation_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.status}"
