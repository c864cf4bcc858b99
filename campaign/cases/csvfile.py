"""CSV cases files: UTF-8 (a BOM is tolerated), a header row, quoted multi-line fields."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from campaign.cases import fields as F
from campaign.cases.raw import RawRecord, ReaderOutput
from campaign.problems import Problem, Severity

if TYPE_CHECKING:
    import _csv


def read_csv(path: Path, display_name: str | None = None) -> ReaderOutput:
    """Yield one RawRecord per data row; the line given is the line where the row starts."""
    name = display_name or str(path)
    # surrogateescape keeps undecodable bytes visible to validation, which names the field.
    text = path.read_bytes().decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        yield Problem(
            Severity.ERROR, "empty-file", "the file is empty: expected a header row", name, 1
        )
        return
    except csv.Error as err:
        yield Problem(Severity.ERROR, "csv-syntax", f"not valid CSV: {err}", name, 1)
        return
    columns = [column.strip() for column in header]
    header_problem = _header_problem(columns, name)
    if header_problem:
        yield header_problem
        return
    unknown_lines = {column: 1 for column in columns if F.spec_for(column) is None}
    yield from _rows(reader, columns, name, unknown_lines)


def _header_problem(columns: list[str], name: str) -> Problem | None:
    seen: set[str] = set()
    for column in columns:
        if not column:
            return Problem(
                Severity.ERROR, "csv-header", "the header has an empty column name", name, 1
            )
        if column in seen:
            return Problem(
                Severity.ERROR,
                "csv-header",
                f"column '{column}' appears twice in the header",
                name,
                1,
                column,
            )
        seen.add(column)
    return None


def _rows(
    reader: _csv.Reader, columns: list[str], name: str, unknown_lines: dict[str, int]
) -> ReaderOutput:
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield Problem(Severity.ERROR, "csv-syntax", f"not valid CSV: {err}", name, start)
            return
        if cells and any(cell.strip() for cell in cells):
            yield _record(cells, columns, name, start, unknown_lines)
        start = reader.line_num + 1


def _record(
    cells: list[str], columns: list[str], name: str, line: int, unknown_lines: dict[str, int]
) -> RawRecord:
    problems: tuple[Problem, ...] = ()
    if len(cells) != len(columns):
        problems = (
            Problem(
                Severity.ERROR,
                "csv-cells",
                f"this row has {len(cells)} cells but the header has {len(columns)}; "
                "check for a missing or extra comma or quote",
                name,
                line,
            ),
        )
    values = {column: cell for column, cell in zip(columns, cells, strict=False) if cell.strip()}
    return RawRecord(name, line, values, field_lines=unknown_lines, problems=problems)
