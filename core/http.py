"""Serving a file a person uploaded (a dossier's piece, a report's evidence) back to those allowed
to see it: the access check is the caller's (its access-checked getter); these are the headers."""

from __future__ import annotations

from django.core.files import File
from django.http import FileResponse

#: Nothing in the file may run or load anything; only this site may frame it (the previews).
_SANDBOX = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def uploaded_file_response(file: File, *, content_type: str, name: str, framable: bool = False) -> FileResponse:
    """``name`` is ours (``piece-<id>.<ext>``), never the uploaded one. ``framable`` lets this site
    frame it (the back-office file page's inline previews); otherwise no page may."""
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # Set here, so neither the CSP middleware nor the clickjacking middleware replaces them.
    if framable:
        response["Content-Security-Policy"] = _SANDBOX + "; frame-ancestors 'self'"
        response["X-Frame-Options"] = "SAMEORIGIN"
    else:
        response["Content-Security-Policy"] = _SANDBOX + "; frame-ancestors 'none'"
        response["X-Frame-Options"] = "DENY"
    return response
