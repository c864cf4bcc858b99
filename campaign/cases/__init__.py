"""Load cases files: pick the reader by file type, check every record, report every problem."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from campaign.cases import fields as F
from campaign.cases.parse import ParseContext
from campaign.cases.raw import RawRecord, ReaderOutput
from campaign.cases.validate import check_record
from campaign.errors import InputError, UsageError
from campaign.models import Case, PrivateFields
from campaign.problems import Problem, Severity

Reader = Callable[[Path, str | None], ReaderOutput]
# extension → (module, function); imported when first used.
READERS: dict[str, tuple[str, str]] = {
    ".csv": ("campaign.cases.csvfile", "read_csv"),
    ".json": ("campaign.cases.jsonfile", "read_json"),
    ".jsonl": ("campaign.cases.jsonfile", "read_jsonl"),
    ".ndjson": ("campaign.cases.jsonfile", "read_jsonl"),
    ".xml": ("campaign.cases.pfif", "read_pfif"),
    ".pfif": ("campaign.cases.pfif", "read_pfif"),
}


@dataclass
class LoadResult:
    """Accepted cases, their private fields (kept apart), and every problem found."""

    cases: list[Case] = field(default_factory=list)
    private: dict[str, PrivateFields] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    records: int = 0

    @property
    def publishable(self) -> list[Case]:
        """Accepted cases that no gate holds back."""
        gated = {p.case_id for p in self.problems if p.severity is Severity.GATED}
        return [case for case in self.cases if case.case_id not in gated]

    def has_errors(self) -> bool:
        return any(problem.severity is Severity.ERROR for problem in self.problems)


def reader_for(path: Path) -> Reader:
    """The reader for a cases file, by its extension."""
    try:
        module, name = READERS[path.suffix.lower()]
    except KeyError:
        kinds = ", ".join(sorted(READERS))
        raise UsageError(
            f"{path}: unknown cases file type '{path.suffix}' (use one of {kinds})"
        ) from None
    reader: Reader = getattr(importlib.import_module(module), name)
    return reader


def check_defaults(defaults: Mapping[str, str]) -> None:
    """``--set FIELD=VALUE`` may only name case-record fields."""
    for name in defaults:
        if F.spec_for(name) is None:
            raise UsageError(f"--set {name}=…: '{name}' is not a case-record field")


def load_cases(
    path: Path,
    make_ref: Callable[[str], str],
    as_of: dt.date,
    defaults: Mapping[str, str] | None = None,
    ignore: Iterable[str] = (),
) -> LoadResult:
    """Read and check every record of ``path``; bad records are reported, good ones kept."""
    reader = reader_for(path)
    if not path.is_file():
        raise InputError("cases file not found", str(path))
    check_defaults(defaults or {})
    ctx = ParseContext(as_of=as_of, cases_dir=path.resolve().parent)
    result = LoadResult()
    first_line: dict[str, int] = {}
    reported_unknown: set[tuple[str, str | None]] = set()
    for item in reader(path, display_name(path)):
        if isinstance(item, Problem):
            result.problems.append(item)
            continue
        result.records += 1
        record = _with_defaults(item, defaults or {})
        checked = check_record(record, ctx, make_ref, frozenset(ignore))
        problems = [p for p in checked.problems if _first_report(p, reported_unknown)]
        case = checked.case
        if case is not None and case.case_id in first_line:
            problems.append(
                Problem(
                    Severity.ERROR,
                    "duplicate-id",
                    f"case id '{case.case_id}' is already used at line {first_line[case.case_id]}",
                    record.file,
                    record.line,
                    "case_id",
                    case.case_id,
                )
            )
            case = None
        if case is not None:
            first_line[case.case_id] = record.line
            result.cases.append(case)
            if checked.private is not None:
                result.private[case.case_id] = checked.private
        result.problems.extend(problems)
    return result


def display_name(path: Path) -> str:
    """The path as staff typed it, or relative to the current folder when it lies below it."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _first_report(problem: Problem, seen: set[tuple[str, str | None]]) -> bool:
    """An unknown column is reported once per file, not once per row."""
    if problem.code != "unknown-field":
        return True
    key = (problem.file or "", problem.field)
    if key in seen:
        return False
    seen.add(key)
    return True


def _with_defaults(record: RawRecord, defaults: Mapping[str, str]) -> RawRecord:
    missing = {name: value for name, value in defaults.items() if not record.values.get(name)}
    if not missing:
        return record
    return replace(record, values={**record.values, **missing})
