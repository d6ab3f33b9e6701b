"""Links to the help from any page, built from stable keys (an error code, a step) and URL names:
no query. The shared error summary (templates/forms/error_summary.html) and the messages of
templates/base.html use them, so every form and every refusal of the portal links to its help."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from helpcentre.sanitise import safe_html

register = template.Library()

#: Codes Django gives to many unrelated errors: the field they are about says more.
GENERIC_CODES = frozenset({"", "invalid", "required", "max_length", "min_length", "invalid_choice", "max_value",
                           "min_value"})
#: The ``extra_tags`` prefix by which a message names its error code:
#: ``messages.error(..., extra_tags="help:too_large")``.
MESSAGE_TAG = "help:"


@register.filter
def help_html(value: str) -> SafeString:
    """An article's stored HTML, sanitised again and marked safe."""
    return safe_html(value or "")


def error_key(form) -> str:
    """The key of the help for ``form``'s errors: the first specific error code (not one of Django's
    generic ones), else the name of the first field in error, else "formulaire"."""
    first_field = ""
    for field_name, errors in form.errors.as_data().items():
        for error in errors:
            if (error.code or "") not in GENERIC_CODES:
                return error.code
        if field_name != "__all__" and not first_field:
            first_field = field_name
    return first_field or "formulaire"


def error_url(code: str, help_step: tuple[str, str] | None = None) -> str:
    if help_step:
        return reverse("helpcentre:error_at_step", args=[code, *help_step])
    return reverse("helpcentre:error", args=[code])


@register.simple_tag
def help_error_link(form) -> str:
    """The help for the first error of ``form``. A form shown at a step of the filing form carries
    ``help_step = (procedure_code, step)``, so that an error without an article of its own leads to
    the step's help."""
    return error_url(error_key(form), getattr(form, "help_step", None))


#: Pages for staff: their refusals are not a person's blocked procedure.
STAFF_PREFIXES = ("/backoffice/", "/admin/")


def help_message_link(message) -> str:
    """The help for a message: by the code it names in its tags, else the help home."""
    for tag in (getattr(message, "extra_tags", "") or "").split():
        if tag.startswith(MESSAGE_TAG) and len(tag) > len(MESSAGE_TAG):
            return error_url(tag[len(MESSAGE_TAG):])
    return reverse("help")


@register.inclusion_tag("helpcentre/_message_links.html", takes_context=True)
def help_message_links(context, message) -> dict:
    """Under an error message of a public page: its help, and the report form."""
    request = context.get("request")
    staff_page = request is not None and request.path.startswith(STAFF_PREFIXES)
    return {"help_url": "" if staff_page else help_message_link(message)}
