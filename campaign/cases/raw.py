"""What a reader hands to validation: the record's fields as text, and where it started."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from campaign.problems import Problem


@dataclass(frozen=True)
class RawRecord:
    """One record as read: field name → text (empty values left out), before any checking.

    ``line`` is the line the record starts on. ``field_lines`` may give a better line for a
    field (PFIF notes, JSON keys). ``source_id`` keeps an original id that was transformed into
    ``case_id`` (PFIF). ``problems`` carries what the reader itself found wrong with the record
    (a CSV row with the wrong number of cells, bytes that are not UTF-8).
    """

    file: str
    line: int
    values: Mapping[str, str]
    field_lines: Mapping[str, int] = field(default_factory=dict)
    source_id: str | None = None
    problems: tuple[Problem, ...] = ()

    def line_of(self, name: str) -> int:
        return self.field_lines.get(name, self.line)


# A reader yields records, and Problems about the file as a whole (unknown columns, bad syntax).
ReaderOutput = Iterator[RawRecord | Problem]
