"""The plan stage: cases × locales × formats → jobs. Pure: no I/O, same inputs → same list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from campaign.i18n import CountryInfo, country
from campaign.models import Case, Publicity

# The only layout families a ``publicity = restricted`` case is rendered in (print and partner
# packs; never web banners, social images or feeds). A format's family is its name up to "-".
PRINT_ONLY_FAMILIES = ("poster", "flyer")


@dataclass(frozen=True, order=True)
class Job:
    """One rendition to make."""

    case_id: str
    locale: str
    format: str


def case_locales(case: Case, countries: Mapping[str, CountryInfo]) -> tuple[str, ...]:
    """The languages of a case's artefacts: its own list, else its country's defaults."""
    return case.locales or country(case.missing_country, countries).locales


def plan(
    cases: Iterable[Case],
    formats: Sequence[str],
    countries: Mapping[str, CountryInfo],
    locales: Sequence[str] = (),
) -> Iterator[Job]:
    """One job per publishable (case, locale, format); ``locales`` replaces each case's list.
    A restricted case gets print formats only."""
    for case in cases:
        if case.publicity is Publicity.NONE:
            continue
        allowed = [fmt for fmt in formats if _reaches(case, fmt)]
        for locale in dict.fromkeys(locales or case_locales(case, countries)):
            for fmt in allowed:
                yield Job(case.case_id, locale, fmt)


def _reaches(case: Case, fmt: str) -> bool:
    """Whether a case of this publicity may be rendered in ``fmt``."""
    if case.publicity is Publicity.RESTRICTED:
        return fmt.split("-", 1)[0] in PRINT_ONLY_FAMILIES
    return True
