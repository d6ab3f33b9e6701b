"""Forms of the anomalies pages (views/anomalies.py); the rules live in services/anomalies.py."""

from django import forms
from django.utils.translation import gettext_lazy as _


class WorkaroundForm(forms.Form):
    no_report_link = True

    text = forms.CharField(label=_("Contournement à indiquer aux personnes"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4}))


class FixForm(forms.Form):
    no_report_link = True

    note = forms.CharField(label=_("Ce qui a été corrigé (interne, facultatif)"), max_length=4000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))


class LinkReportForm(forms.Form):
    no_report_link = True

    reference = forms.CharField(label=_("Référence du signalement"), max_length=20,
                                help_text=_("Par exemple SIG-2026-000123"))
