"""JSON cases files (an array of objects) and JSON Lines (one object per line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from campaign.cases.raw import RawRecord, ReaderOutput
from campaign.problems import Problem, Severity


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates)


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def read_json(path: Path, display_name: str | None = None) -> ReaderOutput:
    """Yield one RawRecord per object of the top-level array, with the line the object starts on."""
    name = display_name or str(path)
    text = _read_text(path)
    index = _skip_space(text, 0)
    if not text.startswith("[", index):
        yield Problem(
            Severity.ERROR,
            "json-syntax",
            "expected a JSON array of case objects (for one object per line, name the file .jsonl)",
            name,
            _line_at(text, index),
        )
        return
    index = _skip_space(text, index + 1)
    if text.startswith("]", index):
        return
    while True:
        try:
            value, end = _DECODER.raw_decode(text, index)
        except (json.JSONDecodeError, _DuplicateKey) as err:
            yield _syntax_problem(err, name, text, index)
            return
        yield _to_record(value, name, _line_at(text, index))
        index = _skip_space(text, end)
        if text.startswith(",", index):
            index = _skip_space(text, index + 1)
            continue
        if not text.startswith("]", index):
            yield Problem(
                Severity.ERROR,
                "json-syntax",
                "expected ',' or ']' after an object",
                name,
                _line_at(text, index),
            )
        return


def read_jsonl(path: Path, display_name: str | None = None) -> ReaderOutput:
    """Yield one RawRecord per non-blank line; a bad line is reported and the others carry on."""
    name = display_name or str(path)
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = _DECODER.decode(line)
        except (json.JSONDecodeError, _DuplicateKey) as err:
            yield _syntax_problem(err, name, line, 0, number)
            continue
        yield _to_record(value, name, number)


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _syntax_problem(
    err: Exception, name: str, text: str, index: int, base_line: int | None = None
) -> Problem:
    if isinstance(err, _DuplicateKey):
        line = base_line or _line_at(text, index)
        return Problem(
            Severity.ERROR,
            "json-duplicate-key",
            f"the key '{err}' appears twice in one object",
            name,
            line,
            str(err),
        )
    assert isinstance(err, json.JSONDecodeError)
    line = base_line or err.lineno
    return Problem(
        Severity.ERROR, "json-syntax", f"not valid JSON: {err.msg} (column {err.colno})", name, line
    )


def _to_record(value: Any, name: str, line: int) -> RawRecord:
    if not isinstance(value, dict):
        problem = Problem(
            Severity.ERROR,
            "json-not-object",
            "expected an object with the case's fields",
            name,
            line,
        )
        return RawRecord(name, line, {}, problems=(problem,))
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for key, item in value.items():
        text = _as_text(item)
        if text is None:
            problems.append(
                Problem(
                    Severity.ERROR,
                    "json-type",
                    "expected text, a number, true/false or a list of text",
                    name,
                    line,
                    key,
                )
            )
        elif text:
            values[key] = text
    return RawRecord(name, line, values, problems=tuple(problems))


def _as_text(item: Any) -> str | None:
    if item is None:
        return ""
    if isinstance(item, bool):
        return "yes" if item else "no"
    if isinstance(item, (int, float, str)):
        return str(item)
    if isinstance(item, list) and all(isinstance(part, str) for part in item):
        return "; ".join(item)
    return None
