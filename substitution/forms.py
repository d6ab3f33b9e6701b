"""Forms of the report pages: they parse and check the input; the services decide."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import Language, phone_validator
from applications.models import Procedure
from substitution.models import Anomaly, Channel, ReportKind
from substitution.workflow import ReportStatus
from territory.models import Prefecture
from territory.selectors import prefecture_for_postcode


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); each is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    """The blockage; ``ContactForm`` adds the contact details when there is no account."""

    #: The error summary of this form does not offer to report the form itself.
    no_report_link = True

    procedure: forms.ModelChoiceField[Procedure] = forms.ModelChoiceField(
        label=_("Quelle démarche voulez-vous faire ?"), required=False,
        queryset=Procedure.objects.filter(is_active=True).order_by("group", "position", "name"),
        empty_label=_("Je ne sais pas"),
    )
    kind = forms.ChoiceField(
        label=_("Qu'est-ce qui vous bloque ?"), choices=ReportKind.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez ce qui vous bloque.")},
    )
    tried = forms.CharField(
        label=_("Décrivez ce qui se passe et ce que vous avez essayé"), max_length=4000, required=False,
        help_text=_("Par exemple : le message affiché, à quelle étape, sur téléphone ou ordinateur."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    evidence = MultipleFileField(
        label=_("Captures d'écran ou documents (facultatif)"), required=False,
        help_text=_("PDF, JPEG ou PNG, 10 Mo au plus par fichier, 5 fichiers au plus."),
    )
    origin = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, ask_postcode: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.prefecture: Prefecture | None = None
        if ask_postcode and "postal_code" not in self.fields:
            self.fields["postal_code"] = _postcode_field()

    def clean_postal_code(self) -> str:
        return _clean_postcode(self)


def _postcode_field() -> forms.CharField:
    return forms.CharField(
        label=_("Code postal de votre domicile"), max_length=5,
        help_text=_("Il détermine la préfecture compétente. 5 chiffres, par exemple 69003."),
        validators=[RegexValidator(r"^\d{5}$", _("Le code postal comporte 5 chiffres."))],
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
        error_messages={"required": _("Indiquez le code postal de votre domicile.")},
    )


def _clean_postcode(form) -> str:
    value = form.cleaned_data.get("postal_code", "").strip()
    form.prefecture = prefecture_for_postcode(value)
    if form.prefecture is None:
        raise forms.ValidationError(
            _("Ce code postal ne correspond à aucune préfecture. Vérifiez-le, par exemple 69003 pour Lyon."),
            code="unknown_postcode")
    return value


class ContactForm(ReportForm):
    """Without an account: who the person is and how to reach them (at least one way)."""

    first_name = forms.CharField(label=_("Prénom(s)"), max_length=150, required=False,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Nom de famille"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
                                error_messages={"required": _("Indiquez votre nom de famille.")})
    phone = forms.CharField(label=_("Téléphone"), max_length=20, required=False, validators=[phone_validator],
                            help_text=_("Par exemple : 06 12 34 56 78 ou +33 6 12 34 56 78."),
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}))
    email = forms.EmailField(label=_("Adresse e-mail"), required=False,
                             help_text=_("Format attendu : nom@domaine.fr."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}))
    address = forms.CharField(label=_("Adresse postale (numéro et rue)"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    postal_code = _postcode_field()
    city = forms.CharField(label=_("Commune"), max_length=100, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    language = forms.ChoiceField(label=_("Langue dans laquelle vous préférez être contacté(e)"),
                                 choices=Language.choices, initial=Language.FRENCH, widget=forms.RadioSelect)

    CONTACT_FIELDS = ("first_name", "last_name", "phone", "email", "address", "postal_code", "city", "language")

    def clean(self):
        cleaned = super().clean()
        has_address = all(cleaned.get(name) for name in ("address", "postal_code", "city"))
        if not (cleaned.get("phone") or cleaned.get("email") or has_address) and not (
                self.has_error("phone") or self.has_error("email")):
            self.add_error(None, forms.ValidationError(
                _("Indiquez au moins un moyen de vous joindre : téléphone, adresse e-mail ou adresse postale "
                  "complète (numéro et rue, code postal, commune)."), code="unreachable"))
        return cleaned


class StaffReportForm(ContactForm):
    """A CCC agent on the phone, or a mediator at a PAN, records the report for the person."""

    first_name = forms.CharField(label=_("Prénom(s) de la personne"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom de famille de la personne"), max_length=150)
    language = forms.ChoiceField(label=_("Langue de la personne"), choices=Language.choices,
                                 initial=Language.FRENCH, widget=forms.RadioSelect)

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].label = _("Démarche visée")
        self.fields["kind"].label = _("Type de blocage")
        self.fields["tried"].label = _("Ce qui se passe et ce qui a été essayé")
        self.fields["postal_code"].label = _("Code postal du domicile")
        if sites is not None and len(sites) > 1:
            self.fields["site"] = forms.ModelChoiceField(label=_("Point d'accueil"), queryset=sites,
                                                         empty_label=None)


class AnswerForm(forms.Form):
    no_report_link = True

    text = forms.CharField(label=_("Réponse à la personne"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("Écrivez simplement : la personne la lit sur sa page de suivi."))
    resolved = forms.BooleanField(label=_("Le problème est résolu"), required=False)


class UnresolvedForm(forms.Form):
    no_report_link = True

    why = forms.CharField(label=_("Pourquoi le problème n'est-il pas résolu ?"), max_length=4000,
                          widget=forms.Textarea(attrs={"rows": 4}),
                          help_text=_("Note interne : ce que vous avez constaté, l'anomalie en cause."))


class LinkAnomalyForm(forms.Form):
    no_report_link = True

    anomaly = forms.ModelChoiceField(label=_("Anomalie existante"), queryset=Anomaly.objects.none(),
                                     required=False, empty_label=_("— Créer une nouvelle anomalie —"))
    title = forms.CharField(label=_("Intitulé de la nouvelle anomalie"), max_length=200, required=False)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["anomaly"].queryset = Anomaly.objects.filter(pk__in=[a.pk for a in choices])  # type: ignore[attr-defined]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("anomaly") and not cleaned.get("title", "").strip():
            self.add_error("title", _("Choisissez une anomalie existante ou donnez un intitulé à la nouvelle."))
        return cleaned


class ReopenForm(forms.Form):
    no_report_link = True

    text = forms.CharField(label=_("Qu'est-ce qui ne marche toujours pas ? (facultatif)"), max_length=2000,
                           required=False, widget=forms.Textarea(attrs={"rows": 3}))


class QueueFilterForm(forms.Form):
    """The queue's GET filters; an invalid value falls back to "no filter"."""

    no_report_link = True

    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100,
                        help_text=_("Référence (ex. SIG-2026-000042) ou nom."),
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    status = forms.ChoiceField(label=_("Statut"), required=False,
                               choices=[("", _("À traiter (ouverts, répondus, non résolus)")), *ReportStatus.choices])
    kind = forms.ChoiceField(label=_("Type de blocage"), required=False, choices=[("", _("Tous")), *ReportKind.choices])
    channel = forms.ChoiceField(label=_("Canal"), required=False,
                                choices=[("", _("Tous")), *Channel.choices])
    prefecture = forms.TypedChoiceField(label=_("Préfecture"), required=False, coerce=int, empty_value=None)
    overdue = forms.BooleanField(label=_("Date limite dépassée"), required=False)

    def __init__(self, *args, prefectures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prefecture"].choices = [("", _("Toutes"))] + [  # type: ignore[attr-defined]
            (p.pk, f"{p.department.code} – {p.name}") for p in prefectures]

    @property
    def cleaned(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


class ImpossibilityForm(forms.Form):
    """The act of impossibility (a prefecture agent): its grounds, kept with who and when."""

    no_report_link = True

    grounds = forms.CharField(
        label=_("Motifs de l'impossibilité constatée"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Ce qui empêche la personne de faire sa démarche en ligne. Ces motifs sont portés à sa "
                    "connaissance sur la page de suivi."))
