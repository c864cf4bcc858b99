from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import qrcode.constants
import zxingcpp
from PIL import Image, ImageDraw

from campaign.qr import QUIET_ZONE, Tracking, dark_runs, matrix, modules_with_quiet_zone, qr_url

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
    """Draw the runs as a raster (quiet zone included) and read it back with zxing-cpp."""
    side = modules_with_quiet_zone(url) * scale
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    for row, column, length in dark_runs(url):
        left, top = (QUIET_ZONE + column) * scale, (QUIET_ZONE + row) * scale
        draw.rectangle([left, top, left + length * scale - 1, top + scale - 1], fill=0)
    (result,) = zxingcpp.read_barcodes(image)
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


@pytest.mark.parametrize("length", [10, 300])
def test_each_masked_candidate_equals_the_reference_encoder(length: int) -> None:
    from campaign.qrmask import _data_cells, _fixed, _pattern, build

    data = ("https://example.org/c/" + "B" * length).encode()
    chosen = build(data, qrcode.constants.ERROR_CORRECT_M)
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    reference.add_data(data)
    reference.best_fit()
    symbols = []
    for mask in range(8):
        reference.makeImpl(False, mask)
        symbols.append(np.array(reference.modules, dtype=bool))
    version = reference.version
    cells = _data_cells(version)
    raw = symbols[0] ^ (_pattern(0, len(symbols[0])) & cells)
    for mask, symbol in enumerate(symbols):
        ours = np.where(cells, raw ^ _pattern(mask, len(raw)), _fixed(version, mask))
        assert (ours == symbol).all(), f"mask {mask}"
    assert any((chosen == symbol).all() for symbol in symbols)
