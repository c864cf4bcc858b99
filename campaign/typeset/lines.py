"""Paragraphs into lines: levels, fonts and advances per character, greedy breaking, L2.

A paragraph is prepared once (cached): embedding levels, the font of every character, where it
may break, and the advance of every character from shaping its runs. Advances scale with the
size, so breaking at any size is arithmetic; only the final lines are shaped again, run by run,
and reordered by rule L2.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from campaign.typeset.bidi import CONTROLS, direction, paragraph_levels, visual_order
from campaign.typeset.block import Block, Line, Run, TextStyle
from campaign.typeset.breaks import break_positions, grapheme_starts
from campaign.typeset.fonts import FontFace, Weight, covers, font_dirs, ttfont
from campaign.typeset.runs import Span, assign_faces, span_language, span_script, spans
from campaign.typeset.scripts import COMPLEX_LTR, is_space, language
from campaign.typeset.shape import Shaped, hb_font, shape

ELLIPSIS = "\u2026"
# Nastaliq stacks letters diagonally and needs taller lines than Naskh or Latin.
MIN_LEADING = {"ur": 2.0}

LineSpan = tuple[int, int]  # a line as (start, end) indices into its paragraph


@dataclass(frozen=True)
class Paragraph:
    """One paragraph, prepared for breaking at any size."""

    text: str
    locale: str
    rtl: bool
    levels: tuple[int, ...]
    faces: tuple[FontFace | None, ...]
    breaks: tuple[int, ...]  # where a line may start
    prefix: tuple[float, ...]  # advance of text[:i] in thousandths of an em
    uncovered: frozenset[str]

    def ink(self, start: int, end: int) -> float:
        """Advance of text[start:end] without trailing spaces, in thousandths of an em."""
        return self.prefix[self.trim(start, end)] - self.prefix[start]

    def trim(self, start: int, end: int) -> int:
        """``end`` moved back over trailing spaces and bidi controls."""
        while end > start and (is_space(self.text[end - 1]) or self.text[end - 1] in CONTROLS):
            end -= 1
        return end


def paragraphs(text: str, locale: str, weight: Weight) -> list[Paragraph]:
    """The prepared paragraphs of ``text`` (split at newlines)."""
    return [prepare(p, locale, weight) for p in text.split("\n")]


def prepare(text: str, locale: str, weight: Weight) -> Paragraph:
    """Levels, fonts, break positions and advances of one paragraph (cached)."""
    return _prepare(text.replace("\t", " "), locale, weight, font_dirs())


@lru_cache(maxsize=512)
def _prepare(text: str, locale: str, weight: Weight, dirs: tuple[Path, ...]) -> Paragraph:
    del dirs  # part of the cache key: fonts found on another search path differ
    rtl = direction(locale) == "rtl"
    levels = paragraph_levels(text, rtl) if _needs_bidi(text, rtl) else [0] * len(text)
    faces, uncovered = assign_faces(text, locale, weight)
    advances = [0.0] * len(text)
    for span in spans(text, levels, faces, 0, len(text)):
        shaped = _shape_span(span, locale)
        for cluster, advance in zip(shaped.clusters, shaped.advances, strict=True):
            advances[span.indices[cluster]] += advance
    return Paragraph(
        text,
        locale,
        rtl,
        tuple(levels),
        tuple(faces),
        break_positions(text),
        (0.0, *accumulate(advances)),
        frozenset(uncovered),
    )


def _needs_bidi(text: str, rtl: bool) -> bool:
    """False for LTR paragraphs without right-to-left letters, Arabic digits or right-to-left
    controls: every level is even there (left-to-right isolates and embeddings only raise it
    to 2), so drawing them at level 0 is the same."""
    return rtl or any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in text)


_RTL_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI"})


def _shape_span(span: Span, locale: str) -> Shaped:
    script = span_script(span.text)
    return shape(span.face, span.text, span.level % 2 == 1, script, span_language(script, locale))


def break_lines(para: Paragraph, max_units: float) -> list[LineSpan]:
    """Greedy line breaking at break positions; over-long words break between clusters."""
    bounds = (0, *para.breaks, len(para.text))
    lines: list[LineSpan] = []
    start = 0
    for a, b in zip(bounds, bounds[1:], strict=False):
        if para.ink(start, b) <= max_units:
            continue
        if start < a:
            lines.append((start, a))
            start = a
            if para.ink(a, b) <= max_units:
                continue
        start = _break_word(para, start, b, max_units, lines)
    lines.append((start, len(para.text)))
    return lines


def _break_word(
    para: Paragraph, start: int, end: int, max_units: float, lines: list[LineSpan]
) -> int:
    """Cut ``text[start:end]`` between grapheme clusters; return where the remainder starts."""
    previous = start
    for cut in [*grapheme_starts(para.text, start, para.trim(start, end))[1:], end]:
        if para.ink(start, cut) > max_units and previous > start:
            lines.append((start, previous))
            start = previous
        previous = cut
    return start


def build_line(para: Paragraph, start: int, end: int, size: float, ellipsis: bool = False) -> Line:
    """Shape the runs of ``text[start:end]`` (plus an ellipsis) and put them in visual order."""
    end = para.trim(start, end)
    logical = spans(para.text, para.levels, para.faces, start, end)
    if ellipsis:
        logical = _with_ellipsis(para, logical)
    runs = [_run(span, para.locale, size) for span in logical]
    order = visual_order([run.level for run in runs])
    visual = tuple(runs[i] for i in order)
    text = "".join(span.text for span in logical)
    return Line(visual, sum(run.width for run in visual), text)


def _with_ellipsis(para: Paragraph, logical: list[Span]) -> list[Span]:
    base = 1 if para.rtl else 0
    last = logical[-1] if logical else None
    if last is not None and last.level == base and covers(last.face, ELLIPSIS):
        # Index -1: a character that is not in the paragraph.
        return [*logical[:-1], Span(last.text + ELLIPSIS, (*last.indices, -1), base, last.face)]
    faces, _ = assign_faces(ELLIPSIS, para.locale, "regular" if last is None else last.face.weight)
    face = faces[0]
    assert face is not None
    return [*logical, Span(ELLIPSIS, (-1,), base, face)]


def _run(span: Span, locale: str, size: float) -> Run:
    rtl = span.level % 2 == 1
    script = span_script(span.text)
    shaped = shape(span.face, span.text, rtl, script, span_language(script, locale))
    complex_ltr = not rtl and (not shaped.exact or script in COMPLEX_LTR)
    return Run(
        span.text,
        span.face,
        span.level,
        shaped,
        shaped.advance * size / 1000,
        span.text if complex_ltr else None,
    )


def line_height(locale: str, style: TextStyle, size: float) -> float:
    """The height of one line in points (at least the script's minimum leading)."""
    return size * max(style.leading, MIN_LEADING.get(language(locale), 0.0))


@lru_cache(maxsize=8192)
def layout(text: str, locale: str, style: TextStyle, width: float) -> Block:
    """Lay ``text`` out at ``style.size`` in lines at most ``width`` points wide.

    Pure, so cached: labels, captions and headlines repeat on every appeal in a language.
    """
    return layout_at(paragraphs(text, locale, style.weight), locale, style, width, style.size)


def layout_at(
    paras: list[Paragraph], locale: str, style: TextStyle, width: float, size: float
) -> Block:
    """Break and shape prepared paragraphs at ``size``."""
    lines = [build_line(p, a, b, size) for p, a, b in line_spans(paras, width, size)]
    return make_block(lines, paras, locale, style, size)


def line_spans(
    paras: list[Paragraph], width: float, size: float
) -> list[tuple[Paragraph, int, int]]:
    """Every line of every paragraph as (paragraph, start, end) at ``size``."""
    max_units = width * 1000 / size
    return [(p, a, b) for p in paras for a, b in break_lines(p, max_units)]


def make_block(
    lines: list[Line], paras: list[Paragraph], locale: str, style: TextStyle, size: float
) -> Block:
    uncovered = frozenset().union(*(p.uncovered for p in paras))
    return Block(
        tuple(lines), size, line_height(locale, style, size), direction(locale) == "rtl", uncovered
    )


def cap_height_ratio(text: str, locale: str, weight: Weight = "regular") -> float:
    """Cap height ÷ font size of the font that sets the first letter of ``text``."""
    para = prepare(text, locale, weight)
    face = next((f for f in para.faces if f is not None), None)
    if face is None:
        face = assign_faces("H", locale, weight)[0][0]
        assert face is not None
    return float(ttfont(face).face.capHeight) / 1000


def measure(text: str, locale: str, style: TextStyle) -> float:
    """The advance width of ``text`` on one line (the widest paragraph), in points."""
    paras = paragraphs(text, locale, style.weight)
    return max(p.ink(0, len(p.text)) for p in paras) * style.size / 1000


def depth_below(block: Block) -> float:
    """How far the last line's glyphs reach below the block's bottom edge, in points (≥ 0)."""
    if not block.lines:
        return 0.0
    baseline = block.first_baseline + (len(block.lines) - 1) * block.line_height
    deepest = max((_ink_depth(run.face, run.shaped) for run in block.lines[-1].runs), default=0.0)
    return max(0.0, deepest * block.size - (block.height - baseline))


@lru_cache(maxsize=1024)
def _ink_depth(face: FontFace, shaped: Shaped) -> float:
    """The lowest point of the run's glyphs below the baseline, as a share of the size."""
    font = hb_font(face)
    upem = font.face.upem
    offsets = [item.y_offset / 1000 for item in shaped.pdf_text.__shapeData__]  # type: ignore[attr-defined]
    deepest = 0.0
    for gid, rise in zip(shaped.glyph_ids, offsets, strict=True):
        extents = font.get_glyph_extents(gid)
        if extents is not None:
            deepest = max(deepest, -(extents.y_bearing + extents.height) / upem - rise)
    return deepest
