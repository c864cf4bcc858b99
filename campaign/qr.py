"""QR codes: the payload is computed purely (``qr_url``), the matrix once per distinct URL, and
drawing is separate — one vector path on a PDF canvas, or pixels on a Pillow image."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import qrcode
import qrcode.constants
from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

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


@functools.lru_cache(maxsize=4096)
def matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules without quiet zone (True = dark); computed once per distinct URL."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0, box_size=1)
    code.add_data(url.encode("utf-8"))
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def modules_with_quiet_zone(url: str) -> int:
    """Width of the printed symbol in modules, quiet zone included."""
    return len(matrix(url)) + 2 * QUIET_ZONE


def dark_runs(url: str) -> Iterator[tuple[int, int, int]]:
    """Horizontal runs of dark modules as (row, first column, length), quiet zone excluded."""
    for row, cells in enumerate(matrix(url)):
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < len(cells) and cells[column]:
                column += 1
            yield row, start, column - start


def draw_pdf(
    canvas: Canvas, url: str, x: float, y: float, size: float, dark: Color, light: Color
) -> None:
    """Draw the code at (x, y) bottom-left, ``size`` points square including the quiet zone:
    a light square, then every dark module in one vector path."""
    module = size / modules_with_quiet_zone(url)
    count = len(matrix(url))
    canvas.setFillColor(light)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    path = canvas.beginPath()
    for row, column, length in dark_runs(url):
        left = x + (QUIET_ZONE + column) * module
        bottom = y + (QUIET_ZONE + count - 1 - row) * module
        path.rect(left, bottom, length * module, module)
    canvas.setFillColor(dark)
    canvas.drawPath(path, stroke=0, fill=1)
