"""Input parsing for the public verification page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from documents.models import CODE_ALPHABET, CODE_LENGTH, normalize_code


class VerificationCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code de vérification"),
        max_length=30,
        help_text=_(
            "10 caractères, inscrits sous le QR code du document. Exemple : ABCDE-23456. "
            "Majuscules, minuscules et tiret sont acceptés."
        ),
        widget=forms.TextInput(attrs={
            "autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters",
        }),
    )

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data["code"])
        if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
            raise forms.ValidationError(
                _("Le code de vérification comporte 10 lettres et chiffres, par exemple ABCDE-23456."),
                code="format",
            )
        return code
