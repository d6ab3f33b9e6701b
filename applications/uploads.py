"""Validation of the supporting documents a person uploads (DESIGN.md §3, "Attachments").

``validate_upload`` is the only door between an uploaded file and storage. It trusts nothing the
browser sent: the file name is only checked for sanity and compared with the content, the type is
sniffed from the first bytes, PDFs are parsed and inspected, images are decoded and re-encoded
from their pixels. What it returns (``CleanUpload.content``) is what gets stored; the caller
chooses the storage name.

Every refusal is a ``ValidationError`` with a ``code`` (for tests, logs and the API) and a French
message that says what is wrong and what to do about it, written for people who are not at ease
with computers and are often uploading from a phone.

This module must not import from ``applications.models``: models and forms call it, not the other
way round.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import threading
import unicodedata
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject


class UploadFormat(NamedTuple):
    content_type: str
    extension: str  # the canonical extension, used when the caller builds the storage name
    label: str  # shown to the person; the same in every language


#: Format key -> (content type, extension, label). Document types list the keys they accept.
ALLOWED_FORMATS: dict[str, UploadFormat] = {
    "pdf": UploadFormat("application/pdf", ".pdf", "PDF"),
    "jpeg": UploadFormat("image/jpeg", ".jpg", "JPEG"),
    "png": UploadFormat("image/png", ".png", "PNG"),
}

#: Extensions a file name may carry for each format (compared in lower case). ".jfif" is what
#: browsers on Windows give JPEG pictures saved from the web.
NAME_EXTENSIONS: dict[str, frozenset[str]] = {
    "pdf": frozenset({".pdf"}),
    "jpeg": frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    "png": frozenset({".png"}),
}

#: Below 255 on purpose: Django cuts longer names to 255 characters when it reads the upload
#: (UploadedFile.name), so a limit of 255 would never be seen as exceeded and the person would not
#: be told their name is too long.
MAX_NAME_LENGTH = 200
MAX_PDF_PAGES = 50
#: Decompression-bomb guard: a 40-megapixel picture is already larger than any phone photo or
#: 600 dpi A4 scan (about 35 megapixels); decoding it takes 120-160 MB of memory.
MAX_IMAGE_PIXELS = 40_000_000
JPEG_QUALITY = 90

_PDF_MAGIC = b"%PDF-"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_READ_CHUNK = 64 * 1024

# Characters refused in a file name: control characters (Cc, NUL included), lone surrogates (Cs,
# left by a broken decoding) and the bidirectional controls used to disguise an extension
# ("facture\u202efdp.exe" displays as "facture exe.pdf").
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# --- Messages --------------------------------------------------------------------------------------
# One per refusal, each saying what is wrong and what to do. Placeholders are filled in by
# ValidationError (params), so translators see whole sentences.

MESSAGES = {
    "invalid_name": _(
        "Le nom de ce fichier n'est pas valide. Renommez-le avec des lettres et des chiffres "
        "(par exemple « justificatif.pdf ») puis réessayez."
    ),
    "name_too_long": _(
        "Le nom de ce fichier est trop long (%(max)s caractères au maximum). Renommez-le avec un "
        "nom plus court puis réessayez."
    ),
    "missing_extension": _(
        "Le nom de ce fichier n'a pas d'extension (comme « .pdf » ou « .jpg »), son format ne peut "
        "pas être reconnu. Formats acceptés : %(formats)s."
    ),
    "unsupported_extension": _(
        "Ce format (%(extension)s) n'est pas accepté pour ce document. Formats acceptés : "
        "%(formats)s. Enregistrez ou numérisez le document dans l'un de ces formats puis "
        "réessayez."
    ),
    "empty": _(
        "Ce fichier est vide. Vérifiez que vous avez choisi le bon fichier puis réessayez."
    ),
    "too_large": _(
        "Ce fichier dépasse la taille maximale de %(max_size)s. Réduisez sa taille (par exemple "
        "en le numérisant avec une résolution plus faible ou en noir et blanc) puis réessayez."
    ),
    "unrecognised_content": _(
        "Le contenu de ce fichier ne correspond pas à un PDF, un JPEG ou un PNG. Formats acceptés "
        "pour ce document : %(formats)s. Enregistrez ou numérisez le document dans l'un de ces "
        "formats puis réessayez."
    ),
    "format_not_allowed": _(
        "Ce format (%(format)s) n'est pas accepté pour ce document. Formats acceptés : "
        "%(formats)s."
    ),
    "extension_mismatch": _(
        "L'extension du fichier (%(extension)s) ne correspond pas à son contenu (%(format)s). "
        "Vérifiez que vous avez choisi le bon fichier, ou enregistrez-le à nouveau au format "
        "%(format)s avec l'extension qui convient, puis réessayez."
    ),
    "pdf_hidden_content": _(
        "Ce PDF contient d'autres données cachées (page web ou archive). Ouvrez-le puis "
        "imprimez-le en PDF (« Imprimer » puis « Enregistrer au format PDF ») et envoyez ce "
        "nouveau fichier."
    ),
    "pdf_damaged": _(
        "Ce PDF est endommagé ou incomplet. Vérifiez qu'il s'ouvre et s'affiche en entier, "
        "enregistrez-le à nouveau (ou imprimez-le en PDF) puis réessayez."
    ),
    "pdf_encrypted": _(
        "Ce PDF est protégé par un mot de passe : enregistrez-le sans protection puis réessayez."
    ),
    "pdf_restricted": _(
        "Ce PDF est protégé (chiffré), même s'il s'ouvre sans mot de passe. Ouvrez-le puis "
        "imprimez-le en PDF (« Imprimer » puis « Enregistrer au format PDF ») et envoyez ce "
        "nouveau fichier."
    ),
    "pdf_active_content": _(
        "Ce PDF contient du code ou des actions automatiques (JavaScript, fichier joint, "
        "lancement d'un programme), ce qui n'est pas accepté. Ouvrez-le puis imprimez-le en PDF "
        "(« Imprimer » puis « Enregistrer au format PDF ») et envoyez ce nouveau fichier."
    ),
    "pdf_too_complex": _(
        "Ce PDF est trop complexe pour être vérifié. Ouvrez-le puis imprimez-le en PDF "
        "(« Imprimer » puis « Enregistrer au format PDF ») et envoyez ce nouveau fichier."
    ),
    "pdf_no_pages": _(
        "Ce PDF ne contient aucune page. Vérifiez que vous avez choisi le bon fichier puis "
        "réessayez."
    ),
    "pdf_too_many_pages": _(
        "Ce PDF compte %(count)s pages, le maximum est de %(max)s. Envoyez seulement les pages "
        "demandées pour ce document."
    ),
    "image_damaged": _(
        "Cette image est endommagée ou incomplète. Vérifiez qu'elle s'affiche en entier, "
        "reprenez la photo ou enregistrez-la à nouveau, puis réessayez."
    ),
    "image_too_large": _(
        "Cette image est trop grande (plus de %(max)s millions de pixels). Réduisez sa taille ou "
        "sa résolution puis réessayez."
    ),
}


def _refuse(code: str, **params: Any) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code, params=params or None)


# --- Public API ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanUpload:
    content: bytes  # what will be stored: images re-encoded, PDFs as received (after checks)
    content_type: str  # "application/pdf" | "image/jpeg" | "image/png"
    extension: str  # ".pdf" | ".jpg" | ".png"
    size: int
    sha256: str
    page_count: int | None = None  # PDFs
    width: int | None = None  # images, after orientation is applied
    height: int | None = None


def validate_upload(uploaded_file: File, *, allowed_formats: Iterable[str], max_bytes: int) -> CleanUpload:
    """Checks an uploaded file for one document type and returns what may be stored.

    ``uploaded_file`` is a Django ``UploadedFile``; at most ``max_bytes + 1`` bytes are read from it.
    ``allowed_formats`` are keys of ``ALLOWED_FORMATS``.

    Raises ``django.core.exceptions.ValidationError`` with a message for the person and a ``code``
    (the keys of ``MESSAGES``).
    """
    allowed = _check_arguments(allowed_formats, max_bytes)
    formats_label = ", ".join(ALLOWED_FORMATS[key].label for key in allowed)

    claimed_extension = _check_name(getattr(uploaded_file, "name", None), formats_label)
    data = _read_bounded(uploaded_file, max_bytes)

    sniffed = _sniff(data)
    if sniffed is None:
        raise _refuse("unrecognised_content", formats=formats_label)
    label = ALLOWED_FORMATS[sniffed].label
    # Allowed-for-this-document is checked before the extension: "this format is not accepted,
    # send one of these" is the useful message even when the name is wrong too.
    if sniffed not in allowed:
        raise _refuse("format_not_allowed", format=label, formats=formats_label)
    if claimed_extension not in NAME_EXTENSIONS[sniffed]:
        raise _refuse("extension_mismatch", extension=claimed_extension, format=label)

    if sniffed == "pdf":
        return _clean_pdf(data)
    return _clean_image(data, sniffed)


# --- Arguments, name, size -------------------------------------------------------------------------


def _check_arguments(allowed_formats: Iterable[str], max_bytes: int) -> list[str]:
    # Programming errors, not the person's: fail loudly.
    if isinstance(allowed_formats, str):
        raise TypeError("allowed_formats must be an iterable of format keys, not a string")
    allowed = list(dict.fromkeys(allowed_formats))
    unknown = [key for key in allowed if key not in ALLOWED_FORMATS]
    if not allowed or unknown:
        raise ValueError(f"allowed_formats must be non-empty keys of ALLOWED_FORMATS, got {allowed!r}")
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    # Keep the order of ALLOWED_FORMATS so messages always read "PDF, JPEG, PNG".
    return [key for key in ALLOWED_FORMATS if key in allowed]


def _check_name(name: object, formats_label: str) -> str:
    """Returns the claimed extension in lower case ("" never: a name without one is refused).

    The name never reaches storage (the caller generates storage names), so directories in it are
    harmless and simply dropped; it is only checked for sanity and for the extension it claims.
    """
    if not isinstance(name, str) or not name:
        raise _refuse("invalid_name")
    if any(_is_forbidden_name_character(char) for char in name):
        raise _refuse("invalid_name")
    # Browsers on Windows (and some old ones) may send "C:\Users\...\scan.pdf": treat both
    # separators alike, then keep the last component.
    basename = posixpath.basename(name.replace("\\", "/")).strip()
    if basename in {"", ".", ".."}:
        raise _refuse("invalid_name")
    if len(basename) > MAX_NAME_LENGTH:
        raise _refuse("name_too_long", max=MAX_NAME_LENGTH)
    # splitext treats a leading dot as part of the stem: ".pdf" has no extension.
    extension = posixpath.splitext(basename)[1].lower()
    if extension in {"", "."}:
        raise _refuse("missing_extension", formats=formats_label)
    if not any(extension in extensions for extensions in NAME_EXTENSIONS.values()):
        raise _refuse("unsupported_extension", extension=extension, formats=formats_label)
    return extension


def _is_forbidden_name_character(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cs"} or char in _BIDI_CONTROLS


def _read_bounded(uploaded_file: File, max_bytes: int) -> bytes:
    """Reads the whole file, or max_bytes + 1 bytes of it when it is larger (then refused)."""
    declared = getattr(uploaded_file, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        # Django measured it while receiving it: no need to read anything.
        raise _refuse("too_large", max_size=_format_size(max_bytes))
    try:
        if uploaded_file.seekable():
            uploaded_file.seek(0)
    except (AttributeError, OSError, ValueError):
        pass  # a stream that cannot seek is read from where it is
    # The declared size is not trusted for what is accepted: only the bytes actually read count.
    limit = max_bytes + 1
    parts: list[bytes] = []
    total = 0
    while total < limit:
        chunk = uploaded_file.read(min(_READ_CHUNK, limit - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    if total == 0:
        raise _refuse("empty")
    if total > max_bytes:
        raise _refuse("too_large", max_size=_format_size(max_bytes))
    return b"".join(parts)


def _format_size(max_bytes: int) -> str:
    """5242880 -> "5 Mo", 1572864 -> "1,5 Mo", 204800 -> "200 ko" (binary units, like file managers)."""
    mebibyte = 1024 * 1024
    if max_bytes >= mebibyte:
        value, unit = max_bytes / mebibyte, _("Mo")
    else:
        value, unit = max_bytes / 1024, _("ko")
    value = round(value, 1)
    shown = number_format(int(value)) if value == int(value) else number_format(value, 1)
    return f"{shown}\u00a0{unit}"


# --- Content sniffing ------------------------------------------------------------------------------


def _sniff(data: bytes) -> str | None:
    # The PDF header is required at offset 0. The specification lets readers find it anywhere in
    # the first 1024 bytes, and they do, but leading bytes before "%PDF-" are exactly how PDF
    # polyglots are made (an HTML page, a script or an archive header that another program reads
    # first). Every scanner, phone and office suite writes the header first, so nothing
    # legitimate is lost by being strict.
    if data.startswith(_PDF_MAGIC):
        return "pdf"
    if data.startswith(_JPEG_MAGIC):
        return "jpeg"
    if data.startswith(_PNG_MAGIC):
        return "png"
    return None


# --- PDF -------------------------------------------------------------------------------------------

# Markup that makes a browser render the file as a web page when it sniffs content.
_HTML_IN_HEAD = re.compile(rb"<\s*(?:script|html|!doctype\s+html|iframe)\b", re.IGNORECASE)

# A ZIP local file header: signature, then "version needed to extract" (10..63, high byte 0),
# 2 bytes of flags, and a compression method ZIP tools actually write (stored, deflate,
# deflate64, bzip2, LZMA, zstd, xz, PPMd, AES), high byte 0. The four signature bytes alone would
# occur by chance in about 1 compressed PDF of 4 MB in 1000; with the header fields, never.
_ZIP_LOCAL_HEADER = re.compile(
    rb"PK\x03\x04[\x0a-\x3f]\x00..[\x00\x08\x09\x0c\x0e\x5d\x5f\x62\x63]\x00", re.DOTALL
)

# Names whose presence, as a key or a value, means the PDF can run code, act on its own or carry
# other files: JavaScript (/JS, /JavaScript, as an action type or a name tree), additional
# actions fired on open, close, focus or keystroke (/AA), starting a program (/Launch), attached
# files (/EmbeddedFile, /EmbeddedFiles, /GoToE, which opens one), Flash and other rich media
# (/RichMedia, /RichMediaExecute), importing form data from a file (/ImportData). A document sent
# to an administration needs none of them. /OpenAction itself is not in the list: office suites
# use it to open on the first page; when it holds an action, the action's own names are found.
_ACTIVE_NAMES = frozenset(
    {
        "JS", "JavaScript", "AA", "Launch", "EmbeddedFile", "EmbeddedFiles", "GoToE",
        "RichMedia", "RichMediaExecute", "ImportData",
    }
)


def _raw_name_pattern(names: Iterable[str]) -> re.Pattern[bytes]:
    """Matches "/" and one of the names, up to a delimiter or white space (ISO 32000-1 §7.3.5).

    Any character of a name may be written "#xx" ("/J#53" is "/JS"), as viewers accept: the
    pattern allows it for every character, so escapes hide nothing.
    """

    def hex_digit(digit: str) -> bytes:  # "#6a" and "#6A" are the same escape
        if digit.isalpha():
            return b"[%s%s]" % (digit.lower().encode(), digit.upper().encode())
        return digit.encode()

    def either_form(char: str) -> bytes:
        escape = b"#" + b"".join(hex_digit(digit) for digit in f"{ord(char):02x}")
        return b"(?:%s|%s)" % (re.escape(char).encode(), escape)

    alternatives = b"|".join(b"".join(either_form(char) for char in name) for name in sorted(names))
    return re.compile(rb"/(?:%s)(?=[\x00\t\n\x0c\r ()<>\[\]{}/%%]|\Z)" % alternatives)


_ACTIVE_NAME_IN_RAW_BYTES = _raw_name_pattern(_ACTIVE_NAMES)

# Stream bodies (images, fonts, compressed page contents) are binary: "/AA " or "/JS " would
# turn up by chance in a few percent of large scans. They are skipped by the raw scan (not by
# the ZIP check). A body starts after the "stream" keyword that follows its dictionary (">>"),
# which excludes the "stream" at the end of "endstream", and runs to the next "endstream" (9
# bytes that do not occur by chance).
_STREAM_START = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")

#: Containers (dictionaries and arrays) the structural walk visits before giving up.
_MAX_PDF_NODES = 200_000


class _TooComplex(Exception):
    pass


def _clean_pdf(data: bytes) -> CleanUpload:
    # Cheap checks on the raw bytes first, before the parser sees anything.
    if _HTML_IN_HEAD.search(data[:1024]) or _ZIP_LOCAL_HEADER.search(data):
        raise _refuse("pdf_hidden_content")
    # A complete PDF ends with "%%EOF"; readers accept it within the last 1024 bytes (some
    # scanners add padding). Without it the file was cut during the transfer or the save.
    if b"%%EOF" not in data[-1024:]:
        raise _refuse("pdf_damaged")

    try:
        # strict=True: no silent repair of broken cross-reference tables or objects. A file the
        # parser has to guess at is refused as damaged, rather than stored and later shown
        # differently by the back-office viewer.
        reader = PdfReader(io.BytesIO(data), strict=True)
        encrypted = reader.is_encrypted
    except Exception as exc:  # a parser on hostile input can raise anything: all mean "damaged"
        raise _refuse("pdf_damaged") from exc

    if encrypted:
        raise _refuse("pdf_restricted" if _opens_without_password(reader) else "pdf_encrypted")

    # Active content is looked for twice, because neither check sees everything:
    # - the walk below goes through every object reachable from the catalog (/Names /JavaScript,
    #   /OpenAction, pages, annotations, form fields...) as the parser resolves them, including
    #   objects packed in compressed object streams, which are invisible in the raw bytes (and
    #   with "#xx" escapes in names already decoded);
    # - the raw scan sees the objects the walk does not reach: unreferenced ones, objects from an
    #   incremental update the parser ignored, anything a more lenient viewer might still pick
    #   up. It is conservative: a forbidden name anywhere outside stream bodies refuses the file.
    try:
        has_active_content = _has_active_objects(reader)
        page_count = len(reader.pages)
    except _TooComplex as exc:
        raise _refuse("pdf_too_complex") from exc
    except Exception as exc:
        raise _refuse("pdf_damaged") from exc
    if has_active_content or _has_active_names_in_raw_bytes(data):
        raise _refuse("pdf_active_content")

    if page_count == 0:
        raise _refuse("pdf_no_pages")
    if page_count > MAX_PDF_PAGES:
        raise _refuse("pdf_too_many_pages", count=page_count, max=MAX_PDF_PAGES)

    pdf = ALLOWED_FORMATS["pdf"]
    return CleanUpload(
        content=data,
        content_type=pdf.content_type,
        extension=pdf.extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=page_count,
    )


def _opens_without_password(reader: PdfReader) -> bool:
    """True for "owner password" PDFs: encrypted to restrict printing or copying, readable by all."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # unsupported algorithm, missing crypto backend, broken /Encrypt
        return False


def _has_active_objects(reader: PdfReader) -> bool:
    """Walks the object graph from the catalog, looking for forbidden names as keys or values."""
    root = reader.trailer["/Root"]
    stack: list[Any] = [root]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            reference = (node.idnum, node.generation)
            if reference in seen:
                continue
            seen.add(reference)
            node = node.get_object()
        if isinstance(node, NameObject):
            if node[1:] in _ACTIVE_NAMES:
                return True
            continue
        if isinstance(node, DictionaryObject):  # stream objects too: their dictionary only
            visited += 1
            if any(key[1:] in _ACTIVE_NAMES for key in node.keys()):
                return True
            # raw values: resolving IndirectObjects here would bypass the "seen" set
            stack.extend(dict.values(node))
        elif isinstance(node, ArrayObject):
            visited += 1
            stack.extend(list.__iter__(node))
        if visited > _MAX_PDF_NODES:
            raise _TooComplex
    return False


def _has_active_names_in_raw_bytes(data: bytes) -> bool:
    return _ACTIVE_NAME_IN_RAW_BYTES.search(_outside_stream_bodies(data)) is not None


def _outside_stream_bodies(data: bytes) -> bytes:
    # A loop with find() rather than one regular expression: ">>stream" repeated without any
    # "endstream" would make a lazy ".*?endstream" pattern quadratic.
    parts = []
    position = 0
    while match := _STREAM_START.search(data, position):
        end = data.find(b"endstream", match.end())
        if end == -1:
            break  # an unterminated stream: the rest is scanned, to stay on the safe side
        parts.append(data[position : match.end()])
        position = end
    parts.append(data[position:])
    return b"".join(parts)


# --- Images ----------------------------------------------------------------------------------------

_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG"}


_DECODING_LOCK = threading.Lock()


@contextmanager
def _strict_decoding():
    with _DECODING_LOCK:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _clean_image(data: bytes, format_key: str) -> CleanUpload:
    pil_format = _PIL_FORMATS[format_key]
    try:
        # formats=[...]: only the decoder of the sniffed format ever sees the bytes.
        with Image.open(io.BytesIO(data), formats=[pil_format]) as probe:
            width, height = probe.size
            # Checked on the header, before any pixel is decoded. Image.MAX_IMAGE_PIXELS is left
            # alone: it is process-wide and also guards images the portal itself generates. Its
            # default (89 megapixels, an error at twice that) stays as a second line of defence.
            if width * height > MAX_IMAGE_PIXELS:
                raise _refuse("image_too_large", max=MAX_IMAGE_PIXELS // 1_000_000)
            # verify() checks the structure (chunk CRCs for PNG) without decoding...
            probe.verify()
        # ...and after it the image must be opened again: decoding every pixel is what reveals a
        # truncated file, as long as ImageFile.LOAD_TRUNCATED_IMAGES is False. WeasyPrint sets that
        # process-wide flag to True when it is imported (a worker renders PDFs too), so it is
        # forced off around the decoding, under a lock.
        with Image.open(io.BytesIO(data), formats=[pil_format]) as image, _strict_decoding():
            image.load()
            clean = _pixels_only(image, format_key)
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow's own guard, hit when the header announces far more than MAX_IMAGE_PIXELS.
        raise _refuse("image_too_large", max=MAX_IMAGE_PIXELS // 1_000_000) from exc
    except Exception as exc:  # a decoder on hostile input can raise anything: all mean "damaged"
        raise _refuse("image_damaged") from exc

    out = io.BytesIO()
    if format_key == "jpeg":
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        clean.save(out, "PNG", optimize=True)
    content = out.getvalue()
    target = ALLOWED_FORMATS[format_key]
    return CleanUpload(
        content=content,
        content_type=target.content_type,
        extension=target.extension,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        width=clean.width,
        height=clean.height,
    )


# PNG modes written as they are; anything else (palette, 32-bit integer, float...) is converted.
_PNG_MODES = frozenset({"1", "L", "LA", "RGB", "RGBA", "I;16"})


def _pixels_only(image: Image.Image, format_key: str) -> Image.Image:
    """A new image holding only the pixels, upright: no EXIF (GPS position, camera, date), no
    comments, text chunks, XMP, ICC profile, thumbnail or bytes after the end of the image."""
    # Phones store pictures sideways with an EXIF orientation tag; apply it now, since the tag is
    # about to be dropped with the rest of the EXIF data.
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # noqa: S110 - unreadable EXIF: keep the pixels as they are stored
        pass

    if format_key == "jpeg":
        mode = "L" if image.mode == "L" else "RGB"  # CMYK and YCCK scans become RGB
    elif image.mode in _PNG_MODES and "transparency" not in image.info:
        mode = image.mode
    else:
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        mode = "RGBA" if has_alpha else "RGB"
    pixels = image if image.mode == mode else image.convert(mode)

    # Image.new starts with empty metadata (convert() and copy() carry info over, and the JPEG
    # encoder would write info["comment"] back): only the pixels cross over.
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    return clean

