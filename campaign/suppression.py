"""Filling the suppression list from files: a provider's bounce or complaint export (CSV with an
``email`` column and optionally ``reason``), or a plain list of one address per line."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from campaign.errors import InputError
from campaign.ledger import Ledger
from campaign.problems import Problem, Severity

REASONS = ("manual", "bounce", "complaint", "unsubscribe")


def normalised_address(address: str) -> str:
    """``address`` checked and normalised as subscriber lists store it; ``ValueError`` if bad."""
    if any(char in address for char in "\r\n\0"):
        raise ValueError("an address cannot hold line breaks")
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError as err:
        raise ValueError(f"not a valid e-mail address: {err}") from None


@dataclass
class ImportResult:
    file: Path
    new: int = 0
    already: int = 0
    problems: list[Problem] = field(default_factory=list)

    def text(self) -> str:
        return (
            f"{self.file}: suppressed {self.new} new addresses, {self.already} already "
            f"suppressed, {len(self.problems)} lines refused"
        )


def import_suppressions(ledger: Ledger, file: Path, reason: str) -> ImportResult:
    """Suppress every valid address in ``file``; bad lines are reported, the rest kept."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read the file: {err}", str(file)) from None
    result = ImportResult(file)
    for line, address, why in _rows(text, reason):
        if why not in REASONS:
            result.problems.append(_problem(file, line, "reason", f"expected one of {REASONS}"))
            continue
        try:
            checked = normalised_address(address)
        except ValueError:
            result.problems.append(_problem(file, line, "email", "not a valid e-mail address"))
            continue
        if ledger.suppress(checked, why, f"import:{file.name}"):
            result.new += 1
        else:
            result.already += 1
    return result


def _rows(text: str, reason: str) -> list[tuple[int, str, str]]:
    first = text.splitlines()[0] if text.strip() else ""
    if "email" not in [cell.strip().lower() for cell in first.split(",")]:
        return [
            (number, line.strip(), reason)
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    reader = csv.DictReader(io.StringIO(text))
    rows: list[tuple[int, str, str]] = []
    for record in reader:
        fields = {
            key.strip().lower(): (value or "").strip() for key, value in record.items() if key
        }
        rows.append((reader.line_num, fields.get("email", ""), fields.get("reason") or reason))
    return rows


def _problem(file: Path, line: int, field_name: str, message: str) -> Problem:
    return Problem(Severity.ERROR, "suppression-invalid", message, str(file), line, field_name)
