"""Forms of the walk-in log. They parse and say what is missing; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mediation.models import MAX_DURATION_MINUTES, Need, Outcome
from substitution.models import BlockingReport


class SearchForm(forms.Form):
    no_report_link = True

    q = forms.CharField(label=_("Rechercher un compte"), max_length=150, required=False,
                        help_text=_("Nom et prénom, identifiant de connexion, adresse e-mail ou téléphone."))


class CheckInForm(forms.Form):
    """A visitor without an account (or with one: ``person`` comes from the search)."""

    no_report_link = True

    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    first_name = forms.CharField(label=_("Prénom(s)"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom de famille"), max_length=150, required=False)
    phone = forms.CharField(label=_("Téléphone (facultatif)"), max_length=20, required=False,
                            help_text=_("Pour rappeler la personne si elle doit revenir."))
    need = forms.ChoiceField(label=_("Besoin de la personne"), choices=Need.choices, widget=forms.RadioSelect)
    need_details = forms.CharField(label=_("Précisions (facultatif)"), max_length=2000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sites is not None and len(sites) > 1:
            self.fields["site"] = forms.ModelChoiceField(label=_("Point d'accueil"), queryset=sites,
                                                         empty_label=None)

    def clean(self):
        data = super().clean()
        if not data.get("person") and not (data.get("last_name") or "").strip():
            self.add_error("last_name", _("Indiquez au moins le nom de famille du visiteur."))
        return data


class RecordForm(forms.Form):
    no_report_link = True

    need = forms.ChoiceField(label=_("Besoin de la personne"), choices=Need.choices, widget=forms.RadioSelect)
    need_details = forms.CharField(label=_("Précisions sur le besoin"), max_length=2000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    help_given = forms.CharField(label=_("Aide apportée"), max_length=4000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text=_("Ce que vous avez fait avec la personne, sans juger son dossier."))
    outcome = forms.ChoiceField(label=_("Issue de la visite"), required=False, widget=forms.RadioSelect,
                                choices=Outcome.choices)
    referred_to = forms.CharField(label=_("Orientée vers (si orientée)"), max_length=200, required=False,
                                  help_text=_("Par exemple : association d'aide juridique, assistante sociale."))
    report = forms.ModelChoiceField(label=_("Signalement ouvert (si signalement)"),
                                    queryset=BlockingReport.objects.none(), required=False,
                                    empty_label=_("— Aucun —"))

    #: Only read when the visit ends ("Enregistrer et terminer").
    duration_minutes = forms.IntegerField(
        label=_("Durée en minutes (si vous notez la visite après coup)"), required=False, min_value=1,
        max_value=MAX_DURATION_MINUTES,
        help_text=_("Laissez vide : la durée est comptée depuis l'arrivée de la personne."),
        error_messages={"min_value": _("La durée doit être d'au moins 1 minute."),
                        "max_value": _("La durée ne peut pas dépasser 480 minutes (8 heures)."),
                        "invalid": _("Indiquez la durée en minutes, par exemple 25.")},
    )

    def __init__(self, *args, reports=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reports is not None:
            self.fields["report"].queryset = reports  # type: ignore[attr-defined]
        self.fields["report"].label_from_instance = (  # type: ignore[attr-defined]
            lambda report: f"{report.reference} – {report.person_name}")

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Outcome.REFERRED and not (data.get("referred_to") or "").strip():
            self.add_error("referred_to", _("Indiquez vers quel service ou quelle structure la personne est orientée."))
        if data.get("outcome") == Outcome.REPORT_OPENED and not data.get("report"):
            self.add_error("report", _("Choisissez le signalement ouvert pour cette personne (ouvrez-le d'abord)."))
        return data


class DayForm(forms.Form):
    no_report_link = True

    day = forms.DateField(label=_("Jour"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class PeriodForm(forms.Form):
    no_report_link = True

    start = forms.DateField(label=_("Du"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("Au"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("La date de fin doit suivre la date de début."))
        return data
