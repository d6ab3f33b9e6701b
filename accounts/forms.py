"""Input parsing for account pages. Rules live in accounts/services.py."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Language, User, login_id_normalize
from accounts.services.assisted import IDENTITY_DOCUMENTS
from accounts.tokens import SECRET_PLACEHOLDER
from accounts.validators import birth_date_check
from territory.models import Department, Site


class NewPasswordForm(forms.Form):
    """Two password fields that must match; the rules (Django's validators) are checked where the
    account is known: below for a sign-up, in the service for an activation."""

    password1 = forms.CharField(
        label=_("Nouveau mot de passe"), strip=False,
        help_text=_("Au moins 12 caractères. Évitez un mot de passe trop courant ou proche de votre nom."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Confirmez le mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        return cleaned


class SignUpForm(NewPasswordForm):
    first_name = forms.CharField(label=_("Prénom(s)"), max_length=150, widget=forms.TextInput(
        attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Nom de famille"), max_length=150, widget=forms.TextInput(
        attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        help_text=_("Format attendu : nom@domaine.fr. Nous y enverrons un lien de confirmation."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    field_order = ["first_name", "last_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = _("Mot de passe")

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and not (password2 and password2 != password1):  # a mismatch is reported alone
            candidate = User(
                email=cleaned.get("email", ""), first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class LoginForm(AuthenticationForm):
    """E-mail address or login identifier, and password. The field keeps the name ``username``
    that django-axes watches; ``UserManager.get_by_natural_key`` finds the account either way."""

    username = forms.CharField(
        label=_("Adresse e-mail ou identifiant"),
        help_text=_("L'identifiant figure sur la lettre remise au point d'accueil, par exemple P7K-4QX-92M."),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "spellcheck": "false",
                                      "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _(
            "Adresse e-mail, identifiant ou mot de passe incorrect. Après plusieurs erreurs, le "
            "compte est bloqué pendant quelques minutes."
        ),
        "inactive": _("Ce compte est désactivé. Contactez le centre de contact."),
        "unverified": _(
            "Votre adresse e-mail n'est pas encore confirmée. Ouvrez le lien reçu par e-mail, "
            "ou demandez-en un nouveau ci-dessous."
        ),
    }

    def clean_username(self) -> str:
        typed = self.cleaned_data["username"].strip()
        return typed.lower() if "@" in typed else login_id_normalize(typed)

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if user.needs_email_verification:
            raise ValidationError(self.error_messages["unverified"], code="unverified")


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail"), widget=forms.EmailInput(
        attrs={"autocomplete": "email"}))


class ProfileForm(forms.ModelForm):
    department = forms.ModelChoiceField(
        label=_("Département de résidence"), queryset=Department.objects.all(), required=False,
        help_text=_("Il détermine la préfecture compétente pour vos démarches."),
    )
    preferred_language = forms.ChoiceField(label=_("Langue préférée"), choices=Language.choices)

    class Meta:
        model = User
        fields = [
            "first_name", "last_name", "birth_date", "birth_place", "nationality",
            "foreigner_number", "phone", "address", "postal_code", "city", "department",
            "preferred_language", "notify_by_email", "notify_by_sms", "notify_by_post",
        ]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "foreigner_number": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value is not None:
            birth_date_check(value, today=timezone.localdate())
        return value

    def save(self, commit: bool = True):  # pragma: no cover - the view calls the service instead
        raise NotImplementedError("Use accounts.services.user_update_profile")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code de vérification"),
        max_length=16,
        help_text=_("Le code à 6 chiffres affiché par votre application d'authentification, "
                    "ou un code de secours."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false", "autofocus": True}),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).lower()


class PortalPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(label=_("Adresse e-mail"), widget=forms.EmailInput(
        attrs={"autocomplete": "email"}))

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        from accounts.services import account_email_send

        # Links are built from SITE_URL, never from the request's Host header. The token is not
        # the form's: delivery makes a fresh one in place of the placeholder (never stored or queued).
        account_email_send(user=context["user"], template="password_reset", context={
            "uid": context["uid"], "token": SECRET_PLACEHOLDER,
        }, derive="password_reset")


class PortalSetPasswordForm(SetPasswordForm):
    pass


class PortalPasswordChangeForm(PasswordChangeForm):
    pass


# --- Accounts without e-mail --------------------------------------------------------------------

LOGIN_ID_ATTRS = {"autocomplete": "username", "spellcheck": "false", "autocapitalize": "characters"}

class ActivationForm(NewPasswordForm):
    """Identifier, one-time code, new password: the password itself is checked by the service,
    with Django's validators, once the code is known to be right (the account is known then)."""

    login_id = forms.CharField(
        label=_("Identifiant"), max_length=20,
        help_text=_("Il figure sur votre lettre, par exemple P7K-4QX-92M."),
        widget=forms.TextInput(attrs=LOGIN_ID_ATTRS),
    )
    code = forms.CharField(
        label=_("Code d'activation"), max_length=20,
        help_text=_("Le code à usage unique imprimé sur votre lettre, par exemple ABCDE-23456."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false",
                                      "autocapitalize": "characters"}),
    )
    field_order = ["login_id", "code", "password1", "password2"]


class SmsResetStartForm(forms.Form):
    login_id = forms.CharField(
        label=_("Identifiant"), max_length=20,
        help_text=_("Il figure sur la lettre remise au point d'accueil, par exemple P7K-4QX-92M."),
        widget=forms.TextInput(attrs=LOGIN_ID_ATTRS),
    )


class SmsResetConfirmForm(ActivationForm):
    code = forms.CharField(
        label=_("Code reçu par SMS"), max_length=10,
        help_text=_("6 chiffres, valable quelques minutes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PersonAccountForm(forms.Form):
    """What a mediator types for a person without e-mail: the rules are the service's."""

    first_name = forms.CharField(label=_("Prénom(s)"), max_length=150)
    last_name = forms.CharField(label=_("Nom de famille"), max_length=150)
    birth_date = forms.DateField(label=_("Date de naissance"), widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))
    phone = forms.CharField(
        label=_("Téléphone mobile"), max_length=20, required=False,
        validators=User._meta.get_field("phone").validators,
        help_text=_("Pour recevoir les messages par SMS. Sans téléphone, ils arrivent par courrier."),
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    address = forms.CharField(label=_("Adresse postale"), max_length=200, required=False,
                              help_text=_("Numéro et rue, complément éventuel."))
    postal_code = forms.CharField(label=_("Code postal"), max_length=5, required=False,
                                  validators=User._meta.get_field("postal_code").validators,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    city = forms.CharField(label=_("Commune"), max_length=100, required=False)
    department = forms.ModelChoiceField(
        label=_("Département de résidence"), queryset=Department.objects.all(), required=False,
        help_text=_("Il détermine la préfecture compétente pour les démarches."),
    )
    email = forms.EmailField(label=_("Adresse e-mail (facultative)"), required=False,
                             help_text=_("Seulement si la personne en a une et sait la consulter."))
    language = forms.ChoiceField(label=_("Langue de la personne"), choices=Language.choices)

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value is not None:
            birth_date_check(value, today=timezone.localdate())
        return value


class ActivationReissueForm(forms.Form):
    login_id = forms.CharField(label=_("Identifiant de la personne"), max_length=20,
                               help_text=_("Celui de sa lettre, par exemple P7K-4QX-92M."))
    birth_date = forms.DateField(label=_("Date de naissance"), widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))
    identity_checked = forms.BooleanField(
        label=_("J'ai vérifié le document d'identité de la personne, avec sa photo"), required=True)
    identity_document = forms.ChoiceField(
        label=_("Document vérifié"), choices=[("", "—"), *IDENTITY_DOCUMENTS.items()])


# --- Mandates (docs/accounts.md) ----------------------------------------------------------------

class _MandateOptionsForm(forms.Form):
    """What a mediator records of the person's consent: where, to whom, for what."""

    site: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Point d'accueil"), queryset=Site.objects.none(), empty_label=None)
    to_site = forms.TypedChoiceField(
        label=_("La personne donne mandat"), widget=forms.RadioSelect, coerce=lambda v: v == "site",
        choices=[("me", _("à vous seulement")), ("site", _("à tous les médiateurs du point d'accueil"))],
        initial="me",
    )
    scope = forms.ChoiceField(label=_("Pour"), widget=forms.RadioSelect, initial="account", choices=[
        ("account", _("tout son compte : toutes ses démarches")), ("dossier", _("un seul dossier déposé"))])
    dossier_reference = forms.CharField(
        label=_("Numéro du dossier"), required=False, max_length=40,
        help_text=_("Seulement pour un mandat limité à un dossier déposé : sa référence."))

    def __init__(self, *args, sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["site"]
        field.queryset = sites  # type: ignore[attr-defined]
        if len(sites) == 1:
            field.initial = sites[0].pk
            field.widget = forms.HiddenInput()


class MandateByCodeForm(_MandateOptionsForm):
    login_id = forms.CharField(label=_("Identifiant de la personne"), max_length=20,
                               help_text=_("Celui de sa lettre ou de son profil, par exemple P7K-4QX-92M."))
    code = forms.CharField(label=_("Code de consentement"), max_length=12,
                           help_text=_("Les 6 chiffres affichés dans son espace, rubrique « Mandats »."))
    field_order = ["login_id", "code", "site", "to_site", "scope", "dossier_reference"]


class MandateBySignedFormForm(_MandateOptionsForm):
    login_id = forms.CharField(label=_("Identifiant de la personne"), max_length=20,
                               help_text=_("Celui de sa lettre ou de son profil, par exemple P7K-4QX-92M."))
    birth_date = forms.DateField(label=_("Date de naissance"), widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))
    scan = forms.FileField(label=_("Formulaire de mandat signé, numérisé"),
                           help_text=_("PDF, JPEG ou PNG, 10 Mo au plus."))
    field_order = ["login_id", "birth_date", "scan", "site", "to_site", "scope", "dossier_reference"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Nom de la clé"), max_length=60,
                           help_text=_("Pour la reconnaître, par exemple : « application mobile »."))
