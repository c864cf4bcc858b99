"""Web banners in the IAB sizes, each designed for its shape and kept under its weight cap.

Every banner shows the face (cropped around it), the headline, the name and a way to call;
larger ones add the age, where the child was last seen and since when. Wide shapes put the
photo at the start side (the right for right-to-left locales) and the call box at the end;
tall shapes stack band, photo, texts and call box. The whole banner links to the case page
(``Output.qr_url``, with UTM naming the format); no QR code is drawn — a banner is clicked,
not scanned. Each comes with alt text and HTML embed code.

Shapes (LTR coordinates, mirrored for RTL):

- 300×250 medium rectangle: headline band; photo at the start beside name, age, place, date;
  call bar across the foot.
- 728×90 leaderboard: photo, then headline / name / age and place; call box at the end.
- 320×50 mobile banner: photo, headline over the name; call box at the end.
- 160×600 skyscraper, 300×600 half page: band, photo, centred texts, call box at the foot.
- 970×250 billboard: photo, headline / name / facts; a large call box at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from campaign.layouts import raster
from campaign.layouts.base import Output, RenderContext
from campaign.layouts.raster import BAND, INK, ON_BAND, Canvas, Item, column, text
from campaign.models import Case
from campaign.photos import NormalizedPhoto

KB = 1000  # IAB weights are in kilobytes of 1,000 bytes (the stricter reading)


@dataclass(frozen=True)
class Spec:
    """A banner format: its size in pixels, weight cap in bytes, and drawing."""

    size: tuple[int, int]
    cap: int
    draw: Callable[[Canvas, NormalizedPhoto], None]


def _band(canvas: Canvas, height: float, size: float, min_size: float, lines: int = 1) -> None:
    """The headline, white on the brand red, across the top."""
    canvas.fill(canvas.rect(0, 0, canvas.width, height), BAND)
    pad = max(4.0, height * 0.12)
    headline = Item(canvas.text.headline, size, min_size, lines, True, ON_BAND, keep=True)
    box = canvas.rect(pad * 1.5, pad, canvas.width - 3 * pad, height - 2 * pad)
    text(canvas, headline, box, "center")


def _call(
    canvas: Canvas,
    box: tuple[float, float, float, float],
    size: float,
    min_size: float,
    lines: int,
    background: tuple[int, int, int] = BAND,
) -> None:
    """The call to action, white on a coloured box."""
    x, y, w, h = box
    canvas.fill(canvas.rect(x, y, w, h), background)
    pad = min(w, h) * 0.12
    words = canvas.text.call or canvas.text.more_info
    call = Item(words, size, min_size, lines, bold=True, colour=ON_BAND)
    text(canvas, call, canvas.rect(x + pad, y + pad * 0.7, w - 2 * pad, h - 1.4 * pad), "center")


def _name(size: float, min_size: float, lines: int = 2) -> Callable[[Canvas], Item]:
    return lambda c: Item(c.text.name, size, min_size, lines, name=True, gap=0.3)


def _rectangle(canvas: Canvas, photo: NormalizedPhoto) -> None:
    """300×250."""
    short = canvas.text
    _band(canvas, 32, 20, 12)
    raster.photo(canvas, photo, canvas.rect(0, 32, 112, 180))
    items = [
        _name(22, 15, 3)(canvas),
        Item(short.age, 16, 12, bold=True, optional=True),
        Item(short.last_seen, 14, 11, lines=3, optional=True),
        Item(short.since, 13, 10, lines=2, optional=True),
    ]
    column(canvas, canvas.rect(120, 38, 172, 170), items)
    _call(canvas, (0, 212, 300, 38), 19, 11, 1, INK)


def _leaderboard(canvas: Canvas, photo: NormalizedPhoto) -> None:
    """728×90: photo + headline + name + one line + call."""
    short = canvas.text
    raster.photo(canvas, photo, canvas.rect(0, 0, 72, 90), face_share=0.5)
    width = 488 - 84 - 10
    headline = Item(short.headline, 15, 11, bold=True, colour=BAND, keep=True)
    text(canvas, headline, canvas.rect(84, 5, width, 19))
    text(canvas, _name(30, 16)(canvas), canvas.rect(84, 23, width, 40))
    lines = [Item(raster.facts_line(short), 14, 11), Item(short.last_seen, 14, 11)]
    raster.first_fitting(canvas, [*lines, Item(short.age, 14, 11)], canvas.rect(84, 64, width, 21))
    _call(canvas, (488, 0, 240, 90), 24, 13, 2)


def _mobile(canvas: Canvas, photo: NormalizedPhoto) -> None:
    """320×50: photo + headline over the name + call."""
    short = canvas.text
    raster.photo(canvas, photo, canvas.rect(0, 0, 40, 50), face_share=0.55)
    width = 208 - 46 - 4
    headline = Item(short.headline, 10, 9, bold=True, colour=BAND, keep=True)
    text(canvas, headline, canvas.rect(46, 2, width, 13))
    text(canvas, _name(18, 12)(canvas), canvas.rect(46, 15, width, 34))
    _call(canvas, (208, 0, 112, 50), 13, 10, 3)


@dataclass(frozen=True)
class _Stacked:
    """A tall banner's measures: band, photo, then name, age, place and date, then the call."""

    band: tuple[float, float, float, int]  # height, text size, smallest size, lines
    photo: float  # height
    name: tuple[float, float, int]  # size, smallest size, lines
    age: tuple[float, float]
    place: tuple[float, float, int]
    since: tuple[float, float, int]
    texts: tuple[float, float, float, float]  # x, y, width, height
    spread: float
    call: tuple[tuple[float, float, float, float], float, float, int]  # box, size, smallest, lines

    def __call__(self, canvas: Canvas, photo: NormalizedPhoto) -> None:
        short, width = canvas.text, canvas.width
        _band(canvas, *self.band)
        raster.photo(canvas, photo, canvas.rect(0, self.band[0], width, self.photo))
        items = [
            _name(*self.name)(canvas),
            Item(short.age, *self.age, bold=True, optional=True),
            Item(short.last_seen, *self.place[:2], lines=self.place[2], optional=True),
            Item(short.since, *self.since[:2], lines=self.since[2], optional=True),
        ]
        column(canvas, canvas.rect(*self.texts), items, "center", self.spread)
        _call(canvas, *self.call)


# 160×600 and 300×600: band, photo, texts, call, stacked.
_skyscraper = _Stacked((56, 22, 12, 2), 200, (26, 21, 4), (18, 13), (16, 12, 4), (14, 11, 3),
                       (6, 264, 148, 240), 0.35, ((0, 510, 160, 90), 21, 12, 3))  # fmt: skip
_half_page = _Stacked((58, 30, 14, 2), 292, (32, 20, 3), (20, 14), (17, 13, 2), (16, 12, 2),
                      (12, 358, 276, 162), 0.4, ((0, 524, 300, 76), 25, 13, 2))  # fmt: skip


def _billboard(canvas: Canvas, photo: NormalizedPhoto) -> None:
    """970×250: photo, headline, name and facts, large call box."""
    short = canvas.text
    raster.photo(canvas, photo, canvas.rect(0, 0, 200, 250))
    items = [
        Item(short.headline, 26, 16, bold=True, colour=BAND, gap=0.25, keep=True),
        _name(46, 24)(canvas),
        Item(short.age, 24, 15, bold=True, optional=True),
        Item(short.last_seen, 21, 14, lines=2, optional=True),
        Item(short.since, 19, 13, optional=True),
    ]
    column(canvas, canvas.rect(226, 16, 462, 218), items, "start", 0.5)
    _call(canvas, (712, 0, 258, 250), 34, 16, 3)


FORMATS: dict[str, Spec] = {
    "banner-300x250": Spec((300, 250), 150 * KB, _rectangle),
    "banner-728x90": Spec((728, 90), 150 * KB, _leaderboard),
    "banner-160x600": Spec((160, 600), 150 * KB, _skyscraper),
    "banner-320x50": Spec((320, 50), 50 * KB, _mobile),
    "banner-970x250": Spec((970, 250), 250 * KB, _billboard),
    "banner-300x600": Spec((300, 600), 150 * KB, _half_page),
}


class BannerLayout:
    """IAB web banners (JPEG), with alt text and HTML embed code."""

    name = "banner"
    formats = tuple(FORMATS)

    def render(self, case: Case, locale: str, fmt: str, ctx: RenderContext) -> Output:
        """Raises MissingDependency when Pillow lacks RAQM (complex scripts, bidi)."""
        spec = FORMATS[fmt]
        canvas = raster.new_canvas(case, locale, fmt, spec.size, ctx)
        spec.draw(canvas, ctx.photo)
        canvas.border()
        url = raster.tracked_url(case, ctx, fmt, "web", "banner")
        return raster.finish(canvas, case, locale, spec.cap, url, embed=True)
