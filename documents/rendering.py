"""The one PDF helper: a Django template rendered to PDF bytes with WeasyPrint.

WeasyPrint takes 1.4 s to import, so it is imported here only, inside ``render_pdf`` (ruff bans a
module-level import anywhere): web processes that never render a PDF never pay for it.

A PDF may load nothing but the project's own static files (and a PNG image given inline, in a
``data:`` URL: the QR code). Templates refer to them with
``{% static %}``; the URL fetcher resolves those URLs to files through the staticfiles finders
(or the collected ``STATIC_ROOT``) and refuses every other URL, so rendering never touches the
network or the file system outside the static files, whatever a template or the data in it says.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import mimetypes
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

#: Relative URLs in a PDF template (``/static/...``) resolve against this base. The ``.invalid``
#: top-level domain never resolves (RFC 2606), so even a fetcher bug could not reach a host.
PDF_BASE_URL = "https://pdf.invalid/"


#: The one kind of ``data:`` URL a PDF may hold: a PNG image (the QR code, documents.qr.qr_image).
PNG_DATA_URL = "data:image/png;base64,"

#: The shared stylesheet of the issued documents (templates/documents/pdf/base.html), a static file.
DOCUMENT_STYLESHEET = "documents/pdf.css"


class RefusedURLError(ValueError):
    """A PDF template asked for a resource that is not one of the project's static files."""


def static_file_for_url(url: str) -> Path | None:
    """The project static file a URL names, or None when the URL is anything else."""
    static_prefix = urljoin(PDF_BASE_URL, settings.STATIC_URL)
    parts = urlsplit(url)
    if parts.query or parts.fragment or not url.startswith(static_prefix):
        return None
    name = unquote(url[len(static_prefix):])
    if not name or name.startswith("/") or ".." in name.split("/") or "\\" in name:
        return None
    try:
        found = finders.find(name)
        if found is None and staticfiles_storage.exists(name):
            # With the manifest storage, {% static %} gives the hashed name of a collected file.
            found = staticfiles_storage.path(name)
    except (SuspiciousFileOperation, NotImplementedError):
        return None
    if not found:
        return None
    path = Path(found if isinstance(found, str) else found[0])
    return path if path.is_file() else None


def static_only_url_fetcher():
    """The fetcher of every PDF: the project's static files only, any other URL refused (and logged)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # lazily: see the module docstring

    class StaticOnlyURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith(PNG_DATA_URL):  # the QR code (documents.qr.qr_image): bytes, no fetching
                try:
                    png = base64.b64decode(url[len(PNG_DATA_URL):], validate=True)
                except binascii.Error as error:
                    raise RefusedURLError("A PNG data: URL that is not base64.") from error
                return URLFetcherResponse(url, png, {"Content-Type": "image/png"})
            path = static_file_for_url(url)
            if path is None:
                logger.warning("PDF rendering refused to fetch %s", url[:200])
                # WeasyPrint logs the failure and renders the rest of the document without it.
                raise RefusedURLError(f"Only the project's static files may be used in a PDF: {url[:200]}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    return StaticOnlyURLFetcher()


@functools.cache
def parsed_stylesheet(name: str):
    """A static CSS file, parsed once per process (parsing the shared rules at every render cost
    about a tenth of the receipt's layout time: docs/benchmarks.md, PDF)."""
    from weasyprint import CSS  # lazily: see the module docstring

    path = static_file_for_url(urljoin(urljoin(PDF_BASE_URL, settings.STATIC_URL), name))
    if path is None:
        raise RefusedURLError(f"No such static stylesheet: {name}")
    return CSS(string=path.read_text(encoding="utf-8"), base_url=PDF_BASE_URL,
               url_fetcher=static_only_url_fetcher())


_font_configs = threading.local()


def pdf_font_config():
    """The WeasyPrint font configuration of this thread, made once and kept for every render.

    WeasyPrint makes a new one for each document when given none: it loads the Fontconfig
    configuration again and a new Pango font map, which opens and measures each font face and size
    anew, about a third of the filing receipt's layout time (docs/benchmarks.md, PDF, third pass).
    Kept, the faces stay loaded; the PDFs are the same bytes. One per thread: Pango font maps are not
    meant to be shared between threads. Nothing in it depends on the document (the issued documents
    use the system's DejaVu fonts, no ``@font-face``)."""
    config = getattr(_font_configs, "config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration  # lazily: see the module docstring

        config = _font_configs.config = FontConfiguration()
    return config


def render_pdf(template_name: str, context: dict[str, Any], *, stylesheet: str | None = None) -> bytes:
    """Renders a template to an A4 PDF (the page size is in the template's CSS) and returns it.

    The template is rendered with Django's autoescaping like any page: applicant data in the
    context is escaped; only values built by the caller as HTML (the QR code's SVG) are marked safe.
    The active language is the caller's choice (``translation.override``). ``stylesheet`` names a
    static CSS file (``DOCUMENT_STYLESHEET`` for the issued documents), parsed once per process and
    applied as a user stylesheet: the template's own ``<style>`` wins over it.
    """
    from weasyprint import HTML  # lazily: see the module docstring

    html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=static_only_url_fetcher())
    stylesheets = [parsed_stylesheet(stylesheet)] if stylesheet else None
    # Tagged PDF (structure tree, language, title): screen readers read the document in order.
    return document.write_pdf(stylesheets=stylesheets, font_config=pdf_font_config(), pdf_tags=True)
