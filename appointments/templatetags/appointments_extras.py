"""Template tags of the appointment templates (letters and notifications, read outside the site)."""

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag
def absolute_url(view_name: str, *args) -> str:
    """``{% absolute_url 'appointments:detail' booking.pk %}``: the page's full address, for a PDF
    or a message read outside the portal (``SITE_URL`` + path)."""
    return settings.SITE_URL + reverse(view_name, args=args)
