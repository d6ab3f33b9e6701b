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

from accounts.models import Language, User
from accounts.validators import birth_date_check
from territory.models import Department


class SignUpForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom(s)"), max_length=150, widget=forms.TextInput(
        attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Nom de famille"), max_length=150, widget=forms.TextInput(
        attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        help_text=_("Format attendu : nom@domaine.fr. Nous y enverrons un lien de confirmation."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password1 = forms.CharField(
        label=_("Mot de passe"), strip=False,
        help_text=_("Au moins 12 caractères. Évitez un mot de passe trop courant ou proche de votre nom."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Confirmez le mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        elif password1:
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
    """E-mail and password. The field keeps the name ``username`` that django-axes watches."""

    username = forms.EmailField(
        label=_("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True, "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _(
            "Adresse e-mail ou mot de passe incorrect. Après plusieurs erreurs, le compte est "
            "bloqué pendant quelques minutes."
        ),
        "inactive": _("Ce compte est désactivé. Contactez le centre de contact."),
        "unverified": _(
            "Votre adresse e-mail n'est pas encore confirmée. Ouvrez le lien reçu par e-mail, "
            "ou demandez-en un nouveau ci-dessous."
        ),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not user.email_verified:
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

        # Links are built from SITE_URL, never from the request's Host header.
        account_email_send(user=context["user"], template="password_reset", context={
            "uid": context["uid"], "token": context["token"],
        })


class PortalSetPasswordForm(SetPasswordForm):
    pass


class PortalPasswordChangeForm(PasswordChangeForm):
    pass
