"""What the portal accepts as a supporting document, and what it stores (applications/uploads.py).

Every file is built here, in memory, with Pillow, pypdf or plain bytes. No database is needed.
"""

import hashlib
import io
import random
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageOps
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from applications.uploads import ALLOWED_FORMATS, MAX_PDF_PAGES, CleanUpload, validate_upload

MAX_BYTES = 5 * 1024 * 1024
ALL_FORMATS = ("pdf", "jpeg", "png")


# --- Building files --------------------------------------------------------------------------------


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_bytes(pages: int = 1, **setup) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    for step in setup.values():
        step(writer)
    return _written(writer)


def handmade_pdf(*objects: bytes, header_comment: bytes = b"") -> bytes:
    """A PDF with a classic cross-reference table; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + header_comment)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), extra, data)


ONE_PAGE = (
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>",
)


def pdf_with_catalog_entries(entries: bytes, *more_objects: bytes) -> bytes:
    return handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R %s >>" % entries, *ONE_PAGE, *more_objects)


def pdf_with_compressed_catalog(catalog_entries: bytes) -> bytes:
    """Catalog, page tree and page packed in a Flate-compressed object stream, with a
    cross-reference stream (PDF 1.5), as most office suites write them: their names do not
    appear in the raw bytes."""
    bodies = [b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog_entries, *ONE_PAGE]
    index, packed = [], b""
    for number, body in enumerate(bodies, start=1):
        index.append(b"%d %d" % (number, len(packed)))
        packed += body + b"\n"
    header = b" ".join(index) + b"\n"
    object_stream = zlib.compress(header + packed)

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    object_stream_offset = len(out)
    out += b"4 0 obj\n" + _stream(
        object_stream, b"/Type /ObjStm /N 3 /First %d /Filter /FlateDecode" % len(header)
    ) + b"\nendobj\n"
    xref_offset = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 2, 4, position) for position in range(3)]
    rows += [struct.pack(">BIH", 1, object_stream_offset, 0), struct.pack(">BIH", 1, xref_offset, 0)]
    out += b"5 0 obj\n" + _stream(
        zlib.compress(b"".join(rows)),
        b"/Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode",
    ) + b"\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def _set_open_action(action: dict):
    def step(writer: PdfWriter) -> None:
        writer.root_object[NameObject("/OpenAction")] = DictionaryObject(action)

    return step


def image_bytes(fmt: str, size=(120, 80), mode="RGB", noisy=False, **save_options) -> bytes:
    if noisy:  # random pixels: compressed data all the way, so a cut always loses pixels
        # Seeded: with some noise (3 % of draws) a JPEG cut just before its end marker still holds
        # every pixel, and the test of that cut would fail at random.
        image = Image.frombytes(mode, size, random.Random(7).randbytes(size[0] * size[1] * len(mode)))
    else:
        image = Image.new(mode, size, "white" if mode != "1" else 1)
        image.paste((200, 30, 30) if mode == "RGB" else 0, (0, 0, size[0] // 4, size[1] // 4))
    out = io.BytesIO()
    image.save(out, fmt, **save_options)
    return out.getvalue()


def truncated(data: bytes, *, keep: float) -> bytes:
    return data[: int(len(data) * keep)]


def with_byte_flipped(data: bytes, *, at) -> bytes:
    position = at(data)
    return data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header announces width x height pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def jpeg_announcing(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header (SOF0) is rewritten to announce width x height pixels:
    a decompression bomb as a decoder sees it, a few hundred bytes on the wire."""
    data = bytearray(image_bytes("JPEG", size=(16, 16)))
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", "<script>alert(document.cookie)</script>")
    return out.getvalue()


class RawNameUpload(SimpleUploadedFile):
    """An upload whose name reaches the validator exactly as sent. Django's UploadedFile keeps
    only the basename and truncates long names; other sources (API parsers, imports) may not."""

    def _set_name(self, name):
        self._name = name

    name = property(lambda self: self._name, _set_name)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def refusal(uploaded, allowed=ALL_FORMATS, max_bytes=MAX_BYTES) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_upload(uploaded, allowed_formats=allowed, max_bytes=max_bytes)
    return caught.value


def accept(name: str, content: bytes, allowed=ALL_FORMATS) -> CleanUpload:
    return validate_upload(upload(name, content), allowed_formats=allowed, max_bytes=MAX_BYTES)


# --- Refusals --------------------------------------------------------------------------------------

JS_ACTION = {
    NameObject("/S"): NameObject("/JavaScript"),
    NameObject("/JS"): TextStringObject("app.alert('bonjour')"),
}

# (case, file name, content builder, allowed formats, expected code, words of the message)
BAD_FILES = [
    ("exe name with PDF content", "formulaire.exe", pdf_bytes, ALL_FORMATS,
     "unsupported_extension", "(.exe) n'est pas accepté"),
    ("Word document", "lettre.docx", zip_bytes, ALL_FORMATS,
     "unsupported_extension", "Formats acceptés : PDF, JPEG, PNG"),
    ("no extension", "passeport", pdf_bytes, ALL_FORMATS,
     "missing_extension", "pas d'extension"),
    ("only a dot-name", ".pdf", pdf_bytes, ALL_FORMATS,
     "missing_extension", "pas d'extension"),
    ("HTML disguised as PDF", "avis.pdf",
     lambda: b"<!DOCTYPE html><html><body><script>fetch('/api/')</script></body></html>",
     ALL_FORMATS, "unrecognised_content", "ne correspond pas à un PDF, un JPEG ou un PNG"),
    ("JavaScript named .pdf", "releve.pdf", lambda: b"alert(document.cookie);\n",
     ALL_FORMATS, "unrecognised_content", "ne correspond pas à un PDF"),
    ("SVG with a script named .png", "photo.png",
     lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     ALL_FORMATS, "unrecognised_content", "ne correspond pas"),
    ("Windows program named .pdf", "scan.pdf", lambda: b"MZ\x90\x00" + b"\x00" * 200,
     ALL_FORMATS, "unrecognised_content", "ne correspond pas"),
    ("ZIP archive named .pdf", "scan.pdf", zip_bytes,
     ALL_FORMATS, "unrecognised_content", "ne correspond pas"),
    ("PDF header after leading bytes", "scan.pdf", lambda: b"<html>\n" + pdf_bytes(),
     ALL_FORMATS, "unrecognised_content", "ne correspond pas"),
    ("PDF/HTML polyglot", "facture.pdf",
     lambda: handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", *ONE_PAGE,
                          header_comment=b"%<html><script>alert(1)</script></html>\n"),
     ALL_FORMATS, "pdf_hidden_content", "données cachées"),
    ("PDF/ZIP polyglot", "facture.pdf", lambda: pdf_bytes() + zip_bytes(),
     ALL_FORMATS, "pdf_hidden_content", "données cachées"),
    ("PDF with a JavaScript open action", "quittance.pdf",
     lambda: pdf_bytes(js=_set_open_action(JS_ACTION)),
     ALL_FORMATS, "pdf_active_content", "JavaScript"),
    ("PDF with a document-level JavaScript", "quittance.pdf",
     lambda: pdf_bytes(js=lambda writer: writer.add_open_action(JavaScript("this.print();"))),
     ALL_FORMATS, "pdf_active_content", "imprimez-le en PDF"),
    ("PDF with a JavaScript name tree", "quittance.pdf",
     lambda: pdf_with_catalog_entries(b"/Names << /JavaScript << /Names [(init) 4 0 R] >> >>",
                                      b"<< /S /JavaScript /JS (app.alert(1)) >>"),
     ALL_FORMATS, "pdf_active_content", "JavaScript"),
    ("PDF launching a program", "quittance.pdf",
     lambda: pdf_with_catalog_entries(b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
     ALL_FORMATS, "pdf_active_content", "lancement d'un programme"),
    ("PDF with a page-open action", "quittance.pdf",
     lambda: handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", ONE_PAGE[0],
                          b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                          b"/AA << /O 4 0 R >> >>", b"<< /S /JavaScript /JS (app.alert(1)) >>"),
     ALL_FORMATS, "pdf_active_content", "actions automatiques"),
    ("PDF with an attached file", "quittance.pdf",
     lambda: pdf_bytes(attach=lambda writer: writer.add_attachment("notes.txt", b"bonjour")),
     ALL_FORMATS, "pdf_active_content", "fichier joint"),
    ("PDF hiding JavaScript behind escaped names", "quittance.pdf",
     lambda: pdf_with_catalog_entries(b"/OpenAction << /S /Java#53cript /J#53 (app.alert(1)) >>"),
     ALL_FORMATS, "pdf_active_content", "JavaScript"),
    ("PDF hiding JavaScript in a compressed object stream", "quittance.pdf",
     lambda: pdf_with_compressed_catalog(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
     ALL_FORMATS, "pdf_active_content", "JavaScript"),
    ("PDF with JavaScript in an object the catalog does not reach", "quittance.pdf",
     lambda: pdf_with_catalog_entries(b"", b"<< /S /JavaScript /JS (app.alert(1)) >>"),
     ALL_FORMATS, "pdf_active_content", "JavaScript"),
    ("PDF with escaped names in an object the catalog does not reach", "quittance.pdf",
     lambda: pdf_with_catalog_entries(b"", b"<< /S /#4aava#53cript /J#53 (app.alert(1)) >>"),
     ALL_FORMATS, "pdf_active_content", "JavaScript"),
    ("encrypted PDF", "avis-imposition.pdf",
     lambda: pdf_bytes(lock=lambda writer: writer.encrypt(user_password="secret", owner_password="o")),
     ALL_FORMATS, "pdf_encrypted", "protégé par un mot de passe"),
    ("PDF encrypted with an owner password only", "attestation.pdf",
     lambda: pdf_bytes(lock=lambda writer: writer.encrypt(user_password="", owner_password="o")),
     ALL_FORMATS, "pdf_restricted", "s'ouvre sans mot de passe"),
    ("truncated PDF", "scan.pdf", lambda: pdf_bytes(pages=3)[:-300],
     ALL_FORMATS, "pdf_damaged", "endommagé ou incomplet"),
    ("PDF whose structure is broken", "scan.pdf",
     lambda: b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R\nxref\ntrailer\n%%EOF\n",
     ALL_FORMATS, "pdf_damaged", "endommagé ou incomplet"),
    ("PDF without pages", "scan.pdf", lambda: pdf_bytes(pages=0),
     ALL_FORMATS, "pdf_no_pages", "aucune page"),
    ("PDF with too many pages", "scan.pdf", lambda: pdf_bytes(pages=MAX_PDF_PAGES + 1),
     ALL_FORMATS, "pdf_too_many_pages", f"{MAX_PDF_PAGES + 1} pages, le maximum est de {MAX_PDF_PAGES}"),
    ("truncated PNG", "photo.png",
     lambda: truncated(image_bytes("PNG", noisy=True), keep=2 / 3),
     ALL_FORMATS, "image_damaged", "endommagée ou incomplète"),
    ("truncated JPEG", "photo.jpg",
     lambda: truncated(image_bytes("JPEG", noisy=True), keep=1 / 2),
     ALL_FORMATS, "image_damaged", "endommagée ou incomplète"),
    ("JPEG without its end marker", "photo.jpg", lambda: image_bytes("JPEG", noisy=True)[:-2],
     ALL_FORMATS, "image_damaged", "endommagée ou incomplète"),
    ("PNG with corrupted image data", "photo.png",
     lambda: with_byte_flipped(image_bytes("PNG", noisy=True), at=lambda png: 200),
     ALL_FORMATS, "image_damaged", "endommagée ou incomplète"),
    # Decoding does not look at checksums: only verify() sees this one.
    ("PNG with a wrong checksum on its image data", "photo.png",
     lambda: with_byte_flipped(image_bytes("PNG", noisy=True),
                               at=lambda png: png.find(b"IEND") - 8),  # the IDAT's CRC
     ALL_FORMATS, "image_damaged", "endommagée ou incomplète"),
    ("PNG signature followed by garbage", "photo.png", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
     ALL_FORMATS, "image_damaged", "endommagée ou incomplète"),
    ("zero-byte file", "vide.pdf", lambda: b"",
     ALL_FORMATS, "empty", "Ce fichier est vide"),
    ("oversized file", "gros.pdf", lambda: b"%PDF-1.7\n" + b"0" * MAX_BYTES,
     ALL_FORMATS, "too_large", "dépasse la taille maximale de 5\u00a0Mo"),
    ("name with a NUL byte", "scan\x00.pdf", pdf_bytes,
     ALL_FORMATS, "invalid_name", "nom de ce fichier n'est pas valide"),
    ("name with a control character", "scan\x1b[31m.pdf", pdf_bytes,
     ALL_FORMATS, "invalid_name", "nom de ce fichier n'est pas valide"),
    # Shown as "photofdp.png": the override reverses what follows it on screen.
    ("name disguising its extension with a right-to-left override", "photo\u202egnp.pdf",
     pdf_bytes, ALL_FORMATS, "invalid_name", "nom de ce fichier n'est pas valide"),
    ("name that is only a Windows folder", "C:\\Users\\Awa\\", pdf_bytes,
     ALL_FORMATS, "invalid_name", "nom de ce fichier n'est pas valide"),
    ("PNG named .pdf", "passeport.pdf", lambda: image_bytes("PNG"),
     ALL_FORMATS, "extension_mismatch",
     "L'extension du fichier (.pdf) ne correspond pas à son contenu (PNG)."),
    ("PDF named .jpg", "passeport.jpg", pdf_bytes,
     ALL_FORMATS, "extension_mismatch", "(.jpg) ne correspond pas à son contenu (PDF)"),
    ("JPEG where only PDF is accepted", "photo.jpg", lambda: image_bytes("JPEG"),
     ("pdf",), "format_not_allowed", "Ce format (JPEG) n'est pas accepté pour ce document. "
     "Formats acceptés : PDF."),
    ("PDF where only images are accepted", "photo.pdf", pdf_bytes,
     ("jpeg", "png"), "format_not_allowed", "Formats acceptés : JPEG, PNG."),
    ("decompression bomb PNG (64 megapixels, 8 kB)", "plan.png",
     lambda: image_bytes("PNG", size=(8000, 8000), mode="1"),
     ALL_FORMATS, "image_too_large", "plus de 40 millions de pixels"),
    ("PNG header announcing 10 gigapixels", "plan.png", lambda: png_header_only(100_000, 100_000),
     ALL_FORMATS, "image_too_large", "trop grande"),
    # Issue 17: image bombs and oversized dimensions, refused on the header before any pixel is decoded.
    ("JPEG bomb: header announcing 65,000 x 65,000 pixels", "photo.jpg", lambda: jpeg_announcing(65_000, 65_000),
     ALL_FORMATS, "image_too_large", "plus de 40 millions de pixels"),
    ("JPEG just over the pixel limit (6,325 x 6,325 = 40,005,625 pixels)", "photo.jpg",
     lambda: jpeg_announcing(6_325, 6_325),
     ALL_FORMATS, "image_too_large", "plus de 40 millions de pixels"),
    ("PNG one pixel high and a billion wide", "bande.png", lambda: png_header_only(1_000_000_000, 1),
     ALL_FORMATS, "image_too_large", "plus de 40 millions de pixels"),
    ("PNG of the largest dimensions a header can hold", "plan.png", lambda: png_header_only(2**31 - 1, 2**31 - 1),
     ALL_FORMATS, "image_too_large", "plus de 40 millions de pixels"),
    ("PNG bomb with real compressed pixels (6,400 x 6,400, grey)", "plan.png",
     lambda: image_bytes("PNG", size=(6_400, 6_400), mode="L"),
     ALL_FORMATS, "image_too_large", "plus de 40 millions de pixels"),
]


@pytest.mark.parametrize(
    ("name", "build", "allowed", "code", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in BAD_FILES],
)
def test_a_bad_file_is_refused_with_a_message_saying_what_is_wrong(name, build, allowed, code, words):
    error = refusal(upload(name, build()), allowed=allowed)

    assert error.code == code
    assert words in error.messages[0]
    assert "%(" not in error.messages[0]  # every placeholder filled in


def test_the_battery_covers_enough_bad_files():
    assert len(BAD_FILES) >= 18


@pytest.mark.parametrize(
    ("raw_name", "content", "code"),
    [
        pytest.param("../../etc/passwd.pdf", b"<html><script>alert(1)</script></html>",
                     "unrecognised_content", id="path traversal with HTML content"),
        pytest.param("../../", pdf_bytes(), "invalid_name", id="path without a file name"),
        pytest.param("", pdf_bytes(), "invalid_name", id="empty name"),
        pytest.param("a" * 252 + ".pdf", pdf_bytes(), "name_too_long", id="256-character name"),
    ],
)
def test_names_are_judged_on_their_last_component_whatever_the_source(raw_name, content, code):
    error = refusal(RawNameUpload(raw_name, content))

    assert error.code == code


def test_a_path_in_the_name_does_not_matter_when_the_content_is_right():
    content = pdf_bytes()
    clean = validate_upload(RawNameUpload("..\\..\\Users\\Awa\\Bureau\\titre.pdf", content),
                            allowed_formats=["pdf"], max_bytes=MAX_BYTES)

    assert clean.content == content


def test_an_oversized_file_is_refused_without_being_read_in_full():
    max_bytes = 64 * 1024
    big = upload("gros.pdf", b"%PDF-1.7\n" + b"0" * (4 * 1024 * 1024))
    big.size = 1000  # a size that lies: only the bytes actually read count

    error = refusal(big, max_bytes=max_bytes)

    assert error.code == "too_large"
    assert "64\u00a0ko" in error.messages[0]
    assert big.file.tell() <= max_bytes + 1


def test_a_file_of_exactly_the_maximum_size_is_accepted():
    content = pdf_bytes()

    clean = validate_upload(upload("scan.pdf", content), allowed_formats=["pdf"],
                            max_bytes=len(content))

    assert clean.size == len(content)


def test_a_programming_error_in_the_arguments_is_not_a_message_for_the_person():
    with pytest.raises(ValueError):
        validate_upload(upload("scan.pdf", pdf_bytes()), allowed_formats=["docx"], max_bytes=10)
    with pytest.raises(ValueError):
        validate_upload(upload("scan.pdf", pdf_bytes()), allowed_formats=[], max_bytes=10)
    with pytest.raises(ValueError):
        validate_upload(upload("scan.pdf", pdf_bytes()), allowed_formats=["pdf"], max_bytes=0)


# --- Accepted PDFs ---------------------------------------------------------------------------------


def test_a_valid_pdf_is_stored_as_received_with_its_page_count():
    content = pdf_bytes(pages=3)

    clean = accept("Titre de séjour (recto-verso).PDF", content, allowed=["pdf"])

    assert clean.content == content
    assert clean.content_type == "application/pdf"
    assert clean.extension == ".pdf"
    assert clean.size == len(content)
    assert clean.sha256 == hashlib.sha256(content).hexdigest()
    assert clean.page_count == 3
    assert (clean.width, clean.height) == (None, None)


def test_a_pdf_of_the_maximum_page_count_is_accepted():
    assert accept("scan.pdf", pdf_bytes(pages=MAX_PDF_PAGES)).page_count == MAX_PDF_PAGES


def test_a_pdf_opening_on_its_first_page_is_accepted():
    # Office suites write /OpenAction [page /Fit]: a destination, not an action.
    content = pdf_bytes(open_at=lambda writer: setattr(writer, "open_destination", writer.pages[0]))
    assert b"/OpenAction" in content

    assert accept("courrier.pdf", content).page_count == 1


def test_a_pdf_with_compressed_objects_and_no_active_content_is_accepted():
    assert accept("courrier.pdf", pdf_with_compressed_catalog(b"")).page_count == 1


def test_binary_page_content_that_looks_like_names_or_a_zip_signature_is_not_refused():
    # Compressed scans are random-looking bytes: "/JS ", "/AA " and "PK\x03\x04" turn up in
    # them by chance, and must not get a genuine document refused.
    noise = b"q Q % /JS /AA /Launch PK\x03\x04\xff\xff\x00\x00\x00\x00 Q"
    content = handmade_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        ONE_PAGE[0],
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        _stream(noise),
    )

    assert accept("scan.pdf", content).page_count == 1


def test_an_unreferenced_action_between_two_stream_bodies_is_still_refused():
    # The raw scan skips stream bodies only: what lies between two of them is read like the rest.
    content = handmade_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        ONE_PAGE[0],
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        _stream(b"q Q"),
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
        _stream(b"q Q"),
    )

    assert refusal(upload("scan.pdf", content)).code == "pdf_active_content"


def test_an_action_after_a_stream_that_never_ends_is_still_refused():
    content = handmade_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        *ONE_PAGE,
        b"<< /Length 3 >>\nstream\nq Q",  # no endstream: the scan goes on to the end of the file
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
    )

    assert refusal(upload("scan.pdf", content)).code == "pdf_active_content"


# --- Accepted images: re-encoded, without metadata -------------------------------------------------


def _reopened(clean: CleanUpload) -> Image.Image:
    image = Image.open(io.BytesIO(clean.content))
    image.load()
    return image


def test_a_jpeg_comes_back_re_encoded_without_exif():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)}  # GPS position
    content = image_bytes("JPEG", exif=exif.tobytes(), comment=b"secret comment")
    assert b"PhoneMaker" in content

    clean = accept("photo.jpeg", content, allowed=["jpeg"])

    assert clean.content != content
    assert clean.content_type == "image/jpeg"
    assert clean.extension == ".jpg"
    assert clean.sha256 == hashlib.sha256(clean.content).hexdigest()
    assert clean.size == len(clean.content)
    assert clean.page_count is None
    image = _reopened(clean)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert b"PhoneMaker" not in clean.content
    assert b"secret comment" not in clean.content
    assert (clean.width, clean.height) == image.size == (120, 80)


def test_a_photo_taken_sideways_comes_back_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    content = image_bytes("JPEG", size=(120, 80), exif=exif.tobytes())
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(content)))

    clean = accept("IMG_2024.JPG", content)

    assert (clean.width, clean.height) == (80, 120)
    image = _reopened(clean)
    assert image.size == expected.size
    assert dict(image.getexif()) == {}
    # The red corner moved where a viewer honouring the tag would have shown it (top right).
    red, green, blue = image.getpixel((70, 5))
    assert red > 150 and green < 80 and blue < 80


def test_a_jpeg_icc_profile_and_cmyk_colours_are_dropped():
    content = image_bytes("JPEG", mode="CMYK", icc_profile=b"\0" * 128)

    clean = accept("scan.jfif", content)

    image = _reopened(clean)
    assert image.mode == "RGB"
    assert "icc_profile" not in image.info


def test_a_png_loses_its_text_chunks():
    info = PngInfo()
    info.add_text("Comment", "adresse : 12 rue des Lilas")
    info.add_itxt("Author", "Awa Ndiaye")
    content = image_bytes("PNG", pnginfo=info)

    clean = accept("attestation.png", content, allowed=["png"])

    image = _reopened(clean)
    assert image.format == "PNG"
    assert image.text == {}
    assert b"tEXt" not in clean.content and b"iTXt" not in clean.content
    assert b"rue des Lilas" not in clean.content
    assert clean.content_type == "image/png"
    assert clean.extension == ".png"


def test_data_hidden_after_the_end_of_a_png_is_gone():
    content = image_bytes("PNG") + b"<script>alert(document.cookie)</script>" + zip_bytes()

    clean = accept("photo.png", content)

    assert b"<script>" not in clean.content
    assert b"PK\x03\x04" not in clean.content
    assert clean.content.endswith(b"IEND\xaeB`\x82")
    assert _reopened(clean).size == (120, 80)


def test_a_png_cut_only_in_its_final_checksum_still_has_all_its_pixels():
    # The last 4 bytes are the CRC of the empty IEND chunk: every pixel is there.
    clean = accept("photo.png", image_bytes("PNG", noisy=True)[:-2])

    assert (clean.width, clean.height) == (120, 80)


def test_a_palette_png_with_transparency_keeps_its_transparency():
    image = Image.new("P", (30, 20), 0)
    image.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)

    clean = accept("signature.png", out.getvalue())

    reopened = _reopened(clean)
    assert reopened.mode == "RGBA"
    assert reopened.getpixel((0, 0))[3] == 0


def test_an_image_just_under_the_pixel_limit_is_accepted():
    clean = accept("scan.png", image_bytes("PNG", size=(8000, 5000), mode="1"))

    assert (clean.width, clean.height) == (8000, 5000)


@pytest.mark.parametrize("key", ALL_FORMATS)
def test_the_formats_table_gives_content_type_extension_and_label(key):
    content_type, extension, label = ALLOWED_FORMATS[key]

    assert content_type.split("/")[1] in {"pdf", "jpeg", "png"}
    assert extension.startswith(".")
    assert label == key.upper()


def test_the_stored_pdf_is_what_a_reader_opens():
    clean = accept("scan.pdf", pdf_bytes(pages=2))

    assert len(PdfReader(io.BytesIO(clean.content)).pages) == 2


def test_a_truncated_jpeg_is_refused_even_after_weasyprint_is_imported():
    # Regression: importing WeasyPrint sets PIL's LOAD_TRUNCATED_IMAGES process-wide, which made
    # truncated images pass in a process that had rendered a PDF.
    import weasyprint  # noqa: F401, TID253
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (200, 200), (10, 200, 10)).save(buffer, "JPEG")
    data = buffer.getvalue()[:-400]
    with pytest.raises(ValidationError) as error:
        validate_upload(SimpleUploadedFile("photo.jpg", data), allowed_formats=["jpeg"], max_bytes=10**6)
    assert error.value.code == "image_damaged"


# --- What the person is told, and what is kept of an image ---------------------------------------

MEBIBYTE = 1024 * 1024


@pytest.mark.parametrize(("max_bytes", "shown"), [
    (5 * MEBIBYTE, "5\u00a0Mo"),
    (MEBIBYTE, "1\u00a0Mo"),  # exactly one mebibyte is written in Mo
    (MEBIBYTE + MEBIBYTE // 2, "1,5\u00a0Mo"),
    (int(1.96 * MEBIBYTE), "2\u00a0Mo"),  # rounded to one decimal, then written without ",0"
    (200 * 1024, "200\u00a0ko"),
])
def test_the_size_limit_is_told_in_the_units_of_a_file_manager(max_bytes, shown):
    error = refusal(upload("gros.pdf", b"%PDF-1.7\n" + b"0" * max_bytes), max_bytes=max_bytes)

    assert error.code == "too_large"
    assert f"la taille maximale de {shown}. " in error.messages[0]


@pytest.mark.parametrize("build", [
    lambda: png_header_only(8000, 5001),  # just over the limit: seen in the header
    lambda: png_header_only(100_000, 100_000),  # far over it: Pillow's own guard trips first
], ids=["header", "pillow-guard"])
def test_a_picture_over_the_pixel_limit_is_told_the_limit_in_millions(build):
    error = refusal(upload("plan.png", build()))

    assert error.code == "image_too_large"
    assert "(plus de 40 millions de pixels)" in error.messages[0]


@pytest.mark.parametrize("mode", ["1", "L", "LA", "RGB", "RGBA", "I;16"])
def test_a_png_keeps_its_colours_as_they_are(mode):
    content = image_bytes("PNG", mode=mode) if mode in ("1", "RGB") else _png_of_mode(mode)

    reopened = _reopened(accept("scan.png", content))

    assert reopened.mode == mode


def _png_of_mode(mode: str) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (30, 20)).save(out, "PNG")
    return out.getvalue()


def test_a_palette_png_without_transparency_becomes_plain_colour():
    image = Image.new("P", (30, 20), 1)
    image.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    out = io.BytesIO()
    image.save(out, "PNG")

    reopened = _reopened(accept("tampon.png", out.getvalue()))

    assert reopened.mode == "RGB"
    assert reopened.getpixel((0, 0)) == (200, 30, 30)


def test_a_colour_png_with_a_transparent_colour_keeps_its_transparency():
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (255, 255, 255)).save(out, "PNG", transparency=(255, 255, 255))

    reopened = _reopened(accept("signature.png", out.getvalue()))

    assert reopened.mode == "RGBA"
    assert reopened.getpixel((0, 0))[3] == 0


def test_a_greyscale_scan_in_jpeg_stays_greyscale():
    reopened = _reopened(accept("scan.jpg", image_bytes("JPEG", mode="L")))

    assert reopened.mode == "L"


def test_a_jpeg_is_stored_at_quality_90_so_that_small_print_stays_readable():
    reference = io.BytesIO()
    Image.new("RGB", (8, 8)).save(reference, "JPEG", quality=90)

    reopened = _reopened(accept("photo.jpg", image_bytes("JPEG", quality=50)))

    assert reopened.quantization == Image.open(io.BytesIO(reference.getvalue())).quantization


# --- Limits, exactly, and what the messages name -------------------------------------------------


def _containers(count: int) -> bytes:
    """A PDF array holding arrays: with the catalog, page tree, kids, page, media box and resources
    (6 containers), ``count`` containers in all."""
    groups, rest = divmod(count - 6 - 1, 501)
    return b"[" + (b"[" + b"[] " * 500 + b"]") * groups + b"[" + b"[] " * (rest - 1) + b"]]"


def test_a_pdf_of_200_000_containers_is_checked_and_one_more_is_too_complex():
    at_limit = handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R /Junk %s >>" % _containers(200_000), *ONE_PAGE)
    over = handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R /Junk %s >>" % _containers(200_001), *ONE_PAGE)

    assert accept("scan.pdf", at_limit).page_count == 1
    assert refusal(upload("scan.pdf", over)).code == "pdf_too_complex"


@pytest.mark.parametrize(("value", "code"), [
    (b"/S /Launch /F (calc.exe)", "pdf_active_content"),  # a forbidden name as a value
    (b"/AA << >>", "pdf_active_content"),  # ... as a key
    (b"/S /Launch /F (calc.exe) /NewWindow /Default", "pdf_active_content"),  # ... before a harmless one
    (b"/S /GoTo /D [3 0 R /Fit]", None),  # an ordinary action
])
def test_compressed_objects_are_judged_on_their_names_keys_and_values_alike(value, code):
    content = pdf_with_compressed_catalog(b"/OpenAction << %s >>" % value)

    if code is None:
        assert accept("courrier.pdf", content).page_count == 1
    else:
        assert refusal(upload("courrier.pdf", content)).code == code


def test_markup_is_looked_for_in_the_first_kib_as_browsers_sniff_it():
    # "<html" ends on byte 1025: a browser sniffing 1024 bytes never sees it.
    header = b"%" + b" " * (1020 - len(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") - 3) + b"\n%<html>\n"
    content = handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", *ONE_PAGE, header_comment=header)
    assert content.index(b"<html") == 1020

    assert accept("scan.pdf", content).page_count == 1


@pytest.mark.parametrize(("marker_from_the_end", "accepted"), [(1024, True), (1025, False)])
def test_the_end_marker_must_be_in_the_last_kib(marker_from_the_end, accepted):
    content = pdf_bytes()
    content += b"\0" * (marker_from_the_end - (len(content) - content.rindex(b"%%EOF")))
    assert len(content) - content.rindex(b"%%EOF") == marker_from_the_end

    if accepted:
        assert accept("scan.pdf", content).content == content
    else:
        assert refusal(upload("scan.pdf", content)).code == "pdf_damaged"


def test_a_file_larger_than_one_read_is_stored_byte_for_byte():
    content = handmade_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        ONE_PAGE[0],
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        _stream(b"q Q" + b" " * 200_000),
    )

    assert accept("scan.pdf", content).content == content


def test_a_declared_size_over_the_limit_is_refused_before_anything_is_read():
    uploaded = upload("gros.pdf", pdf_bytes())

    error = refusal(uploaded, max_bytes=uploaded.size - 1)

    assert error.code == "too_large"
    assert uploaded.file.tell() == 0


def test_a_stream_of_unknown_size_is_measured_as_it_is_read():
    class NamedStream(io.BytesIO):
        name = "scan.pdf"

    content = pdf_bytes()

    assert validate_upload(NamedStream(content), allowed_formats=["pdf"], max_bytes=len(content)).size == len(content)
    assert refusal(NamedStream(content), max_bytes=len(content) - 1).code == "too_large"


@pytest.mark.parametrize(("raw_name", "code"), [
    (".", "invalid_name"),
    ("..", "invalid_name"),
    ("scan.", "missing_extension"),
    ("scan\ud800.pdf", "invalid_name"),  # a lone surrogate, left by a broken decoding
    (123, "invalid_name"),
])
def test_names_that_are_no_file_names_are_refused(raw_name, code):
    assert refusal(RawNameUpload(raw_name, pdf_bytes())).code == code


def test_a_file_without_a_name_is_refused():
    assert refusal(io.BytesIO(pdf_bytes())).code == "invalid_name"


def test_a_name_of_the_maximum_length_is_accepted():
    assert accept("a" * 196 + ".pdf", pdf_bytes()).page_count == 1


def test_the_messages_name_the_limit_and_the_formats_accepted():
    too_long = refusal(RawNameUpload("a" * 197 + ".pdf", pdf_bytes()))
    no_extension = refusal(upload("scan", pdf_bytes()), allowed=["pdf", "png"])
    unknown = refusal(upload("scan.pdf", b"GIF89a" + b"\0" * 64), allowed=["pdf", "jpeg"])

    assert "(200 caractères au maximum)" in too_long.messages[0]
    assert no_extension.messages[0].endswith("Formats acceptés : PDF, PNG.")
    assert "Formats acceptés pour ce document : PDF, JPEG." in unknown.messages[0]


def test_the_callers_mistakes_are_told_to_the_programmer():
    content = pdf_bytes()
    with pytest.raises(TypeError, match="^allowed_formats must be an iterable of format keys, not a string$"):
        validate_upload(upload("scan.pdf", content), allowed_formats="pdf", max_bytes=10)
    with pytest.raises(ValueError, match=r"allowed_formats must be non-empty keys of ALLOWED_FORMATS, got \['gif'\]"):
        validate_upload(upload("scan.pdf", content), allowed_formats=["gif"], max_bytes=10)
    with pytest.raises(ValueError, match="max_bytes must be a positive integer, got True"):
        validate_upload(upload("scan.pdf", content), allowed_formats=["pdf"], max_bytes=True)
    # One byte is a limit like any other: the person is told, not the programmer.
    assert refusal(upload("scan.pdf", content), max_bytes=1).code == "too_large"


def test_the_active_name_pattern_sees_every_spelling_of_a_name():
    # The pattern is built once, at import: a direct call is the only way mutation testing (which
    # swaps code after import) reaches the builder. Every character may be written "#xx", in
    # either case, and a name ends at a delimiter.
    from applications.uploads import _raw_name_pattern

    pattern = _raw_name_pattern({"JS", "AA"})

    for spelling in (b"/JS ", b"/J#53(", b"/#4a#53/", b"/#4A#53>", b"/AA<<", b"/A#41\n", b"/JS"):
        assert pattern.search(b"<< " + spelling), spelling
    for other in (b"/JSX ", b"/J ", b"/JavaScript ", b"JS ", b"/J#54 "):
        assert not pattern.search(b"<< " + other), other


def test_a_pdf_the_parser_would_have_to_repair_is_refused_as_damaged():
    good = handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", *ONE_PAGE)
    pointer = good.index(b"xref")
    wrong_pointer = good.replace(b"startxref\n%d" % pointer, b"startxref\n%d" % (pointer + 3))

    assert accept("scan.pdf", good).page_count == 1
    assert refusal(upload("scan.pdf", wrong_pointer)).code == "pdf_damaged"


def test_a_pdf_whose_page_tree_is_broken_is_refused_as_damaged():
    content = handmade_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids 5 /Count 1 >>")

    assert refusal(upload("scan.pdf", content)).code == "pdf_damaged"
