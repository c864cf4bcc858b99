"""Fitting text to a box: shrink step by step, then truncate with an ellipsis; one-line fits."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import replace

from campaign.typeset.block import Block, FitResult, Line, TextStyle
from campaign.typeset.breaks import grapheme_starts
from campaign.typeset.lines import (
    Paragraph,
    build_line,
    layout,
    line_height,
    line_spans,
    make_block,
    paragraphs,
    prepare,
)

LineAt = tuple[Paragraph, int, int]  # a line: its paragraph, start and end
EPSILON = 1e-6
SIZE_STEP = 0.1  # one-line sizes are rounded down to this, so output is stable


def sizes(start: float, minimum: float) -> Iterator[float]:
    """Font sizes to try, largest first: 5 % (at least 0.5 pt) per step, ending at ``minimum``."""
    size = start
    while size > minimum:
        yield size
        size = min(size - 0.5, math.floor(size * 0.95 * 2) / 2)
    yield min(start, minimum)


def fit(
    text: str, locale: str, style: TextStyle, width: float, height: float, min_size: float
) -> FitResult:
    """The largest size (from ``style.size`` down to ``min_size``) at which the text fits the box;
    if it does not fit even at ``min_size``, the last fitting line ends in "…" (truncated)."""
    paras = paragraphs(text, locale, style.weight)

    def lines_at(size: float) -> list[LineAt] | None:
        spans = line_spans(paras, width, size)
        fits = len(spans) * line_height(locale, style, size) <= height + EPSILON
        return spans if fits else None

    tried: float | None = None
    for size in sizes(style.size, min_size):
        spans = lines_at(size)
        if spans is not None:
            size, spans = _refine(size, tried, lines_at, spans)
            lines = [build_line(p, a, b, size) for p, a, b in spans]
            return FitResult(make_block(lines, paras, locale, style, size), size)
        tried = size
    return _truncated(paras, locale, style, width, height, min(style.size, min_size))


def _refine(
    size: float,
    too_big: float | None,
    lines_at: Callable[[float], list[LineAt] | None],
    spans: list[LineAt],
) -> tuple[float, list[LineAt]]:
    """Between a size that fits and the next larger one tried, the largest fit in 0.5 pt steps."""
    candidate = (too_big or size) - 0.5
    while candidate > size + EPSILON:
        found = lines_at(candidate)
        if found is not None:
            return candidate, found
        candidate -= 0.5
    return size, spans


def _truncated(
    paras: list[Paragraph], locale: str, style: TextStyle, width: float, height: float, size: float
) -> FitResult:
    """Keep the lines that fit at ``size``; the last one ends in an ellipsis."""
    spans = line_spans(paras, width, size)
    keep = max(1, int((height + EPSILON) // line_height(locale, style, size)))
    lines = [build_line(p, a, b, size) for p, a, b in spans[: keep - 1]]
    lines.append(_ellipsis_line(*spans[keep - 1], width, size))
    return FitResult(make_block(lines, paras, locale, style, size), size, truncated=True)


def _ellipsis_line(para: Paragraph, start: int, end: int, width: float, size: float) -> Line:
    """The longest start of ``text[start:end]`` that fits ``width`` with "…" appended."""
    words = [b for b in para.breaks if start < b < end]
    first_word_end = words[0] if words else end
    clusters = grapheme_starts(para.text, start, first_word_end)[1:]
    for cut in [end, *reversed(words), *reversed(clusters)]:
        line = build_line(para, start, cut, size, ellipsis=True)
        if line.width <= width + EPSILON:
            return line
    return build_line(para, start, start, size, ellipsis=True)


def fit_one_line(
    text: str, locale: str, style: TextStyle, max_width: float, max_size: float, min_size: float
) -> FitResult:
    """Fit a name or headline without ever truncating it: one line at the largest size up to
    ``max_size`` if that is at least ``min_size``, else two balanced lines at the largest size
    that fits (``undersized`` when even that is below ``min_size``)."""
    para = prepare(" ".join(text.split("\n")), locale, style.weight)
    end = len(para.text)
    size = _size_for(para.ink(0, end), max_width, max_size)
    cuts = [end]
    if size < min_size:
        cut, units = _balanced_cut(para)
        if 0 < cut < end:
            size, cuts = _size_for(units, max_width, max_size), [cut, end]
    return _fitted(para, cuts, locale, style, max_width, size, min_size)


def _size_for(units: float, max_width: float, max_size: float) -> float:
    if units <= 0:
        return max_size
    return min(max_size, round(math.floor(max_width * 1000 / units / SIZE_STEP) * SIZE_STEP, 1))


def _balanced_cut(para: Paragraph) -> tuple[int, float]:
    """The break giving two lines of the most equal width, and the wider line's advance."""
    end = len(para.text)
    candidates = para.breaks or tuple(grapheme_starts(para.text, 0, end)[1:])
    if not candidates:
        return end, para.ink(0, end)
    cut = min(candidates, key=lambda c: max(para.ink(0, c), para.ink(c, end)))
    return cut, max(para.ink(0, cut), para.ink(cut, end))


def _fitted(
    para: Paragraph,
    cuts: list[int],
    locale: str,
    style: TextStyle,
    max_width: float,
    size: float,
    min_size: float,
) -> FitResult:
    """Shape the lines; step down if run-by-run shaping came out a hair wider than planned."""
    while True:
        starts = [0, *cuts[:-1]]
        lines = [build_line(para, a, b, size) for a, b in zip(starts, cuts, strict=True)]
        if max(line.width for line in lines) <= max_width + EPSILON or size <= SIZE_STEP:
            block = make_block(lines, [para], locale, style, size)
            return FitResult(block, size, undersized=size < min_size - EPSILON)
        size = round(size - SIZE_STEP, 1)


def fit_lines(
    text: str, locale: str, style: TextStyle, width: float, min_size: float, max_lines: int = 1
) -> Block:
    """The largest size (down to ``min_size``) at which the text takes at most ``max_lines``
    lines; below that, ``min_size`` wrapped onto as many lines as it needs — never truncated."""
    block = layout(text, locale, style, width)
    for size in sizes(style.size, min_size):
        block = layout(text, locale, replace(style, size=size), width)
        if len(block.lines) <= max_lines:
            return block
    return block
