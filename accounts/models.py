"""People and their roles.

Every account holder is an applicant (usager) of the e-service. Staff roles come from memberships,
each tying a person to a prefecture, a site, or to the whole country (DESIGN §2). A person may hold
several memberships; staff must use a second factor (see accounts/middleware.py).
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.prepared import PreparedQuery
from territory.models import Department, Prefecture, Site

if TYPE_CHECKING:
    from django_otp.models import Device


class Language(models.TextChoices):
    FRENCH = "fr", "Français"
    ENGLISH = "en", "English"


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Usager")
    AGENT = "agent", _("Agent instructeur")
    SUPERVISOR = "supervisor", _("Chef de bureau")
    SUPPORT = "support", _("Agent du centre de contact (CCC)")
    MEDIATOR = "mediator", _("Médiateur numérique")
    ADMINISTRATOR = "administrator", _("Administrateur (DGEF)")
    TECHNICAL = "technical", _("Équipe technique")


#: Roles scoped to one prefecture, one site, or national.
PREFECTURE_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})
SITE_ROLES = frozenset({Role.MEDIATOR})
NATIONAL_ROLES = frozenset({Role.SUPPORT, Role.ADMINISTRATOR, Role.TECHNICAL})
STAFF_ROLES = PREFECTURE_ROLES | SITE_ROLES | NATIONAL_ROLES


#: Login identifiers and activation codes use 31 symbols with no look-alikes (no 0/O, 1/I/L): they
#: are printed on a letter, read aloud at a desk and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LOGIN_ID_GROUPS = 3  # "P7K-4QX-92M": 9 symbols, 31 ** 9 = 2.6e13 identifiers
LOGIN_ID_RE = re.compile(rf"^[{CODE_ALPHABET}]{{3}}(-[{CODE_ALPHABET}]{{3}}){{{LOGIN_ID_GROUPS - 1}}}$")


def login_id_new() -> str:
    """A random login identifier, "P7K-4QX-92M". Not secret (it is printed on letters): the
    password or the activation code is. The unique constraint settles the vanishing chance of a
    repeat; ``UserManager`` draws again then (see ``_create_user``)."""
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _i in range(3 * LOGIN_ID_GROUPS))
    return "-".join(symbols[i:i + 3] for i in range(0, len(symbols), 3))


def login_id_normalize(raw: str) -> str:
    """What a person typed -> the stored form: upper case, grouped by three with dashes; any other
    text is returned stripped and upper-cased (it then matches no account)."""
    compact = re.sub(r"[\s\-\u2010-\u2015.]", "", raw or "").upper()
    if len(compact) == 3 * LOGIN_ID_GROUPS:
        return "-".join(compact[i:i + 3] for i in range(0, len(compact), 3))
    return compact


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str | None, password: str | None, **extra):
        # No e-mail is allowed (an account made at a help point for a person without one): the
        # login identifier is then the only way to sign in. Stored as NULL, never "": the unique
        # constraints ignore NULLs, so any number of accounts may have no address.
        email = self.normalize_email(email).lower() if email else None
        user = self.model(email=email, **extra)
        user.set_password(password)
        for attempt in range(5):
            try:
                # A savepoint, so that a repeated identifier (drawn by two sign-ups at once) is
                # drawn again without spoiling the caller's transaction.
                with transaction.atomic(using=self._db):
                    user.save(using=self._db)
                return user
            except IntegrityError:
                if attempt == 4 or self.filter(login_id=user.login_id).count() == 0:
                    raise  # another constraint (the e-mail address, say): not ours to retry
                user.login_id = login_id_new()
        raise AssertionError("unreachable")

    def get(self, *args, **kwargs):  # type: ignore[override]
        """The queryset's ``get``; by primary key alone (``ModelBackend.get_user``, on every
        signed-in request), through a query whose SQL is built once per process (issue 17: the
        ORM built it anew each time, a seventh of a signed-in request's Python calls). The same
        row, read anew each time: nothing is kept between calls."""
        if not args and self._db is None and kwargs.keys() == {"pk"} and type(kwargs["pk"]) is int:
            found = _USER_BY_ID(user_id=kwargs["pk"])
            if not found:
                raise self.model.DoesNotExist(f"{self.model._meta.object_name} matching query does not exist.")
            return found[0]
        return super().get(*args, **kwargs)

    def get_by_natural_key(self, username: str | None) -> User:
        """The account a person names at login: by e-mail address (with an "@", stored in lower
        case; the login form lowers it) or else by login identifier, typed in any case, with or
        without dashes. ``ModelBackend`` calls this, so both work in the one login field."""
        if username and "@" in username:
            return self.get(email=username)
        return self.get(login_id=login_id_normalize(username or ""))

    def create_user(self, email: str | None = None, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        extra.setdefault("email_verified_at", timezone.now())
        return self._create_user(email, password, **extra)


foreigner_number_validator = RegexValidator(
    r"^\d{10}$", _("Le numéro étranger comporte exactement 10 chiffres.")
)
phone_validator = RegexValidator(
    r"^\+?[0-9 .]{10,20}$",
    _("Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78 ou +33 6 12 34 56 78."),
)


class AccountOrigin(models.TextChoices):
    SIGN_UP = "sign_up", _("Inscription en ligne")
    ASSISTED = "assisted", _("Créé pour la personne par un médiateur ou un agent")


class User(AbstractBaseUser, PermissionsMixin):
    # Optional: NULL for a person without an address (never "": see the check constraint). The
    # field's own unique index and the case-insensitive one below both ignore NULLs.
    email = models.EmailField(_("adresse e-mail"), unique=True, null=True, blank=True)
    login_id = models.CharField(
        _("identifiant de connexion"), max_length=11, unique=True, default=login_id_new, editable=False,
        help_text=_("Sert à se connecter, à la place de l'adresse e-mail ou avec elle."),
    )
    origin = models.CharField(
        _("origine du compte"), max_length=10, choices=AccountOrigin.choices, default=AccountOrigin.SIGN_UP,
    )
    first_name = models.CharField(_("prénom(s)"), max_length=150, blank=True)
    last_name = models.CharField(_("nom de famille"), max_length=150, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    birth_place = models.CharField(_("lieu de naissance"), max_length=150, blank=True)
    nationality = models.CharField(_("nationalité"), max_length=80, blank=True)
    foreigner_number = models.CharField(
        _("numéro étranger"),
        max_length=10,
        blank=True,
        validators=[foreigner_number_validator],
        help_text=_("10 chiffres, inscrit sur votre titre de séjour. Laissez vide si vous ne l'avez pas."),
    )
    phone = models.CharField(_("téléphone mobile"), max_length=20, blank=True, validators=[phone_validator])
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(
        _("code postal"), max_length=5, blank=True,
        validators=[RegexValidator(r"^\d{5}$", _("Le code postal comporte 5 chiffres."))],
    )
    city = models.CharField(_("commune"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("département de résidence"),
        help_text=_("Il détermine la préfecture compétente pour vos démarches."),
    )
    preferred_language = models.CharField(
        _("langue préférée"), max_length=5, choices=Language.choices, default=Language.FRENCH
    )
    notify_by_email = models.BooleanField(_("par e-mail"), default=True)
    notify_by_sms = models.BooleanField(_("par SMS"), default=False)
    notify_by_post = models.BooleanField(_("par courrier postal"), default=False)

    email_verified_at = models.DateTimeField(_("adresse e-mail vérifiée le"), null=True, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(
        _("accès à l'administration"), default=False,
        help_text=_("Donne accès à l'interface d'administration Django (DGEF)."),
    )
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # noqa: RUF012

    # Not columns: set on the instance at run time. django-otp's OTPMiddleware sets ``otp_device``
    # on ``request.user`` (None until a code is accepted; seed_demo sets it on its demo agent);
    # ``accounts.selectors.user_memberships`` caches the memberships for the request.
    otp_device: Device | None
    _memberships_cache: list[Membership]

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=Q(email__isnull=False), name="user_email_unique_ci",
            ),
            models.CheckConstraint(condition=~Q(email=""), name="user_email_null_not_empty"),
            models.UniqueConstraint(
                fields=["foreigner_number"],
                condition=~Q(foreigner_number=""),
                name="user_foreigner_number_unique",
            ),
        ]
        indexes = [models.Index(fields=["email_verified_at", "date_joined"], name="user_unverified_idx")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email or self.login_id

    def get_full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name.upper()) if part)

    def get_short_name(self) -> str:
        return self.first_name or self.email or self.login_id

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def needs_email_verification(self) -> bool:
        """Only a self sign-up must prove its address before signing in; an account made for a
        person at a desk proves itself with the activation code of its welcome letter."""
        return bool(self.email) and not self.email_verified and self.origin == AccountOrigin.SIGN_UP

    @property
    def competent_prefecture(self) -> Prefecture | None:
        return getattr(self.department, "prefecture", None) if self.department_id else None


#: ``UserManager.get(pk=...)``: the signed-in person, read on every request.
_USER_BY_ID = PreparedQuery(lambda user_id: User.objects.filter(pk=user_id), user_id=int)


class Membership(models.Model):
    """A staff role held by a person, scoped to a prefecture, a site, or national."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("rôle"), max_length=20, choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES]
    )
    prefecture = models.ForeignKey(
        Prefecture, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships",
        verbose_name=_("préfecture"),
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships",
        verbose_name=_("site"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("habilitation")
        verbose_name_plural = _("habilitations")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=sorted(PREFECTURE_ROLES), prefecture__isnull=False, site__isnull=True)
                    | Q(role__in=sorted(SITE_ROLES), prefecture__isnull=True, site__isnull=False)
                    | Q(role__in=sorted(NATIONAL_ROLES), prefecture__isnull=True, site__isnull=True)
                ),
                name="membership_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "prefecture"], condition=Q(prefecture__isnull=False),
                name="membership_unique_per_prefecture",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "site"], condition=Q(site__isnull=False),
                name="membership_unique_per_site",
            ),
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(prefecture__isnull=True, site__isnull=True),
                name="membership_unique_national",
            ),
        ]

    def __str__(self) -> str:
        scope = self.prefecture or self.site or _("national")
        return f"{self.get_role_display()} – {scope}"


class OneTimeCode(models.Model):
    """A secret code that lets a person without e-mail set their password: the activation code of
    a welcome letter (made at a help point) or a password-reset code sent by SMS.

    Only a hash is stored (Django's password hashers): the code is shown once, when it is made, and
    never again. A code works once, until it expires, and for a few wrong tries only; then it is
    closed and the person gets a new one (a new SMS, or a mediator at a help point). At most one
    open code per person and purpose: a new one replaces the last (a partial unique index).
    """

    class Purpose(models.TextChoices):
        ACTIVATION = "activation", _("Code d'activation")
        SMS_RESET = "sms_reset", _("Code de réinitialisation par SMS")
        MANDATE_CONSENT = "mandate_consent", _("Code de consentement à un mandat")

    class Status(models.TextChoices):
        OPEN = "open", _("valable")
        USED = "used", _("utilisé")
        REPLACED = "replaced", _("remplacé")
        LOCKED = "locked", _("bloqué après trop d'erreurs")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(_("usage"), max_length=20, choices=Purpose.choices)
    code_hash = models.CharField(_("empreinte du code"), max_length=128)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.OPEN)
    attempts = models.PositiveSmallIntegerField(_("essais erronés"), default=0)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    closed_at = models.DateTimeField(_("clos le"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("créé par"),
    )

    class Meta:
        verbose_name = _("code à usage unique")
        verbose_name_plural = _("codes à usage unique")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "purpose"], condition=Q(status="open"), name="one_time_code_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} – {self.user_id} ({self.status})"

    @property
    def expired(self) -> bool:
        return timezone.now() >= self.expires_at


def mandate_scan_path(instance: Mandate, filename: str) -> str:
    # Under MEDIA_ROOT/mandates/, which no URL serves; the name is made here, never from user input.
    return f"mandates/{timezone.localdate():%Y/%m}/mandate-{secrets.token_hex(8)}{instance.scan_extension}"


class Mandate(models.Model):
    """A person's time-limited consent to a digital mediator acting on their behalf (DESIGN §8.6).

    Given to one named mediator, or to every mediator of a help point (``mediator`` empty): the
    site is always recorded, it is where the consent was given. It covers the whole account or
    one dossier (``dossier_id``: a plain id, since ``applications`` sits above this app). Granted
    by a consent code the person made in their space, or by a signed form scanned at the desk.
    Valid from ``created_at`` to ``expires_at`` unless revoked (by the person, at any time).
    ``accounts.selectors.mandate_valid`` is the one answer to "does this mandate hold now".
    """

    class Scope(models.TextChoices):
        ACCOUNT = "account", _("Tout le compte")
        DOSSIER = "dossier", _("Un seul dossier")

    class Channel(models.TextChoices):
        CONSENT_CODE = "consent_code", _("Code de consentement")
        SIGNED_FORM = "signed_form", _("Formulaire signé")

    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mandates_given",
                               verbose_name=_("personne"))
    mediator = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="mandates_received",
        verbose_name=_("médiateur"), help_text=_("Vide : tous les médiateurs du point d'accueil."),
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="mandates",
                             verbose_name=_("point d'accueil"))
    scope = models.CharField(_("étendue"), max_length=10, choices=Scope.choices, default=Scope.ACCOUNT)
    dossier_id = models.PositiveBigIntegerField(_("dossier"), null=True, blank=True)
    channel = models.CharField(_("recueilli par"), max_length=15, choices=Channel.choices)
    scan = models.FileField(_("formulaire signé numérisé"), upload_to=mandate_scan_path, max_length=200,
                            blank=True)
    scan_extension = models.CharField(max_length=5, blank=True)
    scan_content_type = models.CharField(max_length=40, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("enregistré par"))
    created_at = models.DateTimeField(_("accordé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("révoqué par"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mandat")
        verbose_name_plural = _("mandats")
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")),
                                   name="mandate_expires_after_creation"),
            models.CheckConstraint(condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("created_at")),
                                   name="mandate_revoked_after_creation"),
            models.CheckConstraint(
                condition=(Q(scope="account", dossier_id__isnull=True)
                           | Q(scope="dossier", dossier_id__isnull=False)),
                name="mandate_dossier_iff_dossier_scope",
            ),
            models.CheckConstraint(condition=Q(channel="consent_code") | ~Q(scan=""),
                                   name="mandate_signed_form_has_scan"),
        ]
        indexes = [models.Index(fields=["person", "expires_at"], name="mandate_person_idx"),
                   models.Index(fields=["site", "expires_at"], name="mandate_site_idx")]

    def __str__(self) -> str:
        return f"{self.person} → {self.mediator or self.site} ({self.get_scope_display()})"


class AuditEvent(models.Model):
    """Who did what, when, on whose behalf: written in the same transaction as the change."""

    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    # SET_NULL: the trail outlives a deleted account (an unconfirmed sign-up purged after 7 days).
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("auteur")
    )
    on_behalf_of = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("pour le compte de"),
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("type d'objet"), max_length=60)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=40)
    data = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class ApiToken(models.Model):
    """A personal API token (docs/adr/0010-api.md): the person names it, sees when it was last
    used, revokes it. Only the SHA-256 of the key is stored, with its first characters to find the
    row (``prefix``) and to show the person which key is which; the key itself is shown once.

    A member of staff gets one only right after proving a second factor: ``otp_device`` keeps that
    device's persistent id, and the token then stands for that proof until ``expires_at`` (short:
    ``API_STAFF_TOKEN_MINUTES``). The database refuses a staff token without an expiry.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("titulaire"))
    name = models.CharField(_("nom"), max_length=60)
    prefix = models.CharField(_("début de la clé"), max_length=12, unique=True)
    key_sha256 = models.CharField(max_length=64)
    otp_device = models.CharField(_("second facteur prouvé"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        constraints = [
            models.CheckConstraint(condition=Q(otp_device="") | Q(expires_at__isnull=False),
                                   name="api_token_staff_expires"),
            models.CheckConstraint(condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("created_at")),
                                   name="api_token_expires_after_creation"),
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="api_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def in_force(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
