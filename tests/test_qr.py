import random
from typing import Literal, cast
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import qrcode.constants
import qrcode.util
import zxingcpp
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from campaign.qr import QUIET_ZONE, Tracking, dark_runs, matrix, modules_with_quiet_zone, qr_url

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
TRACK = Tracking(source="print", medium="qr", campaign="appeal", content="poster-a4")


def test_url_has_the_ref_and_utm_and_nothing_else() -> None:
    url = qr_url("https://example.org/c/{ref}", "K7Q2-9MXD", TRACK)
    parts = urlsplit(url)
    assert parts.path == "/c/K7Q2-9MXD"
    assert parse_qs(parts.query) == {
        "utm_source": ["print"],
        "utm_medium": ["qr"],
        "utm_campaign": ["appeal"],
        "utm_content": ["poster-a4"],
    }
    with_query = qr_url("https://example.org/c?id={ref}", "K7Q2-9MXD", TRACK)
    assert with_query.startswith("https://example.org/c?id=K7Q2-9MXD&utm_source=print")


def test_matrix_is_computed_once_per_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from campaign import qr, qrmask

    calls: list[bytes] = []
    real = qrmask.build

    def counting(data: bytes, level: int) -> np.ndarray:  # type: ignore[type-arg]
        calls.append(data)
        return real(data, level)

    monkeypatch.setattr(qrmask, "build", counting)
    url = qr_url("https://example.org/c/{ref}", "ONCE-ONLY", TRACK)
    first = matrix(url)
    assert matrix(url) == first
    assert qr.modules_with_quiet_zone(url) == len(first) + 8
    list(qr.dark_runs(url))
    assert calls == [url.encode()]


def test_runs_cover_exactly_the_dark_modules() -> None:
    url = qr_url("https://example.org/c/{ref}", "AAAA-BBBB", TRACK)
    cells = matrix(url)
    painted = {
        (row, column + offset) for row, column, length in dark_runs(url) for offset in range(length)
    }
    expected = {(r, c) for r, row in enumerate(cells) for c, dark in enumerate(row) if dark}
    assert painted == expected


def decode(url: str, scale: int) -> zxingcpp.Result:
    """Draw the runs as a raster (quiet zone included) and read it back with zxing-cpp (QR codes
    only: rows of modules can happen to look like a one-dimensional barcode)."""
    side = modules_with_quiet_zone(url) * scale
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    for row, column, length in dark_runs(url):
        left, top = (QUIET_ZONE + column) * scale, (QUIET_ZONE + row) * scale
        draw.rectangle([left, top, left + length * scale - 1, top + scale - 1], fill=0)
    (result,) = zxingcpp.read_barcodes(image, formats=QR_ONLY)
    return result


def test_a_raster_of_the_runs_decodes_with_zxing() -> None:
    url = qr_url("https://example.org/c/{ref}", "K7Q2-9MXD", TRACK)
    result = decode(url, 6)
    assert result.text == url
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    assert str(result.ec_level) == "M"


def test_long_urls_use_larger_versions_and_still_decode() -> None:
    for length in (20, 150, 400):
        url = "https://example.org/c/" + "A" * length + "?utm_source=print"
        result = decode(url, 4)
        assert result.text == url and str(result.ec_level) == "M"
    assert len(matrix(url)) > 45  # version 7 and up carry version bits too


BYTE_MODE = cast(Literal[4], qrcode.util.MODE_8BIT_BYTE)
LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def reference(data: bytes, level: int, version: int, mask: int) -> NDArray[np.bool_]:
    """The qrcode library's symbol for ``data`` in byte mode, at a given version and mask."""
    code = qrcode.QRCode(version=version, error_correction=level, border=0, mask_pattern=mask)
    code.add_data(qrcode.util.QRData(data, mode=BYTE_MODE))
    code.make(fit=False)
    return np.array(code.modules, dtype=bool)


def fitting_version(data: bytes, level: int) -> int:
    """The version the qrcode library picks for ``data`` in byte mode."""
    code = qrcode.QRCode(error_correction=level)
    code.add_data(qrcode.util.QRData(data, mode=BYTE_MODE))
    return int(code.best_fit())


def format_info(symbol: NDArray[np.bool_]) -> tuple[int, int]:
    """(error correction bits, mask) read from the format information next to the finders."""
    size = len(symbol)
    rows = [*range(6), 7, 8, *range(size - 7, size)]
    bits = sum(int(symbol[row, 8]) << i for i, row in enumerate(rows)) ^ 0x5412
    return bits >> 13, (bits >> 10) & 7


def payloads() -> list[bytes]:
    """Deterministic payloads of 1–600 bytes: URLs, UTF-8 text and arbitrary bytes."""
    rng = random.Random(18004)
    words = ["https://example.org/c/", "Grüße", "日本語", "€", "🙂", "ab", "0123456789", "?a=b&"]
    result = [b"\x00", b"\xff", b"\x00\xff" * 300, "é".encode()]
    while len(result) < 150:
        length = rng.choice([rng.randint(1, 40), rng.randint(1, 200), rng.randint(1, 600)])
        kind = len(result) % 3
        if kind == 0:
            data = bytes(rng.randrange(256) for _ in range(length))
        else:
            text = "".join(rng.choice(words) for _ in range(length))
            data = text.encode()[:length]
        result.append(data)
    return result


def test_symbols_equal_the_qrcode_library_in_byte_mode() -> None:
    from campaign.qrmask import build

    levels = list(LEVELS.values())
    for index, data in enumerate(payloads()):
        level = levels[index % 4]
        symbol = build(data, level)
        version = (len(symbol) - 17) // 4
        assert version == fitting_version(data, level), data
        level_bits, mask = format_info(symbol)
        assert level_bits == level
        assert (symbol == reference(data, level, version, mask)).all(), (data, level, mask)


N3_PATTERNS = ([0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1], [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0])


def slow_penalty(symbol: NDArray[np.bool_]) -> int:
    """ISO/IEC 18004 penalty N1–N4, one module at a time."""
    cells = [[int(cell) for cell in row] for row in symbol.tolist()]
    size = len(cells)
    columns = [[cells[row][column] for row in range(size)] for column in range(size)]
    score = 0
    for line in cells + columns:
        run = 1
        for previous, cell in zip(line, [*line[1:], None], strict=True):
            if cell == previous:
                run += 1
                continue
            if run >= 5:
                score += 3 + run - 5
            run = 1
        padded = [0] * 4 + line + [0] * 4
        for start in range(len(padded) - 10):
            if padded[start : start + 11] in N3_PATTERNS:
                score += 40
    for row in range(size - 1):
        for column in range(size - 1):
            block = {cells[row + r][column + c] for r in (0, 1) for c in (0, 1)}
            if len(block) == 1:
                score += 3
    percent = 100 * sum(map(sum, cells)) / size**2
    return score + 10 * int(abs(percent - 50) // 5)


@pytest.mark.parametrize(
    ("data", "level"),
    [
        (b"A", "L"),
        ("Grüße aus Köln".encode(), "H"),
        (b"https://example.org/c/K7Q2-9MXD?utm_source=print", "M"),
        (bytes(range(256))[:90], "Q"),
        (b"\x00" * 40, "M"),
    ],
    ids=["one-byte-L", "umlauts-H", "url-M", "binary-Q", "zeros-M"],
)
def test_the_chosen_mask_has_the_lowest_penalty(data: bytes, level: str) -> None:
    from campaign.qrmask import build

    symbol = build(data, LEVELS[level])
    version = (len(symbol) - 17) // 4
    penalties = [slow_penalty(reference(data, LEVELS[level], version, m)) for m in range(8)]
    assert format_info(symbol)[1] == penalties.index(min(penalties))


def test_every_masked_candidate_equals_the_reference_encoder() -> None:
    from campaign.qrmask import _candidates

    for data, level in [(b"https://example.org/c/" + b"B" * 300, "M"), (b"\xff" * 30, "H")]:
        candidates = _candidates(data, LEVELS[level])
        version = (candidates.shape[1] - 17) // 4
        for mask, candidate in enumerate(candidates):
            assert (candidate == reference(data, LEVELS[level], version, mask)).all(), mask


@pytest.mark.parametrize(
    ("data", "level"),
    [
        (b"x", "L"),
        ("Grüße – 日本語 🙂".encode(), "H"),
        (b"\x00\xff\x10" * 40, "M"),
        (("https://example.org/c/" + "K7Q2" * 70).encode(), "Q"),
        (bytes(range(256)) * 3, "L"),
    ],
    ids=["one-byte-L", "unicode-H", "binary-M", "url-Q", "binary-L"],
)
def test_zxing_reads_back_the_exact_bytes(data: bytes, level: str) -> None:
    from campaign.qrmask import build

    symbol = np.pad(build(data, LEVELS[level]), QUIET_ZONE)
    pixels = np.where(symbol, 0, 255).astype(np.uint8).repeat(4, axis=0).repeat(4, axis=1)
    image = Image.fromarray(pixels)
    (result,) = zxingcpp.read_barcodes(image, formats=QR_ONLY)
    assert result.bytes == data
    assert str(result.ec_level) == level


def test_data_that_does_not_fit_version_40_is_refused() -> None:
    from campaign.qrmask import build

    assert len(build(b"x" * 2953, LEVELS["L"])) == 177
    for level, limit in [("L", 2953), ("M", 2331), ("Q", 1663), ("H", 1273)]:
        with pytest.raises(ValueError, match=f"level {level}"):
            build(b"x" * (limit + 1), LEVELS[level])
