"""The "Enregistrer le dossier papier" button on a report's back-office page: shown to an agent of
the report's prefecture while its convocation is scheduled (one query)."""

from __future__ import annotations

from django import template

from substitution.selectors import invitation_scheduled_for_report, may_register_paper

register = template.Library()


@register.inclusion_tag("substitution/backoffice/_intake_action.html", takes_context=True)
def paper_intake_action(context, report) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    invitation = (invitation_scheduled_for_report(user=user, report_id=report.pk)
                  if user is not None and user.is_authenticated else None)
    agent = user is not None and may_register_paper(user=user)
    return {"invitation": invitation, "report": report, "show_dossier": agent and report.dossier_id is not None}
