"""Print and screen PDFs of the example, read back with independent tools."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pytest
import zxingcpp
from PIL import Image

from campaign.layouts.page import MM
from tests import pdftools
from tests.conftest import DemoBuild, print_formats, screen_formats

PRINT = print_formats()
SCREEN = screen_formats()


def path_of(build: DemoBuild, rendition: dict[str, str]) -> Path:
    return build.root / rendition["path"]


def one(build: DemoBuild, case_id: str, locale: str, fmt: str) -> dict[str, str]:
    (found,) = [r for r in build.pdfs(fmt, locale) if r["case_id"] == case_id]
    return found


def test_every_publishable_case_is_built_in_every_format_and_language(
    demo_build: DemoBuild,
) -> None:
    built = {(r["case_id"], r["locale"], r["format"]) for r in demo_build.manifest["renditions"]}
    for case in demo_build.loaded.publishable:
        for fmt in PRINT + SCREEN:
            assert any(key[0] == case.case_id and key[2] == fmt for key in built)
    gated = {p["case_id"] for p in demo_build.manifest["problems"] if p["severity"] == "gated"}
    assert gated and not {key[0] for key in built} & gated


@pytest.mark.parametrize("fmt", PRINT)
def test_print_boxes_fonts_colours(demo_build: DemoBuild, fmt: str) -> None:
    for rendition in demo_build.pdfs(fmt):
        with pikepdf.open(path_of(demo_build, rendition)) as pdf:
            page = pdf.pages[0]
            media = [float(v) for v in page.mediabox]
            bleed = [float(v) for v in page.obj["/BleedBox"]]
            trim = [float(v) for v in page.obj["/TrimBox"]]
            assert media[0] <= bleed[0] < trim[0] and trim[2] < bleed[2] <= media[2]
            assert media[1] <= bleed[1] < trim[1] and trim[3] < bleed[3] <= media[3]
            assert trim[0] - bleed[0] == pytest.approx(
                3 * MM if "letter" not in fmt and "tabloid" not in fmt else 9, abs=0.01
            )
            for font in pdftools.fonts(pdf):
                if font.get("/Subtype") in ("/Type0", "/Type3"):
                    continue
                descriptor = font.get("/FontDescriptor")
                assert descriptor is not None, f"{fmt}: font {font.get('/BaseFont')} not embedded"
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
            ops = pdftools.operators(pdf)
            assert "k" in ops and not {"rg", "RG", "g", "G"} & ops, f"{fmt}: non-CMYK colour"


@pytest.mark.parametrize("fmt", PRINT + SCREEN)
def test_qpdf_check_and_qr_decodes_at_150_dpi(demo_build: DemoBuild, fmt: str) -> None:
    for case_id, locale in [("DEMO-MX-001", "es"), ("DEMO-AE-001", "ar")]:
        rendition = one(demo_build, case_id, locale, fmt)
        pdf = path_of(demo_build, rendition)
        assert pdftools.qpdf_check(pdf).returncode == 0
        codes = zxingcpp.read_barcodes(pdftools.raster(pdf, 150))
        texts = {code.text for code in codes}
        assert texts == {rendition["qr_url"]}, f"{fmt} {locale}"
        assert "utm_content=" + fmt in rendition["qr_url"]
        width_px = max(abs(codes[0].position.top_right.x - codes[0].position.top_left.x), 1)
        assert width_px / 150 * 25.4 >= 29.5  # the code itself, at least 3 cm


def test_photo_is_passed_through_byte_identical_and_clean(demo_build: DemoBuild) -> None:
    from campaign.photos import normalize_file

    case = next(c for c in demo_build.loaded.publishable if c.case_id == "DEMO-US-001")
    expected = normalize_file(case.photo).data
    for fmt in PRINT:
        with pikepdf.open(path_of(demo_build, one(demo_build, "DEMO-US-001", "en", fmt))) as pdf:
            (image,) = list(pdftools.images(pdf))
            assert [str(f) for f in pikepdf.Array(image.get("/Filter"))] == ["/DCTDecode"]
            raw = image.read_raw_bytes()
            assert raw == expected
            assert b"Exif" not in raw and b"http://ns.adobe.com/xap" not in raw
            with Image.open(io.BytesIO(raw)) as picture:
                assert picture.size == (1200, 1500)  # upright portrait


def test_screen_posters_are_light_rgb_and_unbled(demo_build: DemoBuild) -> None:
    for fmt in SCREEN:
        for rendition in demo_build.pdfs(fmt):
            assert rendition["bytes"] <= 350_000, rendition["path"]
            with pikepdf.open(path_of(demo_build, rendition)) as pdf:
                assert "/TrimBox" not in pdf.pages[0].obj
                assert "rg" in pdftools.operators(pdf)


@pytest.mark.parametrize(
    ("case_id", "locale", "words"),
    [
        ("DEMO-US-001", "en", ["MISSING", "Jaylen Brooks"]),
        ("DEMO-US-001", "es", ["DESAPARECIDO", "Jaylen Brooks"]),
        ("DEMO-MX-001", "es", ["María de los Ángeles"]),
        ("DEMO-IN-001", "hi", ["लापता"]),
        ("DEMO-MY-001", "zh-Hans", ["林晓慧"]),
    ],
)
def test_text_extraction_finds_headline_and_name(
    demo_build: DemoBuild, case_id: str, locale: str, words: list[str]
) -> None:
    extracted = pdftools.text(path_of(demo_build, one(demo_build, case_id, locale, "poster-a4")))
    flat = " ".join(extracted.split())
    for word in words:
        assert word in flat, f"{word!r} not in {flat[:300]!r}"


def test_private_fields_appear_nowhere(demo_build: DemoBuild) -> None:
    secrets = [
        value for private in demo_build.loaded.private.values() for _, value in private.values
    ]
    assert secrets
    names = {case.case_id: case.display_name for case in demo_build.loaded.cases}
    for rendition in demo_build.manifest["renditions"]:
        pdf = path_of(demo_build, rendition)
        if rendition["media_type"] != "application/pdf":  # images, alerts: bytes and manifest
            raw = pdf.read_bytes() + json.dumps(rendition, ensure_ascii=False).encode()
            if "embed" in rendition:
                raw += (demo_build.root / rendition["embed"]).read_bytes()
            # The child's public name may hold a parent's name (ليلى سالم الحمادي): not a leak.
            raw = raw.replace(names[rendition["case_id"]].encode(), b"")
            assert not [s for s in secrets if s.encode() in raw or s.split(",")[0].encode() in raw]
            continue
        with pikepdf.open(pdf) as doc:
            doc.save(buffer := io.BytesIO(), qdf=True, compress_streams=False)
        raw = buffer.getvalue()
        extracted = pdftools.text(pdf)
        for secret in secrets:
            for piece in (secret, secret.split(",")[0]):
                assert piece not in extracted
                assert piece.encode() not in raw
