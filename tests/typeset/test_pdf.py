"""What ends up in the PDF: embedded fonts only, CMYK only, extractable text, a sample sheet."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from campaign.typeset import TextStyle, isolate, layout
from tests.typeset import sample_sheet
from tests.typeset.raster import ink, need_tool, pdf_of_blocks

BASE_14 = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats")
LTR_LINES = {
    "en": "Missing since 1 March 2026 — call 800 555 0100",
    "es": "Niña desaparecida: María de los Ángeles Fernández, oficina de búsqueda",
    "hi": "लापता बच्ची: क्षमा श्रीवास्तव, उम्र 9 वर्ष",
    "ta": "காணாமல் போன குழந்தை: தமிழ்ச்செல்வி",
    "th": "เด็กหายตัวไปตั้งแต่วันที่ 1 มีนาคม",
    "zh": "失踪儿童：王小明，九岁，于二〇二六年三月一日走失。",
    "ru": "Пропала девочка: Анна, 9 лет",
}


@pytest.fixture(scope="module")
def sheet_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_sheet.write_pdf(tmp_path_factory.mktemp("sheet") / "sheet.pdf")


@pytest.fixture(scope="module")
def ltr_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    blocks = [layout(text, locale, TextStyle(16), 660) for locale, text in LTR_LINES.items()]
    return pdf_of_blocks(tmp_path_factory.mktemp("ltr") / "ltr.pdf", blocks)


def pdftotext(pdf: Path, *options: str) -> str:
    need_tool("pdftotext")
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *options, str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_every_font_is_an_embedded_truetype_subset(sheet_pdf: Path) -> None:
    with pikepdf.open(sheet_pdf) as pdf:
        fonts = [
            obj
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"
        ]
        assert len(fonts) >= 8
        for font in fonts:
            assert font.Subtype == "/TrueType"
            assert "/FontFile2" in font.FontDescriptor, font.BaseFont
            assert not any(name in str(font.BaseFont) for name in BASE_14), font.BaseFont
    assert b"Helvetica" not in sheet_pdf.read_bytes()


def test_colours_are_cmyk_only(sheet_pdf: Path) -> None:
    with pikepdf.open(sheet_pdf) as pdf:
        operators = {
            str(op) for page in pdf.pages for _operands, op in pikepdf.parse_content_stream(page)
        }
    assert "k" in operators
    assert not operators & {"rg", "RG", "g", "G", "sc", "scn", "SC", "SCN"}


def test_ltr_text_extracts_as_written(ltr_pdf: Path) -> None:
    pages = pdftotext(ltr_pdf).split("\f")
    for page, expected in zip(pages, LTR_LINES.values(), strict=False):
        assert page.strip() == expected


def test_arabic_line_extracts_name_date_and_words(tmp_path: Path) -> None:
    text = f"مفقود منذ \u200f{isolate('2026-03-01')}: {isolate('Ana Ejemplo')}"
    pdf = pdf_of_blocks(tmp_path / "ar.pdf", [layout(text, "ar", TextStyle(16), 660)])
    extracted = unicodedata.normalize("NFKC", pdftotext(pdf))
    assert "Ana Ejemplo" in extracted and "2026-03-01" in extracted
    assert "مفقود" in extracted and "منذ" in extracted  # presentation forms normalise back


def test_sample_sheet_renders_every_line(tmp_path: Path) -> None:
    need_tool("pdftoppm")
    png = sample_sheet.write_png(tmp_path / "sample.png")
    image = Image.open(png)
    assert png.stat().st_size < 200_000
    inked = ink(image)
    assert inked.height > len(sample_sheet.SAMPLE) * 15  # every line drew something


def test_draw_block_takes_a_fit_result_and_a_reportlab_colour(tmp_path: Path) -> None:
    from reportlab.lib.colors import CMYKColor
    from reportlab.pdfgen.canvas import Canvas

    from campaign.typeset import base_font, draw_block, fit

    canvas = Canvas(str(tmp_path / "c.pdf"), initialFontName=base_font(), enforceColorSpace="cmyk")
    result = fit("Ana Ejemplo", "es", TextStyle(20), 200, 40, 10)
    draw_block(canvas, result, 10, 800, 200, "center", CMYKColor(0, 1, 1, 0))
    canvas.save()
    with pikepdf.open(tmp_path / "c.pdf") as pdf:
        operands = [
            [float(v) for v in args]
            for page in pdf.pages
            for args, op in pikepdf.parse_content_stream(page)
            if str(op) == "k"
        ]
    assert [0.0, 1.0, 1.0, 0.0] in operands


DETERMINISM_SCRIPT = """
import sys
from reportlab import rl_config
rl_config.useA85 = 0
from campaign.typeset import TextStyle, layout
from tests.typeset.raster import pdf_of_blocks
from tests.typeset.test_pdf import DETERMINISM_LINES
from pathlib import Path
blocks = [layout(text, locale, TextStyle(16), 660) for locale, text in DETERMINISM_LINES]
pdf_of_blocks(Path(sys.argv[1]), blocks)
"""
DETERMINISM_LINES = (
    ("ar", f"مفقود منذ \u200f{isolate('2026-03-01')}: {isolate('Ana Ejemplo')}"),
    ("hi", "श्रीवास्तव क्षमा"),
    ("ur", "لاپتہ بچی"),
)


def test_same_text_gives_the_same_bytes_whatever_was_drawn_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reportlab import rl_config

    monkeypatch.setattr(rl_config, "useA85", 0)  # a global other modules set; pin it both sides
    for locale, text in (("ur", "تلاش میں مدد کریں"), ("hi", "उम्र 9 वर्ष"), ("ar", "سنوات")):
        layout(text, locale, TextStyle(16), 660)  # this process meets other glyphs first
    here = pdf_of_blocks(
        tmp_path / "here.pdf",
        [layout(text, locale, TextStyle(16), 660) for locale, text in DETERMINISM_LINES],
    )
    fresh = tmp_path / "fresh.pdf"
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", DETERMINISM_SCRIPT, str(fresh)], cwd=root, check=True)
    assert here.read_bytes() == fresh.read_bytes()
