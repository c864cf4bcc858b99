"""The values the text layer hands out: a style, and laid-out blocks of shaped lines."""

from __future__ import annotations

from dataclasses import dataclass

from campaign.typeset.fonts import FontFace, Weight
from campaign.typeset.shape import Shaped

# Where the first baseline sits below the top of its line box, as a share of the font size,
# before half of the extra leading is added (CSS-like: ascent 0.8 em, descent 0.2 em).
ASCENT = 0.8


@dataclass(frozen=True)
class TextStyle:
    """Font size in points, weight, and line height as a multiple of the size."""

    size: float
    weight: Weight = "regular"
    leading: float = 1.2


@dataclass(frozen=True)
class Run:
    """A maximal span of one line in one font at one bidi level, shaped by HarfBuzz."""

    text: str  # logical order, bidi controls removed
    face: FontFace
    level: int
    shaped: Shaped
    width: float  # points
    actual_text: str | None  # what copy/search should give when the glyphs cannot say it

    @property
    def rtl(self) -> bool:
        return self.level % 2 == 1


@dataclass(frozen=True)
class Line:
    """One line: its runs left to right and its width in points."""

    runs: tuple[Run, ...]
    width: float
    text: str  # the logical text of the line, bidi controls removed

    @property
    def glyph_ids(self) -> tuple[int, ...]:
        """Every glyph id of the line, left to right."""
        return tuple(gid for run in self.runs for gid in run.shaped.glyph_ids)


@dataclass(frozen=True)
class Block:
    """Lines laid out at one size; ``uncovered`` lists characters no installed font has."""

    lines: tuple[Line, ...]
    size: float
    line_height: float
    rtl: bool
    uncovered: frozenset[str] = frozenset()

    @property
    def height(self) -> float:
        return len(self.lines) * self.line_height

    @property
    def widths(self) -> tuple[float, ...]:
        return tuple(line.width for line in self.lines)

    @property
    def first_baseline(self) -> float:
        """Distance from the top of the block to the first baseline, in points."""
        return (self.line_height - self.size) / 2 + ASCENT * self.size


@dataclass(frozen=True)
class FitResult:
    """A block fitted to a box: ``truncated`` when text was cut (report it as a problem);
    ``undersized`` when a must-not-truncate text needed a size below the minimum."""

    block: Block
    size: float
    truncated: bool = False
    undersized: bool = False
