"""Fictional cases for the benchmarks (made up here; every one points at the same photo file)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

GIVEN = ("Lucy", "Tom", "Ana", "Sam", "Maya", "Leo", "Nora", "Eli")
FAMILY = ("Example", "Sample", "Fictional", "Placeholder", "Testcase")
COUNTRY = "US"
LOCALE = "en"


def fictional_cases(count: int, photo: Path, first: int = 0) -> Iterator[Any]:
    """``count`` fictional cases in the US, in English, numbered from ``first``; names, dates
    and measurements vary from case to case."""
    from campaign.models import Case, Eyes, Hair, Origin, PartialDate, Sex

    for number in range(first, first + count):
        yield Case(
            case_id=f"B-{number}",
            case_ref=f"BNCH-{number:05d}",
            origin=Origin("bench", number + 2),
            missing_since=dt.date(2026, 3, 1) + dt.timedelta(days=number % 200),
            missing_country=COUNTRY,
            photo=photo,
            authority_ref="FIC",
            consent=True,
            given_name=GIVEN[number % len(GIVEN)],
            family_name=f"{FAMILY[number % len(FAMILY)]} {number}",
            sex=Sex.FEMALE if number % 2 else Sex.MALE,
            date_of_birth=PartialDate(2010 + number % 8, 1 + number % 12, 1 + number % 28),
            height_cm=120 + number % 50,
            weight_kg=30 + number % 30,
            hair=Hair.BROWN,
            eyes=Eyes.BLUE,
            missing_city="Springfield",
            clothing="Yellow jacket, blue jeans, white sneakers",
            description="Last seen leaving school in the afternoon.",
            source_locale=LOCALE,
            contact_agency="Police department (fictional)",
            contact_phone="+1 555 0100",
        )
