"""What the alerts of a case say in one language: the words (from the catalogs and the case's
public fields), the tracked link, and the fitting of both into a character limit. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from babel.lists import format_list

from campaign import qr
from campaign.config import Config
from campaign.errors import RenderError
from campaign.i18n import CountryInfo, Localizer, country, country_table, localizer, to_gettext
from campaign.i18n import vocabulary as vocab
from campaign.i18n.vocabulary import Label, Phrase
from campaign.layouts import shorttext
from campaign.layouts.content import AppealText, compose
from campaign.models import Case
from campaign.plan import case_locales

WEA_SHORT, WEA_LONG = 90, 360  # CMAM text and long text, in characters


@dataclass(frozen=True)
class AlertContext:
    """What alerts of one case use besides the case: the campaign, the date, the languages."""

    config: Config
    as_of: dt.date
    country: CountryInfo
    locales: tuple[str, ...]


def alert_context(
    case: Case, config: Config, as_of: dt.date, locales: Sequence[str] = ()
) -> AlertContext:
    """The context of ``case``'s alerts; ``locales`` replaces the case's own languages."""
    countries = country_table(config.countries)
    chosen = tuple(dict.fromkeys(locales or case_locales(case, countries)))
    return AlertContext(config, as_of, country(case.missing_country, countries), chosen)


@dataclass(frozen=True)
class Words:
    """What the alerts of a case say in one language (public fields only)."""

    language: str  # BCP 47 tag of the language the words are in
    tag: str  # the tag asked for
    headline: str
    name: str
    age: str | None
    place: str | None
    last_seen: str | None
    call: str | None  # "Call" and the first number
    instruction: str | None  # "Call" and every number
    contact: str | None
    description: str


def words(case: Case, tag: str, ctx: AlertContext) -> Words:
    loc = localizer(tag)
    text = compose(
        case, tag, ctx.country, ctx.as_of, ctx.config.print_date_of_birth, ctx.config.organisation
    )
    place = _fact(text, loc, Label.MISSING_FROM)
    numbers = [contact.number for contact in text.contacts]
    return Words(
        language=language_of(loc),
        tag=tag,
        headline=text.headline,
        name=text.name,
        age=_fact(text, loc, Label.AGE_NOW),
        place=place,
        last_seen=vocab.phrase(loc, Phrase.LAST_SEEN, place=place) if place else None,
        call=vocab.phrase(loc, Phrase.CALL_SHORT, phone=numbers[0]) if numbers else None,
        instruction=(
            vocab.phrase(loc, Phrase.CALL_SHORT, phone=_either(numbers, tag)) if numbers else None
        ),
        contact="; ".join(f"{c.who}: {c.number}" if c.who else c.number for c in text.contacts)
        or None,
        description="\n".join(f"{fact.label}: {fact.value}" for fact in text.facts + text.details),
    )


def _either(numbers: list[str], tag: str) -> str:
    """``A or B`` the locale's way (CLDR "or" list)."""
    return format_list(numbers, style="or", locale=to_gettext(tag))


def _fact(text: AppealText, loc: Localizer, key: Label) -> str | None:
    wanted = vocab.label(loc, key)
    return next((fact.value for fact in text.facts if fact.label == wanted), None)


def language_of(loc: Localizer) -> str:
    """The requested tag, unless its catalog fell back to another language."""
    same = loc.tag.split("-")[0].lower() == loc.requested.split("-")[0].lower()
    return loc.requested if same else loc.tag


def link(case: Case, config: Config, medium: str, tag: str) -> str:
    """The case's page, tracked as an alert of ``medium`` in ``tag``."""
    tracking = qr.Tracking(source="alert", medium=medium, campaign=config.utm_campaign, content=tag)
    return qr.qr_url(config.case_url, case.case_ref, tracking)


def each_language(case: Case, ctx: AlertContext) -> Iterator[Words]:
    seen: set[str] = set()
    for tag in ctx.locales:
        found = words(case, tag, ctx)
        if found.language.lower() not in seen:
            seen.add(found.language.lower())
            yield found


def fitted(said: Words, url: str, limit: int, measure: shorttext.Measure = len) -> str:
    """Headline, then name, age, place, phone, link — dropped from the end to fit ``limit``."""
    fields = (said.name, said.age, said.last_seen, said.call, url)
    try:
        return shorttext.fit(said.headline, fields, limit, measure)
    except ValueError as err:
        raise RenderError(f"{said.tag}: {err}") from None
