"""Drawing a laid-out block on a ReportLab canvas, in CMYK."""

from __future__ import annotations

from typing import Literal

from reportlab.lib.colors import CMYKColor, Color
from reportlab.pdfgen.canvas import Canvas

from campaign.typeset.block import Block, FitResult
from campaign.typeset.pdftext import draw_run

Align = Literal["start", "center", "end"]
CMYK = tuple[float, float, float, float]
BLACK: CMYK = (0.0, 0.0, 0.0, 1.0)


def draw_block(
    canvas: Canvas,
    block: Block | FitResult,
    x: float,
    y_top: float,
    width: float,
    align: Align = "start",
    fill: CMYK | Color = BLACK,
) -> None:
    """Draw ``block`` in the box starting at ``x`` (``width`` wide) from ``y_top`` down.

    ``"start"`` is the reading start: the right edge for right-to-left locales. ``fill`` is a
    CMYK tuple (0–1 each) or a ReportLab colour (a CMYK canvas refuses RGB ones).
    """
    if isinstance(block, FitResult):
        block = block.block
    canvas.saveState()
    colour = fill if isinstance(fill, Color) else CMYKColor(*fill)
    canvas.setFillColor(colour)
    if any(run.face.emboldened for line in block.lines for run in line.runs):
        canvas.setStrokeColor(colour)
    baseline = y_top - block.first_baseline
    for line in block.lines:
        cursor = x + line_offset(line.width, width, align, block.rtl)
        for run in line.runs:
            draw_run(canvas, run.face, run.shaped, cursor, baseline, block.size, run.actual_text)
            cursor += run.width
        baseline -= block.line_height
    canvas.restoreState()


def line_offset(line_width: float, width: float, align: Align, rtl: bool) -> float:
    """How far right of the box's left edge a line of ``line_width`` starts."""
    free = width - line_width
    if align == "center":
        return free / 2
    at_right = (align == "start") == rtl
    return free if at_right else 0.0
