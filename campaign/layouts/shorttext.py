"""Short texts with hard limits: fitting fields into N characters, SMS segments, post lengths.

Pure functions, used by every text format of ``alerts.py`` (WEA, SMS, social posts).

**Fitting** (:func:`fit`): the lead (a headline) comes first, then the fields in their order,
one per line. When the whole does not fit, fields are dropped from the end of the list — never
from the middle, and never cut — so with the order name, age, place, phone, link the link goes
first, then the phone, the place, the age and last the name. Only the lead is ever shortened,
and then by whole words, when it alone is over the limit. Lines are separated by a line feed:
it needs no punctuation of any language, reads the same left-to-right and right-to-left, counts
as one character in GSM-7 and in WEA, and renders as a space where line breaks are not shown.

**SMS** (:func:`sms_count`): GSM 03.38 7-bit when every character is in the basic or extension
table (extension characters take two septets), else UCS-2 (UTF-16 code units). One segment
holds 160 septets or 70 units; a concatenated message 153 or 67 per segment, and a two-unit
character (an escape sequence, a surrogate pair) is never split across segments.

**Posts** (:func:`post_length`): counted as X (Twitter) counts: NFC code points, each weighing
1 in the ranges twitter-text gives weight 100 (Latin, Greek, Cyrillic, Arabic, Hebrew, Indic,
Thai …, general punctuation) and 2 elsewhere (CJK, emoji …), and every URL as 23.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SEPARATOR = "\n"

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
SMS_MAX_SEGMENTS = 2

POST_LIMIT = 280
POST_URL_LENGTH = 23
# twitter-text v3: code point ranges weighing 1; everything else weighs 2.
_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_URL = re.compile(r"https?://\S+")

Measure = Callable[[str], int]


def fit(lead: str, fields: Sequence[str | None], limit: int, measure: Measure = len) -> str:
    """``lead`` and as many of ``fields`` (in order, ``None``/empty skipped) as fit in
    ``limit`` by ``measure``; fields are dropped from the end, never cut. A lead over the limit
    is shortened by whole words; ``ValueError`` when not even its first word fits."""
    present = [field for field in fields if field]
    for keep in range(len(present), -1, -1):
        text = SEPARATOR.join([lead, *present[:keep]])
        if measure(text) <= limit:
            return text
    return _shorten(lead, limit, measure)


def _shorten(lead: str, limit: int, measure: Measure) -> str:
    words = lead.split()
    while words and measure(" ".join(words)) > limit:
        words.pop()
    if not words:
        raise ValueError(f"not even the first word of {lead!r} fits in {limit}")
    return " ".join(words)


@dataclass(frozen=True)
class SmsCount:
    """How an SMS text is sent: its encoding, its length in septets/units, its segments."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int


def sms_count(text: str) -> SmsCount:
    """The encoding and segment count of ``text`` as one (possibly concatenated) SMS."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        sizes = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return SmsCount("GSM-7", sum(sizes), _segments(sizes, GSM7_SINGLE, GSM7_MULTI))
    sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return SmsCount("UCS-2", sum(sizes), _segments(sizes, UCS2_SINGLE, UCS2_MULTI))


def _segments(sizes: Sequence[int], single: int, multi: int) -> int:
    if sum(sizes) <= single:
        return 1
    count, used = 1, 0
    for size in sizes:
        if used + size > multi:
            count, used = count + 1, 0
        used += size
    return count


def sms_segments(text: str) -> int:
    """The number of SMS segments ``text`` takes (a :data:`Measure` for :func:`fit`)."""
    return sms_count(text).segments


def post_length(text: str) -> int:
    """The length of a social post as X counts it (URLs 23, CJK and emoji 2)."""
    total, start = 0, 0
    for match in _URL.finditer(text):
        total += _weighted(text[start : match.start()]) + POST_URL_LENGTH
        start = match.end()
    return total + _weighted(text[start:])


def _weighted(text: str) -> int:
    return sum(_weight(char) for char in unicodedata.normalize("NFC", text))


def _weight(char: str) -> int:
    point = ord(char)
    return 1 if any(low <= point <= high for low, high in _LIGHT_RANGES) else 2
