"""Values formatted for a locale with Babel (CLDR): dates, numbers, lengths and weights, places.

Each value is formatted once per process (a batch prints the same dates and numbers often)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import phonenumbers
from babel import Locale
from babel.dates import format_date as _format_date
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit

from campaign.i18n import to_gettext
from campaign.models import PartialDate

CM_PER_INCH = 2.54
KG_PER_LB = 0.45359237


def _babel(tag: str) -> str:
    return to_gettext(tag)


@lru_cache(maxsize=4096)
def date(value: dt.date | dt.datetime, tag: str) -> str:
    """A date in the locale's long form (``1 de marzo de 2026``); times are not printed."""
    day = value.date() if isinstance(value, dt.datetime) else value
    return _format_date(day, "long", locale=_babel(tag))


@lru_cache(maxsize=4096)
def partial_date(value: PartialDate, tag: str) -> str:
    """A date known to the day, month or year, in the locale's form, never adding precision."""
    if value.month is None:
        return number(value.year, tag, grouping=False)
    if value.day is None:
        return _format_date(value.earliest(), "yMMMM", locale=_babel(tag))
    return date(value.earliest(), tag)


@lru_cache(maxsize=4096)
def number(value: float, tag: str, grouping: bool = True) -> str:
    """A number with the locale's digits and separators."""
    return format_decimal(value, locale=_babel(tag), group_separator=grouping)


@lru_cache(maxsize=4096)
def height(cm: float, tag: str, measurement: str) -> str:
    """``141 cm`` in metric countries; ``4 ft 8 in`` where US units are used."""
    if measurement != "us":
        return format_unit(round(cm), "length-centimeter", "short", locale=_babel(tag))
    inches = round(cm / CM_PER_INCH)
    feet, rest = divmod(inches, 12)
    parts = [format_unit(feet, "length-foot", "short", locale=_babel(tag))]
    if rest:
        parts.append(format_unit(rest, "length-inch", "short", locale=_babel(tag)))
    return " ".join(parts)


@lru_cache(maxsize=4096)
def weight(kg: float, tag: str, measurement: str) -> str:
    """``38 kg`` in metric countries; ``84 lb`` where US units are used."""
    if measurement == "us":
        return format_unit(round(kg / KG_PER_LB), "mass-pound", "short", locale=_babel(tag))
    return format_unit(round(kg), "mass-kilogram", "short", locale=_babel(tag))


@lru_cache(maxsize=4096)
def country_name(code: str, tag: str) -> str:
    """The country's name in the locale (CLDR), or the code when CLDR has none."""
    names = Locale.parse(_babel(tag)).territories
    return str(names.get(code, code))


def list_of(items: list[str], tag: str) -> str:
    """Items joined the locale's way (``A, B y C``)."""
    return format_list(items, locale=_babel(tag)) if items else ""


def years_between(start: dt.date, end: dt.date) -> int:
    """Whole years from ``start`` to ``end`` (an age)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


@lru_cache(maxsize=4096)
def phone(number: str, country: str) -> str:
    """A phone number in the way people in ``country`` write it (national form for its own
    numbers, international otherwise); short codes and numbers it cannot check stay as given."""
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    same = phonenumbers.region_code_for_number(parsed) == country
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if same
        else (phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    )
    return str(phonenumbers.format_number(parsed, style))
