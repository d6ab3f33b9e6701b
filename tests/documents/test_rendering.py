"""The PDF helper fetches nothing but the project's static files."""

import logging
import socket

import pytest

from documents.rendering import PDF_BASE_URL, render_pdf, static_file_for_url

STATIC_IMAGE = "dsfr/dist/favicon/apple-touch-icon.png"


@pytest.fixture
def pdf_template(settings, tmp_path):
    """A template directory of the test's own, first in the search path."""
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]

    def write(source: str) -> str:
        (tmp_path / "probe.html").write_text(source, encoding="utf-8")
        return "probe.html"

    return write


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("network access during PDF rendering")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_the_fetcher_refuses_external_and_local_urls_and_rendering_goes_on(pdf_template, no_network, caplog):
    template = pdf_template(
        "<p>Probe</p>"
        '<img src="http://example.org/x.png">'
        '<link rel="stylesheet" href="https://example.org/evil.css">'
        '<img src="file:///etc/passwd">'
        '<img src="/static/../../anef/settings/base.py">'
    )

    with caplog.at_level(logging.WARNING, logger="documents.rendering"):
        pdf = render_pdf(template, {})

    assert pdf.startswith(b"%PDF")
    assert no_network == []
    refused = [r.getMessage() for r in caplog.records if r.name == "documents.rendering"]
    assert "PDF rendering refused to fetch http://example.org/x.png" in refused
    assert "PDF rendering refused to fetch https://example.org/evil.css" in refused
    assert "PDF rendering refused to fetch file:///etc/passwd" in refused
    assert len(refused) == 4


def test_the_fetcher_serves_the_project_static_files(pdf_template, no_network, caplog):
    template = pdf_template('{% load static %}<img src="{% static "' + STATIC_IMAGE + '" %}" alt="">')

    with caplog.at_level(logging.WARNING, logger="documents.rendering"):
        pdf = render_pdf(template, {})

    assert pdf.startswith(b"%PDF")
    assert b"/Image" in pdf
    assert not [r for r in caplog.records if r.name == "documents.rendering"]
    assert static_file_for_url(f"{PDF_BASE_URL}static/{STATIC_IMAGE}").is_file()
    assert static_file_for_url(f"{PDF_BASE_URL}static/../manage.py") is None
    assert static_file_for_url(f"{PDF_BASE_URL}static/%2e%2e/manage.py") is None
    assert static_file_for_url(f"{PDF_BASE_URL}media/documents/x.pdf") is None
    assert static_file_for_url(f"http://example.org/static/{STATIC_IMAGE}") is None


def test_a_png_given_inline_is_drawn_and_any_other_data_url_refused(pdf_template, no_network, caplog):
    """The QR code comes as a PNG in a data: URL (documents.qr.qr_image); nothing else may."""
    from documents.qr import qr_image

    template = pdf_template(
        "{{ qr }}"
        '<img src="data:image/svg+xml;base64,PHN2Zy8+">'
        '<link rel="stylesheet" href="data:text/css;base64,Ym9keXt9">'
        '<img src="data:image/png;base64,not base64!">'
    )

    with caplog.at_level(logging.WARNING, logger="documents.rendering"):
        pdf = render_pdf(template, {"qr": qr_image(data="https://example.org/verifier/q/x/", title="QR")})

    assert pdf.startswith(b"%PDF") and b"/Image" in pdf
    refused = [r.getMessage() for r in caplog.records if r.name == "documents.rendering"]
    assert sorted(refused) == ["PDF rendering refused to fetch data:image/svg+xml;base64,PHN2Zy8+",
                               "PDF rendering refused to fetch data:text/css;base64,Ym9keXt9"]


def test_a_thread_loads_the_fonts_once_for_all_its_pdfs(pdf_template, monkeypatch):
    """A new WeasyPrint font configuration reloads Fontconfig and every face (a third of the
    receipt's layout time, docs/benchmarks.md, PDF): render_pdf keeps one per thread."""
    import threading

    from weasyprint.text.fonts import FontConfiguration

    made = []
    original = FontConfiguration.__init__

    def counting(self):
        made.append(threading.current_thread().name)
        original(self)

    monkeypatch.setattr(FontConfiguration, "__init__", counting)
    template = pdf_template('<html lang="fr"><p>Probe</p></html>')
    pdfs = []

    def render_three():
        pdfs.extend(render_pdf(template, {}) for _ in range(3))

    for name in ("first", "second"):  # two threads: one configuration each, never shared
        thread = threading.Thread(target=render_three, name=name)
        thread.start()
        thread.join()

    assert made == ["first", "second"]
    assert len(pdfs) == 6 and all(pdf.startswith(b"%PDF") for pdf in pdfs)

