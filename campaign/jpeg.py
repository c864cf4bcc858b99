"""JPEG marker walking and the whitelist rewriter that cleans a JPEG without decoding it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

SOI, EOI, SOS, APP0, APP14, COM = 0xD8, 0xD9, 0xDA, 0xE0, 0xEE, 0xFE
DHT, DQT, DRI = 0xC4, 0xDB, 0xDD
SOF_KEPT = frozenset({0xC0, 0xC1, 0xC2})  # baseline, extended sequential, progressive (Huffman)
KEPT = SOF_KEPT | {DHT, DQT, DRI, SOS}
DROPPED = frozenset(range(APP0, APP0 + 16)) | {COM}  # APP0-APP15 (JFIF is re-made), comments
_STANDALONE = frozenset({0x01, SOI, *range(0xD0, 0xD8)})  # TEM, SOI, RSTn: never between segments

# Inside entropy-coded data 0xFF is followed by 0x00 (stuffing), 0xD0-0xD7 (RSTn) or 0xFF
# (fill); any other byte after 0xFF is the marker that ends the scan.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_RGB_IDS = (82, 71, 66)  # component ids "R", "G", "B": libjpeg reads such files as RGB


class JpegError(ValueError):
    """The bytes are not a complete JPEG that the whitelist rewriter can keep byte-identical."""


@dataclass(frozen=True)
class Segment:
    """One marker segment; for SOS, ``end`` is past its entropy-coded data."""

    marker: int
    start: int
    end: int
    body: bytes  # the bytes after the length field


@dataclass(frozen=True)
class Frame:
    """What the SOF segment says about the picture."""

    marker: int
    precision: int
    width: int
    height: int
    component_ids: tuple[int, ...]


def segments(data: bytes) -> Iterator[Segment]:
    """The segments from SOI to the first EOI; raises JpegError on anything malformed."""
    if not data.startswith(b"\xff\xd8"):
        raise JpegError("no SOI marker")
    pos = 2
    while True:
        marker, start, pos = _next_marker(data, pos)
        if marker == EOI:
            yield Segment(EOI, start, pos, b"")
            return
        if marker in _STANDALONE:
            raise JpegError(f"unexpected standalone marker 0x{marker:02X}")
        if pos + 2 > len(data):
            raise JpegError("truncated segment length")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > len(data):
            raise JpegError(f"segment 0x{marker:02X} runs past the end of the file")
        end = _scan_end(data, pos + length) if marker == SOS else pos + length
        yield Segment(marker, start, end, data[pos + 2 : pos + length])
        pos = end


def _next_marker(data: bytes, pos: int) -> tuple[int, int, int]:
    """(marker, offset of its 0xFF, offset after the marker code), skipping fill bytes."""
    if pos >= len(data) or data[pos] != 0xFF:
        raise JpegError("no marker where one was expected (truncated or garbled)")
    while pos + 1 < len(data) and data[pos + 1] == 0xFF:
        pos += 1
    if pos + 1 >= len(data) or data[pos + 1] == 0x00:
        raise JpegError("truncated or garbled marker")
    return data[pos + 1], pos, pos + 2


def _scan_end(data: bytes, pos: int) -> int:
    """Offset just past a scan's entropy-coded data (trailing fill bytes left out)."""
    found = _SCAN_END.search(data, pos)
    if found is None:
        raise JpegError("scan data has no end marker (truncated)")
    end = found.start()
    while end > pos and data[end - 1] == 0xFF:
        end -= 1
    return end


def parse_frame(body: bytes, marker: int) -> Frame:
    """The SOF body decoded; raises JpegError when it is inconsistent."""
    if len(body) < 6 or len(body) != 6 + 3 * body[5]:
        raise JpegError("malformed SOF segment")
    ids = tuple(body[6 + 3 * i] for i in range(body[5]))
    height, width = int.from_bytes(body[1:3], "big"), int.from_bytes(body[3:5], "big")
    return Frame(marker, body[0], width, height, ids)


def frame(data: bytes) -> Frame:
    """The frame of a complete JPEG (walks to EOI); raises JpegError."""
    found = [parse_frame(s.body, s.marker) for s in segments(data) if _is_sof(s.marker)]
    if len(found) != 1:
        raise JpegError("not exactly one frame")
    return found[0]


def rewrite(data: bytes) -> bytes:
    """The JPEG rebuilt from whitelisted segments only; raises JpegError when that is unsafe."""
    kept: list[bytes] = []
    jfif: bytes | None = None
    adobe: int | None = None
    found: Frame | None = None
    for seg in segments(data):
        if seg.marker == EOI:
            break
        if seg.marker in DROPPED:
            jfif = jfif or (seg.body if _is_jfif(seg) else None)
            adobe = _adobe_transform(seg) if adobe is None else adobe
            continue
        if seg.marker not in KEPT:
            raise JpegError(f"marker 0x{seg.marker:02X} is not on the whitelist")
        found = _check_order(seg, found)
        _check_body(seg)
        kept.append(data[seg.start : seg.end])
    if found is None or not any(k[1] == SOS for k in kept):
        raise JpegError("no frame or no scan")
    _check_colour(found, jfif is not None, adobe)
    return b"\xff\xd8" + jfif_segment(jfif) + b"".join(kept) + b"\xff\xd9"


def _check_order(seg: Segment, found: Frame | None) -> Frame | None:
    """The frame after this segment; one SOF, before any scan, 8-bit, 1 or 3 components."""
    if seg.marker == SOS and found is None:
        raise JpegError("scan before frame")
    if seg.marker not in SOF_KEPT:
        return found
    if found is not None:
        raise JpegError("more than one frame")
    new = parse_frame(seg.body, seg.marker)
    if new.precision != 8 or len(new.component_ids) not in (1, 3) or not new.width * new.height:
        raise JpegError("frame is not 8-bit greyscale or three-component colour")
    return new


def _check_body(seg: Segment) -> None:
    """Raise unless a kept segment holds exactly its tables (no bytes hidden after them)."""
    body = seg.body
    if seg.marker == DQT:
        _check_tables(body, lambda at: 1 + (128 if body[at] >> 4 else 64))
    elif seg.marker == DHT:
        _check_tables(body, lambda at: 17 + sum(body[at + 1 : at + 17]))
    elif seg.marker == DRI and len(body) != 2:
        raise JpegError("malformed DRI segment")
    elif seg.marker == SOS and (not body or len(body) != 4 + 2 * body[0]):
        raise JpegError("malformed SOS header")


def _check_tables(body: bytes, size_at: Callable[[int], int]) -> None:
    """Raise unless ``body`` is a whole number of tables, ``size_at(offset)`` bytes each."""
    at = 0
    while at < len(body):
        at += size_at(at)
    if not body or at != len(body):
        raise JpegError("table segment has the wrong length")


def _check_colour(found: Frame, jfif: bool, adobe: int | None) -> None:
    """Raise unless a decoder reads the colours the same way once JFIF is the only hint left."""
    ids = found.component_ids
    if len(ids) == 3 and _reads_as_rgb(jfif, adobe, ids):
        raise JpegError("three components stored as RGB, not YCbCr")


def _reads_as_rgb(jfif: bool, adobe: int | None, ids: tuple[int, ...]) -> bool:
    """libjpeg's guess for three components (jdapimin.c default_decompress_parms)."""
    if jfif:
        return False
    if adobe is not None:
        return adobe == 0
    return ids == _RGB_IDS


def _is_sof(marker: int) -> bool:
    return 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC)  # not DHT, JPG, DAC


def _is_jfif(seg: Segment) -> bool:
    return seg.marker == APP0 and len(seg.body) >= 14 and seg.body.startswith(b"JFIF\x00")


def _adobe_transform(seg: Segment) -> int | None:
    if seg.marker == APP14 and len(seg.body) >= 12 and seg.body.startswith(b"Adobe"):
        return seg.body[11]
    return None


def jfif_segment(original: bytes | None = None) -> bytes:
    """A 16-byte JFIF 1.01 APP0 without thumbnail, keeping the original's pixel density if any."""
    units, density = b"\x00", b"\x00\x01\x00\x01"  # no unit, 1:1 aspect: what Pillow writes
    if original is not None and original[7] <= 2 and 0 not in _densities(original):
        units, density = original[7:8], original[8:12]
    return b"\xff\xe0\x00\x10JFIF\x00\x01\x01" + units + density + b"\x00\x00"


def _densities(body: bytes) -> tuple[int, int]:
    return int.from_bytes(body[8:10], "big"), int.from_bytes(body[10:12], "big")
