"""Bidirectional text: the base direction of a locale, isolates, embedding levels, rule L2.

Levels come from ``fpdf.bidi.BidiParagraph`` (UAX #9 with bracket pairs and isolates). The base
direction is always the template locale's, never guessed from the text: an Arabic line that
starts with a Latin name must still read right to left.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from campaign.typeset.scripts import language

Direction = Literal["ltr", "rtl"]

FSI = "\u2068"
PDI = "\u2069"
RTL_LANGUAGES = frozenset({"ar", "he", "ur", "fa", "ps", "yi", "ckb", "sd"})
# Formatting characters that steer the bidi algorithm and are never drawn.
CONTROLS = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def direction(locale: str) -> Direction:
    """The base direction of ``locale``'s text: ``"rtl"`` for ar, he, ur, fa (…), else ``"ltr"``."""
    return "rtl" if language(locale) in RTL_LANGUAGES else "ltr"


def isolate(value: str) -> str:
    """Wrap an inserted value (name, date, phone, case number) in FSI…PDI.

    The value then keeps its own direction and cannot reorder the label around it.
    """
    return f"{FSI}{value}{PDI}"


def paragraph_levels(text: str, rtl: bool) -> list[int]:
    """The resolved embedding level of every character of one paragraph (no newlines)."""
    # Imported here: importing fpdf.bidi loads all of fpdf (~0.3 s), which LTR-only runs skip.
    from fpdf.bidi import BidiParagraph
    from fpdf.enums import TextDirection

    base = 1 if rtl else 0
    if not text:
        return []
    paragraph = BidiParagraph(text, base_direction=TextDirection.RTL if rtl else TextDirection.LTR)
    levels = [-1] * len(text)
    for char in paragraph.get_characters():
        levels[char.character_index] = char.embedding_level
    # Characters removed by rule X9 (embeddings, joiners) take their neighbour's level.
    previous = base
    for i, level in enumerate(levels):
        if level < 0:
            levels[i] = previous
        previous = levels[i]
    return levels


def visual_order(levels: Sequence[int]) -> list[int]:
    """Rule L2: the indices of ``levels`` (runs or characters of one line) left to right."""
    order = list(range(len(levels)))
    odd = [level for level in levels if level % 2]
    if not odd:
        return order
    for level in range(max(levels), min(odd) - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] < level:
                i += 1
                continue
            j = i
            while j < len(order) and levels[order[j]] >= level:
                j += 1
            order[i:j] = order[i:j][::-1]
            i = j
    return order
