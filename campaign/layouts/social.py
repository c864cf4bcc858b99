"""Social images: Open Graph 1200×630, X 1200×675, square 1080×1080, portrait 1080×1350 and
story 1080×1920.

Each is a small poster: the headline band, the photo cropped around the face at the start side,
the name, age, where and since when, and a panel with the numbers to call and the case page as
a short address. No QR code: these images are seen on the phone that would have to scan it,
and the post itself carries the link; a short address can be read aloud, typed or remembered.
``Output.qr_url`` still carries the tracked link for the post. Stories keep every text out of
the top and bottom 15 %, where the app draws its own controls; those bands are plain brand red.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from campaign.layouts import raster
from campaign.layouts.base import Output, RenderContext
from campaign.layouts.raster import BAND, INK, MUTED, ON_BAND, PANEL, Canvas, Item, column, text
from campaign.layouts.rastertext import Align, Rect, word_cap
from campaign.models import Case
from campaign.photos import NormalizedPhoto
from campaign.typeset.bidi import isolate

NBSP = "\u00a0"
MB = 1_000_000
OPEN_GRAPH_CAP = 300_000  # link previews in some messengers drop larger og:images
STORY_MARGIN = 0.15  # of the height, top and bottom: no text there


@dataclass(frozen=True)
class Spec:
    """A social format: size in pixels, weight budget in bytes, drawing."""

    size: tuple[int, int]
    cap: int
    draw: Callable[[Canvas, NormalizedPhoto, RenderContext], None]


def _numbers(canvas: Canvas, width: float, min_size: float) -> str | None:
    """The numbers to call on one line when they fit it at ``min_size``, else one a line."""
    numbers = [isolate(number) for number in canvas.text.numbers]
    together = NBSP + "·" + NBSP
    one_line = (NBSP + together + NBSP).join(numbers)
    if word_cap(one_line, canvas.text.locale, "bold", width) * 0.9 >= min_size:
        return one_line or None
    return "\n".join(numbers) or None


def _band(canvas: Canvas, top: float, height: float, size: float) -> None:
    """The headline, white on red, in a band across the image."""
    canvas.fill(canvas.rect(0, top, canvas.width, height), BAND)
    pad = height * 0.14
    headline = Item(canvas.text.headline, size, size * 0.5, 2, True, ON_BAND, keep=True)
    box = canvas.rect(pad * 2, top + pad, canvas.width - 4 * pad, height - 2 * pad)
    text(canvas, headline, box, "center")


def _facts(canvas: Canvas, scale: float) -> list[Item]:
    short = canvas.text
    return [
        Item(short.name, 76 * scale, 44 * scale, 3, name=True),
        Item(short.age, 44 * scale, 28 * scale, bold=True, optional=True),
        Item(short.last_seen, 36 * scale, 24 * scale, lines=3, optional=True),
        Item(short.since, 34 * scale, 22 * scale, lines=2, optional=True),
    ]


def _panel(canvas: Canvas, box: Rect, ctx: RenderContext, scale: float, align: Align) -> None:
    """Who to call, the case page and the organisation, on a light panel."""
    canvas.fill(box, PANEL)
    short, pad = canvas.text, 28 * scale
    numbers = _numbers(canvas, box.w - 2 * pad, 40 * scale)
    items = [
        Item(short.call_label, 30 * scale, 20 * scale, 2, colour=MUTED, gap=0.15),
        Item(numbers, 52 * scale, 30 * scale, len(short.numbers), bold=True),
        Item(short.more_info, 26 * scale, 18 * scale, colour=MUTED, gap=0.1),
        Item(canvas.address, 36 * scale, 22 * scale, bold=True),
        Item(ctx.config.organisation, 24 * scale, 18 * scale, colour=MUTED),
    ]
    inner = Rect(box.x + pad, box.y + pad * 0.8, box.w - 2 * pad, box.h - 1.6 * pad)
    column(canvas, inner, items, align, 0.5)


def _landscape(canvas: Canvas, photo: NormalizedPhoto, ctx: RenderContext) -> None:
    """1200×630 and 1200×675: band, photo at the start, texts beside, panel under the texts."""
    height = canvas.height
    _band(canvas, 0, 100, 62)
    raster.photo(canvas, photo, canvas.rect(0, 100, 470, height - 100), face_share=0.33)
    panel_h = 230
    column(canvas, canvas.rect(510, 122, 650, height - 122 - panel_h - 14), _facts(canvas, 0.82))
    _panel(canvas, canvas.rect(470, height - panel_h, 730, panel_h), ctx, 0.8, "start")


def _square(canvas: Canvas, photo: NormalizedPhoto, ctx: RenderContext) -> None:
    """1080×1080 and 1080×1350: band, photo and texts side by side, panel across the foot."""
    height = canvas.height
    band_h, panel_h = (120, 320) if height < 1200 else (130, 430)
    photo_h = height - band_h - panel_h
    _band(canvas, 0, band_h, 74)
    raster.photo(canvas, photo, canvas.rect(0, band_h, 520, photo_h), face_share=0.33)
    column(canvas, canvas.rect(552, band_h + 28, 496, photo_h - 44), _facts(canvas, 1.0))
    _panel(canvas, canvas.rect(0, height - panel_h, canvas.width, panel_h), ctx, 1.1, "center")


def _story(canvas: Canvas, photo: NormalizedPhoto, ctx: RenderContext) -> None:
    """1080×1920: texts only between 15 % and 85 % of the height."""
    width, height = canvas.width, canvas.height
    top, bottom = height * STORY_MARGIN, height * (1 - STORY_MARGIN)
    canvas.fill(canvas.rect(0, 0, width, top), BAND)
    _band(canvas, top, 140, 84)
    canvas.fill(canvas.rect(0, bottom, width, height - bottom), BAND)
    raster.photo(canvas, photo, canvas.rect(210, top + 170, 660, 680), face_share=0.33)
    texts = top + 170 + 680 + 24
    short = canvas.text
    items = [
        Item(short.name, 92, 48, 3, name=True),
        Item(raster.facts_line(short), 42, 28, 2, bold=True, optional=True),
        Item(short.since, 38, 26, optional=True),
        Item(short.call, 58, 34, 2, bold=True, colour=BAND, gap=0.2),
        Item(canvas.address, 42, 26, bold=True, colour=INK),
    ]
    column(canvas, canvas.rect(60, texts, width - 120, bottom - texts - 24), items, "center", 0.5)


FORMATS: dict[str, Spec] = {
    "social-1200x630": Spec((1200, 630), OPEN_GRAPH_CAP, _landscape),
    "social-1200x675": Spec((1200, 675), MB, _landscape),
    "social-1080x1080": Spec((1080, 1080), MB, _square),
    "social-1080x1350": Spec((1080, 1350), MB, _square),
    "social-1080x1920": Spec((1080, 1920), MB, _story),
}


class SocialLayout:
    """Images for social posts (JPEG), with alt text and the tracked link."""

    name = "social"
    formats = tuple(FORMATS)

    def render(self, case: Case, locale: str, fmt: str, ctx: RenderContext) -> Output:
        """Raises MissingDependency when Pillow lacks RAQM (complex scripts, bidi)."""
        spec = FORMATS[fmt]
        canvas = raster.new_canvas(case, locale, fmt, spec.size, ctx)
        spec.draw(canvas, ctx.photo, ctx)
        url = raster.tracked_url(case, ctx, fmt, "social", "social")
        return raster.finish(canvas, case, locale, spec.cap, url)
