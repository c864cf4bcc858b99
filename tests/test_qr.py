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


def test_a_raster_of_the_runs_decodes_with_zxing() -> None:
    url = qr_url("https://example.org/c/{ref}", "K7Q2-9MXD", TRACK)
    scale = 6
    side = modules_with_quiet_zone(url) * scale
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    for row, column, length in dark_runs(url):
        left, top = (QUIET_ZONE + column) * scale, (QUIET_ZONE + row) * scale
        draw.rectangle([left, top, left + length * scale - 1, top + scale - 1], fill=0)
    (result,) = zxingcpp.read_barcodes(image)
    assert result.text == url
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    assert str(result.ec_level) == "M"


def test_long_urls_use_larger_versions_and_still_decode() -> None:
    for length in (20, 150, 400):
        url = "https://example.org/c/" + "A" * length + "?utm_source=print"
        cells = matrix(url)
        scale = 4
        side = modules_with_quiet_zone(url) * scale
        image = Image.new("L", (side, side), 255)
        draw = ImageDraw.Draw(image)
        for row, column, run in dark_runs(url):
            left, top = (QUIET_ZONE + column) * scale, (QUIET_ZONE + row) * scale
            draw.rectangle([left, top, left + run * scale - 1, top + scale - 1], fill=0)
        (result,) = zxingcpp.read_barcodes(image)
        assert result.text == url and str(result.ec_level) == "M"
        assert len(cells) >= 21


def test_mask_choice_matches_the_reference_penalty() -> None:
    from campaign.qrmask import _penalty, build

    for number in range(5):
        data = f"https://example.org/c/AB{number}?utm_source=print".encode()
        ours = build(data, qrcode.constants.ERROR_CORRECT_M)
        reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        reference.add_data(data)
        reference.make(fit=True)
        theirs = reference.get_matrix()
        # both are valid symbols of the same version; ours scores no worse on our penalty
        assert len(theirs) == len(ours)
        assert _penalty(ours) <= _penalty(np.array(theirs, dtype=bool))
