"""Shaping one run with HarfBuzz into glyphs a ReportLab canvas can draw (see ``pdftext``).

ReportLab 5.1 draws *shaped strings*: a ``ShapedStr`` is a ``str`` with one character per
glyph plus a list of ``ShapeData`` (cluster, advances, offsets, nominal width, all in
thousandths of an em). Its text object writes them as a ``TJ`` array with per-glyph
corrections and ``Ts`` rises. Each glyph is named by a character that the font's cmap maps to
it; glyphs without one (ligatures, conjuncts, Arabic positional forms) get a private-use
character added to the font's maps (derived from the glyph id, so output does not depend on
what was drawn before), so ReportLab's subsetter embeds them like any other glyph.
Copy/search of such glyphs is restored with ``/ActualText`` on left-to-right runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import uharfbuzz as hb  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import ShapeData, ShapedStr, TTFont

from campaign.typeset.fonts import FontFace, ttfont
from campaign.typeset.pdftext import Template, tj_template

_PRIVATE_FIRST, _PRIVATE_LAST = 0xE000, 0xF8FF


@dataclass(frozen=True)
class Shaped:
    """The glyphs of one run in visual order; advances in thousandths of an em."""

    glyph_ids: tuple[int, ...]
    clusters: tuple[int, ...]  # index of each glyph's first character in the run's text
    advances: tuple[float, ...]
    pdf_text: str  # a ReportLab ShapedStr: one character per glyph, positions attached
    exact: bool  # the glyphs' characters spell the source text (copy/search works as is)
    tj: Template | None  # the run's TJ array without the subset codes (None: glyphs rise)

    @property
    def advance(self) -> float:
        return sum(self.advances)


_hb_fonts: dict[tuple[Path, int], hb.Font] = {}


def hb_font(face: FontFace) -> hb.Font:
    """The HarfBuzz font for a file, loaded once per process."""
    key = (face.path, face.index)
    font = _hb_fonts.get(key)
    if font is None:
        blob = hb.Blob.from_file_path(str(face.path))
        font = _hb_fonts[key] = hb.Font(hb.Face(blob, face.index))
    return font


@lru_cache(maxsize=8192)
def shape(face: FontFace, text: str, rtl: bool, script: str | None, lang: str | None) -> Shaped:
    """Shape ``text`` in one font and direction (cached; the result does not depend on size)."""
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.direction = "rtl" if rtl else "ltr"
    if script:
        buffer.script = script
    if lang:
        buffer.language = lang
    buffer.guess_segment_properties()
    hb.shape(hb_font(face), buffer, {})
    return _to_shaped(ttfont(face), text, buffer.glyph_infos, buffer.glyph_positions)


def _to_shaped(
    font: TTFont, text: str, infos: list[hb.GlyphInfo], positions: list[hb.GlyphPosition]
) -> Shaped:
    scale = _pdf_units(font)
    chars: list[str] = []
    data: list[ShapeData] = []
    for info, pos in zip(infos, positions, strict=True):
        char = _char_for_glyph(font, info.codepoint)
        chars.append(char)
        width = font.face.charWidths.get(ord(char), font.face.defaultWidth)
        data.append(
            ShapeData(
                info.cluster,
                scale(pos.x_advance),
                scale(pos.y_advance),
                scale(pos.x_offset),
                scale(pos.y_offset),
                width,
            )
        )
    spelled = "".join(chars)
    return Shaped(
        glyph_ids=tuple(info.codepoint for info in infos),
        clusters=tuple(info.cluster for info in infos),
        advances=tuple(d.x_advance for d in data),
        pdf_text=ShapedStr(spelled, shapeData=data),  # type: ignore[arg-type]
        exact=spelled == text,
        tj=tj_template(data),
    )


def _pdf_units(font: TTFont) -> Callable[[float], float]:
    """Font units → thousandths of an em (ReportLab's unit for widths and shape data)."""
    return cast(Callable[[float], float], font.pdfScale)


_private: dict[int, dict[int, int]] = {}  # id(TTFont) → glyph id → private-use code


def _char_for_glyph(font: TTFont, gid: int) -> str:
    """A character that names glyph ``gid`` in ``font`` (a private-use one when none does)."""
    own = _private.get(id(font), {}).get(gid)
    if own is not None:
        return chr(own)
    face: Any = font.face
    mapped = face.glyphToChar.get(gid)
    if mapped and mapped[0] <= 0xFFFF:  # ReportLab's ToUnicode map holds 4 hex digits
        return chr(mapped[0])
    return chr(_add_private(font, gid))


def _add_private(font: TTFont, gid: int) -> int:
    """Name glyph ``gid`` by a private-use character derived from the glyph id alone.

    Deriving the code from the id (not from the order glyphs were first met) keeps a PDF's
    bytes independent of what the process drew before; only fonts with more than 6400 glyphs
    can meet a clash, which moves on to the next free code.
    """
    face: Any = font.face
    span = _PRIVATE_LAST - _PRIVATE_FIRST + 1
    code = _PRIVATE_FIRST + gid % span
    for _ in range(span):
        if code not in face.charToGlyph:
            break
        code = _PRIVATE_FIRST + (code - _PRIVATE_FIRST + 1) % span
    else:
        raise ValueError(f"{font.fontName}: no private-use character left for glyph {gid}")
    face.charToGlyph[code] = gid
    face.glyphToChar.setdefault(gid, []).append(code)
    face.charWidths[code] = _pdf_units(font)(face.hmetrics[gid][0])
    _private.setdefault(id(font), {})[gid] = code
    return code
