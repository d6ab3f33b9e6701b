"""Forms of the appointment pages: they parse and check the input; the services decide."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.models import Booking, Closure, Desk, OpeningRule


class SlotChoiceForm(forms.Form):
    """The slot chosen among those listed (radios drawn by templates/appointments/_slots.html)."""

    slot = forms.IntegerField(min_value=1, error_messages={
        "required": _("Choisissez un créneau dans la liste."),
        "invalid": _("Choisissez un créneau dans la liste."),
        "min_value": _("Choisissez un créneau dans la liste."),
    })


class MarkForm(forms.Form):
    """At the desk: arrived, received, or absent."""

    status = forms.ChoiceField(choices=[
        (Booking.Status.CHECKED_IN, Booking.Status.CHECKED_IN.label),
        (Booking.Status.DONE, Booking.Status.DONE.label),
        (Booking.Status.NO_SHOW, Booking.Status.NO_SHOW.label),
    ])


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_widget():
    return forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")


class OpeningRuleForm(forms.ModelForm):
    class Meta:
        model = OpeningRule
        fields = ["motive", "weekday", "opens_at", "closes_at", "capacity", "valid_from", "valid_until"]
        widgets = {
            "opens_at": _time_widget(), "closes_at": _time_widget(),
            "valid_from": _date_widget(), "valid_until": _date_widget(),
        }
        help_texts = {
            "opens_at": _("Heure du premier rendez-vous (heure de Paris)."),
            "closes_at": _("Le dernier rendez-vous se termine au plus tard à cette heure."),
            "valid_until": _("Laissez vide pour un horaire sans fin."),
        }

    def __init__(self, *args, desk: Desk, **kwargs):
        super().__init__(*args, **kwargs)
        # The model form makes a ModelChoiceField for the motive foreign key.
        motive = cast(forms.ModelChoiceField, self.fields["motive"])
        motive.queryset = desk.motives.all()
        motive.empty_label = None
        self.fields["valid_from"].initial = timezone.localdate()

    def _post_clean(self):
        # The service checks the rule (and the database its constraints); no model validation here.
        pass


class ClosureForm(forms.ModelForm):
    whole_site = forms.BooleanField(
        label=_("Fermer tout le site (tous les guichets)"), required=False,
    )

    class Meta:
        model = Closure
        fields = ["starts_on", "ends_on", "reason"]
        labels = {"starts_on": _("Premier jour de fermeture"), "ends_on": _("Dernier jour de fermeture"),
                  "reason": _("Motif de la fermeture")}
        widgets = {"starts_on": _date_widget(), "ends_on": _date_widget()}
        help_texts = {"reason": _("Par exemple : travaux, grève, jour férié local.")}

    def _post_clean(self):
        pass
