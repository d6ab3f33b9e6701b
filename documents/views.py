"""Issued documents: the holder's download, and the public verification page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.signing import BadSignature
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import client_ip, rate_limit_allow
from accounts.mandates import applicant_for, assisted_subject_check
from accounts.services import mandate_action_record
from documents.forms import VerificationCodeForm
from documents.letters.selectors import letter_verification_facts, letter_verify_code
from documents.selectors import (
    document_get_for_user,
    document_verification_facts,
    document_verify_code,
    document_verify_token,
)

#: Code lookups allowed per client address and window, against enumeration of codes. Generous for
#: a person or a desk checking documents; a QR link needs no limit (its signature is the guard).
VERIFY_LOOKUP_LIMIT = 30
VERIFY_LOOKUP_WINDOW_SECONDS = 10 * 60


def verify_lookup_allowed(request: HttpRequest) -> bool:
    """Counts one code lookup for the client's address: False past the limit (the page and the API
    share the count)."""
    return rate_limit_allow(scope="documents:verify", key=client_ip(request), limit=VERIFY_LOOKUP_LIMIT,
                            window_seconds=VERIFY_LOOKUP_WINDOW_SECONDS)


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponseBase:
    return document_response(request, document_for_download(request, pk))


def document_for_download(request: HttpRequest, pk: int):
    """The document a signed-in person downloads (the page and the API): their own, or, in an
    assisted session, the person's, within the mandate (a dossier mandate: the documents about that
    dossier), printed by the mediator and recorded as done on their behalf. Else ``Http404``."""
    mandate = getattr(request, "mandate", None)
    if mandate is None:
        return document_get_for_user(user=request.user, pk=pk)
    document = document_get_for_user(user=applicant_for(request), pk=pk)
    assisted_subject_check(request, document.subject_type, document.subject_id)
    if document.is_rendered:
        mandate_action_record(mandate=mandate, by=request.user,  # type: ignore[arg-type]  # login_required
                              action="document.printed_on_behalf", obj=document,
                              data={"number": document.number, "kind": document.kind})
    return document


def document_response(request: HttpRequest, document) -> HttpResponseBase:
    """A document already reached through an access check, as a download (or "being prepared")."""
    if not document.is_rendered:
        pending = render(request, "documents/preparing.html", {"document": document}, status=202)
        pending["Cache-Control"] = "private, no-store"
        return pending
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"{document.number}.pdf",  # made by the portal, never from user input
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache  # a result names a person: no cache may keep it
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    # POST, so that codes stay out of addresses, history and server logs.
    form = VerificationCodeForm(request.POST or None)
    context: dict = {"form": form}
    if request.method == "POST":
        if not verify_lookup_allowed(request):
            context["throttled_minutes"] = VERIFY_LOOKUP_WINDOW_SECONDS // 60
            response = render(request, "documents/verify.html", context, status=429)
            response["Retry-After"] = str(VERIFY_LOOKUP_WINDOW_SECONDS)
            return response
        if form.is_valid():
            context["searched"] = True
            facts = verification_facts_for_code(form.cleaned_data["code"])
            if facts is not None:
                context["facts"] = facts
                context["form"] = VerificationCodeForm()
    return render(request, "documents/verify.html", context)


def verification_facts_for_code(code: str):
    """What ``/verifier/`` says of a code (the page and the API): an issued document's facts, or a
    letter printed in a batch (it carries a code of the same kind, documents.letters); None."""
    document = document_verify_code(code=code)
    if document is not None:
        return document_verification_facts(document=document)
    letter = letter_verify_code(code=code)
    return letter_verification_facts(letter=letter) if letter is not None else None


@never_cache
@require_GET
def verify_token(request: HttpRequest, token: str) -> HttpResponse:
    context: dict = {"form": VerificationCodeForm(), "searched": True}
    try:
        document = document_verify_token(token=token)
    except BadSignature:
        context["rejected"] = True
        return render(request, "documents/verify.html", context, status=400)
    if document is not None:
        context["facts"] = document_verification_facts(document=document)
    return render(request, "documents/verify.html", context)
