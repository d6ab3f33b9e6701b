"""The outbox: one row per person, event, object and channel (DESIGN §9).

The unique key is what makes sending safe to repeat: a retried task, a crashed worker or a second
sweep finds the row already there (and already sent) instead of sending a second message.

A row is for an account (``recipient``) or, for a person who has none (someone who reported a
blocking problem without an account), for contact details copied on the row (``contact_*``): a
CHECK asks for one or the other. A contact row's key is the event, the object and the channel: the
object names the person (their report), so a retry after they corrected an address still finds it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tokens import SECRET_PLACEHOLDER
from territory.models import Prefecture, Site

__all__ = ["SECRET_PLACEHOLDER", "Channel", "Notification", "Secret", "Status"]


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    INBOX = "inbox", _("Messagerie de l'espace")
    LETTER = "letter", _("Courrier")


#: Channels a worker delivers; the inbox is delivered on creation, letters wait to be printed.
DISPATCHED_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS})


class Status(models.TextChoices):
    PENDING = "pending", _("En attente")
    # Claimed by a worker (``claimed_at``) that is talking to the channel now; back to pending (or
    # failed) once it knows the answer, or taken again by the sweep once the lease has run out.
    SENDING = "sending", _("En cours d'envoi")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("Échec")


class Secret(models.TextChoices):
    """What a row's body holds in place of a secret (``SECRET_PLACEHOLDER``), derived again when
    the message leaves (notifications.secrets): the secret is never stored, queued or logged."""

    NONE = "", _("Aucun")
    PASSWORD_RESET = "password_reset", _("Lien de nouveau mot de passe")
    EMAIL_VERIFICATION = "email_verification", _("Lien d'activation du compte")
    SMS_RESET_CODE = "sms_reset_code", _("Code de nouveau mot de passe par SMS")


SUBJECT_MAX_LENGTH = 255


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
        verbose_name=_("destinataire"), null=True, blank=True,
    )
    # A person without an account: how to reach them, copied when the row is written.
    contact_name = models.CharField(_("nom du contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("e-mail du contact"), blank=True)
    contact_phone = models.CharField(_("téléphone du contact"), max_length=20, blank=True)
    contact_postal_address = models.TextField(_("adresse postale du contact"), blank=True)
    event = models.CharField(_("événement"), max_length=80)
    object_type = models.CharField(_("type d'objet"), max_length=60)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=40)
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    subject = models.CharField(_("objet"), max_length=SUBJECT_MAX_LENGTH)
    body = models.TextField(_("message"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives d'envoi"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    read_at = models.DateTimeField(_("lu le"), null=True, blank=True)
    # Delivery (notifications.delivery): the worker's claim (a lease: NOTIFICATION_LEASE), and when a
    # failed attempt may be tried again (capped exponential backoff); empty: at once.
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("prochain essai le"), null=True, blank=True)
    secret = models.CharField(_("secret dérivé à l'envoi"), max_length=20, choices=Secret.choices, blank=True,
                              default=Secret.NONE)
    # A letter's printing desk, decided when the row is written (notifications.letters.letter_route):
    # a PAN (letter_site, with its prefecture) or a prefecture alone; both empty when no desk is
    # known (no address): such a letter waits for the administrator. Empty on other channels.
    letter_prefecture = models.ForeignKey(
        Prefecture, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("préfecture qui imprime le courrier"),
    )
    letter_site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("point d'accueil qui imprime le courrier"),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event", "object_type", "object_id", "channel"],
                name="notification_unique_per_channel",
            ),
            models.UniqueConstraint(
                fields=["event", "object_type", "object_id", "channel"], condition=Q(recipient__isnull=True),
                name="notification_contact_unique_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | ~Q(contact_email="") | ~Q(contact_phone="")
                | ~Q(contact_postal_address=""),
                name="notification_has_recipient_or_contact",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="notification_pending_idx"),
            models.Index(fields=["recipient", "channel", "created_at"], name="notification_inbox_idx"),
            # The health page and the admin: sent in the last 24 hours.
            models.Index(fields=["sent_at"], name="notification_sent_idx", condition=Q(status="sent")),
            # The sweep: rows due again, and claims whose lease ran out.
            models.Index(
                fields=["status", "next_attempt_at", "id"], name="notification_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
            # The printing desks: pending letters per prefecture or site.
            models.Index(
                fields=["letter_prefecture", "letter_site", "id"], name="notification_letter_desk_idx",
                condition=Q(channel="letter", status="pending"),
            ),
        ]

    def __str__(self) -> str:
        to = self.recipient_id if self.recipient_id is not None else "contact"
        return f"{self.event} {self.object_type}#{self.object_id} → {to} ({self.channel})"
