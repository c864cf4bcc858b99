"""Drawing state shared by the sections of an appeal page, and what the drawing measured."""

from __future__ import annotations

from dataclasses import dataclass, field

from reportlab.pdfgen.canvas import Canvas

from campaign.layouts.content import AppealText
from campaign.layouts.page import MM
from campaign.layouts.palette import Palette

MIN_BODY = 9.0  # pt: no text smaller than this, on any size


@dataclass
class Metrics:
    """What the drawing measured, for preflight checks and tests (points and fractions)."""

    name_size: float = 0.0
    name_cap_height: float = 0.0
    name_lines: int = 0
    photo_share: float = 0.0
    qr_code_size: float = 0.0
    smallest_text: float = 1e9
    truncated: list[str] = field(default_factory=list)

    def text(self, size: float) -> None:
        self.smallest_text = min(self.smallest_text, size)

    def figures(self) -> dict[str, float]:
        """The measurements in millimetres, points and fractions."""
        return {
            "name_size_pt": self.name_size,
            "name_cap_height_mm": self.name_cap_height / MM,
            "name_lines": self.name_lines,
            "photo_share": self.photo_share,
            "qr_code_mm": self.qr_code_size / MM,
            "smallest_text_pt": self.smallest_text,
        }


@dataclass
class Frame:
    """One appeal on one page (trim coordinates, origin bottom-left)."""

    canvas: Canvas
    width: float
    height: float
    bleed: float
    scale: float  # page size relative to A4
    text: AppealText
    palette: Palette
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def rtl(self) -> bool:
        return self.text.direction == "rtl"

    @property
    def locale(self) -> str:
        return self.text.locale

    def x(self, left: float, width: float) -> float:
        """A box ``left`` from the start side, as a page x (mirrored for right-to-left)."""
        return self.width - left - width if self.rtl else left

    def size(self, points: float) -> float:
        """A text size scaled to the page, never under the minimum body size."""
        return max(MIN_BODY, points * self.scale)

    def mm(self, value: float) -> float:
        """A distance given in millimetres on A4, scaled to the page."""
        return value * MM * self.scale
