"""Font per character, and runs: maximal spans of one bidi level in one font.

A letter gets the first font of its script's chain that has it; a mark stays with its base;
digits, punctuation and spaces stay in the previous character's font when that font has them
(Noto Sans Arabic has no "/", so a date's slash falls back to Noto Sans). Bidi controls get no
font: they steer the levels and are never drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from campaign.typeset.bidi import CONTROLS
from campaign.typeset.fonts import FontFace, Weight, covers, fallback_chain, font_dirs
from campaign.typeset.scripts import (
    COMMON,
    INHERITED,
    char_script,
    is_mark,
    language,
    locale_script,
)

_NEUTRAL = frozenset({COMMON, INHERITED})


@dataclass(frozen=True)
class Span:
    """A logical run: its text (controls removed), where each character came from, level, font."""

    text: str
    indices: tuple[int, ...]  # index in the paragraph of each character of ``text``
    level: int
    face: FontFace


def assign_faces(text: str, locale: str, weight: Weight) -> tuple[list[FontFace | None], set[str]]:
    """The font of every character (None for bidi controls) and the characters no font has."""
    faces: list[FontFace | None] = [None] * len(text)
    uncovered: set[str] = set()
    previous: FontFace | None = None
    dirs = font_dirs()
    for i, char in enumerate(text):
        if char in CONTROLS:
            continue
        if previous is not None and (is_mark(char) or _stays(previous, char)):
            faces[i] = previous
            continue
        script = char_script(char)
        if script in _NEUTRAL:
            script = _next_script(text, i) or locale_script(locale)
        face = _first_covering(char, script, locale, weight, dirs)
        if face is None:
            uncovered.add(char)
            face = previous or _chain(locale_script(locale), locale, weight, dirs)[0]
        faces[i] = previous = face
    return faces, uncovered


def _stays(previous: FontFace, char: str) -> bool:
    """Digits, punctuation and spaces stay in the previous font when it has them."""
    return char_script(char) in _NEUTRAL and covers(previous, char)


@lru_cache(maxsize=16384)
def _first_covering(
    char: str, script: str, locale: str, weight: Weight, dirs: tuple[Path, ...]
) -> FontFace | None:
    for face in _chain(script, locale, weight, dirs):
        if covers(face, char):
            return face
    return None


def _next_script(text: str, i: int) -> str | None:
    """The script of the next letter after position ``i`` (for leading digits and punctuation)."""
    for char in text[i + 1 :]:
        script = char_script(char)
        if script not in _NEUTRAL:
            return script
    return None


@lru_cache(maxsize=256)
def _chain(
    script: str, locale: str, weight: Weight, dirs: tuple[Path, ...]
) -> tuple[FontFace, ...]:
    del dirs  # part of the cache key: a changed search path resolves again
    return tuple(fallback_chain(script, locale, weight))


def spans(
    text: str, levels: Sequence[int], faces: Sequence[FontFace | None], start: int, end: int
) -> list[Span]:
    """The logical runs of ``text[start:end]``: maximal spans of equal (level, font)."""
    result: list[Span] = []
    chars: list[str] = []
    indices: list[int] = []
    key: tuple[int, FontFace] | None = None
    for i in range(start, end):
        face = faces[i]
        if face is None:
            continue
        if key is not None and key != (levels[i], face):
            result.append(Span("".join(chars), tuple(indices), *key))
            chars, indices = [], []
        key = (levels[i], face)
        chars.append(text[i])
        indices.append(i)
    if key is not None:
        result.append(Span("".join(chars), tuple(indices), *key))
    return result


def span_script(text: str) -> str | None:
    """The script HarfBuzz should shape ``text`` in: that of its first letter."""
    for char in text:
        script = char_script(char)
        if script not in _NEUTRAL:
            return script
    return None


def span_language(script: str | None, locale: str) -> str | None:
    """The locale's language, for runs in the locale's own script (e.g. Urdu digit forms)."""
    return language(locale) if script is not None and script == locale_script(locale) else None
