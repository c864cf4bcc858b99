"""The neutrality check of withdrawal texts: no word meaning found, safe, located, alive or
deceased, in the notice's language or in English.

The word lists ship as ``campaign/i18n/banned/<tag>.txt`` (one word or phrase a line, ``#``
starts a comment). A tag uses the first list along its :func:`~campaign.i18n.fallback_chain`,
plus the English list always.

Text and words are compared after the same folding: NFKC, case folding, invisible format
characters dropped (a zero-width space is tried both as a space and as nothing), runs of white
space made one space, Arabic and Hebrew vowel marks and the tatweel dropped, Arabic-script
letter variants merged (أ/إ/آ → ا, ى/ی → ي, ک → ك, ہ/ة → ه), and the Hebrew geresh and
gershayim read as ' and ". Text holding I or İ is tried with the Turkish lowercase too.

A word written in a script without spaces between words (Chinese, Japanese, Thai, Lao, Khmer,
Myanmar) matches anywhere in the text; any other word only as a whole word: not preceded or
followed by a letter, mark, digit or underscore of a script that puts spaces between words."""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources

from campaign.i18n import fallback_chain

__all__ = ["NotNeutral", "banned_words", "check_neutral"]

_PACKAGE = "campaign.i18n"
_FOLDER = "banned"
_ENGLISH = "en"
_SPACE = re.compile(r"\s+")
_ZERO_WIDTH_SPACE = "\u200b"
# Marks that only add vowels or cantillation to Arabic and Hebrew letters (writers leave them
# out or put them in at will), and the Arabic tatweel (a stretching stroke).
_POINTING = re.compile(
    "[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"  # Hebrew points and accents
    "\u0610-\u061a\u0640\u064b-\u065f\u0670"  # Arabic harakat, tatweel, dagger alif
    "\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed]"  # Quranic annotation marks
)
_LETTERS = str.maketrans(
    {
        "\u0623": "\u0627",  # أ → ا
        "\u0625": "\u0627",  # إ → ا
        "\u0622": "\u0627",  # آ → ا
        "\u0671": "\u0627",  # ٱ → ا
        "\u0649": "\u064a",  # ى → ي
        "\u06cc": "\u064a",  # ی → ي
        "\u06a9": "\u0643",  # ک → ك
        "\u06c1": "\u0647",  # ہ → ه
        "\u0629": "\u0647",  # ة → ه
        "\u05f4": '"',  # Hebrew gershayim, as in ז״ל
        "\u05f3": "'",  # Hebrew geresh
    }
)
# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, Han.
_UNSPACED = (
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0x3040, 0x30FF),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
)


class NotNeutral(ValueError):
    """A withdrawal text holds a banned word; ``word`` is that word (folded), never the text."""

    def __init__(self, word: str, tag: str) -> None:
        super().__init__(f"not neutral for {tag}: the text holds the banned word {word!r}")
        self.word = word
        self.tag = tag


def _fold(text: str) -> str:
    """The comparison form of a text or a word (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).replace(_ZERO_WIDTH_SPACE, " ")
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = text.casefold().replace("i\u0307", "i")  # casefold("İ") is i + combining dot
    text = _POINTING.sub("", text).translate(_LETTERS)
    return _SPACE.sub(" ", text).strip()


def _unspaced(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _UNSPACED)


def _joins(char: str) -> bool:
    """Whether ``char`` next to a word makes it part of a longer word."""
    if _unspaced(char):
        return False
    return char == "_" or unicodedata.category(char)[0] in "LMN"


@functools.cache
def _shipped_lists() -> dict[str, str]:
    """Lower-cased tag → the tag as its list file spells it."""
    folder = resources.files(_PACKAGE) / _FOLDER
    names = (entry.name for entry in folder.iterdir() if entry.name.endswith(".txt"))
    return {name.removesuffix(".txt").lower(): name.removesuffix(".txt") for name in names}


def shipped_lists() -> tuple[str, ...]:
    """The tags that have a banned-word list, sorted."""
    return tuple(sorted(_shipped_lists().values()))


@functools.cache
def _read_list(tag: str) -> frozenset[str]:
    text = (resources.files(_PACKAGE) / _FOLDER / f"{tag}.txt").read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    return frozenset(_fold(line) for line in lines if line and not line.startswith("#"))


@functools.lru_cache(maxsize=256)
def banned_words(tag: str) -> frozenset[str]:
    """The banned words for ``tag`` in their folded form: the first shipped list along
    ``fallback_chain(tag)`` together with the English list."""
    shipped = _shipped_lists()
    chosen = next((shipped[t.lower()] for t in fallback_chain(tag) if t.lower() in shipped), None)
    words = _read_list(_ENGLISH)
    return words | _read_list(chosen) if chosen else words


@functools.lru_cache(maxsize=256)
def _ordered(tag: str) -> tuple[str, ...]:
    """The words longest first (then alphabetically), so the error names the fullest match."""
    return tuple(sorted(banned_words(tag), key=lambda word: (-len(word), word)))


def _contains(text: str, word: str) -> bool:
    if any(_unspaced(c) for c in word):
        return word in text
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not _joins(before) and not _joins(after):
            return True
        start = text.find(word, start + 1)
    return False


def check_neutral(text: str, tag: str) -> None:
    """Raise :class:`NotNeutral` (a ``ValueError``) naming the first banned word of ``tag``'s
    lists that ``text`` holds; return None when it holds none."""
    variants = {text}
    if _ZERO_WIDTH_SPACE in text:  # a word break, or something hiding inside a word
        variants.add(text.replace(_ZERO_WIDTH_SPACE, ""))
    if "I" in text or "\u0130" in text:  # Turkish and Azeri: I ↔ ı, İ ↔ i
        variants |= {v.replace("I", "ı").replace("\u0130", "i") for v in variants}
    folded = [_fold(variant) for variant in sorted(variants)]
    for word in _ordered(tag):
        if any(_contains(variant, word) for variant in folded):
            raise NotNeutral(word, tag)
