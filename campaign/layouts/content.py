"""What an appeal says, in one locale: pure strings composed from a case's public fields and the
catalogs. Every layout (poster, flyer, banner, email) draws from this; none has its own words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from campaign.i18n import CountryInfo, Localizer, formatting, localizer, vocabulary
from campaign.i18n.vocabulary import Label, Phrase
from campaign.models import Case
from campaign.typeset.bidi import isolate


@dataclass(frozen=True)
class Fact:
    """One labelled line of the facts table."""

    label: str
    value: str


@dataclass(frozen=True)
class Contact:
    """A number to call, and who answers it when that is known (the investigating agency)."""

    number: str
    who: str | None = None


@dataclass(frozen=True)
class AppealText:
    """Everything an artefact prints about a case, localized; values are plain text."""

    locale: str  # the tag of the catalog used
    requested: str  # the tag asked for (differs when the catalog fell back)
    direction: str  # "ltr" or "rtl"
    headline: str
    name: str
    alternate_names: tuple[str, ...]
    facts: tuple[Fact, ...]
    details: tuple[Fact, ...]  # clothing, distinguishing marks, description (free text)
    call_label: str
    contacts: tuple[Contact, ...]  # the agency's number, then the national hotline
    organisation: str
    case_ref_label: str
    case_ref: str
    scan_caption: str
    age_progressed: str | None


def compose(
    case: Case,
    tag: str,
    country: CountryInfo,
    as_of: dt.date,
    print_date_of_birth: bool = False,
    organisation: str = "",
) -> AppealText:
    """The localized text of ``case`` in ``tag`` as of ``as_of``."""
    loc = localizer(tag)
    return AppealText(
        locale=loc.tag,
        requested=tag,
        direction=loc.direction,
        headline=vocabulary.headline(loc, case.category, case.sex),
        name=case.display_name,
        alternate_names=case.alternate_names,
        facts=tuple(_facts(case, loc, country, as_of, print_date_of_birth)),
        details=tuple(_details(case, loc)),
        call_label=vocabulary.label(loc, Label.CALL),
        contacts=_contacts(case, country),
        organisation=organisation,
        case_ref_label=vocabulary.label(loc, Label.CASE_REF),
        case_ref=case.case_ref,
        scan_caption=vocabulary.label(loc, Label.SCAN),
        age_progressed=(
            vocabulary.label(
                loc, Label.AGE_PROGRESSED, age=formatting.number(case.age_progressed_to, loc.tag)
            )
            if case.age_progressed_to is not None
            else None
        ),
    )


@dataclass(frozen=True)
class ShortAppeal:
    """The few words of a banner or social image, localized. The drawn texts have their values
    (place, date, phone, age) wrapped in bidi isolates; ``alt`` is plain text."""

    locale: str  # the tag of the catalog used
    requested: str
    direction: str  # "ltr" or "rtl"
    headline: str
    name: str
    age: str | None  # "12 years"
    last_seen: str  # "Last seen in …"
    since: str  # "Missing since …"
    call: str | None  # "Call …" with the first number of the appeal
    call_label: str  # "If you have information, call"
    numbers: tuple[str, ...]  # with no-break spaces
    more_info: str
    alt: str  # one sentence for people who cannot see the image


def compose_short(case: Case, tag: str, country: CountryInfo, as_of: dt.date) -> ShortAppeal:
    """The short texts of ``case`` in ``tag`` as of ``as_of`` (banners, social images)."""
    loc = localizer(tag)
    now, _ = ages(case, as_of)
    age, place = _years(now, loc), _place(case, loc.tag)
    date = formatting.date(case.missing_since, loc.tag)
    numbers = tuple(unbroken(contact.number) for contact in _contacts(case, country))
    return ShortAppeal(
        locale=loc.tag,
        requested=tag,
        direction=loc.direction,
        headline=vocabulary.headline(loc, case.category, case.sex),
        name=case.display_name,
        age=_years(now, loc, isolate),
        last_seen=vocabulary.phrase(loc, Phrase.LAST_SEEN, place=isolate(place)),
        since=vocabulary.phrase(loc, Phrase.SINCE, date=isolate(date)),
        call=(
            vocabulary.phrase(loc, Phrase.CALL_SHORT, phone=isolate(numbers[0]))
            if numbers
            else None
        ),
        call_label=vocabulary.label(loc, Label.CALL),
        numbers=numbers,
        more_info=vocabulary.phrase(loc, Phrase.MORE_INFO),
        alt=vocabulary.phrase(
            loc, Phrase.ALT_TEXT, name=case.display_name, age=age or "?", date=date, place=place
        ),
    )


def unbroken(value: str) -> str:
    """``value`` with no-break spaces, so a line never breaks inside it (phone numbers)."""
    return value.replace(" ", "\u00a0")


def _since_day(case: Case) -> dt.date:
    since = case.missing_since
    return since.date() if isinstance(since, dt.datetime) else since


def ages(case: Case, as_of: dt.date) -> tuple[str | None, str | None]:
    """(age now, age at disappearance) as text, from the date of birth or the age given."""
    since = _since_day(case)
    born = case.date_of_birth
    if born is not None and born.month is not None:
        start = born.earliest()
        return (
            str(formatting.years_between(start, as_of)),
            str(formatting.years_between(start, since)),
        )
    if case.age_at_missing is not None:
        elapsed = formatting.years_between(since, as_of)
        low, high = case.age_at_missing.low + elapsed, case.age_at_missing.high + elapsed
        now = str(low) if low == high else f"{low}–{high}"
        return now, str(case.age_at_missing).replace("-", "–")
    return None, None


def _facts(
    case: Case, loc: Localizer, country: CountryInfo, as_of: dt.date, print_dob: bool
) -> list[Fact]:
    tag = loc.tag
    now, then = ages(case, as_of)
    rows: list[tuple[Label, str | None]] = [
        (Label.AGE_NOW, _years(now, loc)),
        (Label.AGE_AT_MISSING, _years(then, loc)),
        (
            Label.DATE_OF_BIRTH,
            formatting.partial_date(case.date_of_birth, tag)
            if print_dob and case.date_of_birth
            else None,
        ),
        (Label.MISSING_SINCE, formatting.date(case.missing_since, tag)),
        (Label.MISSING_FROM, _place(case, tag)),
        (Label.SEX, vocabulary.sex(loc, case.sex) if case.sex.value != "unknown" else None),
        (
            Label.HEIGHT,
            formatting.height(case.height_cm, tag, country.measurement) if case.height_cm else None,
        ),
        (
            Label.WEIGHT,
            formatting.weight(case.weight_kg, tag, country.measurement) if case.weight_kg else None,
        ),
        (Label.HAIR, vocabulary.hair(loc, case.hair) if case.hair else None),
        (Label.EYES, vocabulary.eyes(loc, case.eyes) if case.eyes else None),
    ]
    return [Fact(vocabulary.label(loc, key), value) for key, value in rows if value]


def _years(value: str | None, loc: Localizer, wrap: Callable[[str], str] = str) -> str | None:
    """``12`` → "12 years" in the locale (plural rules, digits); a range keeps its dash.
    ``wrap`` is applied to the number (e.g. a bidi isolate for drawing)."""
    if value is None:
        return None
    parts = [int(part) for part in value.split("–")]
    shown = "–".join(formatting.number(part, loc.tag) for part in parts)
    return vocabulary.count(loc, vocabulary.YEARS, parts[-1], wrap(shown))


def _place(case: Case, tag: str) -> str:
    parts = [
        case.missing_city,
        case.missing_region,
        formatting.country_name(case.missing_country, tag),
    ]
    return ", ".join(part for part in parts if part)


def _details(case: Case, loc: Localizer) -> list[Fact]:
    rows = [
        (Label.CLOTHING, case.clothing),
        (Label.DISTINGUISHING_MARKS, case.distinguishing_marks),
    ]
    found = [Fact(vocabulary.label(loc, key), text) for key, text in rows if text]
    description = description_for(case, loc)
    if description:
        found.append(Fact(vocabulary.label(loc, Label.DESCRIPTION), description))
    return found


def description_for(case: Case, loc: Localizer) -> str | None:
    """The description in the artefact's language, else the original with a small label."""
    translated = case.description_in(loc.requested) or case.description_in(loc.tag)
    if translated:
        return translated
    if not case.description:
        return None
    if _language(case.source_locale) == _language(loc.requested):
        return case.description
    return f"{case.description} {vocabulary.label(loc, Label.ORIGINAL_LANGUAGE)}"


def _language(tag: str) -> str:
    return tag.split("-")[0].lower()


def _contacts(case: Case, country: CountryInfo) -> tuple[Contact, ...]:
    found = []
    if case.contact_phone:
        number = formatting.phone(case.contact_phone, case.missing_country)
        found.append(Contact(number, case.contact_agency))
    if country.hotline and country.hotline != case.contact_phone:
        found.append(Contact(formatting.phone(country.hotline, case.missing_country)))
    return tuple(found)
