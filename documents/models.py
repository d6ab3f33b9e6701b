"""Documents the administration issues: receipts, certificates and convocation letters (DESIGN §5).

An ``IssuedDocument`` is written once, at issue time, with everything its PDF shows (``context``
and the holder snapshot); the PDF is rendered from that row alone, stored, and never rendered again.
Writes go through ``documents/services.py``, reads through ``documents/selectors.py``.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Verification codes use 32 symbols with no look-alikes (no 0/O, 1/I/L): read aloud, typed by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def format_code(code: str) -> str:
    """``ABCDE23456`` -> ``ABCDE-23456``, the way a code is printed and shown."""
    return f"{code[:5]}-{code[5:]}"


def normalize_code(raw: str) -> str:
    """What a person typed -> the stored form: upper case, without spaces or dashes."""
    return re.sub(r"[\s\-\u2010-\u2015]", "", raw).upper()


class DocumentKind(models.TextChoices):
    FILING_RECEIPT = "filing_receipt", _("Attestation de dépôt")
    EXTENSION_CERTIFICATE = "extension_certificate", _("Attestation de prolongation d'instruction")
    FAVOURABLE_DECISION = "favourable_decision", _("Attestation de décision favorable")
    CONVOCATION = "convocation", _("Convocation")
    WELCOME_LETTER = "welcome_letter", _("Lettre de bienvenue (identifiant de connexion)")


#: The part of a document's number that says its kind: ANEF-ADD-2026-00000123.
NUMBER_PREFIXES = {
    DocumentKind.FILING_RECEIPT: "ADD",
    DocumentKind.EXTENSION_CERTIFICATE: "API",
    DocumentKind.FAVOURABLE_DECISION: "ADF",
    DocumentKind.CONVOCATION: "CNV",
    DocumentKind.WELCOME_LETTER: "LBV",
}


#: Documents that prove a right (to stay, to work) while they are in force. When one of them is
#: replaced, the replacement takes effect only on the day its successor starts: until then the old
#: one stays in force, so that a person is never left a day without a valid document (DESIGN §5,
#: "continuity is the rule"). Any other document (a receipt, a convocation letter for a moved
#: appointment) is replaced on the day its successor is issued.
CONTINUITY_KINDS = frozenset({DocumentKind.EXTENSION_CERTIFICATE, DocumentKind.FAVOURABLE_DECISION})


class DocumentStatus(models.TextChoices):
    """The register's state of a document. A SUPERSEDED document names its successor and the day
    the replacement takes effect (``superseded_on``); what it means on a given day is
    ``IssuedDocument.public_status``."""

    VALID = "valid", _("valide")
    SUPERSEDED = "superseded", _("remplacé par un document plus récent")
    REVOKED = "revoked", _("révoqué")


class PublicStatus(models.TextChoices):
    """What the verification page says: the stored status, refined by today's date."""

    VALID = "valid", _("valide")
    NOT_YET_VALID = "not_yet_valid", _("pas encore en vigueur")
    EXPIRED = "expired", _("expiré")
    SUPERSEDED = "superseded", _("remplacé par un document plus récent")
    REVOKED = "revoked", _("révoqué")


#: Allowed status changes; each is made by one service in documents/services.py.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    DocumentStatus.VALID: frozenset({DocumentStatus.SUPERSEDED, DocumentStatus.REVOKED}),
    DocumentStatus.SUPERSEDED: frozenset({DocumentStatus.REVOKED}),
    DocumentStatus.REVOKED: frozenset(),
}


class DocumentNumberSequence(models.Model):
    """The last number given, per kind and year.

    Why a counter row rather than the primary key: numbers stay contiguous per kind and per year
    (ANEF-ADD-2026-00000001, 2, 3...), which is what people expect of an official register. Why it
    is race-free: ``documents.services`` takes the row with ``select_for_update`` inside the
    issuing transaction, so two issues of the same kind queue on that row lock (PostgreSQL) or on
    the database write lock (SQLite, ``transaction_mode=IMMEDIATE``); a rolled-back issue gives its
    number back. The lock is held only until the issuing transaction commits, and issues of
    different kinds never wait on each other.
    """

    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("compteur de numérotation")
        verbose_name_plural = _("compteurs de numérotation")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="document_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_value}"


class IssuedDocument(models.Model):
    kind = models.CharField(_("type de document"), max_length=30, choices=DocumentKind.choices)
    number = models.CharField(_("numéro"), max_length=32, unique=True)
    verification_code = models.CharField(
        _("code de vérification"), max_length=CODE_LENGTH, unique=True,
        help_text=_("Stocké sans tiret, en majuscules."),
    )

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="issued_documents",
        verbose_name=_("titulaire"),
    )
    # Snapshot at issue time: the verification page shows what the document says, even if the
    # person later corrects their profile.
    holder_name = models.CharField(_("nom du titulaire"), max_length=310)
    holder_birth_date = models.DateField(_("date de naissance du titulaire"), null=True, blank=True)

    # What the document is about (a dossier, a booking), like AuditEvent.object_type/object_id:
    # this app sits below the apps whose objects it certifies and cannot point at them with a FK.
    subject_type = models.CharField(_("type d'objet"), max_length=60)
    subject_id = models.CharField(_("identifiant de l'objet"), max_length=40)

    valid_from = models.DateField(_("valable à partir du"), null=True, blank=True)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.VALID
    )
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes",
        verbose_name=_("remplacé par"),
    )
    # The first day on which the successor replaces this document; until then this one stays in
    # force (CONTINUITY_KINDS). Set with superseded_by, by documents.services.document_issue.
    superseded_on = models.DateField(_("remplacé à compter du"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revocation_reason = models.TextField(_("motif de la révocation"), blank=True)

    # The data at issue time; the PDF is rendered from it only, never from live objects.
    context = models.JSONField(_("contenu"), default=dict)
    template = models.CharField(_("gabarit"), max_length=150)
    # Under MEDIA_ROOT/documents/, which no URL serves: the download view streams the file after
    # an access check. Its name is the number (documents.services), never user input.
    file = models.FileField(_("fichier PDF"), upload_to="documents/%Y/%m/", max_length=200, blank=True)
    language = models.CharField(_("langue du titulaire"), max_length=5, default="fr")

    issued_at = models.DateTimeField(_("délivré le"), default=timezone.now)
    rendered_at = models.DateTimeField(_("PDF produit le"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("document délivré")
        verbose_name_plural = _("documents délivrés")
        # number and verification_code are unique, which already indexes them.
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "issued_at"], name="document_subject_idx"),
            models.Index(fields=["holder", "issued_at"], name="document_holder_idx"),
            # Statistics: certificates issued per kind over a period.
            models.Index(fields=["kind", "issued_at"], name="document_kind_issued_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="document_valid_range",
            ),
            models.CheckConstraint(
                # A superseded document names its successor and the day it takes over; a valid
                # one has none; a revoked one keeps its successor if it had one.
                condition=Q(status=DocumentStatus.SUPERSEDED, superseded_by__isnull=False,
                            superseded_on__isnull=False)
                | Q(status=DocumentStatus.VALID, superseded_by__isnull=True, superseded_on__isnull=True)
                | Q(status=DocumentStatus.REVOKED),
                name="document_superseded_has_successor",
            ),
            models.UniqueConstraint(
                # One extension certificate per dossier and start date: a sweep run twice, or two
                # workers racing, cannot issue the same certificate twice (the sweep also re-checks
                # under a row lock: applications/services/certificates.py). A revoked one does not
                # count, so that a certificate issued in error can be replaced.
                fields=["subject_type", "subject_id", "valid_from"],
                condition=Q(kind=DocumentKind.EXTENSION_CERTIFICATE) & ~Q(status=DocumentStatus.REVOKED),
                name="document_one_extension_per_subject_start",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def verification_code_display(self) -> str:
        return format_code(self.verification_code)

    @property
    def is_rendered(self) -> bool:
        return self.rendered_at is not None and bool(self.file)

    @property
    def proves_rights(self) -> bool:
        return self.kind in CONTINUITY_KINDS

    def replacement_pending(self, today: datetime.date | None = None) -> bool:
        """Replaced by a successor that has not taken over yet: this one is still in force."""
        today = today or timezone.localdate()
        return (self.status == DocumentStatus.SUPERSEDED and self.superseded_on is not None
                and self.superseded_on > today)

    def public_status(self, today: datetime.date | None = None) -> PublicStatus:
        """The status the verification page shows, given today's date (Europe/Paris).

        A superseded document is "superseded" only from the day its successor takes over; until
        then its own validity dates decide.
        """
        today = today or timezone.localdate()
        if self.status != DocumentStatus.VALID and not self.replacement_pending(today):
            return PublicStatus(self.status)
        if self.valid_until is not None and self.valid_until < today:
            return PublicStatus.EXPIRED
        if self.valid_from is not None and self.valid_from > today:
            return PublicStatus.NOT_YET_VALID
        return PublicStatus.VALID


# --- Letters printed in batches (issue 12) -------------------------------------------------------

class LetterBatchStatus(models.TextChoices):
    READY = "ready", _("À imprimer")
    PRINTED = "printed", _("Imprimé et envoyé")


class LetterBatch(models.Model):
    """The pending letters of one printing desk (a prefecture, or a PAN), gathered into one PDF.

    A batch is built by ``documents.letters.services.letter_batch_build`` and printed once:
    ``letter_batch_mark_printed`` marks its letters sent. See docs/adr/0008-letter-batches.md.
    """

    prefecture = models.ForeignKey(
        "territory.Prefecture", on_delete=models.PROTECT, related_name="+", verbose_name=_("préfecture"),
    )
    # A PAN's batch names its site (and the site's prefecture above); a prefecture's has none.
    site = models.ForeignKey(
        "territory.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("point d'accueil numérique"),
    )
    status = models.CharField(
        _("état"), max_length=10, choices=LetterBatchStatus.choices, default=LetterBatchStatus.READY,
    )
    letters_count = models.PositiveIntegerField(_("nombre de courriers"), default=0)
    created_at = models.DateTimeField(_("préparé le"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("préparé par"),
    )
    printed_at = models.DateTimeField(_("imprimé le"), null=True, blank=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("imprimé par"),
    )
    # Under MEDIA_ROOT/letters/, served only by the desk's access-checked download view.
    file = models.FileField(_("fichier PDF"), upload_to="letters/%Y/%m/", max_length=200, blank=True)
    rendered_at = models.DateTimeField(_("PDF produit le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lot de courriers")
        verbose_name_plural = _("lots de courriers")
        indexes = [models.Index(fields=["prefecture", "site", "created_at"], name="letter_batch_desk_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=LetterBatchStatus.READY, printed_at__isnull=True, printed_by__isnull=True)
                | Q(status=LetterBatchStatus.PRINTED, printed_at__isnull=False),
                name="letter_batch_printed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"LOT-{timezone.localdate(self.created_at).year}-{self.pk:06d}"

    @property
    def is_rendered(self) -> bool:
        return self.rendered_at is not None and bool(self.file)


class BatchedLetter(models.Model):
    """One letter (a LETTER row of the outbox) in its batch: its page and its verification code.

    The one-to-one on the notification is the database's answer to "each pending letter once":
    two desks building at the same instant cannot both take a letter (the second INSERT fails).
    The code, printed on the page, is checked on /verifier/ like an issued document's.
    """

    batch = models.ForeignKey(LetterBatch, on_delete=models.CASCADE, related_name="letters")
    # CASCADE: erasing a person's account (and so their outbox) erases their letters' records;
    # the code on the paper then no longer verifies, which is right once their data is gone.
    notification = models.OneToOneField(
        "notifications.Notification", on_delete=models.CASCADE, related_name="batched_letter",
        verbose_name=_("notification"),
    )
    position = models.PositiveIntegerField(_("rang dans le lot"))
    verification_code = models.CharField(
        _("code de vérification"), max_length=CODE_LENGTH, unique=True,
        help_text=_("Stocké sans tiret, en majuscules."),
    )

    class Meta:
        ordering = ["batch", "position"]
        verbose_name = _("courrier d'un lot")
        verbose_name_plural = _("courriers des lots")
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="batched_letter_unique_position"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"ANEF-COU-{self.batch_id:06d}-{self.position:04d}"

    @property
    def verification_code_display(self) -> str:
        return format_code(self.verification_code)
