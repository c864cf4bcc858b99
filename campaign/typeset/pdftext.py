"""Writing shaped runs as PDF text operators.

A run's ``TJ`` array (glyph strings between position corrections) does not depend on the
document, only the character codes of the font subset do; so the array's shape is worked out
once per shaped run and each drawing only fills in the codes. The operators are exactly those
ReportLab's text object writes for a shaped string; runs with vertical glyph offsets (marks
raised with ``Ts``) are left to ReportLab.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase.ttfonts import ShapeData
from reportlab.pdfgen.canvas import Canvas

from campaign.typeset.fonts import FontFace, ttfont

if TYPE_CHECKING:
    from campaign.typeset.shape import Shaped

Template = tuple[tuple[int, int] | str, ...]  # glyph ranges (start, end) and corrections
EMBOLDEN = 0.022  # outline width (× size) that draws a one-weight face as bold


def tj_template(data: Sequence[ShapeData]) -> Template | None:
    """The ``TJ`` array of a run as glyph ranges and formatted corrections (None: it rises)."""
    if any(item.y_offset for item in data):
        return None
    flat: list[int | float] = []  # glyph i as the int i, corrections as floats; zeros dropped
    for index, item in enumerate(data):
        before, after = -item.x_offset, item.width - item.x_advance + item.x_offset
        if before:
            flat.append(float(before))
        flat.append(index)
        if after:
            flat.append(float(after))
    return _grouped(flat)


def _grouped(flat: list[int | float]) -> Template:
    """Neighbouring glyphs become one range and neighbouring corrections one sum."""
    out: list[tuple[int, int] | str] = []
    position = 0
    while position < len(flat):
        end = position
        if isinstance(flat[position], int):
            while end < len(flat) and isinstance(flat[end], int):
                end += 1
            out.append((int(flat[position]), int(flat[end - 1]) + 1))
        else:
            while end < len(flat) and isinstance(flat[end], float):
                end += 1
            number = fp_str(sum(flat[position:end]))
            if number != "0":
                out.append(number)
        position = end
    return tuple(out)


def draw_run(
    canvas: Canvas,
    face: FontFace,
    shaped: Shaped,
    x: float,
    y: float,
    size: float,
    actual_text: str | None = None,
) -> None:
    """Draw shaped glyphs with their origin at (x, y); ``actual_text`` wraps them in a span."""
    font = ttfont(face)
    if actual_text:
        canvas.addLiteral(f"/Span <</ActualText {pdf_text_string(actual_text)}>> BDC")
    if face.emboldened:  # fill and stroke, in the stroke colour the caller set to the fill's
        canvas.addLiteral(f"q {fp_str(size * EMBOLDEN)} w 1 j 2 Tr")
    if shaped.tj is None:
        text = canvas.beginText(x, y)
        text.setFont(face.name, size)
        text.textOut(shaped.pdf_text)
        canvas.drawText(text)
    else:
        canvas.addLiteral(_operators(canvas, font, shaped.pdf_text, shaped.tj, x, y, size))
    if face.emboldened:
        canvas.addLiteral("Q")
    if actual_text:
        canvas.addLiteral("EMC")


def _operators(
    canvas: Canvas, font: Any, pdf_text: str, template: Template, x: float, y: float, size: float
) -> str:
    doc: Any = getattr(canvas, "_doc")  # noqa: B009  (ReportLab's document, no public name)
    code = [f"BT 1 0 0 1 {fp_str(x, y)} Tm"]
    chunks = font.splitString(pdf_text, doc)
    select = f"{fp_str(size)} Tf {fp_str(size * 1.2)} TL"
    if len(chunks) == 1:
        subset, codes = chunks[0]
        code.append(f"{font.getSubsetInternalName(subset, doc)} {select}")
        code.append(_shown(codes, template))
    else:  # the run spans two font subsets: each part is its own array
        data = pdf_text.__shapeData__  # type: ignore[attr-defined]
        start = 0
        for subset, codes in chunks:
            part = _grouped_part(data[start : start + len(codes)])
            code.append(f"{font.getSubsetInternalName(subset, doc)} {select}")
            code.append(_shown(codes, part))
            start += len(codes)
    code.append("ET")
    return " ".join(code)


def _grouped_part(data: Sequence[ShapeData]) -> Template:
    template = tj_template(data)
    assert template is not None  # the whole run had no rise, so neither has a part
    return template


def _shown(codes: bytes, template: Template) -> str:
    """``(…) Tj`` for a lone string, else a ``TJ`` array."""
    items = [
        f"({escapePDF(codes[item[0] : item[1]])})" if isinstance(item, tuple) else item
        for item in template
    ]
    if len(items) == 1 and items[0].startswith("("):
        return f"{items[0]} Tj"
    return f"[{' '.join(items)}] TJ"


def pdf_text_string(text: str) -> str:
    """A PDF text string in UTF-16BE hex form (safe for any character)."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"
