"""Per-country defaults: artefact languages, the national hotline, units, EU membership.

The shipped table is ``countries.toml`` beside this module. A campaign overrides or extends it
with ``[countries.XX]`` tables in ``campaign.toml``; both go through the same checks, so a
typo (``hotlne``) or an unknown country code (``UK`` for ``GB``) is a ``ConfigError``.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from typing import Literal, cast

import pycountry

from campaign.errors import ConfigError

Measurement = Literal["metric", "us"]
MEASUREMENTS: tuple[Measurement, ...] = ("metric", "us")
KEYS = ("locales", "hotline", "measurement", "eu")


@dataclass(frozen=True)
class CountryInfo:
    """What the engine assumes about a country unless a case or the campaign says otherwise.

    ``hotline`` is empty where no national missing-children number is known: the campaign's
    configuration must supply one (``[countries.XX] hotline = "..."``) or artefacts print only
    the investigating agency's phone.
    """

    code: str
    locales: tuple[str, ...] = ("en",)
    hotline: str = ""
    measurement: Measurement = "metric"
    eu: bool = False


def _where(source: str, code: str, key: str | None = None) -> str:
    return f"{source}: countries.{code}" + (f".{key}" if key else "")


def _check_code(code: str, source: str) -> str:
    upper = code.upper()
    if len(upper) != 2 or pycountry.countries.get(alpha_2=upper) is None:
        raise ConfigError(f"{_where(source, code)}: not an ISO 3166-1 alpha-2 country code")
    return upper


def _locales(value: object, where: str) -> tuple[str, ...]:
    from campaign.i18n import is_valid_tag  # the package imports this module first

    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ConfigError(f"{where}: expected a non-empty list of BCP 47 tags")
    tags: list[str] = []
    for item in items:
        if not isinstance(item, str) or not is_valid_tag(item):
            raise ConfigError(f"{where}: {item!r} is not a BCP 47 language tag (e.g. 'pt-BR')")
        tags.append(item)
    return tuple(tags)


def _field(key: str, value: object, where: str) -> object:
    if key == "locales":
        return _locales(value, where)
    if key == "hotline" and isinstance(value, str):
        return value.strip()
    if key == "measurement" and value in MEASUREMENTS:
        return value
    if key == "eu" and isinstance(value, bool):
        return value
    expected = {"hotline": "a string", "measurement": "'metric' or 'us'", "eu": "true or false"}
    raise ConfigError(f"{where}: expected {expected[key]}, got {value!r}")


def _apply(base: CountryInfo, values: Mapping[str, object], source: str) -> CountryInfo:
    changes: dict[str, object] = {}
    for key, value in values.items():
        where = _where(source, base.code, key)
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(KEYS)})")
        changes[key] = _field(key, value, where)
    return replace(base, **changes)  # type: ignore[arg-type]


def _merge(
    table: dict[str, CountryInfo], tables: Mapping[str, Mapping[str, object]], source: str
) -> dict[str, CountryInfo]:
    merged = dict(table)
    for raw_code, values in tables.items():
        code = _check_code(raw_code, source)
        if not isinstance(values, Mapping):
            raise ConfigError(f"{_where(source, raw_code)}: expected a table")
        merged[code] = _apply(merged.get(code, CountryInfo(code)), values, source)
    return merged


@functools.cache
def _shipped() -> dict[str, CountryInfo]:
    text = (resources.files(__package__) / "countries.toml").read_text(encoding="utf-8")
    tables = cast(dict[str, Mapping[str, object]], tomllib.loads(text))
    return _merge({}, tables, "countries.toml")


def country_table(
    overrides: Mapping[str, Mapping[str, object]] | None = None,
) -> dict[str, CountryInfo]:
    """The shipped table with ``overrides`` (``campaign.toml``'s ``[countries]``) applied.

    Overrides change only the keys they name; a code not in the shipped table starts from the
    defaults of :class:`CountryInfo`.
    """
    return _merge(_shipped(), overrides or {}, "campaign.toml")


def country(code: str, table: Mapping[str, CountryInfo] | None = None) -> CountryInfo:
    """The entry for ``code``; a country missing from the table gets English, metric, no hotline."""
    upper = code.upper()
    found = (country_table() if table is None else table).get(upper)
    return found if found is not None else CountryInfo(upper)
