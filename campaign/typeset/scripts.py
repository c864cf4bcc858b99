"""Locales and Unicode scripts: which script a locale writes in, which script a character has."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from fontTools import unicodedata as ft_unicodedata  # type: ignore[import-untyped]

COMMON = "Zyyy"
INHERITED = "Zinh"
UNKNOWN = "Zzzz"

# Scripts whose shaped glyphs do not map one-to-one back to characters even when LTR.
COMPLEX_LTR = frozenset(
    {
        "Deva",
        "Beng",
        "Guru",
        "Gujr",
        "Orya",
        "Taml",
        "Telu",
        "Knda",
        "Mlym",
        "Sinh",
        "Thai",
        "Laoo",
        "Khmr",
        "Mymr",
        "Tibt",
    }
)
CJK_SCRIPTS = frozenset({"Hani", "Hira", "Kana", "Bopo"})

_LANGUAGE_SCRIPTS = {
    "ar": "Arab",
    "fa": "Arab",
    "ur": "Arab",
    "ps": "Arab",
    "ckb": "Arab",
    "sd": "Arab",
    "he": "Hebr",
    "yi": "Hebr",
    "hi": "Deva",
    "mr": "Deva",
    "ne": "Deva",
    "ta": "Taml",
    "th": "Thai",
    "zh": "Hani",
    "ja": "Hani",
    "ko": "Hang",
    "ru": "Cyrl",
    "uk": "Cyrl",
    "bg": "Cyrl",
    "be": "Cyrl",
    "mk": "Cyrl",
    "sr": "Cyrl",
    "kk": "Cyrl",
    "ky": "Cyrl",
    "el": "Grek",
}
_SCRIPT_ALIASES = {"Hans": "Hani", "Hant": "Hani", "Jpan": "Hani", "Kore": "Hang"}
_BREAKING_SPACES = frozenset(
    " \t\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f\u3000"
)


def language(locale: str) -> str:
    """The language subtag of a BCP 47 tag or POSIX locale: ``"pt-BR"`` → ``"pt"``."""
    return locale.replace("_", "-").split("-", 1)[0].lower()


def locale_script(locale: str) -> str:
    """The ISO 15924 script a locale is written in (an explicit script subtag wins)."""
    for part in locale.replace("_", "-").split("-")[1:]:
        if len(part) == 4 and part.isalpha():
            return _SCRIPT_ALIASES.get(part.title(), part.title())
    return _LANGUAGE_SCRIPTS.get(language(locale), "Latn")


@lru_cache(maxsize=8192)
def char_script(char: str) -> str:
    """The ISO 15924 script code of one character (``Zyyy`` common, ``Zinh`` inherited)."""
    return str(ft_unicodedata.script(char))


def is_mark(char: str) -> bool:
    """True for combining marks and the joiners/selectors that belong to the previous letter."""
    if char in "\u200c\u200d\u034f" or "\ufe00" <= char <= "\ufe0f":
        return True
    return unicodedata.category(char).startswith("M")


def is_space(char: str) -> bool:
    """True for the spaces a line may break after (never for no-break spaces)."""
    return char in _BREAKING_SPACES


def is_virama(char: str) -> bool:
    """True for Indic viramas, which glue the next consonant into a conjunct."""
    return unicodedata.combining(char) == 9
