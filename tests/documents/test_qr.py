"""The QR code's data mask: segno's choice, computed faster (documents.qr.find_and_apply_best_mask)."""

import segno
from segno import encoder

from documents import qr
from documents.qr import qr_image

# Verification URLs as the documents print them (a signed token of about a hundred characters),
# and shorter and longer data: QR codes of versions 1 to 12, with and without a version pattern.
DATA = [
    "1",
    "https://example.org/",
    "http://127.0.0.1:8000/verifier/",
    *(f"http://127.0.0.1:8000/verifier/q/{'eyJuIjoiUkVDLTIwMjYtMDAwMDQy' * n}{i}:1vABCD:{'x' * i}/"
      for n in range(1, 8) for i in range(0, 43, 7)),
    # Two where a later mask, its penalty counted up to the lowest so far, reaches it: the first stays.
    *(f"http://127.0.0.1:8000/verifier/q/{i:05d}eyJuIjoiUkVDLTIwMjYtMDAwMDQyIiwiYyI6IjdLM1BYUTlNIn0:1vABCD:/"
      for i in (116, 225)),
]


def test_the_mask_and_every_module_are_segnos_own(monkeypatch):
    ours = [segno.make(data, error="m", micro=False) for data in DATA]
    ours_given = [segno.make(DATA[-1], error="m", micro=False, mask=mask) for mask in range(8)]
    monkeypatch.setattr(encoder, "find_and_apply_best_mask", qr.segno_find_and_apply_best_mask)
    theirs = [segno.make(data, error="m", micro=False) for data in DATA]
    theirs_given = [segno.make(DATA[-1], error="m", micro=False, mask=mask) for mask in range(8)]

    assert {code.version for code in ours} >= {1, 2, 7, 8, 12}  # 7 and up: with a version pattern
    assert len({code.mask for code in ours}) >= 6  # the choice does vary with the data
    for data, mine, segnos in zip(DATA, ours, theirs, strict=True):
        assert (mine.version, mine.mask) == (segnos.version, segnos.mask), data
        assert mine.matrix == segnos.matrix, data
    # A mask given by the caller is applied the same way.
    assert [code.matrix for code in ours_given] == [code.matrix for code in theirs_given]
    assert [code.mask for code in ours_given] == list(range(8))


def test_a_qr_code_is_made_without_segnos_module_by_module_masking(monkeypatch):
    calls = []
    original = encoder.apply_mask
    monkeypatch.setattr(encoder, "apply_mask", lambda *args: calls.append(1) or original(*args))

    image = qr_image(data=DATA[10], title="QR")

    assert image.startswith('<img class="qr" src="data:image/png;base64,')
    assert calls == []


def test_the_penalty_of_every_mask_is_segnos_own():
    for data in DATA:
        code = segno.make(data, error="m", micro=False)
        width = len(code.matrix)
        for mask in range(8):
            masked = qr.find_and_apply_best_mask(_unmasked(data), width, width, mask)[1]
            assert qr.mask_penalty(masked, width) == encoder.evaluate_mask(masked, width, width), (data, mask)


def _unmasked(data):
    """The matrix segno masks: codewords placed, before the mask, the format and version information."""
    captured = []
    original = encoder.find_and_apply_best_mask

    def capture(matrix, width, height, proposed_mask=None):
        captured.append(tuple(bytearray(row) for row in matrix))
        return original(matrix, width, height, proposed_mask)

    encoder.find_and_apply_best_mask = capture
    try:
        segno.make(data, error="m", micro=False)
    finally:
        encoder.find_and_apply_best_mask = original
    return captured[0]


def test_the_png_is_segnos_own_byte_for_byte():
    for data in DATA:
        code = segno.make(data, error="m", micro=False)
        assert qr.png_data_uri(code.matrix, border=4) == code.png_data_uri(scale=1, border=4), data
    # The receipt's image is that PNG, in the <img> the templates print.
    code = segno.make(DATA[10], error="m", micro=False)
    assert f'src="{code.png_data_uri(scale=1, border=4)}"' in qr_image(data=DATA[10], title="QR")
