"""The text layer for PDFs: fonts per script, bidi, HarfBuzz shaping, line breaking and fitting.

    style = TextStyle(size=28, weight="bold")
    result = fit(f"{label}: {isolate(name)}", "ar", style, width, height, min_size=14)
    if result.truncated: ...report a problem...
    draw_block(canvas, result.block, x, y_top, width, align="start", fill=(0, 0, 0, 1))

Use ``Canvas(..., initialFontName=base_font())`` so no un-embedded base-14 font appears.
"""

from __future__ import annotations

from campaign.typeset.bidi import direction, isolate
from campaign.typeset.block import Block, FitResult, Line, Run, TextStyle
from campaign.typeset.draw import Align, draw_block
from campaign.typeset.fit import fit, fit_lines, fit_one_line, sizes
from campaign.typeset.fonts import base_font, find_font, font_digest, register_fonts
from campaign.typeset.lines import cap_height_ratio, depth_below, layout, measure

__all__ = [
    "Align",
    "Block",
    "FitResult",
    "Line",
    "Run",
    "TextStyle",
    "base_font",
    "cap_height_ratio",
    "depth_below",
    "direction",
    "draw_block",
    "find_font",
    "fit",
    "fit_lines",
    "fit_one_line",
    "font_digest",
    "isolate",
    "layout",
    "measure",
    "register_fonts",
    "sizes",
]
