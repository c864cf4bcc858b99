"""What banners and social images share: a Pillow canvas mirrored for right-to-left locales,
the face-aware photo, stacked text, encoding under a weight cap, alt text and embed code.

Designs are written in left-to-right coordinates; :meth:`Canvas.rect` mirrors every box for
right-to-left locales, so the photo sits on the right for Arabic, Hebrew and Urdu and text
starts at the right edge. Images are encoded fresh from pixels (no EXIF, ICC, XMP or text
chunks), so the same inputs give the same bytes.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw
from reportlab.lib.colors import Color

from campaign import crop, jpeg, qr
from campaign.layouts.base import Output, RenderContext
from campaign.layouts.content import ShortAppeal, compose_short
from campaign.layouts.palette import SCREEN
from campaign.layouts.rastertext import (
    RGB,
    Align,
    Placed,
    Rect,
    draw_placed,
    fit_name,
    fit_text,
    ink_top,
    require_raqm,
)
from campaign.models import Case
from campaign.photos import NormalizedPhoto
from campaign.problems import Problem, Severity

# Quality ladder, best first: (JPEG quality, chroma subsampling: 0 = 4:4:4, 2 = 4:2:0).
# 4:4:4 keeps white-on-red text crisp; 4:2:0 comes in only when the weight cap demands it.
LADDER = ((90, 0), (85, 0), (85, 2), (78, 2), (70, 2), (60, 2), (50, 2), (40, 2))


def rgb(colour: Color) -> RGB:
    """A ReportLab colour as 8-bit RGB."""
    return (round(colour.red * 255), round(colour.green * 255), round(colour.blue * 255))


BAND = rgb(SCREEN.band)  # the screen palette of the posters
ON_BAND = rgb(SCREEN.on_band)
INK = rgb(SCREEN.ink)
MUTED = rgb(SCREEN.muted)
PANEL = rgb(SCREEN.panel)
PAPER = rgb(SCREEN.paper)
BORDER = (170, 170, 170)


@dataclass(frozen=True)
class Item:
    """One text of a stacked column: sizes in pixels, and how many lines it may take."""

    text: str | None
    size: float
    min_size: float
    lines: int = 1
    bold: bool = False
    colour: RGB = INK
    name: bool = False  # the child's name: never cut, and measured
    keep: bool = False  # never cut (shrunk, then two lines), like a name: headlines
    optional: bool = False  # in a column: left out rather than cut
    gap: float = 0.35  # space after it, as a share of its size


@dataclass
class Metrics:
    """What the drawing measured (pixels), for tests and preflight."""

    truncated: list[str] = field(default_factory=list)
    smallest_text: float = 1e9
    name_size: float = 0.0
    name_lines: int = 0
    text_top: float = 1e9
    text_bottom: float = 0.0
    photo_scale: float = 0.0
    quality: int = 0

    def figures(self) -> dict[str, float]:
        return {
            "name_size_px": self.name_size,
            "name_lines": self.name_lines,
            "smallest_text_px": self.smallest_text,
            "text_top_px": self.text_top,
            "text_bottom_px": self.text_bottom,
            "photo_scale": self.photo_scale,
            "jpeg_quality": self.quality,
        }


@dataclass
class Canvas:
    """One image being drawn, with the appeal's words and what the drawing found."""

    image: Image.Image
    text: ShortAppeal
    fmt: str
    address: str  # the case page as people type it
    metrics: Metrics = field(default_factory=Metrics)
    problems: list[Problem] = field(default_factory=list)

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.image)

    @property
    def rtl(self) -> bool:
        return self.text.direction == "rtl"

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height

    def rect(self, x: float, y: float, w: float, h: float) -> Rect:
        """A box ``x`` from the start side (mirrored for right-to-left locales)."""
        return Rect(self.width - x - w if self.rtl else x, y, w, h)

    def fill(self, box: Rect, colour: RGB) -> None:
        right, bottom = round(box.x + box.w) - 1, round(box.bottom) - 1
        self.draw.rectangle((round(box.x), round(box.y), right, bottom), fill=colour)

    def border(self) -> None:
        """A one-pixel frame, so a light banner does not melt into the page around it."""
        self.draw.rectangle((0, 0, self.width - 1, self.height - 1), outline=BORDER, width=1)


def new_canvas(
    case: Case, locale: str, fmt: str, size: tuple[int, int], ctx: RenderContext
) -> Canvas:
    """A blank image of ``size`` and the short texts of the appeal in ``locale``."""
    require_raqm()
    text = compose_short(case, locale, ctx.country, ctx.as_of)
    return Canvas(Image.new("RGB", size, PAPER), text, fmt, short_url(case, ctx))


def photo(canvas: Canvas, source: NormalizedPhoto, box: Rect, face_share: float = 0.4) -> None:
    """The photo cropped around the face to fill ``box``; enlargement is reported."""
    area = (round(box.w), round(box.h))
    found = crop.crop_for(source, area, face_share)
    picture = _decoded(source).resize(
        area, Image.Resampling.LANCZOS, box=found.box.as_tuple(), reducing_gap=3.0
    )
    canvas.image.paste(picture, (round(box.x), round(box.y)))
    canvas.metrics.photo_scale = max(canvas.metrics.photo_scale, found.scale)
    low = crop.low_resolution(found, canvas.fmt, area)
    if low is not None and not any(p.code == low.code for p in canvas.problems):
        canvas.problems.append(low)


_decoded_photos: dict[str, Image.Image] = {}


def _decoded(source: NormalizedPhoto) -> Image.Image:
    """The photo's pixels in RGB, decoded once per photo (the last few kept)."""
    found = _decoded_photos.get(source.sha256)
    if found is None:
        with Image.open(io.BytesIO(source.data), formats=["JPEG"]) as im:
            found = im.convert("RGB")
        if len(_decoded_photos) >= 4:
            _decoded_photos.pop(next(iter(_decoded_photos)))
        _decoded_photos[source.sha256] = found
    return found


def fit(canvas: Canvas, item: Item, width: float, height: float, alone: bool = False) -> Placed:
    """``item`` fitted to a box (``alone`` in it: a single line may fill it with its ink)."""
    assert item.text is not None
    if item.name or item.keep:
        sizes = (item.size, item.min_size)
        placed = fit_name(item.text, canvas.text.locale, width, height, sizes, item.lines, alone)
        if item.name:
            canvas.metrics.name_size = placed.size
            canvas.metrics.name_lines = len(placed.block.lines)
    else:
        sizes = (item.size, item.min_size)
        placed = fit_text(item.text, canvas.text.locale, width, height, sizes, item.bold)
    return placed


def put(canvas: Canvas, item: Item, placed: Placed, box: Rect, align: Align, top: float) -> None:
    """Draw a fitted text; note its size, its vertical extent, and whether it was cut."""
    draw_placed(canvas.draw, placed, box, align, item.colour, top)
    metrics = canvas.metrics
    if placed.truncated and item.text:
        metrics.truncated.append(item.text)
    metrics.smallest_text = min(metrics.smallest_text, placed.size)
    metrics.text_top = min(metrics.text_top, top)
    metrics.text_bottom = max(metrics.text_bottom, top + placed.height)


def text(
    canvas: Canvas,
    item: Item,
    box: Rect,
    align: Align = "start",
    valign: float = 0.5,
) -> float:
    """One text in ``box`` (``valign`` 0 top … 1 bottom); returns the bottom of its lines."""
    if not item.text:
        return box.y
    placed = fit(canvas, item, box.w, box.h, alone=True)
    top = ink_top(placed, box, valign)
    put(canvas, item, placed, box, align, top)
    return top + placed.height


def column(
    canvas: Canvas, box: Rect, items: Sequence[Item], align: Align = "start", valign: float = 0.0
) -> float:
    """Texts stacked from the top of ``box``, each in at most ``lines`` lines of its size; an
    item that no longer finds room (or, when optional, would be cut) is left out. Returns the
    bottom of the last text."""
    placed: list[tuple[Item, Placed]] = []
    used = 0.0
    for item in items:
        if not item.text:
            continue
        lead = 1.1 if item.name or item.keep or item.bold else 1.15
        room = box.h - used
        if room < item.min_size * lead:
            break
        fitted = fit(canvas, item, box.w, min(room, item.lines * item.size * lead))
        if fitted.truncated and item.optional:
            continue
        placed.append((item, fitted))
        used += fitted.height + item.gap * fitted.size
    if not placed:
        return box.y
    used -= placed[-1][0].gap * placed[-1][1].size
    y = box.y + (box.h - used) * valign
    for item, fitted in placed:
        put(canvas, item, fitted, box, align, y)
        y += fitted.height + item.gap * fitted.size
    return y - placed[-1][0].gap * placed[-1][1].size


def facts_line(short: ShortAppeal) -> str:
    """Age and where last seen, on one line."""
    return " · ".join(part for part in (short.age, short.last_seen) if part)


def first_fitting(canvas: Canvas, items: Sequence[Item], box: Rect, align: Align = "start") -> None:
    """The first of ``items`` that fits ``box`` uncut; none when none does."""
    for item in items:
        if not item.text:
            continue
        placed = fit(canvas, item, box.w, box.h)
        if not placed.truncated:
            put(canvas, item, placed, box, align, ink_top(placed, box, 0.5))
            return


@dataclass(frozen=True)
class Encoded:
    data: bytes
    quality: int
    over_cap: bool


def encode(image: Image.Image, cap: int) -> Encoded:
    """The best JPEG of the ladder that weighs at most ``cap`` bytes (else the lightest)."""
    data = b""
    for quality, subsampling in LADDER:
        data = jpeg.rewrite(_jpeg(image, quality, subsampling))  # JFIF, tables, frame, scan
        if len(data) <= cap:
            return Encoded(data, quality, False)
    return Encoded(data, LADDER[-1][0], True)


def _jpeg(image: Image.Image, quality: int, subsampling: int) -> bytes:
    """JPEG bytes with optimized Huffman tables — unless the scan outgrows the buffer Pillow
    gives libjpeg for that (width × height bytes: "Suspension not allowed here")."""
    for optimize in (True, False):
        out = io.BytesIO()
        try:
            image.save(out, "JPEG", quality=quality, subsampling=subsampling, optimize=optimize)
        except OSError:
            continue
        return out.getvalue()
    raise OSError("the image could not be encoded as JPEG")


def tracked_url(case: Case, ctx: RenderContext, fmt: str, source: str, medium: str) -> str:
    """The case page with UTM naming the channel and the format."""
    tracking = qr.Tracking(source, medium, ctx.config.utm_campaign, fmt)
    return qr.qr_url(ctx.config.case_url, case.case_ref, tracking)


def short_url(case: Case, ctx: RenderContext) -> str:
    """The case page as people type it: no scheme, no tracking."""
    url = qr.qr_url(ctx.config.case_url, case.case_ref, qr.Tracking("", "", "", ""))
    return url.split("?", 1)[0].split("://", 1)[-1].removeprefix("www.")


def embed_html(url: str, src: str, size: tuple[int, int], alt: str, lang: str, rtl: bool) -> str:
    """A link around the image, for pasting into a web page (every value HTML-escaped)."""
    direction = ' dir="rtl"' if rtl else ""
    return (
        f'<a href="{html.escape(url)}"><img src="{html.escape(src)}" width="{size[0]}" '
        f'height="{size[1]}" alt="{html.escape(alt)}" lang="{html.escape(lang)}"{direction}>'
        "</a>\n"
    )


def finish(
    canvas: Canvas, case: Case, locale: str, cap: int, url: str, embed: bool = False
) -> Output:
    """Encode the canvas and say what the manifest needs to know of it."""
    encoded = encode(canvas.image, cap)
    canvas.metrics.quality = encoded.quality
    size = (canvas.width, canvas.height)
    short = canvas.text
    snippet = (
        embed_html(url, f"{canvas.fmt}.jpg", size, short.alt, short.locale, canvas.rtl)
        if embed
        else None
    )
    return Output(
        encoded.data,
        "image/jpeg",
        "jpg",
        width=size[0],
        height=size[1],
        alt=short.alt,
        qr_url=url,
        problems=tuple(problems(canvas, case, locale, cap, len(encoded.data))),
        measurements=canvas.metrics.figures(),
        embed=snippet,
    )


def problems(canvas: Canvas, case: Case, locale: str, cap: int, weight: int) -> list[Problem]:
    """A language fallback, shortened text, an enlarged photo, a weight over the cap."""
    fmt, found = canvas.fmt, []
    if canvas.text.locale != locale:
        message = f"{fmt}: no translations for '{locale}': drawn in '{canvas.text.locale}'"
        found.append(case.problem(Severity.WARNING, "locale-fallback", message, "locales"))
    if canvas.metrics.truncated:
        shortened = ", ".join(dict.fromkeys(canvas.metrics.truncated))
        message = f"{fmt} ({locale}): did not fit and was shortened with '…': {shortened}"
        found.append(case.problem(Severity.WARNING, "text-truncated", message, None))
    for problem in canvas.problems:
        found.append(case.problem(problem.severity, problem.code, problem.message, problem.field))
    if weight > cap:
        message = f"{fmt} ({locale}): {weight / 1000:.0f} kB even at the lowest quality, over "
        message += f"the {cap / 1000:.0f} kB limit of the format: simplify the design or text"
        found.append(case.problem(Severity.WARNING, "weight-over-cap", message, None))
    return found
