"""Text on Pillow images: the typeset layer breaks, fits and orders the lines; Pillow draws.

Levels (base direction from the locale, inserted values isolated), the font of every character
and rule L2 come from :mod:`campaign.typeset`, so banners and PDFs of one locale break and order
text the same way. Each run — one font, one direction — is drawn by Pillow's RAQM layout with
its ``direction`` and ``language``, and its width is measured by Pillow itself: when Pillow's
widths come out wider than planned, the text is fitted again to a narrower measure. CJK runs are
drawn with Noto Sans CJK in the face of the locale (Simplified Chinese is face 2 of the
collection; face 0 is Japanese).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from PIL import ImageDraw, ImageFont, features

from campaign import typeset
from campaign.errors import MissingDependency
from campaign.typeset.block import Block, Line, Run, TextStyle
from campaign.typeset.draw import line_offset
from campaign.typeset.fonts import CJK, FontFace, Weight, find_file
from campaign.typeset.lines import line_height, paragraphs
from campaign.typeset.runs import span_language, span_script
from campaign.typeset.scripts import language

Align = Literal["start", "center", "end"]
RGB = tuple[int, int, int]
EPSILON = 1e-6
RETRIES = 4
CJK_FILES: dict[Weight, str] = {
    "regular": "NotoSansCJK-Regular.ttc",
    "bold": "NotoSansCJK-Bold.ttc",
}
CJK_FACE = {"ja": 0, "ko": 1, "zh-Hans": 2, "zh-Hant": 3, "zh-HK": 4}


def require_raqm() -> None:
    """Raise MissingDependency unless Pillow has RAQM (complex scripts and bidi)."""
    if not features.check("raqm"):
        raise MissingDependency(
            "Pillow's complex text layout (libraqm with FriBiDi), needed to draw banners",
            command="apt-get install libraqm0 libfribidi0",
        )


@dataclass(frozen=True)
class Rect:
    """A pixel rectangle on an image (origin top-left, y down)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class Placed:
    """A block fitted to a box, with the width Pillow gives every run."""

    block: Block
    widths: tuple[tuple[float, ...], ...]
    locale: str
    truncated: bool = False

    @property
    def height(self) -> float:
        return self.block.height

    @property
    def size(self) -> float:
        return self.block.size

    @property
    def width(self) -> float:
        return max((sum(line) for line in self.widths), default=0.0)


def cjk_face(locale: str) -> int:
    """The face of Noto Sans CJK for ``locale`` (Simplified Chinese unless the locale says)."""
    lang = language(locale)
    if lang in ("ja", "ko"):
        return CJK_FACE[lang]
    parts = {part.lower() for part in locale.split("-")[1:]}
    if parts & {"hk", "mo"}:
        return CJK_FACE["zh-HK"]
    return CJK_FACE["zh-Hant"] if parts & {"hant", "tw"} else CJK_FACE["zh-Hans"]


def raster_file(face: FontFace, locale: str) -> tuple[Path, int]:
    """The file and face index Pillow draws ``face`` with (Noto Sans CJK for CJK text)."""
    if face.family == CJK:
        found = find_file(CJK_FILES[face.weight])
        if found is not None:
            return found, cjk_face(locale)
    return face.path, face.index


@functools.lru_cache(maxsize=256)
def _truetype(path: Path, index: int, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(path), size=size, index=index, layout_engine=ImageFont.Layout.RAQM
    )


def pil_font(face: FontFace, size: float, locale: str) -> ImageFont.FreeTypeFont:
    """The Pillow font (RAQM layout) for ``face`` at ``size`` pixels."""
    path, index = raster_file(face, locale)
    return _truetype(path, index, round(size, 2))


def _run_options(run: Run, locale: str) -> tuple[str, str | None]:
    lang = span_language(span_script(run.text), locale)
    return ("rtl" if run.rtl else "ltr"), lang


def _measure(block: Block, locale: str, truncated: bool = False) -> Placed:
    widths = []
    for line in block.lines:
        row = []
        for run in line.runs:
            direction, lang = _run_options(run, locale)
            font = pil_font(run.face, block.size, locale)
            row.append(float(font.getlength(run.text, direction=direction, language=lang)))
        widths.append(tuple(row))
    return Placed(block, tuple(widths), locale, truncated)


def _settle(make: Callable[[float], tuple[Block, bool]], width: float, locale: str) -> Placed:
    """Lay out with ``make(measure)``; while Pillow's widths exceed ``width``, narrow the
    measure by the overshoot and lay out again (the narrowest result when none fits)."""
    measure = width
    block, cut = make(measure)
    placed = _measure(block, locale, cut)
    for _ in range(RETRIES):
        if placed.width <= width + 0.5:
            return placed
        measure *= width / placed.width * 0.995
        block, cut = make(measure)
        narrower = _measure(block, locale, cut)
        placed = narrower if narrower.width < placed.width else placed
    return placed


def word_cap(text: str, locale: str, weight: Weight, width: float) -> float:
    """The largest size at which the longest unbreakable stretch (a word, a phone number with
    no-break spaces) fits ``width``: above it, lines would break inside words."""
    units = max(
        (
            para.ink(start, end)
            for para in paragraphs(text, locale, weight)
            for start, end in zip((0, *para.breaks), (*para.breaks, len(para.text)), strict=True)
        ),
        default=0.0,
    )
    return width * 1000 / units * 0.99 if units > 0 else float("inf")


def fit_text(
    text: str, locale: str, width: float, height: float, sizes: tuple[float, float], bold: bool
) -> Placed:
    """Shrink from ``sizes[0]`` to ``sizes[1]`` until the text fits the box, then cut it with
    "…" (``truncated``)."""
    weight: Weight = "bold" if bold else "regular"

    def make(measure: float) -> tuple[Block, bool]:
        top = min(sizes[0], max(sizes[1], word_cap(text, locale, weight, measure)))
        style = TextStyle(top, weight, 1.1 if bold else 1.15)
        fitted = typeset.fit(text, locale, style, measure, height, min(sizes[1], top))
        return fitted.block, fitted.truncated

    return _settle(make, width, locale)


def fit_name(
    text: str,
    locale: str,
    width: float,
    height: float,
    sizes: tuple[float, float],
    lines: int = 2,
    by_ink: bool = False,
) -> Placed:
    """A name, never cut: one line as large as fits (up to ``sizes[0]``); when that is below
    ``sizes[1]`` and the name has a space, two balanced lines — or, where the design allows
    more than two lines (narrow columns), as many as the box holds — if they come out larger.
    ``by_ink``: a single line may be as tall as its ink (not its line box) allows — for a text
    alone in its box, drawn with :func:`ink_top`; scripts with tall leading (Nastaliq) gain."""
    top, low = sizes
    style = TextStyle(top, "bold", 1.1)
    lead = line_height(locale, style, 1.0)
    best = _name_lines(text, locale, style, width, min(top, height / lead), 1)
    if by_ink:
        best = _one_line_by_ink(text, locale, style, width, height, best)
    if best.size >= low - EPSILON or lines < 2 or not any(c.isspace() for c in text.strip()):
        return best
    two = _name_lines(text, locale, style, width, min(top, height / (2 * lead)), 2)
    best = two if two.size > best.size else best
    if best.size >= low - EPSILON or lines < 3:
        return best
    more = fit_text(text, locale, width, height, (min(top, height / (2 * lead)), 1.0), True)
    return more if more.size > best.size and not more.truncated else best


def _one_line_by_ink(
    text: str, locale: str, style: TextStyle, width: float, height: float, fitted: Placed
) -> Placed:
    """One line at the largest size whose ink fits ``height`` (at least ``fitted``'s size)."""
    wide = _name_lines(text, locale, style, width, style.size, 1)
    ascent, descent = ink(wide)
    if ascent + descent <= 0:
        return fitted
    size = min(wide.size, wide.size * height / (ascent + descent))
    if size <= fitted.size:
        return fitted
    return _name_lines(text, locale, style, width, size, 1)


def ink(placed: Placed) -> tuple[float, float]:
    """How far the ink of the first line rises above its baseline and of the last line falls
    below its own (pixels, as Pillow draws them)."""
    lines = placed.block.lines
    if not lines:
        return 0.0, 0.0
    return _line_ink(lines[0], placed)[0], _line_ink(lines[-1], placed)[1]


def _line_ink(line: Line, placed: Placed) -> tuple[float, float]:
    ascent = descent = 0.0
    for run in line.runs:
        direction, lang = _run_options(run, placed.locale)
        font = pil_font(run.face, placed.size, placed.locale)
        box = font.getbbox(run.text, direction=direction, language=lang, anchor="ls")
        ascent, descent = max(ascent, -float(box[1])), max(descent, float(box[3]))
    return ascent, descent


def ink_top(placed: Placed, box: Rect, valign: float) -> float:
    """The ``top`` to draw ``placed`` with so that its ink sits in ``box`` (``valign`` 0 top …
    1 bottom) — rather than its line boxes."""
    ascent, descent = ink(placed)
    inked = ascent + descent + (len(placed.block.lines) - 1) * placed.block.line_height
    baseline = box.y + (box.h - inked) * valign + ascent
    return baseline - placed.block.first_baseline


def _name_lines(
    text: str, locale: str, style: TextStyle, width: float, max_size: float, lines: int
) -> Placed:
    """``lines`` = 1: one line at the largest size up to ``max_size``; 2: two balanced lines."""
    force = float("inf") if lines == 2 else 0.0  # a minimum no single line reaches: split
    size = max(max_size, 0.1)

    def make(measure: float) -> tuple[Block, bool]:
        fitted = typeset.fit_one_line(text, locale, replace(style, size=size), measure, size, force)
        return fitted.block, False

    return _settle(make, width, locale)


def draw_placed(
    draw: ImageDraw.ImageDraw, placed: Placed, box: Rect, align: Align, fill: RGB, top: float
) -> None:
    """Draw ``placed`` in ``box``'s width from ``top`` down; ``"start"`` is the reading start."""
    block = placed.block
    baseline = top + block.first_baseline
    for line, widths in zip(block.lines, placed.widths, strict=True):
        x = box.x + line_offset(sum(widths), box.w, align, block.rtl)
        for run, run_width in zip(line.runs, widths, strict=True):
            direction, lang = _run_options(run, placed.locale)
            font = pil_font(run.face, block.size, placed.locale)
            draw.text(
                (x, baseline),
                run.text,
                font=font,
                fill=fill,
                anchor="ls",
                direction=direction,
                language=lang,
            )
            x += run_width
        baseline += block.line_height
