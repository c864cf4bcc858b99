"""Short texts: fitting fields into a limit, SMS encodings and segments, post lengths."""

from __future__ import annotations

import pytest

from campaign.layouts import shorttext
from campaign.layouts.shorttext import fit, post_length, sms_count

FIELDS = [
    "Ana Ejemplo",
    "12 years",
    "Last seen in Quito, Ecuador",
    "Call 116 000",
    "https://e.org/c/X",
]


def test_fit_drops_fields_from_the_end_never_cuts() -> None:
    full = "\n".join(["MISSING", *FIELDS])
    assert fit("MISSING", FIELDS, len(full)) == full
    for keep in range(len(FIELDS), -1, -1):
        expected = "\n".join(["MISSING", *FIELDS[:keep]])
        assert fit("MISSING", FIELDS, len(expected)) == expected
        assert fit("MISSING", FIELDS, len(expected) + 5) == expected  # not enough for the next
    assert fit("MISSING", [None, "12 years", ""], 100) == "MISSING\n12 years"


def test_fit_never_skips_a_long_field_to_keep_a_later_one() -> None:
    fields = ["Ana", "a very long place name that does not fit", "Call 1"]
    assert fit("HEAD", fields, 20) == "HEAD\nAna"


def test_fit_shortens_only_the_lead_and_by_whole_words() -> None:
    assert fit("ENDANGERED MISSING CHILD", FIELDS, 19) == "ENDANGERED MISSING"
    assert fit("ENDANGERED MISSING", FIELDS, 12) == "ENDANGERED"
    with pytest.raises(ValueError, match="fits"):
        fit("ENDANGERED", FIELDS, 5)
    units = lambda text: sms_count(text).units  # noqa: E731
    assert fit("A", ["€€"], 6, units) == "A\n€€"
    assert fit("A", ["€€"], 5, units) == "A"


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€", "GSM-7", 2, 1),
        ("[", "GSM-7", 2, 1),
        ("a" * 158 + "€", "GSM-7", 160, 1),
        ("a" * 159 + "[", "GSM-7", 161, 2),
        ("a" * 152 + "€" + "a" * 151, "GSM-7", 305, 2),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),  # an escape pair is never split
        ("Ñandú", "UCS-2", 5, 1),  # ú is not in GSM-7
        ("Ñandu", "GSM-7", 5, 1),
        ("a" * 69 + "ل", "UCS-2", 70, 1),
        ("a" * 70 + "ل", "UCS-2", 71, 2),
        ("ل" * 134, "UCS-2", 134, 2),
        ("ل" * 135, "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),
        ("a" * 66 + "😀" + "a" * 66, "UCS-2", 134, 3),  # a surrogate pair is never split
    ],
)
def test_sms_encoding_and_segments(text: str, encoding: str, units: int, segments: int) -> None:
    assert sms_count(text) == shorttext.SmsCount(encoding, units, segments)


def test_post_length_counts_urls_as_23_and_cjk_as_2() -> None:
    url = "https://example.org/c/K7Q2-9MXD?utm_source=alert&utm_medium=social&utm_content=en"
    assert post_length(url) == 23
    assert post_length("MISSING\n" + url) == 8 + 23
    assert post_length("林晓慧") == 6
    assert post_length("ليلى") == 4 and post_length("अनन्या") == 6
    assert post_length("a" * 257 + "\n" + url) == 281
