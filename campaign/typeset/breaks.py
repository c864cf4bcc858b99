"""Where a line may break: after spaces and hyphens, between CJK characters and Thai words.

CJK breaks per character except before closing punctuation and small kana and after opening
brackets. Thai has no spaces between words: PyThaiNLP's dictionary tokenizer (``newmm``) finds
them; without it Thai breaks between grapheme clusters. A word longer than the line breaks
between grapheme clusters (a base with its marks, a conjunct through its virama).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from campaign.typeset.bidi import CONTROLS
from campaign.typeset.scripts import CJK_SCRIPTS, char_script, is_mark, is_space, is_virama

NO_BREAK_BEFORE = frozenset(
    "。．，、：；！？）〕］｝〉》」』】〙〗〟’”ゝゞー々〻・…‥〜％"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
    ")]},.:;!?%"
)
NO_BREAK_AFTER = frozenset("（〔［｛〈《「『【〘〖〝‘“([{")
HYPHENS = frozenset("-\u2010")
_THAI = re.compile("[\u0e00-\u0e7f]+")
_CLUSTER_CONTINUES = frozenset("\u0e33\u0eb3")  # Thai and Lao SARA AM: spacing but extending


def break_positions(text: str) -> tuple[int, ...]:
    """The indices where a new line may start (0 < index < len(text)), ascending."""
    found = {
        i for i in range(1, len(text)) if _may_break(text[i - 1], text[i]) or _after_hyphen(text, i)
    }
    found |= _thai_breaks(text)
    return tuple(sorted(found))


def _may_break(before: str, after: str) -> bool:
    if is_space(after) or is_mark(after):
        return False
    if is_space(before):
        return True
    if not (_is_cjk(before) or _is_cjk(after)):
        return False
    return after not in NO_BREAK_BEFORE and before not in NO_BREAK_AFTER


def _after_hyphen(text: str, i: int) -> bool:
    """A hyphen between letters may end a line ("Fernández-|Villaverde")."""
    return i >= 2 and text[i - 1] in HYPHENS and text[i - 2].isalpha() and text[i].isalpha()


def _is_cjk(char: str) -> bool:
    if char in CONTROLS:
        return False
    return (
        "\u3000" <= char <= "\u303f"
        or "\uff00" <= char <= "\uffef"
        or char_script(char) in CJK_SCRIPTS
    )


def _thai_breaks(text: str) -> set[int]:
    found: set[int] = set()
    for match in _THAI.finditer(text):
        for offset in thai_word_ends(match.group())[:-1]:
            found.add(match.start() + offset)
    return found


def thai_word_ends(text: str) -> tuple[int, ...]:
    """The end offset of each Thai word in ``text`` (the last one is ``len(text)``)."""
    tokens = _thai_tokenizer()(text)
    if "".join(tokens) != text:
        return tuple(grapheme_starts(text, 0, len(text))[1:]) + (len(text),)
    ends: list[int] = []
    for token in tokens:
        ends.append((ends[-1] if ends else 0) + len(token))
    return tuple(ends)


@lru_cache(maxsize=1)
def _thai_tokenizer() -> Callable[[str], list[str]]:
    try:
        from pythainlp.tokenize import word_tokenize
    except ImportError:
        return _clusters_of
    return lambda text: list(word_tokenize(text, engine="newmm", keep_whitespace=True))


def _clusters_of(text: str) -> list[str]:
    starts = grapheme_starts(text, 0, len(text)) + [len(text)]
    return [text[a:b] for a, b in zip(starts, starts[1:], strict=False)]


def grapheme_starts(text: str, start: int, end: int) -> list[int]:
    """Where each grapheme cluster of ``text[start:end]`` starts (the first is ``start``)."""
    return [i for i in range(start, end) if i == start or _starts_cluster(text[i - 1], text[i])]


def _starts_cluster(before: str, char: str) -> bool:
    if is_mark(char) or char in _CLUSTER_CONTINUES or char in CONTROLS:
        return False
    return not (before == "\u200d" or (is_virama(before) and char.isalpha()))
