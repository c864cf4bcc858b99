"""Page geometry and the PDF canvas every print or screen layout starts from: trim + bleed,
TrimBox/BleedBox, optional crop marks, CMYK enforced for print, deterministic bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab import rl_config
from reportlab.lib.colors import CMYKColor
from reportlab.pdfgen.canvas import Canvas

MM = 72 / 25.4
INCH = 72.0
ISO_BLEED = 3 * MM
US_BLEED = 0.125 * INCH
SLUG = 10 * MM  # room outside the bleed for crop marks
SAFE = 6 * MM  # nothing but background within this distance of trim
MARK_LENGTH = 6 * MM
MARK_WEIGHT = 0.25

# Photos go into PDFs byte-identical: no ASCII85 wrapping of the JPEG stream.
rl_config.useA85 = 0

REGISTRATION = CMYKColor(1, 1, 1, 1)


@dataclass(frozen=True)
class PaperSize:
    name: str
    width: float  # points
    height: float
    bleed: float  # points; 3 mm for ISO sizes, 0.125 in for US sizes


PAPER: dict[str, PaperSize] = {
    size.name: size
    for size in (
        PaperSize("a3", 297 * MM, 420 * MM, ISO_BLEED),
        PaperSize("a4", 210 * MM, 297 * MM, ISO_BLEED),
        PaperSize("a5", 148 * MM, 210 * MM, ISO_BLEED),
        PaperSize("letter", 8.5 * INCH, 11 * INCH, US_BLEED),
        PaperSize("tabloid", 11 * INCH, 17 * INCH, US_BLEED),
        PaperSize("half-letter", 5.5 * INCH, 8.5 * INCH, US_BLEED),
    )
}


@dataclass(frozen=True)
class Sheet:
    """A page to draw on: the trim size, and how much bleed and slug surround it."""

    width: float
    height: float
    bleed: float = 0.0
    slug: float = 0.0

    @property
    def offset(self) -> float:
        """Distance from the media edge to the trim edge."""
        return self.bleed + self.slug

    @property
    def media(self) -> tuple[float, float]:
        return self.width + 2 * self.offset, self.height + 2 * self.offset

    @property
    def trim_box(self) -> tuple[float, float, float, float]:
        o = self.offset
        return o, o, o + self.width, o + self.height

    @property
    def bleed_box(self) -> tuple[float, float, float, float]:
        o = self.slug
        return o, o, o + self.width + 2 * self.bleed, o + self.height + 2 * self.bleed


def print_sheet(paper: PaperSize, crop_marks: bool, landscape: bool = False) -> Sheet:
    width, height = (paper.height, paper.width) if landscape else (paper.width, paper.height)
    return Sheet(width, height, paper.bleed, SLUG if crop_marks else 0.0)


def screen_sheet(paper: PaperSize) -> Sheet:
    return Sheet(paper.width, paper.height)


def new_canvas(
    buffer: io.BytesIO, sheet: Sheet, cmyk: bool, font: str, title: str, author: str
) -> Canvas:
    """A canvas whose origin is the trim's bottom-left corner, boxes set, metadata neutral."""
    canvas = Canvas(
        buffer,
        pagesize=sheet.media,
        invariant=1,
        pageCompression=1,
        enforceColorSpace="cmyk" if cmyk else None,
        initialFontName=font,  # type: ignore[arg-type]  # the stub says float
    )
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator(author)
    canvas.setSubject(title)
    if sheet.bleed or sheet.slug:
        canvas.setTrimBox(sheet.trim_box)
        canvas.setBleedBox(sheet.bleed_box)
    canvas.translate(sheet.offset, sheet.offset)
    return canvas


def draw_crop_marks(canvas: Canvas, sheet: Sheet, cuts_x: tuple[float, ...] = ()) -> None:
    """Corner marks in the slug, clear of the bleed; ``cuts_x``: marks for inner vertical cuts."""
    if not sheet.slug:
        return
    canvas.saveState()
    canvas.setStrokeColor(REGISTRATION)
    canvas.setLineWidth(MARK_WEIGHT)
    gap = sheet.bleed + 1 * MM
    for x in (0.0, sheet.width, *cuts_x):
        for y, direction in ((0.0, -1), (sheet.height, 1)):
            canvas.line(x, y + direction * gap, x, y + direction * (gap + MARK_LENGTH))
    for y in (0.0, sheet.height):
        for x, direction in ((0.0, -1), (sheet.width, 1)):
            canvas.line(x + direction * gap, y, x + direction * (gap + MARK_LENGTH), y)
    canvas.restoreState()


def finish(canvas: Canvas, buffer: io.BytesIO) -> bytes:
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
