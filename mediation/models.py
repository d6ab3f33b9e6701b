"""The walk-in log of a digital help point (PAN): one ``Visit`` per person a mediator receives
(DESIGN §8.6, issue 12). Every write goes through ``mediation/services``; the invariants are
database constraints, so a bug in a service or an admin edit cannot break them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from substitution.models import BlockingReport
from territory.models import Site

#: The longest visit the log accepts, in minutes: a help point's opening day.
MAX_DURATION_MINUTES = 8 * 60


class Need(models.TextChoices):
    CREATE_ACCOUNT = "create_account", _("Créer un compte")
    FILE_REQUEST = "file_request", _("Déposer une demande")
    FOLLOW_FILE = "follow_file", _("Suivre un dossier")
    BOOK_APPOINTMENT = "book_appointment", _("Prendre un rendez-vous")
    UPLOAD_PIECE = "upload_piece", _("Envoyer une pièce")
    PRINT_DOCUMENT = "print_document", _("Imprimer un document")
    OTHER = "other", _("Autre besoin")


class Outcome(models.TextChoices):
    DONE_ONLINE = "done_online", _("Fait en ligne")
    REPORT_OPENED = "report_opened", _("Signalement ouvert")
    REFERRED = "referred", _("Orienté vers un autre service")
    WILL_COME_BACK = "will_come_back", _("Reviendra")


class Visit(models.Model):
    """A person received at a PAN: who (an account, or a name typed at the desk), what they needed,
    the help given, how it ended and how long it took."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("point d'accueil"))
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("médiateur"))
    arrived_at = models.DateTimeField(_("arrivée"), default=timezone.now)
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminée par"))
    # The visitor: an account found at check-in, or what the person said at the desk.
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("compte du visiteur"))
    first_name = models.CharField(_("prénom(s)"), max_length=150, blank=True)
    last_name = models.CharField(_("nom de famille"), max_length=150, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    # What they came for and what was done.
    need = models.CharField(_("besoin"), max_length=20, choices=Need.choices)
    need_details = models.TextField(_("précisions sur le besoin"), blank=True)
    help_given = models.TextField(_("aide apportée"), blank=True)
    outcome = models.CharField(_("issue"), max_length=20, choices=Outcome.choices, blank=True)
    referred_to = models.CharField(_("orienté vers"), max_length=200, blank=True)
    #: The walk-in report opened through substitution's own page; linked, never copied.
    report = models.ForeignKey(BlockingReport, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("signalement ouvert"))
    #: Set when the visit ends: from arrival to end, or entered by the mediator when the visit is
    #: logged afterwards (``duration_entered``).
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), null=True, blank=True)
    duration_entered = models.BooleanField(_("durée saisie"), default=False)

    class Meta:
        ordering = ["-arrived_at", "-id"]
        verbose_name = _("visite")
        verbose_name_plural = _("visites")
        constraints = [
            models.CheckConstraint(condition=Q(need__in=Need.values), name="visit_need_valid"),
            models.CheckConstraint(condition=Q(outcome="") | Q(outcome__in=Outcome.values),
                                   name="visit_outcome_valid"),
            models.CheckConstraint(condition=Q(person__isnull=False) | ~Q(last_name=""),
                                   name="visit_visitor_identified"),
            # "Report opened" names the report, and only that outcome does.
            models.CheckConstraint(condition=(Q(outcome="report_opened", report__isnull=False)
                                              | (~Q(outcome="report_opened") & Q(report__isnull=True))),
                                   name="visit_report_iff_report_opened"),
            models.CheckConstraint(condition=~Q(outcome="referred") | ~Q(referred_to=""),
                                   name="visit_referred_says_to_whom"),
            # A visit in progress has no end, duration or closer; an ended one has all three and
            # an outcome. Ending is one service that locks the row and refuses an ended visit: a
            # visit ends once.
            models.CheckConstraint(
                condition=(Q(ended_at__isnull=True, ended_by__isnull=True, duration_minutes__isnull=True)
                           | (Q(ended_at__isnull=False, ended_by__isnull=False, duration_minutes__isnull=False)
                              & ~Q(outcome=""))),
                name="visit_ended_has_outcome_and_duration",
            ),
            models.CheckConstraint(condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("arrived_at")),
                                   name="visit_ends_after_arrival"),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True)
                | Q(duration_minutes__gt=0, duration_minutes__lte=MAX_DURATION_MINUTES),
                name="visit_duration_bounded",
            ),
            # One report is opened for one visit.
            models.UniqueConstraint(fields=["report"], condition=Q(report__isnull=False), name="visit_one_per_report"),
        ]
        indexes = [
            # The day view of a PAN, and the figures by period.
            models.Index(fields=["site", "arrived_at"], name="visit_site_day_idx"),
            models.Index(fields=["arrived_at"], name="visit_arrived_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_name} – {self.arrived_at:%Y-%m-%d %H:%M}"

    @property
    def visitor_name(self) -> str:
        if self.person is not None:
            first, last = self.person.first_name, self.person.last_name
        else:
            first, last = self.first_name, self.last_name
        return " ".join(part for part in (first, last.upper()) if part)

    @property
    def in_progress(self) -> bool:
        return self.ended_at is None
