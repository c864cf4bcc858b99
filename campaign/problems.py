"""The one shape every reported problem takes, in CLI text and in JSON."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class Severity(enum.StrEnum):
    """``error`` rejects a record; ``gated``: valid, not publishable now; ``warning`` informs."""

    ERROR = "error"
    GATED = "gated"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding about an input, named by file, line and field where known."""

    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    case_id: str | None = None

    def text(self, with_severity: bool = False) -> str:
        """``FILE:LINE: FIELD: message`` with the parts that are known (severity before message)."""
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        field = f"{self.field}: " if self.field else ""
        severity = f"{self.severity.value}: " if with_severity else ""
        return f"{where}{field}{severity}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (absent parts left out)."""
        out: dict[str, Any] = {"severity": self.severity.value, "code": self.code}
        for key in ("file", "line", "field", "case_id"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["message"] = self.message
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        """The inverse of :meth:`to_dict`."""
        return cls(
            Severity(data["severity"]),
            str(data["code"]),
            str(data["message"]),
            data.get("file"),
            data.get("line"),
            data.get("field"),
            data.get("case_id"),
        )


def count(problems: Iterable[Problem]) -> dict[Severity, int]:
    """How many problems of each severity."""
    totals = {severity: 0 for severity in Severity}
    for problem in problems:
        totals[problem.severity] += 1
    return totals
