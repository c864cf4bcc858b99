"""Design rules measured on rendered posters: sizes, margins, hostile text, determinism."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from campaign.config import Config
from campaign.i18n import country
from campaign.layouts import RenderContext, layout_for
from campaign.layouts.page import MM, PAPER
from campaign.models import Case, Category, Eyes, Hair, Origin, PartialDate, Sex
from campaign.photos import normalize_file
from tests import pdftools
from tests.conftest import AS_OF, make_jpeg, print_formats

LONG_NAME = "María de los Ángeles Fernández-Villaverde de la Concepción Ruiz"
PRINT = print_formats()
LOCALES = ["en", "es", "ar", "hi", "zh-Hans"]


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_jpeg(tmp_path_factory.mktemp("p") / "photo.jpg")


def make_case(photo: Path, **changes: object) -> Case:
    base = Case(
        case_id="LONG-1",
        case_ref="K7Q2-9MXD",
        origin=Origin("cases.csv", 2),
        missing_since=dt.date(2026, 3, 1),
        missing_country="MX",
        photo=photo,
        authority_ref="FIC-1",
        consent=True,
        given_name="María de los Ángeles",
        family_name="Fernández-Villaverde de la Concepción Ruiz",
        full_name=LONG_NAME,
        category=Category.NONFAMILY_ABDUCTION,
        sex=Sex.FEMALE,
        date_of_birth=PartialDate(2013, 6, 9),
        missing_city="San Pedro Tlaquepaque",
        missing_region="Jalisco",
        height_cm=148,
        weight_kg=41,
        hair=Hair.BLACK,
        eyes=Eyes.BROWN,
        clothing="Blusa amarilla, falda azul marino, tenis blancos",
        distinguishing_marks="Lunar en la mejilla izquierda",
        description="Fue vista por última vez saliendo de la escuela. " * 4,
        source_locale="es",
        contact_agency="Fiscalía del Estado (ficticia)",
        contact_phone="+52 33 0000 0000",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def render(case: Case, locale: str, fmt: str, progressed: Path | None = None):  # type: ignore[no-untyped-def]
    ctx = RenderContext(
        config=Config(),
        as_of=AS_OF,
        country=country("MX"),
        photo=normalize_file(Path(case.photo)),
        age_progressed=normalize_file(progressed) if progressed else None,
    )
    return layout_for(fmt).render(case, locale, fmt, ctx)


@pytest.mark.parametrize("fmt", PRINT)
@pytest.mark.parametrize("locale", LOCALES)
def test_design_minimums_hold_with_the_longest_name(photo: Path, fmt: str, locale: str) -> None:
    output = render(make_case(photo), locale, fmt)
    figures = output.measurements
    paper = PAPER["a5" if "a5" in fmt else fmt.split("-", 1)[1].replace("-screen", "")]
    scale = min(paper.width / (210 * MM), paper.height / (297 * MM))
    assert figures["name_cap_height_mm"] >= 10 * scale - 0.05
    assert figures["photo_share"] >= 0.30
    assert figures["smallest_text_pt"] >= 9
    assert figures["qr_code_mm"] >= 30
    assert figures["name_lines"] <= 3


def test_the_long_name_is_printed_whole(photo: Path, tmp_path: Path) -> None:
    for fmt in ("poster-a4", "flyer-a5"):
        pdf = tmp_path / f"{fmt}.pdf"
        pdf.write_bytes(render(make_case(photo), "es", fmt).data)
        flat = " ".join(pdftools.text(pdf).split())
        assert LONG_NAME in flat.replace("- ", "-")


def test_age_progressed_photo_is_shown_with_its_label(photo: Path, tmp_path: Path) -> None:
    case = make_case(photo, age_progressed_photo=photo, age_progressed_to=16)
    output = render(case, "en", "poster-a4", progressed=photo)
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(output.data)
    assert "Age-progressed to 16" in " ".join(pdftools.text(pdf).split())
    assert output.measurements["photo_share"] >= 0.35


def test_markup_in_user_text_prints_literally(photo: Path, tmp_path: Path) -> None:
    hostile = '<font color="[[[red]]]">X</font> <img src="/etc/passwd"/> &amp; <b>'
    case = make_case(photo, full_name=hostile, clothing=hostile, description=hostile)
    pdf = tmp_path / "h.pdf"
    pdf.write_bytes(render(case, "en", "poster-a4").data)
    flat = " ".join(pdftools.text(pdf).split())
    assert '<font color="[[[red]]]">X</font>' in flat
    assert '<img src="/etc/passwd"/>' in flat and "&amp; <b>" in flat


def test_same_inputs_give_the_same_bytes(photo: Path) -> None:
    case = make_case(photo)
    for fmt in ("poster-a4", "flyer-a5-2up", "poster-a4-screen"):
        assert render(case, "ar", fmt).data == render(case, "ar", fmt).data


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_only_background_within_6mm_of_trim(photo: Path, tmp_path: Path, locale: str) -> None:
    pdf = tmp_path / "m.pdf"
    pdf.write_bytes(render(make_case(photo), locale, "poster-a4").data)
    dpi = 72
    image = pdftools.raster(pdf, dpi)
    bleed = round(3 * MM / 72 * dpi)
    margin = round(6 * MM / 72 * dpi) - 1
    width, height = image.size
    trim = (bleed, bleed, width - bleed, height - bleed)
    strips = [
        (trim[0], trim[1], trim[0] + margin, trim[3]),
        (trim[2] - margin, trim[1], trim[2], trim[3]),
    ]
    for box in strips:
        region = image.crop(box)
        colours = {colour for _, colour in region.getcolors(1_000_000) or []}
        # every pixel in the side strips belongs to the band, the panel or white paper
        band = image.getpixel((width // 2, bleed + 2))
        panel = image.getpixel((width // 2, height - bleed - 2))
        allowed = [band, panel, (255, 255, 255)]
        stray = [
            c
            for c in colours
            if min(sum(abs(a - b) for a, b in zip(c, ok, strict=True)) for ok in allowed) > 24
        ]
        assert not stray, f"{locale}: non-background pixels in the 6 mm margin: {stray[:5]}"


def arabic_case(photo: Path) -> Case:
    """Deep descenders in the name, an alternate name, short details (as in the example)."""
    return make_case(
        photo,
        given_name="ليلى",
        family_name="الحمادي",
        full_name="ليلى سالم الحمادي",
        alternate_names=("Laila",),
        missing_country="AE",
        missing_city="دبي",
        missing_region=None,
        clothing="فستان أصفر وحذاء رياضي أبيض",
        distinguishing_marks=None,
        description=None,
        source_locale="ar",
    )


def ink_bands(image: Image.Image, top: int) -> list[tuple[int, int]]:
    """Runs of rows (first, last) below ``top`` holding dark pixels in the page's middle 90 %."""
    grey = np.asarray(image.convert("L"))
    width = grey.shape[1]
    inked = (grey[top:, width // 20 : width - width // 20] < 140).any(axis=1)
    runs, start = [], None
    for row, dark in enumerate(inked.tolist()):
        if dark and start is None:
            start = row
        elif not dark and start is not None:
            runs.append((top + start, top + row - 1))
            start = None
    return runs


@pytest.mark.parametrize("fmt", ["flyer-a5", "poster-a4"])
def test_alternate_names_sit_clear_of_the_names_descenders(
    photo: Path, tmp_path: Path, fmt: str
) -> None:
    pdf = tmp_path / "ar.pdf"
    pdf.write_bytes(render(arabic_case(photo), "ar", fmt).data)
    image = pdftools.raster(pdf, 100)
    rgb = np.asarray(image.convert("RGB")).astype(int)
    red = (rgb[:, :, 0] > 180) & (rgb[:, :, 1] < 90)
    band_bottom = int(np.flatnonzero(red[:, rgb.shape[1] // 2])[-1]) + 1
    _name, (first, last), *_rest = ink_bands(image, band_bottom)
    # the second run of inked rows is "(Laila)" alone: short, narrow and centred; were it
    # to touch the name's descenders, it would be the first facts row at the side instead
    columns = np.flatnonzero((np.asarray(image.convert("L"))[first : last + 1] < 140).any(axis=0))
    middle, width = (columns[0] + columns[-1]) / 2, image.width
    assert abs(middle - width / 2) < width * 0.03
    assert columns[-1] - columns[0] < width * 0.15
    assert last - first < 100 * 8 / 25.4


def test_a_short_flyer_keeps_the_clothing_by_shortening_the_photo(photo: Path) -> None:
    output = render(arabic_case(photo), "ar", "flyer-a5-2up")
    truncated = " ".join(p.message for p in output.problems if p.code == "text-truncated")
    assert "الملابس" not in truncated  # the clothing label
    assert output.measurements["photo_share"] >= 0.30
