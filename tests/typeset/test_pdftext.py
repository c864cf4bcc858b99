"""The direct text writer and the subset cache: the same bytes ReportLab alone would write."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageOps, ImageStat
from reportlab.lib.colors import CMYKColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from campaign.typeset import TextStyle, base_font, draw_block, find_font, layout
from campaign.typeset.embed import SubsetCachingFont
from campaign.typeset.fonts import FontFace, ttfont
from campaign.typeset.pdftext import draw_run, tj_template
from campaign.typeset.shape import Shaped, shape
from tests.typeset.raster import need_tool

RUNS = [
    ("Noto Sans", "AVATAR Wave, Tomás Ramírez — 1 de marzo", False, None, "es"),
    ("Noto Sans", "(Fiscalía) \\ backslash ) paren", False, None, "es"),
    ("Noto Sans Arabic", "مفقودة منذ", True, "Arab", "ar"),
    ("Noto Sans Devanagari", "लापता बच्ची क्षमा श्रीवास्तव", False, "Deva", "hi"),
    ("Noto Sans Thai", "เด็กหายตัวไปตั้งแต่วันที่", False, "Thai", "th"),
    ("WenQuanYi Micro Hei", "失踪儿童：王小明，九岁", False, "Hani", "zh"),
    # more distinct glyphs than one 256-code subset holds: the run spans two subsets
    ("WenQuanYi Micro Hei", "".join(chr(0x4E00 + 7 * i) for i in range(300)), False, None, "zh"),
]


def _canvas(compression: int = 0) -> Canvas:
    return Canvas(
        io.BytesIO(), invariant=1, pageCompression=compression, initialFontName=base_font()
    )


def _shaped(family: str, text: str, rtl: bool, script: str | None, lang: str) -> Shaped:
    return shape(find_font(family), text, rtl, script, lang)


def _page(canvas: Canvas) -> bytes:
    canvas.showPage()
    canvas.save()
    buffer: io.BytesIO = getattr(canvas, "_filename")  # noqa: B009  (where the canvas wrote)
    return buffer.getvalue()


def _reportlab(face: FontFace, shaped: Shaped, x: float, y: float, size: float) -> bytes:
    canvas = _canvas()
    text = canvas.beginText(x, y)
    text.setFont(face.name, size)
    text.textOut(shaped.pdf_text)
    canvas.drawText(text)
    return _page(canvas)


@pytest.mark.parametrize("run", RUNS, ids=[f"{r[4]}-{len(r[1])}" for r in RUNS])
def test_runs_are_written_exactly_as_reportlab_writes_them(
    run: tuple[str, str, bool, str | None, str],
) -> None:
    face = find_font(run[0])
    shaped = _shaped(*run)
    ours = _canvas()
    draw_run(ours, face, shaped, 36.5, 700.25, 17.3)
    assert _page(ours) == _reportlab(face, shaped, 36.5, 700.25, 17.3)


def test_runs_with_raised_marks_are_left_to_reportlab() -> None:
    data = _shaped("Noto Sans Devanagari", "क्षमा श्रीवास्तव", False, "Deva", "hi")
    latin = _shaped("Noto Sans", "Tomás", False, None, "es")
    assert latin.tj is not None
    raised = [d.y_offset for d in data.pdf_text.__shapeData__]  # type: ignore[attr-defined]
    assert (data.tj is None) == any(raised)
    assert tj_template(data.pdf_text.__shapeData__) == data.tj  # type: ignore[attr-defined]


def test_a_run_spanning_two_subsets_uses_both() -> None:
    face = find_font("WenQuanYi Micro Hei")
    shaped = _shaped(*RUNS[-1])
    canvas = _canvas()
    draw_run(canvas, face, shaped, 10, 10, 8)
    with pikepdf.open(io.BytesIO(_page(canvas))) as pdf:
        fonts = pdf.pages[0].Resources.Font
        assert len(fonts.keys()) == 2  # subset 0 and subset 1 of the same face


def _document(font_name: str, texts: list[str]) -> bytes:
    canvas = _canvas(compression=1)
    for number, text in enumerate(texts):
        canvas.setFont(font_name, 14)
        canvas.drawString(40, 800 - 20 * number, text)
    return _page(canvas)


def test_cached_subsets_give_the_bytes_plain_reportlab_gives() -> None:
    face = find_font("Noto Sans")
    plain = TTFont("PlainNotoSansForComparison", str(face.path))
    pdfmetrics.registerFont(plain)
    cached = ttfont(face)
    assert isinstance(cached, SubsetCachingFont)
    texts = ["Lucía Ejemplo Ramírez", "Desaparecida el 1 de marzo de 2026", "+52 33 0000 0000"]
    reference = _document("PlainNotoSansForComparison", texts)
    assert _document(face.name, texts) == reference  # made and stored
    assert _document(face.name, texts) == reference  # reused
    assert _document(face.name, texts[:2]) == _document("PlainNotoSansForComparison", texts[:2])


def test_a_cached_subset_is_made_once(monkeypatch: pytest.MonkeyPatch) -> None:
    font = ttfont(find_font("Noto Sans", "bold"))
    made: list[int] = []
    real = font.face.makeSubset

    def counting(subset: list[int]) -> bytes:
        made.append(len(subset))
        return bytes(real(subset))

    monkeypatch.setattr(font.face, "makeSubset", counting)
    texts = ["Ünïqüé wörds for this test ÿ"]
    first = _document(font.fontName, texts)
    second = _document(font.fontName, texts)
    assert first == second and len(made) == 1
    _document(font.fontName, ["Other ÿ words"])
    assert len(made) == 2


def test_bold_in_a_one_weight_face_is_drawn_emboldened(tmp_path: Path) -> None:
    regular, bold = find_font("WenQuanYi Micro Hei"), find_font("WenQuanYi Micro Hei", "bold")
    assert bold.emboldened and not regular.emboldened
    assert not find_font("Noto Sans", "bold").emboldened
    pages = {}
    for weight in ("regular", "bold"):
        canvas = _canvas()
        block = layout("失踪儿童王小明", "zh-Hans", TextStyle(40, weight), 500)  # type: ignore[arg-type]
        draw_block(canvas, block, 40, 780, 500, fill=CMYKColor(0, 0, 0, 1))
        pdf = tmp_path / f"{weight}.pdf"
        pdf.write_bytes(_page(canvas))
        pages[weight] = pdf
    with pikepdf.open(pages["bold"]) as pdf:
        content = pdf.pages[0].Contents.read_bytes().decode("latin-1")
    assert " 2 Tr" in content and "0 0 0 1 K" in content  # outlined in the fill's colour
    need_tool("pdftoppm")
    dark = {}
    for weight, pdf in pages.items():
        subprocess.run(["pdftoppm", "-r", "100", "-png", pdf, pdf.with_suffix("")], check=True)
        image = Image.open(next(tmp_path.glob(f"{weight}*.png"))).convert("L")
        dark[weight] = ImageStat.Stat(ImageOps.invert(image)).sum[0]
    assert dark["bold"] > dark["regular"] * 1.15
    need_tool("pdftotext")
    text = subprocess.run(
        ["pdftotext", pages["bold"], "-"], capture_output=True, text=True, check=True
    )
    assert "失踪儿童王小明" in text.stdout.replace(" ", "")
