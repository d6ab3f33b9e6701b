"""Desks, motives, opening rules, slots and bookings (DESIGN §7).

The database, not Python, keeps the two promises of booking: a slot never holds more people than
its capacity (``Slot.booked`` is only changed by a conditional UPDATE, and a CHECK constraint
refuses ``booked > capacity``), and a file has at most one active booking per motive (a partial
unique index). Appointments sit below applications: a booking points at the file it is for by
``subject_type``/``subject_id`` (like documents), never by a foreign key upwards.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from territory.models import Site


class Motive(models.Model):
    class Code(models.TextChoices):
        BIOMETRICS = "biometrics", _("Relevé d'empreintes et photo")
        CARD_COLLECTION = "card_collection", _("Remise du titre de séjour")
        PAPER_FILING = "paper_filing", _("Dépôt d'une demande sur papier")
        PAN_ASSISTANCE = "pan_assistance", _("Aide à la démarche en ligne (point d'accueil numérique)")

    code = models.CharField(_("code"), max_length=30, choices=Code.choices, unique=True)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=15)
    self_bookable = models.BooleanField(
        _("réservable par l'usager"), default=False,
        help_text=_("Sinon, seul un agent peut convoquer (empreintes, dépôt papier)."),
    )
    documents_to_bring = models.TextField(_("documents à apporter"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("motif de rendez-vous")
        verbose_name_plural = _("motifs de rendez-vous")

    def __str__(self) -> str:
        return self.get_code_display()


class Desk(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="desks", verbose_name=_("site"))
    name = models.CharField(_("nom"), max_length=80)
    motives = models.ManyToManyField(Motive, related_name="desks", verbose_name=_("motifs"))
    is_active = models.BooleanField(_("ouvert"), default=True)

    class Meta:
        ordering = ["site", "name"]
        verbose_name = _("guichet")
        verbose_name_plural = _("guichets")
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="desk_unique_name_per_site")]

    def __str__(self) -> str:
        return f"{self.site} – {self.name}"


class OpeningRule(models.Model):
    """Weekly hours of one desk for one motive; slots are generated from these rules."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("lundi")
        TUESDAY = 1, _("mardi")
        WEDNESDAY = 2, _("mercredi")
        THURSDAY = 3, _("jeudi")
        FRIDAY = 4, _("vendredi")
        SATURDAY = 5, _("samedi")

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="rules", verbose_name=_("guichet"))
    motive = models.ForeignKey(Motive, on_delete=models.PROTECT, related_name="+", verbose_name=_("motif"))
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    opens_at = models.TimeField(_("ouverture"))
    closes_at = models.TimeField(_("fermeture"))
    capacity = models.PositiveSmallIntegerField(_("personnes par créneau"), default=1)
    valid_from = models.DateField(_("à partir du"), default=timezone.localdate)
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)

    class Meta:
        ordering = ["desk", "weekday", "opens_at"]
        verbose_name = _("horaire d'ouverture")
        verbose_name_plural = _("horaires d'ouverture")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="rule_opens_before_closing"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="rule_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.desk} {self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class Closure(models.Model):
    """A site (or one desk) closed on some days: strike, works, local holiday."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="closures", verbose_name=_("site"))
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, null=True, blank=True, related_name="closures",
                             verbose_name=_("guichet (tous si vide)"))
    starts_on = models.DateField(_("du"))
    ends_on = models.DateField(_("au"))
    reason = models.CharField(_("motif"), max_length=200)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("fermeture")
        verbose_name_plural = _("fermetures")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="closure_range")]

    def __str__(self) -> str:
        return f"{self.site} {self.starts_on}–{self.ends_on}"


class Slot(models.Model):
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="slots")
    motive = models.ForeignKey(Motive, on_delete=models.PROTECT, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    booked = models.PositiveSmallIntegerField(default=0)
    is_cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["desk", "motive", "starts_at"], name="slot_unique_per_desk_motive"),
            # The guarantee against over-booking, whatever the code above does.
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="slot_never_over_capacity"),
        ]
        indexes = [models.Index(fields=["motive", "starts_at"], name="slot_motive_start_idx")]

    def __str__(self) -> str:
        return f"{self.desk} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return self.capacity - self.booked


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Confirmé")
        CHECKED_IN = "checked_in", _("Arrivé")
        DONE = "done", _("Reçu")
        NO_SHOW = "no_show", _("Absent")
        CANCELLED = "cancelled", _("Annulé")

    class Kind(models.TextChoices):
        SELF = "self", _("Pris par l'usager")
        CONVOCATION = "convocation", _("Convocation")

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    motive = models.ForeignKey(Motive, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    person_name = models.CharField(max_length=300)  # on the letter: personal, not transferable
    subject_type = models.CharField(max_length=60, blank=True)
    subject_id = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    movable_until = models.DateField(null=True, blank=True)  # convocations: the window the agent set
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    rescheduled_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["slot__starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "motive"],
                condition=Q(status__in=["booked", "checked_in"]) & ~Q(subject_id=""),
                name="booking_one_active_per_file_and_motive",
            ),
            models.UniqueConstraint(
                fields=["person", "motive"], condition=Q(status="booked", subject_id=""),
                name="booking_one_active_per_person_and_motive",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "status"], name="booking_person_idx"),
            models.Index(fields=["status", "reminder_sent_at"], name="booking_reminder_idx"),
            # The bookings about a file, whatever their status (the agent's file page, the
            # applicant's dossier page, the biometrics state): the unique index above holds only
            # the active ones, so without this every file page would read the whole table.
            models.Index(fields=["subject_type", "subject_id"], name="booking_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_name} – {self.slot}"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.BOOKED, self.Status.CHECKED_IN)


class WaitlistEntry(models.Model):
    """Someone waiting for an earlier seat of a motive at a site (freed seats are offered in turn)."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    motive = models.ForeignKey(Motive, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    subject_type = models.CharField(max_length=60, blank=True)
    subject_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    offers_made = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "motive", "site"], condition=Q(is_active=True),
                                    name="waitlist_one_active_entry"),
            models.CheckConstraint(condition=Q(offers_made__lte=3), name="waitlist_at_most_three_offers"),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.motive} – {self.site}"


class SlotOffer(models.Model):
    """A freed seat held for one waiting person until they accept it or the offer expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de réponse")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Refusée")
        EXPIRED = "expired", _("Expirée")

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="offers")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["entry"], condition=Q(status="pending"),
                                    name="offer_one_pending_per_entry"),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="offer_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.entry} – {self.slot}"
