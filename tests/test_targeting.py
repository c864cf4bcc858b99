"""Targeting: which cases a recipient's area covers, and which rendition language they get."""

from __future__ import annotations

import pytest

from campaign.audience import Area
from campaign.i18n import fallback_chain
from campaign.targeting import CaseInfo, best_locale, cases_for, choose

HOUSTON = (29.7604, -95.3698)


def case(
    case_id: str,
    country: str,
    region: str | None = None,
    at: tuple[float, float] | None = None,
    locales: tuple[str, ...] = ("es", "en"),
) -> CaseInfo:
    lat, lon = at if at else (None, None)
    return CaseInfo(case_id, f"REF-{case_id}", country, region, lat, lon, locales)


MEXICO_CITY = case("mx", "MX", "MX-CMX", (19.4326, -99.1332))
NEAR_HOUSTON = case("houston", "US", "US-TX", (29.9, -95.4), ("en", "es"))
DALLAS = case("dallas", "US", "US-TX", (32.78, -96.80), ("en",))
PHOENIX = case("phoenix", "US", "US-AZ", (33.45, -112.07), ("en", "es"))
NO_POINT = case("nopoint", "US", None, None, ("en",))
ALL = [MEXICO_CITY, NEAR_HOUSTON, DALLAS, PHOENIX, NO_POINT]


def ids(cases: list[CaseInfo]) -> list[str]:
    return [c.case_id for c in cases]


def test_a_subscriber_in_mexico_gets_mexican_cases_only() -> None:
    assert ids(cases_for(Area(countries=("MX",)), ALL)) == ["mx"]


def test_a_region_only_subscriber_gets_cases_of_that_region() -> None:
    assert ids(cases_for(Area(regions=("US-TX",)), ALL)) == ["houston", "dallas"]


def test_a_radius_covers_nearby_cases_and_not_far_ones() -> None:
    area = Area(lat=HOUSTON[0], lon=HOUSTON[1], radius_km=50)
    assert ids(cases_for(area, ALL)) == ["houston"]


def test_a_case_without_a_point_is_not_matched_by_radius_alone() -> None:
    area = Area(lat=HOUSTON[0], lon=HOUSTON[1], radius_km=20_000)
    assert ids(cases_for(area, ALL)) == ["mx", "houston", "dallas", "phoenix"]


def test_countries_regions_and_circle_add_up() -> None:
    area = Area(("MX",), ("US-AZ",), HOUSTON[0], HOUSTON[1], 50)
    assert ids(cases_for(area, ALL)) == ["mx", "houston", "phoenix"]


def test_an_empty_area_gets_everything() -> None:
    assert ids(cases_for(Area(), ALL)) == ids(ALL)


@pytest.mark.parametrize(
    ("wanted", "available", "expected"),
    [
        ("pt-BR", ("es", "pt"), "pt"),
        ("fr", ("es", "en"), "en"),  # en ends every fallback chain
        ("fr", ("es", "hi"), "es"),  # nothing in the chain: the case's own language
        ("es", ("en", "es"), "es"),
        ("PT-br", ("es", "pt-BR"), "pt-BR"),  # compared case-insensitively, spelled as available
        ("pt-BR", ("es", "PT"), "PT"),
        ("es", (), None),
    ],
)
def test_best_locale(wanted: str, available: tuple[str, ...], expected: str | None) -> None:
    assert best_locale(wanted, available) == expected


@pytest.mark.parametrize(
    ("wanted", "available"),
    [
        ("zh-TW", ("zh-Hans", "zh-Hant")),
        ("zh-Hant", ("zh-Hans", "en")),
        ("zh-Hant", ("es", "zh-Hans")),
        ("zh", ("zh-Hant", "zh-Hans")),
        ("zh-Hans", ("zh-Hant", "zh-Hans")),
        ("zh-HK", ("en", "zh-Hant")),
    ],
)
def test_best_locale_follows_the_fallback_chain_for_chinese_scripts(
    wanted: str, available: tuple[str, ...]
) -> None:
    in_chain = [tag for tag in fallback_chain(wanted) if tag in available]
    expected = in_chain[0] if in_chain else available[0]
    assert best_locale(wanted, available) == expected


def test_traditional_chinese_readers_get_the_traditional_rendition() -> None:
    assert "zh-Hant" in fallback_chain("zh-TW")  # the rule the expectation rests on
    assert best_locale("zh-TW", ("zh-Hans", "zh-Hant")) == "zh-Hant"


def test_choose_pairs_each_covered_case_with_its_language() -> None:
    chosen = choose("es-MX", Area(countries=("US",)), ALL)
    assert [(c.case_id, locale) for c, locale in chosen] == [
        ("houston", "es"),
        ("dallas", "en"),
        ("phoenix", "es"),
        ("nopoint", "en"),
    ]


def test_choose_leaves_out_a_case_with_no_rendition() -> None:
    bare = case("bare", "MX", locales=())
    assert choose("es", Area(), [bare, MEXICO_CITY]) == [(MEXICO_CITY, "es")]


def test_case_info_from_a_manifest_entry() -> None:
    entry = {
        "case_id": "T-001",
        "case_ref": "FIC-7",
        "country": "us",
        "region": "us-tx",
        "lat": 29,
        "lon": -95.4,
        "locales": ["en", "es"],
    }
    assert CaseInfo.from_manifest(entry) == CaseInfo(
        "T-001", "FIC-7", "US", "US-TX", 29.0, -95.4, ("en", "es")
    )
    minimal = {"case_id": "T-2", "case_ref": "R", "country": "MX", "locales": ["es"]}
    assert CaseInfo.from_manifest(minimal) == CaseInfo("T-2", "R", "MX", None, None, None, ("es",))


@pytest.mark.parametrize(
    "broken",
    [
        {"case_ref": "R", "country": "MX", "locales": ["es"]},
        {"case_id": "T", "case_ref": "R", "country": "MX"},
        {"case_id": "T", "case_ref": "R", "country": "MX", "locales": "es"},
        {"case_id": "T", "case_ref": "R", "country": "MX", "locales": ["es"], "lat": "19"},
        {"case_id": "T", "case_ref": "R", "country": "MX", "locales": ["es"], "lon": True},
    ],
)
def test_a_broken_manifest_entry_is_a_value_error(broken: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="manifest case"):
        CaseInfo.from_manifest(broken)
