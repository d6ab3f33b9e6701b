from django.forms.renderers import TemplatesSetting


class DsfrFormRenderer(TemplatesSetting):
    """Renders every form and field with the project's DSFR templates (templates/forms/)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
