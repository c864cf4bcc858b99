"""Line breaking (Latin, CJK, Thai, long words), fitting to a box, one-line fits."""

from __future__ import annotations

import pytest

from campaign.typeset import Block, TextStyle, depth_below, fit, fit_one_line, layout, measure
from campaign.typeset.breaks import NO_BREAK_BEFORE, thai_word_ends
from campaign.typeset.scripts import is_mark, is_virama

MM = 72 / 25.4
LATIN = (
    "Last seen in Ciudad de México wearing a red jacket, blue jeans and white trainers. "
    "If you have seen her, call the free number at any hour."
)
CHINESE = "失踪儿童：王小明，九岁，于二〇二六年三月一日在北京走失。请拨打电话（免费）联系我们。"
THAI = "เด็กหายตัวไปตั้งแต่วันที่ 1 มีนาคม โปรดติดต่อเรา ช่วยกันตามหาเด็กที่หายไปในกรุงเทพมหานคร"
LONG_NAME = "María de los Ángeles Fernández-Villaverde de la Concepción Ruiz"


def line_starts(text: str, block: Block) -> list[int]:
    """Where each line of ``block`` starts in ``text``."""
    starts, position = [], 0
    for line in block.lines:
        position = text.index(line.text, position)
        starts.append(position)
        position += len(line.text)
    return starts


@pytest.mark.parametrize("width", [120, 180, 260, 400])
def test_latin_breaks_between_words(width: float) -> None:
    block = layout(LATIN, "en", TextStyle(14), width)
    assert " ".join(line.text for line in block.lines) == LATIN
    assert all(w <= width for w in block.widths)
    words = set(LATIN.split())
    assert all(set(line.text.split()) <= words for line in block.lines)


def test_latin_lines_are_filled_greedily() -> None:
    block = layout(LATIN, "en", TextStyle(14), 200)
    for line, following in zip(block.lines, block.lines[1:], strict=False):
        next_word = following.text.split()[0]
        assert measure(f"{line.text} {next_word}", "en", TextStyle(14)) > 200


@pytest.mark.parametrize("width", [90, 130, 170, 230])
def test_cjk_breaks_per_character_but_not_before_closing_punctuation(width: float) -> None:
    block = layout(CHINESE, "zh", TextStyle(14), width)
    assert "".join(line.text for line in block.lines) == CHINESE
    assert all(w <= width for w in block.widths)
    assert len(block.lines) > 1
    assert not any(line.text[0] in NO_BREAK_BEFORE for line in block.lines)
    assert not any(line.text[-1] in "（「" for line in block.lines)


@pytest.mark.parametrize("width", [100, 150, 220])
def test_thai_breaks_between_words(width: float) -> None:
    block = layout(THAI, "th", TextStyle(14), width)
    assert len(block.lines) > 1
    boundaries = set()
    for chunk_start, chunk in _thai_chunks(THAI):
        boundaries |= {chunk_start + end for end in thai_word_ends(chunk)}
        boundaries.add(chunk_start)
    assert all(start in boundaries for start in line_starts(THAI, block)[1:])
    assert all(w <= width for w in block.widths)


def _thai_chunks(text: str) -> list[tuple[int, str]]:
    chunks, start = [], 0
    for part in text.split(" "):
        chunks.append((start, part))
        start += len(part) + 1
    return chunks


def test_a_word_longer_than_the_line_breaks_between_clusters() -> None:
    word = "क्षमाश्रीवास्तवक्षमाश्रीवास्तवक्षमाश्रीवास्तव"
    block = layout(word, "hi", TextStyle(20), 60)
    assert len(block.lines) > 2 and "".join(line.text for line in block.lines) == word
    starts = line_starts(word, block)
    for start in starts[1:]:
        assert not is_mark(word[start]) and not is_virama(word[start - 1])
    assert all(w <= 60 for w in block.widths)


def test_newlines_start_new_lines() -> None:
    block = layout("Ana Ejemplo\n\n9 años", "es", TextStyle(12), 300)
    assert [line.text for line in block.lines] == ["Ana Ejemplo", "", "9 años"]
    assert block.height == pytest.approx(3 * 12 * 1.2)


def test_fit_shrinks_until_the_text_fits() -> None:
    result = fit(LATIN, "en", TextStyle(24), 200, 120, 8)
    assert not result.truncated and 8 <= result.size < 24
    assert result.block.height <= 120 and max(result.block.widths) <= 200
    bigger = layout(LATIN, "en", TextStyle(result.size + 0.5), 200)
    assert bigger.height > 120  # half a point more would not have fitted


def test_fit_keeps_the_size_when_it_fits() -> None:
    result = fit("Ana Ejemplo", "es", TextStyle(24), 300, 60, 8)
    assert result.size == 24 and not result.truncated and len(result.block.lines) == 1


def test_fit_truncates_with_an_ellipsis_at_the_minimum_size() -> None:
    result = fit(LATIN * 4, "en", TextStyle(24), 200, 80, 10)
    assert result.truncated and result.size == 10
    assert result.block.height <= 80 and max(result.block.widths) <= 200
    assert result.block.lines[-1].text.endswith("…")
    assert len(result.block.lines) == int(80 // (10 * 1.2))


def test_truncated_rtl_text_ends_on_the_left() -> None:
    result = fit("مفقود منذ شهر " * 40, "ar", TextStyle(20), 200, 50, 10)
    last = result.block.lines[-1]
    assert result.truncated and last.text.endswith("…")
    assert "…" in last.runs[0].text  # the leftmost run is where right-to-left text ends


def test_fit_one_line_never_truncates_a_long_name() -> None:
    width = 170 * MM
    result = fit_one_line(LONG_NAME, "es", TextStyle(48, "bold"), width, 48, 24)
    assert not result.truncated and 1 <= len(result.block.lines) <= 2
    assert (
        "".join(
            line.text if line.text.endswith("-") else line.text + " " for line in result.block.lines
        ).strip()
        == LONG_NAME
    )
    assert max(result.block.widths) <= width
    assert result.size >= 24 and not result.undersized


def test_fit_one_line_prefers_one_line() -> None:
    result = fit_one_line(LONG_NAME, "es", TextStyle(48, "bold"), 170 * MM, 48, 12)
    assert len(result.block.lines) == 1 and 12 <= result.size < 48
    assert result.block.widths[0] <= 170 * MM
    short = fit_one_line("Ana Ejemplo", "es", TextStyle(48, "bold"), 170 * MM, 48, 12)
    assert short.size == 48 and len(short.block.lines) == 1


def test_fit_one_line_splits_two_lines_where_the_wider_is_narrowest() -> None:
    name = "Ana María Sofía Ejemplo Ruiz"
    result = fit_one_line(name, "es", TextStyle(40), 200, 40, 30)
    assert len(result.block.lines) == 2
    words = name.split()
    unit = TextStyle(10)
    best = min(
        max(measure(" ".join(words[:i]), "es", unit), measure(" ".join(words[i:]), "es", unit))
        for i in range(1, len(words))
    )
    assert max(result.block.widths) * 10 / result.size == pytest.approx(best, rel=0.01)


def test_fit_one_line_reports_sizes_below_the_minimum() -> None:
    result = fit_one_line(LONG_NAME, "es", TextStyle(48), 100, 48, 24)
    assert result.undersized and not result.truncated and result.size < 24
    assert max(result.block.widths) <= 100


def test_uncovered_characters_are_reported() -> None:
    block = layout("Ana \U0001f600 \u0d9a", "es", TextStyle(12), 300)
    assert block.uncovered == {"\U0001f600", "\u0d9a"}


def test_depth_below_measures_glyphs_reaching_under_the_block() -> None:
    arabic = layout("ليلى سالم الحمادي", "ar", TextStyle(40, "bold", 1.1), 1000)
    assert depth_below(arabic) > 0.15 * 40  # the final yeh reaches deep below the baseline
    assert depth_below(layout("ANA LÓPEZ", "es", TextStyle(40, "bold", 1.1), 1000)) == 0
    tight = layout("gjpqy", "en", TextStyle(40, "regular", 0.8), 1000)
    assert depth_below(tight) > 0
    assert depth_below(layout("", "en", TextStyle(40), 1000)) == 0
