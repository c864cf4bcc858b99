"""Shared, expensive set-up for the typeset tests: rendered lines and their oracle renderings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from campaign.typeset import TextStyle, direction, find_font, isolate, layout
from tests.typeset.raster import ink, pdf_of_blocks, raqm_line, rasterise

SIZE = 24.0  # points; 50 px at 150 dpi
NAME = "Ana Ejemplo"
DATE = "2026-03-01"
ARABIC_WITH_NAME = f"مفقود منذ \u200f{isolate(DATE)}: {isolate(NAME)}"

# One family per line, so Pillow (one font per call) can set the same line as an oracle.
ORACLE_LINES: dict[str, tuple[str, str]] = {
    "he": ("נעדרת מאז ינואר ילדה בת תשע", "Noto Sans Hebrew"),
    "ar": (f"مفقود منذ \u200f{isolate(DATE)}", "Noto Sans Arabic"),
    "ur": ("لاپتہ بچی کی تلاش میں مدد کریں", "Noto Nastaliq Urdu"),
    "hi": ("लापता बच्ची: क्षमा श्रीवास्तव, उम्र 9 वर्ष", "Noto Sans Devanagari"),
    "ta": ("காணாமல் போன குழந்தை: தமிழ்ச்செல்வி", "Noto Sans Tamil"),
    "th": ("เด็กหายตัวไปตั้งแต่วันที่", "Noto Sans Thai"),
    "zh": ("失踪儿童：王小明，九岁，于二〇二六年三月一日走失。", "WenQuanYi Micro Hei"),
}
# Arabic joined into words, and the same letters standing alone.
JOINED, ALONE = "مفقود", "م ف ق و د"


@dataclass(frozen=True)
class Rendered:
    """Ink of one line drawn by the text layer, and of the oracle's rendering of it."""

    mine: Image.Image
    oracle: Image.Image


@pytest.fixture(scope="session")
def oracle_lines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Every ORACLE_LINES line: our PDF rasterised by poppler vs Pillow with RAQM."""
    tmp = tmp_path_factory.mktemp("oracle")
    blocks = [
        layout(text, locale, TextStyle(SIZE), 660) for locale, (text, _) in ORACLE_LINES.items()
    ]
    pages = rasterise(pdf_of_blocks(tmp / "lines.pdf", blocks))
    result = {}
    for (locale, (text, family)), page in zip(ORACLE_LINES.items(), pages, strict=True):
        face = find_font(family)
        reference = raqm_line(text, face.path, face.index, SIZE, direction(locale), locale)
        result[locale] = Rendered(ink(page), ink(reference))
    return result


@pytest.fixture(scope="session")
def arabic_with_name(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Rendered]:
    """The Arabic line with a date and a Latin name: our PDF, and fpdf2's rendering of it."""
    tmp = tmp_path_factory.mktemp("mixed")
    block = layout(ARABIC_WITH_NAME, "ar", TextStyle(SIZE), 660)
    pdf = pdf_of_blocks(tmp / "mine.pdf", [block])
    reference = _fpdf2_line(tmp / "fpdf2.pdf", ARABIC_WITH_NAME)
    return pdf, Rendered(ink(rasterise(pdf)[0]), ink(rasterise(reference)[0]))


def _fpdf2_line(path: Path, text: str) -> Path:
    """fpdf2's own shaping (uharfbuzz) with Noto Sans as fallback for the Latin name."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="pt", format=(90, 700))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("arabic", fname=str(find_font("Noto Sans Arabic").path))
    pdf.add_font("latin", fname=str(find_font("Noto Sans").path))
    pdf.set_font("arabic", size=SIZE)
    pdf.set_fallback_fonts(["latin"])
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="ar")
    pdf.set_xy(20, 20)
    pdf.cell(text=text)
    pdf.output(str(path))
    return path


@pytest.fixture(scope="session")
def arabic_joining(tmp_path_factory: pytest.TempPathFactory) -> tuple[Image.Image, Image.Image]:
    """Ink of an Arabic word (joined) and of its letters separated by spaces."""
    tmp = tmp_path_factory.mktemp("joining")
    blocks = [layout(text, "ar", TextStyle(SIZE), 660) for text in (JOINED, ALONE)]
    joined, alone = rasterise(pdf_of_blocks(tmp / "joining.pdf", blocks))
    return ink(joined), ink(alone)
