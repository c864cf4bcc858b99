"""What each recipient gets: the cases in their area, each in the rendition closest to their
language. Pure functions over values read from the build manifest; nothing is sent here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from campaign.audience import Area
from campaign.i18n import fallback_chain


@dataclass(frozen=True)
class CaseInfo:
    """Where a published case was last seen and the languages it was rendered in."""

    case_id: str
    case_ref: str
    country: str
    region: str | None
    lat: float | None
    lon: float | None
    locales: tuple[str, ...]  # in the build's order; the first is the case's own language

    @classmethod
    def from_manifest(cls, entry: Mapping[str, Any]) -> CaseInfo:
        """A case from its manifest entry; ValueError names a missing or mistyped key."""
        locales = entry.get("locales")
        if not isinstance(locales, list | tuple) or not all(isinstance(t, str) for t in locales):
            raise ValueError("a manifest case needs 'locales', a list of language tags")
        return cls(
            case_id=_text(entry, "case_id"),
            case_ref=_text(entry, "case_ref"),
            country=_text(entry, "country").upper(),
            region=_optional_text(entry, "region"),
            lat=_optional_number(entry, "lat"),
            lon=_optional_number(entry, "lon"),
            locales=tuple(locales),
        )


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"a manifest case needs '{key}' as text")
    return value


def _optional_text(entry: Mapping[str, Any], key: str) -> str | None:
    return None if entry.get(key) in (None, "") else _text(entry, key).upper()


def _optional_number(entry: Mapping[str, Any], key: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a manifest case's '{key}' must be a number")
    return float(value)


def best_locale(wanted: str, available: Sequence[str]) -> str | None:
    """The first tag of ``wanted``'s fallback chain among ``available`` (in ``available``'s
    spelling); else ``available[0]`` (the case's own language); None when nothing is available."""
    ranked = ranked_locales(wanted, available)
    return ranked[0] if ranked else None


def ranked_locales(wanted: str, available: Sequence[str]) -> list[str]:
    """``available`` best first for a reader of ``wanted``: the tags of its fallback chain in
    chain order, then the others in their own order (the case's own language first)."""
    by_lower = {tag.lower(): tag for tag in reversed(available)}  # the first spelling wins
    ranked = [by_lower[tag.lower()] for tag in fallback_chain(wanted) if tag.lower() in by_lower]
    return list(dict.fromkeys([*ranked, *available]))


def cases_for(area: Area, cases: Sequence[CaseInfo]) -> list[CaseInfo]:
    """The cases ``area`` covers (by country, region, or distance from the last-seen point)."""
    return [case for case in cases if area.covers(case.country, case.region, case.lat, case.lon)]


def choose(wanted_locale: str, area: Area, cases: Sequence[CaseInfo]) -> list[tuple[CaseInfo, str]]:
    """Each case ``area`` covers with the rendition language for a reader of ``wanted_locale``
    (cases with no rendition at all are left out: there is nothing to send)."""
    chosen: list[tuple[CaseInfo, str]] = []
    for case in cases_for(area, cases):
        locale = best_locale(wanted_locale, case.locales)
        if locale is not None:
            chosen.append((case, locale))
    return chosen
