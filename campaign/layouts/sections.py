"""The sections of an appeal page below the name: the photo, the facts column (age-progressed
photo, facts, details, QR code) and the call panel."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.colors import Color
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from campaign import qr, typeset
from campaign.layouts.content import Fact
from campaign.layouts.frame import MIN_BODY, Frame
from campaign.layouts.page import MM, SAFE
from campaign.photos import NormalizedPhoto

QR_MIN_CODE = 30 * MM  # the code itself, quiet zone not counted
STACK_BELOW = 50 * MM  # a column narrower than this stacks labels over values


def qr_symbol_size(frame: Frame, url: str) -> tuple[float, float]:
    """(code, symbol): the code at least 3 cm, and the whole symbol with its quiet zone."""
    modules = qr.modules_with_quiet_zone(url)
    code = max(QR_MIN_CODE, frame.mm(32))
    return code, code * modules / (modules - 2 * qr.QUIET_ZONE)


def draw_photo(
    canvas: Canvas, photo: NormalizedPhoto, x: float, y: float, width: float, height: float
) -> None:
    """The photo scaled to cover the box (kept to its top, where the face is), clipped to it."""
    scale = max(width / photo.width, height / photo.height)
    drawn_w, drawn_h = photo.width * scale, photo.height * scale
    canvas.saveState()
    path = canvas.beginPath()
    path.rect(x, y, width, height)
    canvas.clipPath(path, stroke=0, fill=0)
    place_jpeg(canvas, photo, x + (width - drawn_w) / 2, y + height - drawn_h, drawn_w, drawn_h)
    canvas.restoreState()


def place_jpeg(
    canvas: Canvas, photo: NormalizedPhoto, x: float, y: float, width: float, height: float
) -> None:
    """Draw the photo's JPEG as it is (DCTDecode, byte-identical), once per document.

    ``Canvas.drawImage`` names an image by hashing its decoded pixels, a full decode per page;
    the photo's own digest names it here instead (this uses ReportLab's pinned internals).
    """
    internals: Any = canvas
    doc = internals._doc
    name = f"photo{photo.sha256[:24]}"
    reference = doc.getXObjectName(name)
    if reference not in doc.idToObject:
        image = pdfdoc.PDFImageXObject(name, ImageReader(io.BytesIO(photo.data)))
        image.name = name
        internals._setXObjects(image)
        doc.Reference(image, reference)
        doc.addForm(name, image)
    canvas.saveState()
    canvas.transform(width, 0, 0, height, x, y)
    internals._code.append(f"/{reference} Do")
    canvas.restoreState()
    internals._formsinuse.append(name)


def photo(
    frame: Frame, picture: NormalizedPhoto, width: float, top: float, bottom: float
) -> tuple[float, float]:
    """The main photo at the start side: 4:5, or squarer (down to 1:1) when height is short.
    Returns its width and bottom edge."""
    height = min(width * 1.25, top - bottom)
    if height < width:
        width = height
    draw_photo(frame.canvas, picture, frame.x(SAFE, width), top - height, width, height)
    frame.metrics.photo_share += width * height / (frame.width * frame.height)
    return width, top - height


def progressed(
    frame: Frame, picture: NormalizedPhoto, caption: str, x: float, top: float, width: float
) -> float:
    """The age-progressed image with its label; returns the bottom."""
    size = width * 0.7
    height = size * 1.25
    draw_photo(frame.canvas, picture, x + (width - size) / 2, top - height, size, height)
    frame.metrics.photo_share += size * height / (frame.width * frame.height)
    label = typeset.layout(caption, frame.locale, typeset.TextStyle(frame.size(10), "bold"), width)
    typeset.draw_block(
        frame.canvas, label, x, top - height - 1 * MM, width, "center", frame.palette.ink
    )
    frame.metrics.text(label.size)
    return top - height - label.height - frame.mm(4)


FactRow = tuple[typeset.Block, typeset.Block]


def facts(
    frame: Frame, rows: tuple[Fact, ...], x: float, top: float, width: float, bottom: float
) -> float:
    """Label beside value (or over it in a narrow column), one row per fact, at the largest
    size that fits above ``bottom``; rows that still do not fit are left out and reported.
    Returns the bottom of the last row drawn."""
    stacked = width < STACK_BELOW
    label_w = width if stacked else width * 0.45
    value_w = width if stacked else width - label_w - 2 * MM
    laid: list[FactRow] = []
    for scale in (1.0, 0.92, 0.84, 0.76):
        laid = [_fact_row(frame, fact, label_w, value_w, scale) for fact in rows]
        if top - sum(_row_height(frame, row, stacked) for row in laid) >= bottom:
            break
    y = top
    for fact, (label, value) in zip(rows, laid, strict=True):
        if y - _row_height(frame, (label, value), stacked) < bottom:
            frame.metrics.truncated.append(fact.label)
            continue
        value_top = y - label.height if stacked else y
        value_x = _cell_x(frame, x, width, 0 if stacked else label_w + 2 * MM, value_w)
        typeset.draw_block(
            frame.canvas,
            label,
            _cell_x(frame, x, width, 0, label_w),
            y,
            label_w,
            "start",
            frame.palette.muted,
        )
        typeset.draw_block(
            frame.canvas, value, value_x, value_top, value_w, "start", frame.palette.ink
        )
        frame.metrics.text(label.size)
        y -= _row_height(frame, (label, value), stacked)
    return y


def _fact_row(frame: Frame, fact: Fact, label_w: float, value_w: float, scale: float) -> FactRow:
    label_size = max(MIN_BODY, frame.size(10) * scale)
    value_size = max(MIN_BODY, frame.size(12) * scale)
    return (
        typeset.layout(fact.label, frame.locale, typeset.TextStyle(label_size), label_w),
        typeset.layout(fact.value, frame.locale, typeset.TextStyle(value_size, "bold"), value_w),
    )


def _row_height(frame: Frame, row: FactRow, stacked: bool) -> float:
    label, value = row
    drop = label.height + value.height if stacked else max(label.height, value.height)
    return drop + frame.mm(1.5)


def _cell_x(frame: Frame, x: float, width: float, offset: float, cell: float) -> float:
    """A cell ``offset`` from the start edge of a column at page x ``x``."""
    return x + width - offset - cell if frame.rtl else x + offset


def details(
    frame: Frame, rows: tuple[Fact, ...], x: float, top: float, width: float, bottom: float
) -> None:
    """Clothing, marks and description at the largest common size that fits down to ``bottom``;
    at the smallest size what does not fit is shortened with "…" and reported."""
    if not rows:
        return
    blocks: list[tuple[typeset.Block, typeset.Block]] = []
    for size in typeset.sizes(frame.size(11.5), MIN_BODY):
        blocks = _detail_blocks(frame, rows, width, size)
        if _details_height(blocks) <= top - bottom:
            break
    _draw_details(frame, rows, blocks, x, top, width, bottom)


def details_fit(frame: Frame, rows: tuple[Fact, ...], width: float, height: float) -> bool:
    """Whether the details fit ``height`` at the smallest body size."""
    return details_height(frame, rows, width) <= height


def details_height(frame: Frame, rows: tuple[Fact, ...], width: float) -> float:
    """The height the details need at the smallest body size."""
    return _details_height(_detail_blocks(frame, rows, width, MIN_BODY))


def _detail_blocks(
    frame: Frame, rows: tuple[Fact, ...], width: float, size: float
) -> list[tuple[typeset.Block, typeset.Block]]:
    return [
        (
            typeset.layout(fact.label, frame.locale, typeset.TextStyle(size, "bold"), width),
            typeset.layout(fact.value, frame.locale, typeset.TextStyle(size), width),
        )
        for fact in rows
    ]


def _details_height(blocks: list[tuple[typeset.Block, typeset.Block]]) -> float:
    return sum(a.height + b.height + a.size * 0.5 for a, b in blocks)


def _draw_details(
    frame: Frame,
    rows: tuple[Fact, ...],
    blocks: list[tuple[typeset.Block, typeset.Block]],
    x: float,
    top: float,
    width: float,
    bottom: float,
) -> None:
    y = top
    for fact, (label, value) in zip(rows, blocks, strict=True):
        size = value.size
        room = y - label.height - bottom
        if value.height > room:
            frame.metrics.truncated.append(fact.label)
            if room < size * 1.2:
                return
            value = typeset.fit(
                fact.value, frame.locale, typeset.TextStyle(size), width, room, min_size=size
            ).block
        typeset.draw_block(frame.canvas, label, x, y, width, "start", frame.palette.muted)
        typeset.draw_block(
            frame.canvas, value, x, y - label.height, width, "start", frame.palette.ink
        )
        frame.metrics.text(size)
        y -= label.height + value.height + size * 0.5


def qr_block(frame: Frame, url: str, x: float, width: float, bottom: float) -> float:
    """The QR code centred in a column above ``bottom``, caption under it; returns its top."""
    code, symbol = qr_symbol_size(frame, url)
    caption = typeset.layout(
        frame.text.scan_caption, frame.locale, typeset.TextStyle(MIN_BODY), symbol + 4 * MM
    )
    left = x + (width - symbol) / 2
    y = bottom + caption.height + 1 * MM
    qr.draw_pdf(frame.canvas, url, left, y, symbol, frame.palette.ink, frame.palette.paper)
    typeset.draw_block(
        frame.canvas,
        caption,
        left - 2 * MM,
        y - 0.5 * MM,
        symbol + 4 * MM,
        "center",
        frame.palette.ink,
    )
    frame.metrics.qr_code_size = code
    frame.metrics.text(caption.size)
    return y + symbol


def panel(frame: Frame) -> float:
    """The call panel across the bottom, into the bleed, as tall as its text needs (scripts
    with tall lines such as Nastaliq get more room); returns its top edge."""
    width = frame.width - 2 * SAFE
    label = typeset.layout(
        frame.text.call_label, frame.locale, typeset.TextStyle(frame.size(14)), width
    )
    ref = typeset.layout(
        f"{frame.text.case_ref_label} {typeset.isolate(frame.text.case_ref)}",
        frame.locale,
        typeset.TextStyle(MIN_BODY),
        width,
    )
    org = _organisation(frame, width - ref.widths[0] - 6 * MM)
    cells = _contact_cells(frame, width)
    who_h = max((who.height for who, _ in cells if who), default=0.0)
    number_h = max((number.height for _, number in cells), default=0.0)
    foot_h = max(ref.height, org.height if org else 0.0)
    needed = frame.mm(4) + label.height + 1 * MM + who_h + number_h + 1.5 * MM + foot_h + SAFE
    height = max(frame.mm(38), 30 * MM, needed)
    frame.canvas.setFillColor(frame.palette.panel)
    frame.canvas.rect(
        -frame.bleed,
        -frame.bleed,
        frame.width + 2 * frame.bleed,
        height + frame.bleed,
        stroke=0,
        fill=1,
    )
    x = frame.x(SAFE, width)
    top = height - frame.mm(4)
    _draw(frame, label, x, top, width, "start", frame.palette.ink)
    _draw_contacts(frame, cells, x, top - label.height - 1 * MM, width, who_h)
    _draw(frame, ref, x, SAFE + ref.height, width, "start", frame.palette.muted)
    if org is not None:
        _draw(frame, org, x, SAFE + org.height, width, "end", frame.palette.ink)
    return height


def _draw(
    frame: Frame,
    block: typeset.Block,
    x: float,
    top: float,
    width: float,
    align: typeset.Align,
    colour: Color,
) -> None:
    typeset.draw_block(frame.canvas, block, x, top, width, align, colour)
    frame.metrics.text(block.size)


def _organisation(frame: Frame, width: float) -> typeset.Block | None:
    if not frame.text.organisation:
        return None
    return typeset.fit_lines(
        frame.text.organisation,
        frame.locale,
        typeset.TextStyle(frame.size(11), "bold"),
        width,
        min_size=MIN_BODY,
    )


def phone_text(number: str) -> str:
    """A phone number kept whole and left-to-right in any script (LRI…PDI, no-break spaces)."""
    return "\u2066" + number.replace(" ", "\u00a0") + "\u2069"


def _cell_width(frame: Frame, width: float) -> float:
    count = max(len(frame.text.contacts), 1)
    return (width - 6 * MM * (count - 1)) / count


def _contact_cells(frame: Frame, width: float) -> list[tuple[typeset.Block | None, typeset.Block]]:
    """Per number: the agency's name (when known) and the number, all numbers at one size."""
    contacts = frame.text.contacts
    cell = _cell_width(frame, width)
    style = typeset.TextStyle(26 * frame.scale, "bold", 1.05)
    size = min(
        (
            typeset.fit_lines(
                phone_text(c.number), frame.locale, style, cell, min_size=MIN_BODY
            ).size
            for c in contacts
        ),
        default=MIN_BODY,
    )
    return [
        (
            typeset.layout(c.who, frame.locale, typeset.TextStyle(frame.size(10)), cell)
            if c.who
            else None,
            typeset.layout(
                phone_text(c.number), frame.locale, typeset.TextStyle(size, "bold", 1.05), cell
            ),
        )
        for c in contacts
    ]


def _draw_contacts(
    frame: Frame,
    cells: list[tuple[typeset.Block | None, typeset.Block]],
    x: float,
    top: float,
    width: float,
    who_h: float,
) -> None:
    """The numbers side by side on one baseline, each under its agency's name."""
    cell = _cell_width(frame, width)
    for index, (who, number) in enumerate(cells):
        cx = _cell_x(frame, x, width, index * (cell + 6 * MM), cell)
        if who is not None:
            _draw(frame, who, cx, top - who_h + who.height, cell, "start", frame.palette.ink)
        typeset.draw_block(frame.canvas, number, cx, top - who_h, cell, "start", frame.palette.ink)
