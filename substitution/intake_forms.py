"""The desk's form of the paper intake: it parses what the agent reads on the papers; the services
(``substitution.services.paper_intake_register``, ``applications.services.dossier_register_paper``)
decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import foreigner_number_validator, phone_validator
from accounts.services import IDENTITY_DOCUMENTS
from applications.backoffice.forms import CHECKBOXES_TEMPLATE
from applications.models import DocumentType, PermitCategory, Procedure
from applications.services import PaperIdentity
from substitution.models import BlockingReport
from substitution.services import PaperFile, PermitRead


class ProcedureChoiceForm(forms.Form):
    procedure: forms.ModelChoiceField[Procedure] = forms.ModelChoiceField(
        label=_("Démarche déposée"), queryset=Procedure.objects.filter(is_active=True).order_by("group", "position"),
        empty_label=_("Choisissez la démarche"),
        error_messages={"required": _("Choisissez la démarche déposée.")},
    )


class IntakeForm(forms.Form):
    """Identity read on the document shown, pieces received, for a renewal the permit renewed, and
    for a person without an account how to write to them."""

    identity_document = forms.ChoiceField(
        label=_("Document d'identité vérifié"), choices=list(IDENTITY_DOCUMENTS.items()), widget=forms.RadioSelect,
        error_messages={"required": _("Indiquez le document d'identité vérifié.")},
    )
    last_name = forms.CharField(label=_("Nom de famille"), max_length=150)
    first_name = forms.CharField(label=_("Prénom(s)"), max_length=150)
    birth_date = forms.DateField(label=_("Date de naissance"),
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    birth_place = forms.CharField(label=_("Lieu de naissance (ville et pays)"), max_length=150, required=False)
    nationality = forms.CharField(label=_("Nationalité"), max_length=80, required=False)
    foreigner_number = forms.CharField(label=_("Numéro étranger (facultatif)"), max_length=10, required=False,
                                       validators=[foreigner_number_validator],
                                       widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    pieces: forms.ModelMultipleChoiceField[DocumentType] = forms.ModelMultipleChoiceField(
        label=_("Pièces reçues"), queryset=DocumentType.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, template_name=CHECKBOXES_TEMPLATE,
        help_text=_("Cochez les pièces remises. Une pièce manquante n'empêche pas l'enregistrement : "
                    "l'instruction la demandera."),
    )
    received_on = forms.DateField(label=_("Dossier reçu le"), widget=forms.DateInput(attrs={"type": "date"},
                                                                                   format="%Y-%m-%d"))
    tax_stamp_number = forms.CharField(
        label=_("Numéro de timbre fiscal électronique (facultatif)"), max_length=24, required=False,
        help_text=_("16 chiffres. Laissez vide si la taxe est payée en timbres papier : l'instruction les vérifie."),
    )

    def __init__(self, *args, procedure: Procedure, report: BlockingReport, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {"last_name": report.last_name, "first_name": report.first_name,
                             "received_on": timezone.localdate(), "phone": report.phone, "address": report.address,
                             "postal_code": report.postal_code, "city": report.city, **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.procedure, self.report = procedure, report
        self.fields["pieces"].queryset = DocumentType.objects.filter(  # type: ignore[attr-defined]
            pk__in=procedure.requirements.values("document_type")).order_by("name")
        if procedure.is_renewal:
            self.fields["permit_number"] = forms.CharField(label=_("Numéro du titre renouvelé"), max_length=20)
            self.fields["permit_category"] = forms.ChoiceField(
                label=_("Catégorie du titre renouvelé"), choices=PermitCategory.choices,
                initial=procedure.permit_category or None)
            self.fields["permit_valid_from"] = forms.DateField(
                label=_("Titre valable du"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
            self.fields["permit_valid_until"] = forms.DateField(
                label=_("Titre valable jusqu'au"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
            self.fields["permit_allows_work"] = forms.BooleanField(
                label=_("Le titre renouvelé autorise à travailler"), required=False)
        if report.person_id is None:
            self.fields["phone"] = forms.CharField(label=_("Téléphone mobile"), max_length=20, required=False,
                                                   validators=[phone_validator])
            self.fields["address"] = forms.CharField(label=_("Adresse"), max_length=200, required=False)
            self.fields["postal_code"] = forms.CharField(label=_("Code postal"), max_length=5, required=False)
            self.fields["city"] = forms.CharField(label=_("Commune"), max_length=100, required=False)

    def paper_file(self) -> PaperFile:
        data = self.cleaned_data
        permit = None
        if self.procedure.is_renewal:
            permit = PermitRead(number=data["permit_number"], category=data["permit_category"],
                                valid_from=data["permit_valid_from"], valid_until=data["permit_valid_until"],
                                allows_work=data["permit_allows_work"])
        return PaperFile(
            identity=PaperIdentity(
                last_name=data["last_name"], first_name=data["first_name"], birth_date=data["birth_date"],
                identity_document=data["identity_document"], birth_place=data["birth_place"],
                nationality=data["nationality"], foreigner_number=data["foreigner_number"]),
            procedure=self.procedure, pieces=list(data["pieces"]), permit=permit, received_on=data["received_on"],
            tax_stamp_number=data["tax_stamp_number"], phone=data.get("phone", ""), address=data.get("address", ""),
            postal_code=data.get("postal_code", ""), city=data.get("city", ""),
        )
