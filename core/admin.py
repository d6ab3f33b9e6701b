"""What the project's Django admin pages share for their accessibility (RGAA 4.1, WCAG 2.2 AA;
checked by the sweep in tests/e2e/test_accessibility_sweep.py). The rest lives in
templates/admin/ (the split date and time inputs' labels), static/css/admin.css and static/js/admin.js."""

from __future__ import annotations

from django.contrib import admin
from django.forms.models import BaseInlineFormSet


class LabelledInlineFormSet(BaseInlineFormSet):
    """A tabular inline names its fields only in the table's column headings, which do not label
    the inputs (RGAA 11.1): each visible field of a row is named by its label, the delete box too."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for field in form.fields.values():
            if field.label and not field.widget.is_hidden:
                # Inside a RelatedFieldWidgetWrapper (a foreign key's add and change links), the
                # widget that draws the input is the wrapped one.
                widget = getattr(field.widget, "widget", field.widget)
                widget.attrs.setdefault("aria-label", str(field.label))


class TabularInline(admin.TabularInline):
    """The project's tabular inlines: Django's, with each input named."""

    formset = LabelledInlineFormSet
