"""The signed payload of a document's QR code, and the QR code itself.

The QR code encodes ``{SITE_URL}/verifier/q/<token>/`` where the token is the document's number and
verification code signed with the project's ``SECRET_KEY`` (``django.core.signing``, its own salt):
a forged or altered QR code fails the signature check before any database lookup.
"""

from __future__ import annotations

import base64
import functools
import struct
import zlib
from itertools import chain
from typing import TYPE_CHECKING

import segno
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from segno import encoder as segno_encoder

if TYPE_CHECKING:
    from documents.models import IssuedDocument

QR_SALT = "documents.qr"

#: segno's own choice of the data mask, kept for Micro QR codes (and to compare with, in the tests).
segno_find_and_apply_best_mask = segno_encoder.find_and_apply_best_mask


@functools.cache
def _mask_rows(width: int) -> tuple[tuple[int, ...], ...]:
    """For each of the 8 data masks of a QR code ``width`` modules wide, each row's modules to
    invert (those of the encoding region the mask darkens), as an integer of ``width`` bytes
    0x00 or 0x01: the matrix's rows are bytearrays of such bytes, so that one XOR masks a row."""
    function_modules = segno_encoder.make_matrix(width, width)
    segno_encoder.add_finder_patterns(function_modules, width, width)
    segno_encoder.add_alignment_patterns(function_modules, width, width)
    function_modules[-8][8] = 0x1  # the dark module, as segno marks it
    return tuple(
        tuple(int.from_bytes(bytes(function_modules[i][j] > 0x1 and bool(pattern(i, j)) for j in range(width)), "big")
              for i in range(width))
        for pattern in segno_encoder.get_data_mask_functions(False)
    )


_FINDER_LIKE = bytes((1, 0, 1, 1, 1, 0, 1))
_AS_BINARY_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _finder_like_penalty_of_lines(lines: bytes, size: int) -> int:
    """segno's N3 count (its ``n3_pattern_occurrences``) of every row and column at once: ``lines``
    holds them one after the other, each followed by a byte 2 (no pattern of 0s and 1s spans two
    lines), searched as one string, so that the Python loop runs once per pattern found (a few
    dozen per mask) rather than once per line and mask (2 x 49 x 8 for the receipt's code). The
    same count as segno's, line by line, with the same skips after each pattern found."""
    count = 0
    stride = size + 1
    position = lines.find(_FINDER_LIKE)
    while position != -1:
        start = position - position % stride  # the line's first module
        index = position - start
        offset = index + 7
        if (index in (0, size - 7) or not any(lines[start + max(index - 4, 0):position])
                or not any(lines[start + offset:start + min(offset + 4, size)])):
            count += 40
        else:
            offset = index + 4
        position = lines.find(_FINDER_LIKE, start + offset)
    return count


def _runs_penalty(line: int, pairs: int) -> int:
    """N1 of a row or column given as an integer (a bit per module): each run of five or more
    modules of one colour costs its length minus 2. ``same`` has a bit for each two neighbours of
    one colour, so a run of L modules is L - 1 bits in a row there; ``four`` has one bit less than
    that per three, for runs of five or more only: L - 4 bits, plus 2 per run."""
    same = ~(line ^ (line >> 1)) & pairs
    four = same & (same >> 1) & (same >> 2) & (same >> 3)
    return four.bit_count() + 2 * (four & ~(four >> 1)).bit_count()


def mask_penalty(matrix, width: int, bound: int | None = None) -> int:
    """segno's penalty of a masked QR code (``segno.encoder.evaluate_mask``: N1 + N2 + N3 + N4 of
    ISO/IEC 18004 7.8.3.1), the same number, counted a row or a column at a time (integers as bit
    rows for runs and 2×2 blocks, ``bytes.find`` for the finder-like pattern) instead of module by
    module. With a ``bound``, counting stops as soon as the penalty reaches it (then the number
    returned is at least ``bound``, not the penalty): that mask cannot be the lowest."""
    rows = [bytes(row) for row in matrix]
    if b"".join(rows).translate(None, b"\x00\x01"):  # a module neither light nor dark: segno's way
        return segno_encoder.evaluate_mask(matrix, width, width)
    dark = sum(row.count(1) for row in rows)
    penalty = 10 * int(abs(dark / width ** 2 * 100 - 50) / 5)  # N4
    bits = [int(row.translate(_AS_BINARY_DIGITS), 2) for row in rows]
    pairs = (1 << (width - 1)) - 1  # a bit for each two neighbouring modules of a line
    penalty += 3 * sum((~(upper ^ (upper >> 1)) & ~(lower ^ (lower >> 1)) & ~(upper ^ lower) & pairs).bit_count()
                       for upper, lower in zip(bits, bits[1:], strict=False))  # N2
    if bound is not None and penalty >= bound:
        return penalty
    columns = [bytes(column) for column in zip(*rows, strict=True)]
    penalty += sum(_runs_penalty(line, pairs) for line in bits)  # N1, rows
    penalty += sum(_runs_penalty(int(column.translate(_AS_BINARY_DIGITS), 2), pairs) for column in columns)
    if bound is not None and penalty >= bound:
        return penalty
    return penalty + _finder_like_penalty_of_lines(b"\x02".join(chain(rows, columns)), width)  # N3


def find_and_apply_best_mask(matrix, width, height, proposed_mask=None):
    """segno's choice of the data mask (ISO/IEC 18004 7.8.3: the lowest penalty of the eight), the
    same mask and matrix, with each mask applied a row at a time (one XOR of integers) instead of
    one Python call per module, and each penalty counted a row at a time (``mask_penalty``): segno's
    loops were about 7 ms of the 9 a receipt's QR code took, a tenth of the receipt
    (docs/benchmarks.md, PDF, third pass). tests/documents/test_qr.py compares both, masks,
    penalties and modules, on codes of every size we print."""
    if width != height or width < 21:  # a Micro QR code: segno's way
        return segno_find_and_apply_best_mask(matrix, width, height, proposed_mask)
    rows = [int.from_bytes(row, "big") for row in matrix]

    def masked(number):
        return tuple(bytearray((row ^ bits).to_bytes(width, "big"))
                     for row, bits in zip(rows, _mask_rows(width)[number], strict=True))

    if proposed_mask is not None:
        return proposed_mask, masked(proposed_mask)
    best, best_matrix, lowest = None, None, None
    for number in range(8):
        candidate = masked(number)
        penalty = mask_penalty(candidate, width, bound=lowest)
        if lowest is None or penalty < lowest:  # the first of the lowest, as segno
            best, best_matrix, lowest = number, candidate, penalty
    return best, best_matrix


# segno's encoder looks the function up in its module at each code it makes.
segno_encoder.find_and_apply_best_mask = find_and_apply_best_mask


def qr_token_make(*, document: IssuedDocument) -> str:
    return signing.dumps(
        {"n": document.number, "c": document.verification_code}, salt=QR_SALT, compress=True
    )


def qr_token_load(*, token: str) -> tuple[str, str]:
    """(number, verification code) of a token; raises ``signing.BadSignature`` on a forged one."""
    payload = signing.loads(token, salt=QR_SALT)
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str) or not isinstance(
        payload.get("c"), str
    ):
        raise signing.BadSignature("Unexpected QR payload.")
    return payload["n"], payload["c"]


def qr_url(*, document: IssuedDocument) -> str:
    return settings.SITE_URL + reverse(
        "documents:verify_token", kwargs={"token": qr_token_make(document=document)}
    )


#: A row of modules (0 light, 1 dark) -> PNG pixels of a 1-bit greyscale image, as binary digits:
#: a light module is white (1), a dark one black (0), as segno's PNG writer maps them.
_AS_PNG_DIGITS = bytes.maketrans(b"\x00\x01", b"10")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_data_uri(matrix, *, border: int = 4) -> str:
    """The same bytes as segno's ``png_data_uri(scale=1, border=border)`` (black on white, 1-bit
    greyscale, filter 0 on every row, zlib level 9, no other chunk), each row packed as one
    integer instead of segno's one Python call per pixel: 0.5 ms of the receipt's QR code to about
    0.05 (docs/benchmarks.md, PDF, fourth pass). tests/documents/test_qr.py compares the two."""
    size = len(matrix) + 2 * border
    padding = b"0" * (-size % 8)  # segno pads each row's last byte with zero bits
    row_bytes = (size + 7) // 8
    quiet = b"1" * border
    blank = b"\x00" + int(b"1" * size + padding, 2).to_bytes(row_bytes, "big")
    rows = [blank] * border
    rows.extend(b"\x00" + int(quiet + bytes(row).translate(_AS_PNG_DIGITS) + quiet + padding, 2)
                .to_bytes(row_bytes, "big") for row in matrix)
    rows.extend([blank] * border)
    png = b"".join((b"\x89PNG\r\n\x1a\n",
                    _png_chunk(b"IHDR", struct.pack(">2I5B", size, size, 1, 0, 0, 0, 0)),
                    _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9)),
                    _png_chunk(b"IEND", b"")))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def qr_image(*, data: str, title: str) -> SafeString:
    """The QR code of an issued PDF: an ``<img>`` of a PNG in a ``data:`` URL, one pixel per module
    (error correction M), drawn without smoothing at its CSS size (``image-rendering: pixelated``).
    Not the SVG: WeasyPrint lays out and writes an SVG path of hundreds of squares in Python, which
    cost about 13 ms per receipt (docs/benchmarks.md, PDF); the PNG is decoded once, in C."""
    uri = png_data_uri(segno.make(data, error="m", micro=False).matrix, border=4)
    return format_html('<img class="qr" src="{}" alt="{}">', uri, title)
