"""Field text → typed value, one function per :class:`Kind`. Each raises :class:`FieldProblem`
with a message for staff; messages never repeat free-text or private values."""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry

from campaign import i18n
from campaign.cases.fields import FieldSpec, Kind
from campaign.identifiers import CASE_ID_PATTERN
from campaign.models import AgeRange, PartialDate


class FieldProblem(ValueError):
    """A field's text is not of the expected form."""

    def __init__(self, message: str, code: str = "field-invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ParseContext:
    as_of: dt.date
    cases_dir: Path


_LINE_BREAKS = {"\n", "\r", "\u2028", "\u2029", "\x85"}


def _control_problem(text: str, allow: str) -> str | None:
    for position, char in enumerate(text, start=1):
        if char in allow:
            continue
        if 0xDC80 <= ord(char) <= 0xDCFF:
            return (
                f"is not valid UTF-8 (a stray byte at character {position}); save the file as UTF-8"
            )
        if unicodedata.category(char) == "Cc" or char in _LINE_BREAKS:
            kind = "line break" if char in _LINE_BREAKS else "control character"
            return f"contains a {kind} (U+{ord(char):04X}) at character {position}; remove it"
    return None


def parse_line(text: str) -> str:
    """One line of text: no control characters or line breaks (they could reach headers)."""
    problem = _control_problem(text, allow="")
    if problem:
        raise FieldProblem(problem, "control-character")
    return text.strip()


def parse_text(text: str) -> str:
    """Free text: tabs and line breaks allowed (CRLF folded to LF), other controls refused."""
    folded = text.replace("\r\n", "\n").strip()
    problem = _control_problem(folded, allow="\t\n")
    if problem:
        raise FieldProblem(problem, "control-character")
    return folded


def parse_ident(text: str) -> str:
    value = parse_line(text)
    if not CASE_ID_PATTERN.fullmatch(value):
        raise FieldProblem(
            f"'{value}' is not a valid case id: use 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit",
            "case-id-invalid",
        )
    return value


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MOMENT = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?")


def parse_date(text: str) -> dt.date:
    match = _DATE.fullmatch(text.strip())
    if not match:
        raise FieldProblem(f"'{text.strip()}' is not a date: write YYYY-MM-DD", "date-invalid")
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise FieldProblem(f"'{text.strip()}' is not a real date", "date-invalid") from None


def parse_moment(text: str, as_of: dt.date) -> dt.date | dt.datetime:
    match = _MOMENT.fullmatch(text.strip())
    if not match:
        raise FieldProblem(
            f"'{text.strip()}' is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM", "date-invalid"
        )
    year, month, day, hour, minute = match.groups()
    try:
        day_value = dt.date(int(year), int(month), int(day))
        value: dt.date | dt.datetime = day_value
        if hour is not None:
            value = dt.datetime(int(year), int(month), int(day), int(hour), int(minute or 0))
    except ValueError:
        raise FieldProblem(f"'{text.strip()}' is not a real date or time", "date-invalid") from None
    if day_value > as_of:
        raise FieldProblem(
            f"{day_value.isoformat()} is in the future (as of {as_of})", "date-future"
        )
    return value


_PARTIAL = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_partial_date(text: str) -> PartialDate:
    match = _PARTIAL.fullmatch(text.strip())
    if not match:
        raise FieldProblem(f"'{text.strip()}' is not a date: write YYYY-MM-DD", "date-invalid")
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        raise FieldProblem(f"'{text.strip()}' is not a real date", "date-invalid") from None
    return PartialDate(year, month, day)


def parse_country(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise FieldProblem(
            f"'{text.strip()}' is not an ISO 3166-1 alpha-2 country code (such as US, MX, BE)",
            "country-invalid",
        )
    return code


def parse_region(text: str) -> str:
    code = text.strip().upper()
    found = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    if found is None:
        raise FieldProblem(
            f"'{text.strip()}' is not an ISO 3166-2 region code (such as MX-JAL, BE-VLG)",
            "region-invalid",
        )
    return code


def parse_choice(text: str, choices: type[enum.Enum]) -> enum.Enum:
    value = text.strip().lower()
    for member in choices:
        if member.value == value:
            return member
    allowed = ", ".join(str(member.value) for member in choices)
    raise FieldProblem(f"'{text.strip()}' is not one of: {allowed}", "choice-invalid")


def _in_range(value: float, spec: FieldSpec) -> None:
    if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
        raise FieldProblem(
            f"{value:g} is out of range (expected {spec.low:g} to {spec.high:g})", "out-of-range"
        )


def parse_number(text: str, spec: FieldSpec) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise FieldProblem(
            f"'{text.strip()}' is not a number (use a dot for decimals)", "number-invalid"
        ) from None
    if not math.isfinite(value):
        raise FieldProblem(f"'{text.strip()}' is not a finite number", "number-invalid")
    _in_range(value, spec)
    return value


def parse_integer(text: str, spec: FieldSpec) -> int:
    if not re.fullmatch(r"\d{1,4}", text.strip()):
        raise FieldProblem(f"'{text.strip()}' is not a whole number", "number-invalid")
    value = int(text.strip())
    _in_range(value, spec)
    return value


def parse_age(text: str, spec: FieldSpec) -> AgeRange:
    match = re.fullmatch(r"(\d{1,3})(?:\s*-\s*(\d{1,3}))?", text.strip())
    if not match:
        raise FieldProblem(
            f"'{text.strip()}' is not an age in whole years (or a range like 9-11)",
            "number-invalid",
        )
    low = int(match.group(1))
    high = int(match.group(2) or low)
    for value in (low, high):
        _in_range(value, spec)
    if high < low:
        raise FieldProblem(f"'{text.strip()}': the range goes downwards", "number-invalid")
    return AgeRange(low, high)


def parse_names(text: str) -> tuple[str, ...]:
    return tuple(name for name in (parse_line(part) for part in text.split(";")) if name)


def parse_locales(text: str) -> tuple[str, ...]:
    tags = tuple(tag for tag in re.split(r"[\s,;]+", text.strip()) if tag)
    for tag in tags:
        if not i18n.is_valid_tag(tag):
            raise FieldProblem(
                f"'{tag}' is not a BCP 47 language tag (such as en, pt-BR, zh-Hans)",
                "locale-invalid",
            )
    return tags


def parse_locale(text: str) -> str:
    tags = parse_locales(text)
    if len(tags) != 1:
        raise FieldProblem("give exactly one BCP 47 language tag (such as en)", "locale-invalid")
    return tags[0]


def parse_consent(text: str) -> bool:
    return parse_line(text).lower() == "yes"


def parse_photo(text: str, cases_dir: Path) -> Path | str:
    value = parse_line(text)
    if value.lower().startswith("https://"):
        return value
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value) and not re.match(r"[A-Za-z]:[\\/]", value):
        raise FieldProblem(
            "only https:// links or paths to files beside the cases file are accepted",
            "photo-url-scheme",
        )
    root = cases_dir.resolve()
    path = (root / value).resolve()
    if not path.is_relative_to(root):
        raise FieldProblem(
            f"'{value}' points outside the folder of the cases file; put photos in "
            "that folder or below it",
            "photo-outside",
        )
    if not path.is_file():
        raise FieldProblem(f"'{value}' does not exist (looked in {root})", "photo-missing")
    return path


def parse(spec: FieldSpec, text: str, ctx: ParseContext) -> Any:
    """The typed value of one field."""
    readers: dict[Kind, Callable[[str], Any]] = {
        Kind.IDENT: parse_ident,
        Kind.LINE: parse_line,
        Kind.TEXT: parse_text,
        Kind.DATE: parse_date,
        Kind.MOMENT: lambda value: parse_moment(value, ctx.as_of),
        Kind.PARTIAL_DATE: parse_partial_date,
        Kind.COUNTRY: parse_country,
        Kind.REGION: parse_region,
        Kind.CHOICE: lambda value: parse_choice(value, spec.choices),  # type: ignore[arg-type]
        Kind.NUMBER: lambda value: parse_number(value, spec),
        Kind.INTEGER: lambda value: parse_integer(value, spec),
        Kind.AGE: lambda value: parse_age(value, spec),
        Kind.NAMES: parse_names,
        Kind.LOCALE: parse_locale,
        Kind.LOCALES: parse_locales,
        Kind.CONSENT: parse_consent,
        Kind.PHOTO: lambda value: parse_photo(value, ctx.cases_dir),
    }
    return readers[spec.kind](text)
