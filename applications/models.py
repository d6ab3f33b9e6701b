"""Residence permits held by applicants; dossiers arrive with the applicant e-service issue."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        ordering = ["-valid_until"]
        verbose_name = _("titre de séjour")
        verbose_name_plural = _("titres de séjour")
        constraints = [
            models.UniqueConstraint(fields=["number"], name="permit_number_unique"),
            models.CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="permit_valid_range"),
        ]
        indexes = [
            # Reminder and certificate sweeps walk permits by expiry in keyset batches.
            models.Index(fields=["valid_until", "id"], name="permit_expiry_keyset_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} n° {self.number}"
