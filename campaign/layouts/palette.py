"""The brand colours, once in CMYK for print and once in RGB for screen."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.colors import CMYKColor, Color


@dataclass(frozen=True)
class Palette:
    band: Color  # the headline band
    on_band: Color  # text on the band
    ink: Color  # body text
    muted: Color  # labels, small print
    panel: Color  # the call-to-action panel
    paper: Color  # page and QR background


PRINT = Palette(
    band=CMYKColor(0, 0.95, 0.9, 0.05),
    on_band=CMYKColor(0, 0, 0, 0),
    ink=CMYKColor(0, 0, 0, 1),
    muted=CMYKColor(0, 0, 0, 0.7),
    panel=CMYKColor(0, 0, 0, 0.07),
    paper=CMYKColor(0, 0, 0, 0),
)

SCREEN = Palette(
    band=Color(0.85, 0.07, 0.12),
    on_band=Color(1, 1, 1),
    ink=Color(0, 0, 0),
    muted=Color(0.3, 0.3, 0.3),
    panel=Color(0.93, 0.93, 0.93),
    paper=Color(1, 1, 1),
)
