from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from substitution.origin import origin_sign

register = template.Library()


@register.simple_tag
def report_link(form=None) -> str:
    """The URL of the report form, carrying the first error of ``form`` (signed): the error summary
    of every form links to it (templates/forms/error_summary.html)."""
    url = reverse("substitution:report")
    if form is None or not getattr(form, "errors", None):
        return url
    code, message = "", ""
    for field_name, errors in form.errors.as_data().items():
        if errors:
            error = errors[0]
            code = f"{field_name}:{error.code or 'invalid'}" if field_name != "__all__" else (error.code or "invalid")
            message = " ".join(error.messages)
            break
    return f"{url}?{urlencode({'origine': origin_sign(error_code=code, error_message=message)})}"
