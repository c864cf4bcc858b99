"""Base direction from the locale, isolates, levels with bracket pairs, rule L2."""

from __future__ import annotations

import pytest

from campaign.typeset import TextStyle, direction, isolate, layout
from campaign.typeset.bidi import paragraph_levels, visual_order

STYLE = TextStyle(20)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("ar", "rtl"),
        ("ar-EG", "rtl"),
        ("he", "rtl"),
        ("ur_PK", "rtl"),
        ("fa", "rtl"),
        ("en", "ltr"),
        ("es-MX", "ltr"),
        ("zh-Hans", "ltr"),
        ("hi", "ltr"),
        ("th", "ltr"),
    ],
)
def test_direction_comes_from_the_locale(locale: str, expected: str) -> None:
    assert direction(locale) == expected


def test_isolate_wraps_in_fsi_pdi() -> None:
    assert isolate("Ana") == "\u2068Ana\u2069"


def test_a_latin_name_first_still_reads_right_to_left() -> None:
    # Auto-detection would make this paragraph LTR and put the name on the left.
    line = layout(f"{isolate('Ana Ejemplo')} مفقودة منذ شهر", "ar", STYLE, 900).lines[0]
    assert line.runs[-1].text == "Ana Ejemplo"  # the reading start of RTL is the right edge
    assert line.runs[0].rtl


def test_brackets_pair_around_a_number() -> None:
    text = "(9 سنوات)"
    levels = paragraph_levels(text, rtl=True)
    assert levels[0] == levels[-1] == 1  # both brackets take the direction of their content
    assert levels[1] == 2  # the digit is a left-to-right number


def test_isolated_value_keeps_its_own_order() -> None:
    text = f"الهاتف: {isolate('+52 55 1234 5678')}"
    line = layout(text, "ar", STYLE, 900).lines[0]
    assert "+52 55 1234 5678" in "".join(run.text for run in line.runs if not run.rtl)
    assert line.runs[0].text.startswith("+52")  # the number as a whole sits at the left end


def test_bidi_controls_are_not_drawn() -> None:
    line = layout(f"\u200f{isolate('Ana')}\u200e", "ar", STYLE, 900).lines[0]
    assert line.text == "Ana"


@pytest.mark.parametrize(
    ("levels", "order"),
    [
        ([0, 0, 0], [0, 1, 2]),
        ([1, 1, 1], [2, 1, 0]),
        ([1, 2, 2, 1], [3, 1, 2, 0]),
        ([0, 1, 1, 2, 0], [0, 3, 2, 1, 4]),
    ],
)
def test_rule_l2(levels: list[int], order: list[int]) -> None:
    assert visual_order(levels) == order
