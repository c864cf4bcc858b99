"""QR codes: the payload is computed purely (``qr_url``), the matrix once per distinct URL, and
drawing is separate — one vector path on a PDF canvas, or pixels on a Pillow image."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import numpy as np
import qrcode.constants
from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

from campaign import qrmask

QUIET_ZONE = 4  # modules of light margin on every side
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


@dataclass(frozen=True)
class Tracking:
    """Where a link was placed: UTM source (channel), medium, campaign and content (format)."""

    source: str
    medium: str
    campaign: str
    content: str


def qr_url(template: str, case_ref: str, tracking: Tracking) -> str:
    """The case's URL from the template (``{ref}`` = the opaque case_ref) with UTM parameters."""
    base = template.replace("{ref}", quote(case_ref, safe=""))
    params = urlencode(
        {
            "utm_source": tracking.source,
            "utm_medium": tracking.medium,
            "utm_campaign": tracking.campaign,
            "utm_content": tracking.content,
        }
    )
    return f"{base}{'&' if '?' in base else '?'}{params}"


def matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules without quiet zone (True = dark); computed once per distinct URL."""
    return tuple(tuple(row) for row in _symbol(url).tolist())


@functools.lru_cache(maxsize=4096)
def _symbol(url: str) -> qrmask.Matrix:
    symbol = qrmask.build(url.encode("utf-8"), ERROR_CORRECTION)
    symbol.setflags(write=False)
    return symbol


def modules_with_quiet_zone(url: str) -> int:
    """Width of the printed symbol in modules, quiet zone included."""
    return int(_symbol(url).shape[0]) + 2 * QUIET_ZONE


@functools.lru_cache(maxsize=4096)
def dark_runs(url: str) -> tuple[tuple[int, int, int], ...]:
    """Horizontal runs of dark modules as (row, first column, length), quiet zone excluded."""
    cells = np.pad(_symbol(url).astype(np.int8), ((0, 0), (1, 1)))
    edges = np.diff(cells, axis=1)
    starts_r, starts_c = np.nonzero(edges == 1)
    _, ends_c = np.nonzero(edges == -1)  # row-major order pairs each start with its end
    return tuple(
        zip(starts_r.tolist(), starts_c.tolist(), (ends_c - starts_c).tolist(), strict=True)
    )


@functools.lru_cache(maxsize=4096)
def module_path(url: str) -> str:
    """The dark modules as PDF path operators in module units (origin: the symbol's bottom-left
    corner, quiet zone excluded), one rectangle per horizontal run, then a fill."""
    count = len(_symbol(url))
    rects = [f"{column} {count - 1 - row} {length} 1 re" for row, column, length in dark_runs(url)]
    return "\n".join(rects) + "\nf"


def draw_pdf(
    canvas: Canvas, url: str, x: float, y: float, size: float, dark: Color, light: Color
) -> None:
    """Draw the code at (x, y) bottom-left, ``size`` points square including the quiet zone:
    a light square, then every dark module as one vector path scaled from module units
    (written as PDF operators directly: thousands of ReportLab path calls cost more than the
    code itself)."""
    module = size / modules_with_quiet_zone(url)
    origin = QUIET_ZONE * module
    canvas.setFillColor(light)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.saveState()
    canvas.setFillColor(dark)
    canvas.transform(module, 0, 0, module, x + origin, y + origin)
    canvas.addLiteral(module_path(url))
    canvas.restoreState()
