"""Reference data of the territory: départements, their prefecture and the sites that receive people.

This app sits below ``accounts`` (staff memberships point at a prefecture or a site); see
docs/adr/0002-territory-app.md.
"""

from urllib.parse import urlencode

from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=80)
    region = models.CharField(_("région"), max_length=80)

    class Meta:
        ordering = ["code"]
        verbose_name = _("département")
        verbose_name_plural = _("départements")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Prefecture(models.Model):
    """The prefecture competent for the foreigners living in one département."""

    department = models.OneToOneField(
        Department, on_delete=models.PROTECT, related_name="prefecture", verbose_name=_("département")
    )
    name = models.CharField(_("nom"), max_length=120)
    city = models.CharField(_("ville"), max_length=80)

    class Meta:
        ordering = ["department__code"]
        verbose_name = _("préfecture")
        verbose_name_plural = _("préfectures")

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A place that receives people: the prefecture itself, a sub-prefecture or a digital help point."""

    class Kind(models.TextChoices):
        PREFECTURE = "prefecture", _("Préfecture")
        SUB_PREFECTURE = "sub_prefecture", _("Sous-préfecture")
        PAN = "pan", _("Point d'accueil numérique")

    prefecture = models.ForeignKey(
        Prefecture, on_delete=models.PROTECT, related_name="sites", verbose_name=_("préfecture")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=160)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5)
    city = models.CharField(_("ville"), max_length=80)
    access_notes = models.TextField(
        _("accès"), blank=True,
        help_text=_("Entrée à utiliser, transports, accessibilité : ce que la personne lit sur sa convocation."),
    )
    opening_hours = models.TextField(
        _("horaires d'ouverture au public"), blank=True,
        help_text=_("Par exemple : du lundi au vendredi, de 9 h à 16 h, sur rendez-vous."),
    )
    is_active = models.BooleanField(_("ouvert"), default=True)

    class Meta:
        ordering = ["prefecture__department__code", "kind", "name"]
        verbose_name = _("site d'accueil")
        verbose_name_plural = _("sites d'accueil")
        constraints = [
            models.UniqueConstraint(fields=["prefecture", "name"], name="site_unique_name_per_prefecture"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_address(self) -> str:
        """Street, postal code and town on one line ("1 esplanade Jean Moulin, 93000 Bobigny")."""
        town = f"{self.postal_code} {self.city}".strip()
        return ", ".join(part for part in (self.address.strip(), town) if part)

    @property
    def map_url(self) -> str:
        """A plain OpenStreetMap search link for the address: nothing is fetched when a page or a
        letter is rendered, and the person's map app opens it."""
        query = self.full_address if self.address.strip() else f"{self.name}, {self.full_address}"
        return "https://www.openstreetmap.org/search?" + urlencode({"query": query})
