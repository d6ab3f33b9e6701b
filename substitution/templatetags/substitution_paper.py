"""For the back-office home (accounts' template, which cannot import this app): how many reports
of the supervisor's prefectures wait for a paper-filing slot."""

from __future__ import annotations

from django import template

from substitution.selectors import reports_without_slot

register = template.Library()


@register.simple_tag
def reports_without_slot_count(user) -> int:
    return reports_without_slot(user=user).count()
