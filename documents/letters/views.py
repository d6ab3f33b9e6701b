"""The printing desk (/backoffice/courriers/): pending letters per desk, build a batch, download
its PDF, mark it printed; the past batches. For verified agents and supervisors of a prefecture and
mediators of a PAN (``letter_desks_for_user``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedHttpRequest
from documents.letters import selectors, services

BATCHES_SHOWN = 50
PRINTERS_ONLY = gettext_lazy(
    "Cette page est réservée aux agents d'une préfecture et aux médiateurs d'un point d'accueil numérique."
)
printers_only = role_required(selectors.letter_desks_for_user, PRINTERS_ONLY)


@printers_only
@require_GET
def desk(request: AuthenticatedHttpRequest) -> HttpResponse:
    desks = selectors.letter_desks_for_user(user=request.user)
    counts = selectors.letters_pending_counts(desks=desks)
    return render(request, "documents/letters/desk.html", {
        "desks": [(d, counts.get(d.key, 0)) for d in desks],
        "batches": list(selectors.letter_batches_for_desks(desks=desks)[:BATCHES_SHOWN]),
    })


@printers_only
@require_POST
def batch_build(request: AuthenticatedHttpRequest) -> HttpResponse:
    desk = selectors.letter_desk_get_for_user(user=request.user, key=request.POST.get("desk", ""))
    batch = services.letter_batch_build(desk=desk, by=request.user)
    if batch is None:
        messages.info(request, _("Aucun courrier en attente pour ce guichet."))
    else:
        messages.success(request, ngettext(
            "Lot %(number)s préparé : %(count)s courrier. Le PDF sera prêt dans un instant.",
            "Lot %(number)s préparé : %(count)s courriers. Le PDF sera prêt dans un instant.",
            batch.letters_count,
        ) % {"number": batch.number, "count": batch.letters_count})
    return redirect("letters_backoffice:desk")


@printers_only
@require_GET
def batch_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch = selectors.letter_batch_get_for_user(user=request.user, pk=pk)
    if not batch.is_rendered:
        pending = render(request, "documents/letters/preparing.html", {"batch": batch}, status=202)
        pending["Cache-Control"] = "private, no-store"
        return pending
    response = FileResponse(batch.file.open("rb"), as_attachment=True, filename=f"{batch.number}.pdf",
                            content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@printers_only
@require_POST
def batch_mark_printed(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = selectors.letter_batch_get_for_user(user=request.user, pk=pk)
    try:
        batch = services.letter_batch_mark_printed(batch=batch, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Lot %(number)s marqué imprimé : les courriers sont envoyés.")
                         % {"number": batch.number})
    return redirect("letters_backoffice:desk")
