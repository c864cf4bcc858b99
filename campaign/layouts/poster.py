"""Posters: print (A4, Letter, A3, Tabloid; bleed, CMYK) and screen (A4, Letter; RGB, light).

Top to bottom: the headline band, the name, the photo beside the facts column (age-progressed
photo, facts, clothing and description, QR code), and the call panel with the numbers and the
case reference. Mirrored for right-to-left languages. Flyers reuse this drawing at their size.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas

from campaign import qr, typeset
from campaign.layouts import sections
from campaign.layouts.base import Output, RenderContext
from campaign.layouts.content import AppealText, compose
from campaign.layouts.frame import Frame, Metrics
from campaign.layouts.page import (
    MM,
    PAPER,
    SAFE,
    Sheet,
    draw_crop_marks,
    finish,
    new_canvas,
    print_sheet,
    screen_sheet,
)
from campaign.layouts.palette import PRINT, SCREEN
from campaign.models import Case
from campaign.photos import NormalizedPhoto, downscaled
from campaign.problems import Problem, Severity

CAP_RATIO = 0.714  # cap height / em of the Latin face
NAME_CAP = 10 * MM  # on A4; scaled by page size
COLUMN_SHARE = 0.30  # of the content width, at least the QR code's width
MIN_PHOTO_SHARE = 0.32  # of the trim area, when the photo gives up height for the details
SCREEN_DPI = 150


@dataclass(frozen=True)
class Variant:
    """One poster or flyer format."""

    paper: str
    screen: bool = False


FORMATS: dict[str, Variant] = {
    "poster-a4": Variant("a4"),
    "poster-letter": Variant("letter"),
    "poster-a3": Variant("a3"),
    "poster-tabloid": Variant("tabloid"),
    "poster-a4-screen": Variant("a4", screen=True),
    "poster-letter-screen": Variant("letter", screen=True),
}


class PosterLayout:
    """Print and screen posters."""

    name = "poster"
    formats = tuple(FORMATS)

    def render(self, case: Case, locale: str, fmt: str, ctx: RenderContext) -> Output:
        return render_pdf(case, locale, fmt, FORMATS[fmt], ctx)


def render_pdf(case: Case, locale: str, fmt: str, variant: Variant, ctx: RenderContext) -> Output:
    """One appeal on one page of ``variant``'s paper, as PDF bytes."""
    text = appeal_text(case, locale, ctx)
    paper = PAPER[variant.paper]
    sheet = screen_sheet(paper) if variant.screen else print_sheet(paper, ctx.crop_marks)
    url = qr_url(case, fmt, variant, ctx)
    buffer = io.BytesIO()
    canvas = open_canvas(buffer, sheet, variant, text, ctx)
    metrics = draw_appeal(canvas, sheet, text, variant, ctx, url)
    draw_crop_marks(canvas, sheet)
    return pdf_output(finish(canvas, buffer), case, locale, fmt, text, metrics, url)


def appeal_text(case: Case, locale: str, ctx: RenderContext) -> AppealText:
    """The appeal's words in ``locale`` for this render."""
    config = ctx.config
    return compose(
        case, locale, ctx.country, ctx.as_of, config.print_date_of_birth, config.organisation
    )


def pdf_output(
    data: bytes, case: Case, locale: str, fmt: str, text: AppealText, metrics: Metrics, url: str
) -> Output:
    return Output(
        data,
        "application/pdf",
        "pdf",
        qr_url=url,
        problems=tuple(problems(case, locale, fmt, text, metrics)),
        measurements=metrics.figures(),
    )


def qr_url(case: Case, fmt: str, variant: Variant, ctx: RenderContext) -> str:
    """The QR target: the case page with UTM naming the medium (print/screen) and format."""
    tracking = qr.Tracking(
        source="screen" if variant.screen else "print",
        medium="qr",
        campaign=ctx.config.utm_campaign,
        content=fmt,
    )
    return qr.qr_url(ctx.config.case_url, case.case_ref, tracking)


def open_canvas(
    buffer: io.BytesIO, sheet: Sheet, variant: Variant, text: AppealText, ctx: RenderContext
) -> Canvas:
    typeset.register_fonts()
    return new_canvas(
        buffer,
        sheet,
        cmyk=not variant.screen,
        font=typeset.base_font(),
        title=f"{text.headline} — {text.case_ref}",
        author=ctx.config.organisation,
    )


def draw_appeal(
    canvas: Canvas, sheet: Sheet, text: AppealText, variant: Variant, ctx: RenderContext, url: str
) -> Metrics:
    """Draw the whole appeal into the trim area of ``sheet``; returns what was measured."""
    scale = min(sheet.width / (210 * MM), sheet.height / (297 * MM))
    frame = Frame(
        canvas,
        sheet.width,
        sheet.height,
        sheet.bleed,
        scale,
        text,
        SCREEN if variant.screen else PRINT,
    )
    name_bottom = _name(frame, _band(frame) - frame.mm(5))
    top, bottom = name_bottom - frame.mm(4), sections.panel(frame) + frame.mm(5)
    content = frame.width - 2 * SAFE
    column = max(sections.qr_symbol_size(frame, url)[1] + 2 * MM, content * COLUMN_SHARE)
    x = frame.x(frame.width - SAFE - column, column)
    y, qr_top = _column(frame, ctx, variant, url, x, column, top, bottom)
    photo_box = (content - column - frame.mm(5), top, bottom)
    _photo_and_details(frame, ctx, variant, photo_box, (x, y, column, qr_top))
    return frame.metrics


def _for_screen(photo: NormalizedPhoto, variant: Variant) -> NormalizedPhoto:
    if not variant.screen:
        return photo
    box = 210 * MM * (1 - COLUMN_SHARE) / 72 * SCREEN_DPI
    return downscaled(photo, int(box), int(box * 1.25))


def _band(frame: Frame) -> float:
    """The headline band across the top, into the bleed; returns its bottom edge."""
    height = frame.mm(34)
    bottom = frame.height - height
    frame.canvas.setFillColor(frame.palette.band)
    frame.canvas.rect(
        -frame.bleed, bottom, frame.width + 2 * frame.bleed, height + frame.bleed, stroke=0, fill=1
    )
    width, room = frame.width - 2 * SAFE, height - frame.mm(4)
    style = typeset.TextStyle(64 * frame.scale, "bold", 1.05)
    large = NAME_CAP * frame.scale * 1.15 / CAP_RATIO
    block = typeset.fit_lines(frame.text.headline, frame.locale, style, width, min_size=large)
    if block.height > room:  # a long headline: two lines, smaller, within the band
        fitted = typeset.fit(
            frame.text.headline, frame.locale, style, width, room, min_size=frame.size(14)
        )
        block = fitted.block
        if fitted.truncated:
            frame.metrics.truncated.append(frame.text.headline)
    frame.metrics.text(block.size)
    y_top = bottom + (height + block.height) / 2
    typeset.draw_block(frame.canvas, block, SAFE, y_top, width, "center", frame.palette.on_band)
    return bottom


def _name(frame: Frame, top: float) -> float:
    """The child's name, never truncated: the largest size that fits, wrapping if it must."""
    width = frame.width - 2 * SAFE
    min_size = NAME_CAP * frame.scale / CAP_RATIO
    block = typeset.fit_lines(
        frame.text.name,
        frame.locale,
        typeset.TextStyle(min_size * 1.35, "bold", 1.1),
        width,
        min_size=min_size,
    )
    typeset.draw_block(frame.canvas, block, SAFE, top, width, "center", frame.palette.ink)
    metrics = frame.metrics
    metrics.name_size, metrics.name_lines = block.size, len(block.lines)
    metrics.name_cap_height = block.size * typeset.cap_height_ratio(frame.text.name, frame.locale)
    bottom = top - block.height
    if frame.text.alternate_names:
        bottom -= typeset.depth_below(block)  # clear of descenders (deep in Arabic script)
        alt = typeset.layout(
            "(" + ", ".join(frame.text.alternate_names) + ")",
            frame.locale,
            typeset.TextStyle(frame.size(13)),
            width,
        )
        typeset.draw_block(
            frame.canvas, alt, SAFE, bottom - 1 * MM, width, "center", frame.palette.muted
        )
        metrics.text(alt.size)
        bottom -= alt.height + 1 * MM
    return bottom


def _column(
    frame: Frame,
    ctx: RenderContext,
    variant: Variant,
    url: str,
    x: float,
    width: float,
    top: float,
    bottom: float,
) -> tuple[float, float]:
    """The end-side column: age-progressed photo, facts, and the QR code at its foot.
    Returns where the facts end and where the QR code's block begins."""
    y = top
    if ctx.age_progressed is not None and frame.text.age_progressed:
        y = sections.progressed(
            frame, _for_screen(ctx.age_progressed, variant), frame.text.age_progressed, x, y, width
        )
    qr_top = sections.qr_block(frame, url, x, width, bottom) + frame.mm(3)
    y = sections.facts(frame, frame.text.facts, x, y, width, qr_top) - frame.mm(2)
    return y, qr_top


def _photo_and_details(
    frame: Frame,
    ctx: RenderContext,
    variant: Variant,
    box: tuple[float, float, float],
    free: tuple[float, float, float, float],
) -> None:
    """The main photo in ``box`` (width, top, bottom), and the details in the column's ``free``
    space (x, top, width, bottom) when they fit there; otherwise under the photo, which then
    gives up height for them (down to square and to the smallest photo share)."""
    photo_width, top, bottom = box
    x, y, width, qr_top = free
    details = frame.text.details
    picture = _for_screen(ctx.photo, variant)
    if sections.details_fit(frame, details, width, y - qr_top):
        sections.photo(frame, picture, photo_width, top, bottom)
        sections.details(frame, details, x, y, width, qr_top)
        return
    need = sections.details_height(frame, details, photo_width) + frame.mm(4)
    smallest = max(photo_width, MIN_PHOTO_SHARE * frame.width * frame.height / photo_width)
    height = min(top - bottom, max(top - bottom - need, smallest))  # never into the panel
    used_width, photo_bottom = sections.photo(frame, picture, photo_width, top, top - height)
    under = photo_bottom - frame.mm(4) - bottom
    if under > y - qr_top:
        below = frame.x(SAFE, used_width)
        sections.details(frame, details, below, photo_bottom - frame.mm(4), used_width, bottom)
    else:
        sections.details(frame, details, x, y, width, qr_top)


def problems(
    case: Case, locale: str, fmt: str, text: AppealText, metrics: Metrics
) -> list[Problem]:
    """What a person should know about a rendition: a language fallback, shortened text."""
    found = []
    if text.locale != locale:
        found.append(
            case.problem(
                Severity.WARNING,
                "locale-fallback",
                f"{fmt}: no translations for '{locale}': printed in '{text.locale}'",
                "locales",
            )
        )
    if metrics.truncated:
        shortened = ", ".join(dict.fromkeys(metrics.truncated))
        found.append(
            case.problem(
                Severity.WARNING,
                "text-truncated",
                f"{fmt} ({locale}): did not fit and was shortened with '…': {shortened}",
                None,
            )
        )
    return found
