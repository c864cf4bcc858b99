"""Subscriber lists: the CSV file of an e-mail list read into checked, normalised subscribers.

Columns: ``email``, ``locale`` and ``consent_date`` are required; ``name``, ``country``,
``region`` and ``lat``/``lon``/``radius_km`` (all three or none) are optional. A row with a
problem is skipped and reported by line and column — never by its address or name, which are
personal data — and the good rows are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from campaign.audience import Area, EmailList, Subscriber, area
from campaign.cases.csvfile import read_csv
from campaign.cases.parse import (
    FieldProblem,
    parse_country,
    parse_date,
    parse_line,
    parse_locale,
    parse_region,
)
from campaign.cases.raw import RawRecord
from campaign.errors import InputError
from campaign.problems import Problem, Severity

COLUMNS = (
    "email", "name", "locale", "country", "region", "lat", "lon", "radius_km", "consent_date",
)  # fmt: skip
NAME_MAX = 200
INVALID = "subscriber-invalid"
DUPLICATE = "subscriber-duplicate"
UNKNOWN_COLUMN = "unknown-column"
_CIRCLE = ("lat", "lon", "radius_km")
_HEADER_CODES = {"empty-file", "csv-header"}


def load_subscribers(
    email_list: EmailList, today: dt.date
) -> tuple[list[Subscriber], list[Problem]]:
    """The good rows of ``email_list``'s CSV file, and a Problem for every row left out.

    Raises InputError when the file cannot be read or its header has no ``email`` column.
    """
    path, name = email_list.subscribers, str(email_list.subscribers)
    columns = _header(path, name, email_list.name)
    problems = [_unknown_column(column, name) for column in columns if column not in COLUMNS]
    subscribers: list[Subscriber] = []
    first_line: dict[str, int] = {}
    for item in read_csv(path, name):
        if isinstance(item, Problem):
            if item.code in _HEADER_CODES:
                raise InputError(item.message, name, item.line)
            problems.append(item)
            continue
        subscriber, row_problems = _subscriber(item, email_list.name, today)
        problems.extend(row_problems)
        if subscriber is None:
            continue
        key = subscriber.address.casefold()
        if key in first_line:
            problems.append(_duplicate(item, first_line[key]))
            continue
        first_line[key] = subscriber.line
        subscribers.append(subscriber)
    return subscribers, problems


def _header(path: Path, name: str, list_name: str) -> list[str]:
    """The header's column names; InputError when the file cannot be used at all."""
    try:
        with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as file:
            header = next(csv.reader(file, strict=True), None)
    except FileNotFoundError:
        raise InputError(
            f"the subscribers file of list '{list_name}' does not exist", name
        ) from None
    except OSError as err:
        raise InputError(f"cannot read the subscribers file: {err.strerror}", name) from None
    except csv.Error as err:
        raise InputError(f"not valid CSV: {err}", name, 1) from None
    columns = [column.strip() for column in header or []]
    if "email" not in columns:
        raise InputError(
            "the header has no 'email' column (expected a header row such as "
            "email,name,locale,country,consent_date)",
            name,
            1,
        )
    return columns


def _unknown_column(column: str, file: str) -> Problem:
    hint = difflib.get_close_matches(column, COLUMNS, n=1)
    maybe = f"; did you mean '{hint[0]}'?" if hint else ""
    return Problem(
        Severity.WARNING,
        UNKNOWN_COLUMN,
        f"'{column}' is not a subscriber column{maybe} (it is ignored; the columns are "
        f"{', '.join(COLUMNS)})",
        file,
        1,
        column,
    )


def _duplicate(record: RawRecord, first: int) -> Problem:
    return Problem(
        Severity.WARNING,
        DUPLICATE,
        f"the same address as line {first}; this row is skipped and line {first} kept",
        record.file,
        record.line,
        "email",
    )


@dataclass
class _Row:
    """One CSV row being checked, with the problems found so far."""

    record: RawRecord
    problems: list[Problem] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.problems.append(
            Problem(Severity.ERROR, INVALID, message, self.record.file, self.record.line, column)
        )

    def failed(self, *columns: str) -> bool:
        return any(p.field in columns and p.severity is Severity.ERROR for p in self.problems)

    def text(self, column: str, expected: str | None = None) -> str | None:
        """The cell as one line of text; None when empty (an error if ``expected``) or bad."""
        raw = self.record.values.get(column)
        if raw is None:
            if expected:
                self.error(column, f"is required: expected {expected}")
            return None
        try:
            return parse_line(raw) or None
        except FieldProblem as err:
            self.error(column, str(err))
            return None


def _subscriber(
    record: RawRecord, list_name: str, today: dt.date
) -> tuple[Subscriber | None, list[Problem]]:
    row = _Row(record, list(record.problems))
    address = _address(row)
    name = _name(row)
    locale = _locale(row)
    where = _area(row)
    consent = _consent(row, today)
    if address is None or locale is None or where is None or consent is None:
        return None, row.problems
    if any(problem.severity is Severity.ERROR for problem in row.problems):
        return None, row.problems
    return Subscriber(address, name, locale, where, consent, list_name, record.line), row.problems


def _address(row: _Row) -> str | None:
    text = row.text("email", "an e-mail address such as name@example.org")
    if text is None:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as err:
        reason = _reason(str(err), text)
        row.error(
            "email",
            "is not a valid e-mail address"
            + (f": {reason}" if reason else "")
            + " (expected one address such as name@example.org)",
        )
        return None


def _reason(message: str, address: str) -> str:
    """The validator's explanation, or "" when it might repeat part of the address."""
    reason = re.sub(r"\s*\([^)]*\)", "", message).strip().rstrip(".")
    parts = [part for part in re.split(r"[@.\s]+", address.casefold()) if len(part) >= 3]
    return "" if any(part in reason.casefold() for part in parts) else reason


def _name(row: _Row) -> str | None:
    text = row.text("name")
    if text is not None and len(text) > NAME_MAX:
        row.error("name", f"is longer than {NAME_MAX} characters; shorten it")
        return None
    return text


def _locale(row: _Row) -> str | None:
    text = row.text("locale", "a BCP 47 language tag such as es, pt-BR or zh-Hans")
    if text is None:
        return None
    try:
        return parse_locale(text)
    except FieldProblem as err:
        row.error("locale", str(err))
        return None


def _consent(row: _Row, today: dt.date) -> dt.date | None:
    text = row.text("consent_date", "the date consent was given, as YYYY-MM-DD")
    if text is None:
        return None
    try:
        given = parse_date(text)
    except FieldProblem as err:
        row.error("consent_date", str(err))
        return None
    if given > today:
        row.error(
            "consent_date", f"{given} is after today ({today}); write the date consent was given"
        )
        return None
    return given


def _area(row: _Row) -> Area | None:
    cells = {column: row.text(column) for column in ("country", "region", *_CIRCLE)}
    countries = _codes(row, "country", cells["country"], parse_country)
    regions = _codes(row, "region", cells["region"], parse_region)
    circle = None if row.failed(*_CIRCLE) else _circle(row, cells)
    if countries is None or regions is None or circle is None:
        return None
    return replace(circle, countries=countries, regions=regions)


def _codes(
    row: _Row, column: str, text: str | None, check: Callable[[str], str]
) -> tuple[str, ...] | None:
    """Country or region codes: well-formed (``audience.area``) and known to ISO 3166."""
    if row.failed(column):
        return None
    parts: dict[str, str | None] = dict.fromkeys(("countries", "regions", "lat", "lon", "radius"))
    parts["countries" if column == "country" else "regions"] = text
    try:
        found = area(column, **parts)
        codes = found.countries or found.regions
        for code in codes:
            check(code)
    except ValueError as err:  # FieldProblem included
        row.error(column, str(err).removeprefix(f"{column}: "))
        return None
    return codes


def _circle(row: _Row, cells: dict[str, str | None]) -> Area | None:
    numbers: dict[str, float | None] = {}
    for column in _CIRCLE:
        text = cells[column]
        try:
            numbers[column] = None if text is None else float(text)
        except ValueError:
            # The value is not repeated: a subscriber's location is personal data.
            row.error(column, "is not a number (write decimal degrees or km with a dot)")
    if len(numbers) < len(_CIRCLE):
        return None
    try:
        return area("area", None, None, numbers["lat"], numbers["lon"], numbers["radius_km"])
    except ValueError as err:
        row.error(_circle_column(numbers), str(err).removeprefix("area: "))
        return None


def _circle_column(numbers: dict[str, float | None]) -> str:
    """The column to blame when ``audience.area`` refuses the circle."""
    missing = [column for column in _CIRCLE if numbers[column] is None]
    if missing:
        return missing[0]
    lat, lon = numbers["lat"], numbers["lon"]
    if lat is None or not -90 <= lat <= 90:
        return "lat"
    if lon is None or not -180 <= lon <= 180:
        return "lon"
    return "radius_km"
