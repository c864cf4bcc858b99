"""Shaping and glyph order, checked against independent renderers (Pillow/RAQM, fpdf2)."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import pytest

from campaign.typeset import TextStyle, layout
from tests.typeset.conftest import DATE, ORACLE_LINES, Rendered
from tests.typeset.raster import column_profile, correlation, islands, need_tool

STYLE = TextStyle(24)


def assert_same_line(rendered: Rendered) -> None:
    """Same ink box (±2 % or 3 px) and the same left-to-right distribution of ink."""
    mine, oracle = rendered.mine, rendered.oracle
    assert abs(mine.width - oracle.width) <= max(3, 0.02 * oracle.width), (mine.size, oracle.size)
    assert abs(mine.height - oracle.height) <= 3, (mine.size, oracle.size)
    ours, theirs = column_profile(mine), column_profile(oracle)
    same = correlation(ours, theirs)
    mirrored = correlation(ours[::-1], theirs)
    assert same >= 0.9, f"ink profile correlation {same:.3f}"
    assert same - mirrored >= 0.5, f"order barely matters? {same:.3f} vs mirrored {mirrored:.3f}"


@pytest.mark.parametrize("locale", list(ORACLE_LINES))
def test_line_matches_raqm(oracle_lines: dict[str, Rendered], locale: str) -> None:
    assert_same_line(oracle_lines[locale])


def test_arabic_line_with_latin_name_matches_fpdf2(arabic_with_name: tuple[Path, Rendered]) -> None:
    assert_same_line(arabic_with_name[1])


def test_latin_name_sits_left_of_date_and_arabic_words(
    arabic_with_name: tuple[Path, Rendered],
) -> None:
    need_tool("pdftotext")
    pdf, _ = arabic_with_name
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = [
        (float(line.split('xMin="')[1].split('"')[0]), line.rsplit(">", 2)[-2].split("<")[0])
        for line in out.splitlines()
        if line.strip().startswith("<word")
    ]
    x = {}
    for x_min, text in words:  # poppler may give right-to-left words in visual order
        for form in (text, text[::-1]):
            x[unicodedata.normalize("NFKC", form).strip(":")] = x_min
    assert x["Ana"] < x["Ejemplo"] < x[DATE] < x["منذ"] < x["مفقود"]


def test_devanagari_conjuncts_become_single_glyphs() -> None:
    for conjunct in ("क्ष", "श्र", "स्त"):
        glyphs = layout(conjunct, "hi", STYLE, 500).lines[0].glyph_ids
        assert len(glyphs) < len(conjunct), conjunct


def test_arabic_letters_take_joining_forms() -> None:
    joined = layout("مفقود", "ar", STYLE, 500).lines[0].glyph_ids[::-1]  # back to logical
    alone = [layout(letter, "ar", STYLE, 500).lines[0].glyph_ids[0] for letter in "مفقود"]
    assert len(joined) == len(alone)
    assert sum(a != b for a, b in zip(joined, alone, strict=True)) >= 3
    assert len(layout("لا", "ar", STYLE, 500).lines[0].glyph_ids) == 1  # lam-alef ligature


def test_joined_arabic_is_fewer_wider_blobs(arabic_joining: tuple[object, object]) -> None:
    joined, alone = (islands(image) for image in arabic_joining)  # type: ignore[arg-type]
    assert len(alone) == 5
    assert len(joined) < len(alone)
    assert max(joined) > max(alone)


def test_urdu_uses_nastaliq_and_arabic_uses_naskh() -> None:
    text = "تلاش"
    assert layout(text, "ur", STYLE, 500).lines[0].runs[0].face.family == "Noto Nastaliq Urdu"
    assert layout(text, "ar", STYLE, 500).lines[0].runs[0].face.family == "Noto Sans Arabic"


def test_shaped_runs_carry_actual_text_only_when_needed() -> None:
    def actual(text: str, locale: str) -> list[str | None]:
        return [run.actual_text for run in layout(text, locale, STYLE, 900).lines[0].runs]

    assert actual("क्षमा", "hi") == ["क्षमा"]
    assert actual("Ana Ejemplo", "es") == [None]
    assert actual("oficina", "es") == ["oficina"]  # the "fi" ligature has no character
    assert actual("مفقود", "ar") == [None]  # never on right-to-left runs
