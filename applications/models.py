"""Permits, the procedure catalogue, and dossiers with their attachments and timeline."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Status is defined with the state machine and imported from here by most of the code.
from applications.workflow import IN_PROGRESS_STATUSES, Status
from territory.models import Prefecture


class PermitCategory(models.TextChoices):
    STUDENT = "etudiant", _("Étudiant")
    EMPLOYEE = "salarie", _("Salarié")
    TEMPORARY_WORKER = "travailleur_temporaire", _("Travailleur temporaire")
    PRIVATE_FAMILY_LIFE = "vie_privee_familiale", _("Vie privée et familiale")
    VISITOR = "visiteur", _("Visiteur")
    TALENT = "passeport_talent", _("Passeport talent")
    RESIDENT = "resident", _("Carte de résident")


class Permit(models.Model):
    """A residence permit (titre de séjour) the applicant holds or held."""

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="permits",
        verbose_name=_("titulaire"),
    )
    category = models.CharField(_("catégorie"), max_length=30, choices=PermitCategory.choices)
    number = models.CharField(_("numéro du titre"), max_length=20)
    valid_from = models.DateField(_("valable du"))
    valid_until = models.DateField(_("valable jusqu'au"))
    allows_work = models.BooleanField(_("autorise à travailler"), default=False)
    #: The request whose card this is (recorded when the card is handed over); empty for a permit
    #: the person held before using the portal. One card per request: a unique key.
    dossier = models.OneToOneField(
        "Dossier", on_delete=models.PROTECT, null=True, blank=True, related_name="issued_permit",
        verbose_name=_("demande"),
    )
    #: The card that replaced this one (a renewal's or a duplicate's new card, from its delivery).
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces",
        verbose_name=_("remplacé par"),
    )

    class Meta:
        ordering = ["-valid_until"]
        verbose_name = _("titre de séjour")
        verbose_name_plural = _("titres de séjour")
        constraints = [
            models.UniqueConstraint(fields=["number"], name="permit_number_unique"),
            models.CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="permit_valid_range"),
            models.CheckConstraint(condition=~Q(replaced_by=F("pk")), name="permit_not_replaced_by_itself"),
        ]
        indexes = [
            # Reminder and certificate sweeps walk permits by expiry in keyset batches.
            models.Index(fields=["valid_until", "id"], name="permit_expiry_keyset_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} n° {self.number}"


# --- Catalogue ----------------------------------------------------------------------------------

def all_formats() -> list[str]:
    return ["pdf", "jpeg", "png"]


class DocumentType(models.Model):  # type: ignore[django-manager-missing]  # manager patched by modeltranslation
    """A kind of supporting document (passport, proof of address...), with its upload rules."""

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=160)
    help_text = models.TextField(_("aide"), blank=True)
    allowed_formats = models.JSONField(
        _("formats acceptés"), default=all_formats,
        help_text=_("Parmi « pdf », « jpeg », « png »."),
    )
    max_size_mb = models.PositiveSmallIntegerField(_("taille maximale (Mo)"), default=5)

    class Meta:
        ordering = ["name"]
        verbose_name = _("type de pièce justificative")
        verbose_name_plural = _("types de pièces justificatives")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not self.allowed_formats or set(self.allowed_formats) - set(self.Format.values):
            raise ValidationError({"allowed_formats": _("Choisissez parmi « pdf », « jpeg » et « png ».")})

    @property
    def max_bytes(self) -> int:
        return self.max_size_mb * 1024 * 1024

    @property
    def formats_label(self) -> str:
        return ", ".join(self.Format(f).label for f in self.allowed_formats)


class Procedure(models.Model):  # type: ignore[django-manager-missing]  # manager patched by modeltranslation
    """One procedure of the catalogue (first request, renewal, duplicate...)."""

    class Group(models.TextChoices):
        FIRST_REQUEST = "first_request", _("Première demande")
        RENEWAL = "renewal", _("Renouvellement")
        CHANGE = "change", _("Changement de statut")
        DUPLICATE = "duplicate", _("Duplicata")
        TRAVEL = "travel", _("Document de voyage")
        UPDATE = "update", _("Modification de situation")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=160)
    group = models.CharField(_("groupe"), max_length=20, choices=Group.choices)
    audience = models.TextField(_("pour qui"))
    help = models.TextField(_("aide en langage simple"), blank=True)
    permit_category = models.CharField(
        _("catégorie de titre"), max_length=30, choices=PermitCategory.choices, blank=True
    )
    is_renewal = models.BooleanField(_("renouvellement"), default=False)
    fee_eur = models.PositiveIntegerField(_("taxe (€, timbre fiscal)"), default=0)
    needs_photo = models.BooleanField(_("photo d'identité (e-photo)"), default=False)
    #: Whether the card this procedure leads to needs the applicant's fingerprints, taken at a desk
    #: of the prefecture before a favourable decision (applications/workflow.py).
    needs_biometrics = models.BooleanField(
        _("relevé d'empreintes avant la décision"), default=True,
        help_text=_("Une décision favorable n'est possible qu'une fois les empreintes relevées au guichet."),
    )
    typical_delay_days = models.PositiveSmallIntegerField(_("délai habituel (jours)"), default=60)
    eligibility = models.JSONField(
        _("questions d'éligibilité"), default=list, blank=True,
        help_text=_("Liste de {code, text, expected (true/false), otherwise (code d'une autre démarche), "
                    "message}."),
    )
    questions = models.JSONField(
        _("questions propres à la démarche"), default=list, blank=True,
        help_text=_("Liste de {code, label, kind (text, date, choice, boolean), required, choices}."),
    )
    documents = models.ManyToManyField(
        DocumentType, through="ProcedureDocument", related_name="procedures",
        verbose_name=_("pièces justificatives"),
    )
    is_active = models.BooleanField(_("ouverte"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=0)

    class Meta:
        ordering = ["group", "position", "name"]
        verbose_name = _("démarche")
        verbose_name_plural = _("démarches")

    def __str__(self) -> str:
        return self.name


class ProcedureDocument(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="requirements")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="+")
    required = models.BooleanField(_("obligatoire"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pièce demandée")
        verbose_name_plural = _("pièces demandées")
        constraints = [
            models.UniqueConstraint(fields=["procedure", "document_type"], name="procedure_document_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure} – {self.document_type}"


# --- Dossiers -----------------------------------------------------------------------------------

class Channel(models.TextChoices):
    ONLINE = "online", _("En ligne")
    PAPER = "paper", _("Papier")


def search_name(*parts: str) -> str:
    """Lower case, without accents or extra spaces: what ``Dossier.search_name`` holds and what the
    queue's name search compares. Here, beside the column, so that writes and reads share it."""
    import unicodedata

    text = " ".join(p for p in parts if p)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().replace("-", " ").split())[:300]


class Dossier(models.Model):
    """A request for one procedure, from draft to decision (DESIGN §4)."""

    reference = models.CharField(_("référence"), max_length=24, unique=True, null=True, blank=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dossiers",
        verbose_name=_("demandeur"),
    )
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="dossiers",
                                  verbose_name=_("démarche"))
    prefecture = models.ForeignKey(Prefecture, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="dossiers", verbose_name=_("préfecture compétente"))
    status = models.CharField(_("statut"), max_length=24, choices=Status.choices, default=Status.DRAFT)
    resume_status = models.CharField(
        _("statut à la réponse"), max_length=24, choices=Status.choices, blank=True,
        help_text=_("Où revient le dossier quand le demandeur répond à une demande de compléments."),
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    answers = models.JSONField(_("réponses"), default=dict, blank=True)
    current_step = models.CharField(_("étape en cours"), max_length=20, default="eligibility")
    renewed_permit = models.ForeignKey(Permit, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="renewals", verbose_name=_("titre renouvelé"))
    #: The procedure's group, copied when the draft starts: the one-request-per-permit constraint
    #: below cannot reach through the foreign key.
    family = models.CharField(_("famille de démarche"), max_length=20, choices=Procedure.Group.choices,
                              blank=True)
    filed_on_time = models.BooleanField(_("déposé dans les délais"), null=True, blank=True)
    tax_stamp_number = models.CharField(_("numéro de timbre fiscal"), max_length=16, blank=True)
    ephoto_code = models.CharField(_("code e-photo"), max_length=22, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    submitted_at = models.DateTimeField(_("déposé le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("clos le"), null=True, blank=True)

    # --- Instruction (back-office) -------------------------------------------------------------
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("agent en charge"),
    )
    completed_at = models.DateTimeField(_("déclaré complet le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    decision_reasons = models.TextField(_("motifs de la décision"), blank=True)
    appeal_routes = models.TextField(_("voies et délais de recours"), blank=True)
    #: The legal clock (DESIGN §4): the target date, pushed back by the time spent waiting for the
    #: applicant's complements; ``clock_paused_on`` is set while a complement request is open.
    legal_deadline = models.DateField(_("échéance légale"), null=True, blank=True)
    clock_paused_on = models.DateField(_("délai suspendu depuis le"), null=True, blank=True)
    #: An agent may grant extension certificates to a late renewal (they are automatic only on time).
    extension_granted = models.BooleanField(_("attestation de prolongation accordée"), default=False)
    # Denormalised for the queue, kept up to date by the services and the daily sweep:
    permit_expires_on = models.DateField(_("fin du titre actuel"), null=True, blank=True)
    certificate_valid_until = models.DateField(_("attestation valable jusqu'au"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priorité"), default=9)
    priority_date = models.DateField(_("date de priorité"), null=True, blank=True)
    search_name = models.CharField(_("nom recherché"), max_length=300, blank=True)
    search_foreigner_number = models.CharField(_("numéro étranger recherché"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "procedure"], condition=Q(status="draft"),
                name="dossier_one_open_draft_per_procedure",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(reference__isnull=False, submitted_at__isnull=False),
                name="dossier_filed_has_reference",
            ),
            # Issue 9: two renewals of one permit were both filed and instructed.
            models.UniqueConstraint(
                fields=["renewed_permit", "family"],
                condition=Q(renewed_permit__isnull=False, status__in=sorted(IN_PROGRESS_STATUSES)),
                name="dossier_one_request_in_progress_per_permit_and_family",
            ),
            # A tax stamp pays for one request: once filed with it, no other file may use it.
            models.UniqueConstraint(
                fields=["tax_stamp_number"], condition=~Q(status="draft") & ~Q(tax_stamp_number=""),
                name="dossier_tax_stamp_used_once",
            ),
        ]
        indexes = [
            models.Index(fields=["applicant", "-updated_at"], name="dossier_applicant_idx"),
            # The back-office queue: one prefecture, priority order, keyset pagination.
            models.Index(fields=["prefecture", "priority", "priority_date", "id"], name="dossier_queue_idx"),
            models.Index(fields=["prefecture", "status", "priority", "priority_date", "id"],
                         name="dossier_queue_status_idx"),
            # The queue's counts by status (``COUNT(*)`` of the prefecture's open dossiers): read by
            # an index-only scan of these two columns alone, also under the generic plan of the
            # prepared statement (the wider index above was passed over for the prefecture's).
            models.Index(fields=["prefecture", "status"], name="dossier_status_count_idx"),
            models.Index(fields=["prefecture", "search_foreigner_number"], name="dossier_foreigner_idx"),
            # Certificate sweep: open renewals by permit expiry.
            models.Index(fields=["permit_expires_on", "id"], name="dossier_permit_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.reference or f"{self.procedure} ({self.get_status_display()})"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Storage names never come from the uploaded name (see applications/uploads.py).
    return f"attachments/{instance.dossier_id}/{instance.sha256[:16]}{instance.extension}"


class Attachment(models.Model):
    class Review(models.TextChoices):
        PENDING = "pending", _("À vérifier")
        ACCEPTED = "accepted", _("Acceptée")
        REJECTED = "rejected", _("Refusée")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("type de pièce"))
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("nom du fichier envoyé"), max_length=120)
    content_type = models.CharField(max_length=40)
    extension = models.CharField(max_length=5)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    is_current = models.BooleanField(default=True)
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.PENDING)
    review_reason = models.TextField(blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    related_name="+")
    added_after_submission = models.BooleanField(default=False)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "document_type"], condition=Q(is_current=True),
                name="attachment_one_current_per_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_type} ({self.original_name})"


class ComplementRequest(models.Model):
    """What the prefecture asked the applicant to provide, and by when."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="complement_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    document_types = models.ManyToManyField(DocumentType, blank=True, related_name="+",
                                            verbose_name=_("pièces demandées"))
    message = models.TextField(_("précisions"), blank=True)
    due_on = models.DateField(_("à fournir avant le"))
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("demande de compléments")
        verbose_name_plural = _("demandes de compléments")
        constraints = [
            models.UniqueConstraint(fields=["dossier"], condition=Q(answered_at__isnull=True),
                                    name="complement_one_open_per_dossier"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier} – {self.due_on}"


class DossierEvent(models.Model):
    """One line of the dossier's timeline, shown to the applicant and the agents."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Brouillon créé")
        SUBMITTED = "submitted", _("Demande déposée")
        RECEIPT_ISSUED = "receipt_issued", _("Attestation de dépôt délivrée")
        DOCUMENT_ADDED = "document_added", _("Pièce ajoutée")
        AMENDED = "amended", _("Réponse corrigée")
        STATUS_CHANGED = "status_changed", _("Changement d'étape")
        COMPLEMENTS_REQUESTED = "complements_requested", _("Compléments demandés")
        COMPLEMENTS_ANSWERED = "complements_answered", _("Compléments envoyés")
        WITHDRAWN = "withdrawn", _("Demande retirée")
        ASSIGNED = "assigned", _("Dossier attribué")
        ATTACHMENT_REVIEWED = "attachment_reviewed", _("Pièce vérifiée")
        BIOMETRICS_REQUESTED = "biometrics_requested", _("Relevé d'empreintes demandé")
        DECIDED = "decided", _("Décision prise")
        CERTIFICATE_ISSUED = "certificate_issued", _("Attestation délivrée")
        EXTENSION_GRANTED = "extension_granted", _("Attestation de prolongation accordée")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+")
    from_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dossier", "at"], name="dossier_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


# --- Back-office exports ------------------------------------------------------------------------

def queue_export_path(instance: "QueueExport", filename: str) -> str:
    # Under MEDIA_ROOT/exports/, which no URL serves: the download view checks the requester first.
    # The name is made here, never from user input.
    return f"exports/{timezone.localdate():%Y/%m}/export-{instance.pk}.csv"


class QueueExport(models.Model):
    """A CSV of a filtered back-office queue, written by a Celery task (``applications.tasks.export_queue``).

    The filters are those of the queue's URL at request time; the rows are read when the task runs,
    through ``queue_base`` with the requester's memberships of that moment. Only the requester may
    download the file (applications/services/exports.py, ``export_get_for_user``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("En préparation")
        READY = "ready", _("Prêt")
        FAILED = "failed", _("Échec")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_exports",
        verbose_name=_("demandé par"),
    )
    prefecture = models.ForeignKey(
        Prefecture, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("préfecture"), help_text=_("Vide : toutes les préfectures de l'agent."),
    )
    filters = models.JSONField(_("filtres"), default=dict, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("fichier"), upload_to=queue_export_path, max_length=200, blank=True)
    row_count = models.PositiveIntegerField(_("nombre de lignes"), null=True, blank=True)
    created_at = models.DateTimeField(_("demandé le"), default=timezone.now)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export de la file")
        verbose_name_plural = _("exports de la file")
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="queue_export_requester_idx")]

    def __str__(self) -> str:
        return f"{self.requested_by} {self.created_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class RenewalReminder(models.Model):
    """A renewal reminder written for a permit (applications/reminders.py): one per permit and
    milestone, the claim the sweep takes before writing the outbox rows, in the same transaction."""

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="renewal_reminders",
                               verbose_name=_("titre de séjour"))
    milestone = models.CharField(_("étape"), max_length=8)
    #: The milestone's day (``valid_until`` minus its days), and the Paris date it was written on:
    #: later than ``due_on`` when the sweep caught up after a gap.
    due_on = models.DateField(_("prévu le"))
    written_on = models.DateField(_("écrit le"))
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("rappel de renouvellement")
        verbose_name_plural = _("rappels de renouvellement")
        constraints = [
            models.UniqueConstraint(fields=["permit", "milestone"],
                                    name="renewal_reminder_one_per_permit_and_milestone"),
        ]

    def __str__(self) -> str:
        return f"{self.milestone} → permit#{self.permit_id}"
