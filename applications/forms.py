"""Input parsing for the filing form. Rules live in applications/services/ and rules.py."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import foreigner_number_validator, phone_validator
from accounts.validators import birth_date_check
from applications.catalogue_i18n import catalogue_choices, catalogue_text
from applications.models import Permit, Procedure
from applications.rules import question_date_check
from territory.models import Department

YES_NO = [("yes", _("Oui")), ("no", _("Non"))]


class EligibilityForm(forms.Form):
    def __init__(self, *args, procedure: Procedure, **kwargs):
        super().__init__(*args, **kwargs)
        for question in procedure.eligibility:
            self.fields[question["code"]] = forms.ChoiceField(
                label=catalogue_text(question, "text"), choices=YES_NO, widget=forms.RadioSelect,
                error_messages={"required": _("Répondez par oui ou par non.")},
            )


class IdentityForm(forms.Form):
    last_name = forms.CharField(label=_("Nom de famille"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    first_name = forms.CharField(label=_("Prénom(s)"), max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    birth_date = forms.DateField(label=_("Date de naissance"),
                                 widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"},
                                                        format="%Y-%m-%d"))
    birth_place = forms.CharField(label=_("Lieu de naissance (ville et pays)"), max_length=150)
    nationality = forms.CharField(label=_("Nationalité"), max_length=80)
    foreigner_number = forms.CharField(
        label=_("Numéro étranger (facultatif)"), max_length=10, required=False,
        validators=[foreigner_number_validator],
        help_text=_("10 chiffres, inscrit sur votre titre de séjour. Laissez vide si vous ne l'avez pas."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        birth_date_check(value, today=timezone.localdate())
        return value.isoformat()


FAMILY = [
    ("single", _("Célibataire")), ("married", _("Marié(e) ou pacsé(e)")),
    ("cohabiting", _("En concubinage")), ("divorced", _("Divorcé(e) ou séparé(e)")),
    ("widowed", _("Veuf ou veuve")),
]


class SituationForm(forms.Form):
    address = forms.CharField(label=_("Adresse"), max_length=200,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    postal_code = forms.RegexField(label=_("Code postal"), regex=r"^\d{5}$",
                                   error_messages={"invalid": _("Le code postal comporte 5 chiffres.")},
                                   widget=forms.TextInput(attrs={"autocomplete": "postal-code",
                                                                 "inputmode": "numeric"}))
    city = forms.CharField(label=_("Commune"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    department = forms.ModelChoiceField(
        label=_("Département de résidence"), queryset=Department.objects.all(), to_field_name="code",
        help_text=_("Il détermine la préfecture qui traitera votre demande."),
    )
    phone = forms.CharField(label=_("Téléphone mobile (facultatif)"), max_length=20, required=False,
                            validators=[phone_validator],
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}))
    family_situation = forms.ChoiceField(label=_("Situation familiale"), choices=FAMILY)
    occupation = forms.CharField(label=_("Activité actuelle"), max_length=150,
                                 help_text=_("Par exemple : étudiant, salarié, sans activité."))

    def __init__(self, *args, procedure: Procedure, permits, **kwargs):
        super().__init__(*args, **kwargs)
        if procedure.is_renewal:
            self.fields["renewed_permit"] = forms.ModelChoiceField(
                label=_("Titre de séjour que vous renouvelez"), queryset=permits,
                empty_label=_("Choisissez votre titre"),
                error_messages={"required": _("Choisissez le titre de séjour que vous renouvelez.")},
            )

    def cleaned_json(self) -> dict:
        data = dict(self.cleaned_data)
        data["department"] = data["department"].code
        if isinstance(data.get("renewed_permit"), Permit):
            data["renewed_permit"] = data["renewed_permit"].pk
        return data


def _question_date(value) -> None:
    question_date_check(value, today=timezone.localdate())


class QuestionsForm(forms.Form):
    def __init__(self, *args, procedure: Procedure, **kwargs):
        super().__init__(*args, **kwargs)
        for question in procedure.questions:
            required = bool(question.get("required"))
            kind = question.get("kind", "text")
            label = catalogue_text(question, "label")
            field: forms.Field
            if kind == "boolean":
                field = forms.ChoiceField(label=label, choices=YES_NO, widget=forms.RadioSelect, required=required)
            elif kind == "choice":
                field = forms.ChoiceField(label=label, choices=catalogue_choices(question),
                                          required=required)
            elif kind == "date":
                field = forms.DateField(label=label, required=required, validators=[_question_date],
                                        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
            else:
                field = forms.CharField(label=label, required=required, max_length=500)
            self.fields[question["code"]] = field

    def cleaned_json(self) -> dict:
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in self.cleaned_data.items()}


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier"), error_messages={"required": _("Choisissez un fichier à envoyer.")},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, document_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        if document_type is not None:
            self.fields["file"].help_text = _("Formats acceptés : %(formats)s. Taille maximale : %(size)s Mo.") % {
                "formats": document_type.formats_label, "size": document_type.max_size_mb,
            }
            self.fields["file"].label = document_type.name


class ReviewForm(forms.Form):
    certify = forms.BooleanField(
        label=_("Je certifie sur l'honneur l'exactitude des informations et des documents fournis."),
        error_messages={"required": _("Cochez la case pour certifier vos informations.")},
    )

    def __init__(self, *args, procedure: Procedure, late: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if procedure.fee_eur:
            self.fields["tax_stamp_number"] = forms.CharField(
                label=_("Numéro du timbre fiscal électronique"), max_length=24,
                help_text=_("16 chiffres. Achetez le timbre sur timbres.impots.gouv.fr ou chez un buraliste. "
                            "Montant : %(fee)s €.")
                % {"fee": procedure.fee_eur},
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            )
        if procedure.needs_photo:
            self.fields["ephoto_code"] = forms.CharField(
                label=_("Code e-photo"), max_length=30,
                help_text=_("22 caractères, imprimés sur la planche de photos d'une cabine agréée."),
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )
        if late:
            self.fields["accept_late"] = forms.BooleanField(
                label=_("J'ai compris : ma demande est tardive, une taxe supplémentaire de %(fee)s € est due "
                        "et je ne recevrai pas automatiquement d'attestation de prolongation d'instruction.")
                % {"fee": settings.LATE_RENEWAL_FEE_EUR},
                required=False,
            )


class AmendForm(forms.Form):
    value = forms.CharField(label=_("Nouvelle valeur"), max_length=200)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Pourquoi retirez-vous votre demande ? (facultatif)"), required=False,
                             max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(
        label=_("Je comprends que ma demande sera retirée et que la préfecture ne l'étudiera pas."),
        error_messages={"required": _("Cochez la case pour confirmer le retrait.")},
    )


class ComplementsAnswerForm(forms.Form):
    message = forms.CharField(label=_("Votre réponse"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))


#: The steps whose answers a form parses (documents and review are pages of their own).
FORM_STEPS = ("eligibility", "identity", "situation", "questions")


def step_form(step: str, data=None, *, procedure: Procedure, applicant, initial=None) -> forms.Form:
    """The form that parses one step's answers for this procedure and applicant: the filing page
    and the API parse with the same one (a renewal chooses among the applicant's own permits)."""
    if step == "eligibility":
        return EligibilityForm(data, initial=initial, procedure=procedure)
    if step == "identity":
        return IdentityForm(data, initial=initial)
    if step == "situation":
        return SituationForm(data, initial=initial, procedure=procedure,
                             permits=applicant.permits.order_by("-valid_until"))
    if step == "questions":
        return QuestionsForm(data, initial=initial, procedure=procedure)
    raise ValueError(step)


def step_answers(form: forms.Form) -> dict:
    """A valid step form's answers as JSON, as ``draft_save_step`` stores them."""
    cleaned_json = getattr(form, "cleaned_json", None)
    return cleaned_json() if cleaned_json else dict(form.cleaned_data)
