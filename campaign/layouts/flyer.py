"""Flyers: the poster's design at A5 and half-letter, and two A5 flyers imposed on one A4 sheet
(landscape) with crop marks for the cut between them."""

from __future__ import annotations

import io

from campaign.layouts.base import Output, RenderContext
from campaign.layouts.page import PAPER, SLUG, Sheet, draw_crop_marks, finish
from campaign.layouts.poster import (
    Variant,
    appeal_text,
    draw_appeal,
    open_canvas,
    pdf_output,
    qr_url,
    render_pdf,
)
from campaign.models import Case

SINGLE: dict[str, Variant] = {
    "flyer-a5": Variant("a5"),
    "flyer-half-letter": Variant("half-letter"),
}
TWO_UP = "flyer-a5-2up"


class FlyerLayout:
    """Single flyers, and two-up A5 on A4."""

    name = "flyer"
    formats = (*SINGLE, TWO_UP)

    def render(self, case: Case, locale: str, fmt: str, ctx: RenderContext) -> Output:
        if fmt == TWO_UP:
            return render_two_up(case, locale, ctx)
        return render_pdf(case, locale, fmt, SINGLE[fmt], ctx)


def render_two_up(case: Case, locale: str, ctx: RenderContext) -> Output:
    """Two identical A5 flyers side by side on A4 landscape; one cut down the middle."""
    a5 = PAPER["a5"]
    # Trim = two A5 side by side (296 × 210 mm, printed on A4 or larger); marks always drawn.
    sheet = Sheet(2 * a5.width, a5.height, a5.bleed, SLUG)
    half = Sheet(a5.width, a5.height, a5.bleed)
    variant = Variant("a5")
    text = appeal_text(case, locale, ctx)
    url = qr_url(case, TWO_UP, variant, ctx)
    buffer = io.BytesIO()
    canvas = open_canvas(buffer, sheet, variant, text, ctx)
    metrics = None
    for index in (0, 1):
        canvas.saveState()
        left = -sheet.bleed if index == 0 else half.width
        right = half.width if index == 0 else sheet.width + sheet.bleed
        clip = canvas.beginPath()
        clip.rect(left, -sheet.bleed, right - left, sheet.height + 2 * sheet.bleed)
        canvas.clipPath(clip, stroke=0, fill=0)
        canvas.translate(index * half.width, 0)
        metrics = draw_appeal(canvas, half, text, variant, ctx, url)
        canvas.restoreState()
    draw_crop_marks(canvas, sheet, cuts_x=(half.width,))
    assert metrics is not None
    return pdf_output(finish(canvas, buffer), case, locale, TWO_UP, text, metrics, url)
