"""Rendering helpers for the typeset tests: PDF pages → rasters, Pillow/RAQM oracle, ink maths."""

from __future__ import annotations

import shutil
import statistics
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps, features
from reportlab.pdfgen.canvas import Canvas

from campaign.typeset import Block, base_font, draw_block

DPI = 150
PAGE = (700.0, 90.0)  # points: wide enough for one line at 24 pt


def need_tool(name: str) -> None:
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed (poppler-utils)")


def need_raqm() -> None:
    if not features.check("raqm"):
        pytest.skip("Pillow has no RAQM layout (install libraqm0 and libfribidi0)")


def pdf_of_blocks(
    path: Path, blocks: Sequence[Block], page: tuple[float, float] = PAGE, margin: float = 20.0
) -> Path:
    """One block per page, drawn in a CMYK-only canvas whose base font is embedded."""
    canvas = Canvas(
        str(path), pagesize=page, initialFontName=base_font(), enforceColorSpace="cmyk", invariant=1
    )
    for block in blocks:
        draw_block(canvas, block, margin, page[1] - margin, page[0] - 2 * margin)
        canvas.showPage()
    canvas.save()
    return path


def rasterise(pdf: Path, dpi: int = DPI) -> list[Image.Image]:
    """Every page of ``pdf`` as a greyscale image (pdftoppm)."""
    need_tool("pdftoppm")
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(prefix)], check=True)
    pages = sorted(
        pdf.parent.glob(prefix.name + "-*.png"), key=lambda p: int(p.stem.split("-")[-1])
    )
    return [Image.open(p).convert("L") for p in pages]


def raqm_line(
    text: str,
    font_path: Path,
    index: int,
    size_pt: float,
    direction: str,
    language: str,
    dpi: int = DPI,
) -> Image.Image:
    """The same line set by Pillow with RAQM (FriBiDi + HarfBuzz): the independent oracle."""
    need_raqm()
    font = ImageFont.truetype(
        str(font_path),
        size=round(size_pt * dpi / 72),
        index=index,
        layout_engine=ImageFont.Layout.RAQM,
    )
    image = Image.new("L", (round(PAGE[0] * dpi / 72) * 2, round(PAGE[1] * dpi / 72) * 2), 255)
    ImageDraw.Draw(image).text(
        (40, 40), text, font=font, fill=0, direction=direction, language=language
    )
    return image


def ink(image: Image.Image) -> Image.Image:
    """The inked part of a black-on-white image, inverted (ink = bright), cropped to its box."""
    inverted = ImageOps.invert(image.convert("L"))
    box = inverted.getbbox()
    assert box is not None, "nothing was drawn"
    return inverted.crop(box)


def column_profile(inked: Image.Image, bins: int = 200) -> list[float]:
    """Ink per column, resampled to ``bins`` columns (left to right)."""
    row = inked.resize((bins, 1), Image.Resampling.BOX)
    return [float(row.getpixel((x, 0))) for x in range(bins)]  # type: ignore[arg-type]


def correlation(a: Sequence[float], b: Sequence[float]) -> float:
    return statistics.correlation(list(a), list(b))


def islands(inked: Image.Image, threshold: int = 64) -> list[int]:
    """Widths of the maximal runs of columns that hold ink (separate blobs seen from above)."""
    binary = inked.point(lambda v: 255 if v >= threshold else 0)
    row = binary.resize((binary.width, 1), Image.Resampling.BOX)
    widths: list[int] = []
    run = 0
    for x in range(row.width + 1):
        if x < row.width and float(row.getpixel((x, 0))) > 0:  # type: ignore[arg-type]
            run += 1
        elif run:
            widths.append(run)
            run = 0
    return widths
