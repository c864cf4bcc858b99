"""JSON arrays and JSON Lines: start lines, duplicate keys, types."""

from pathlib import Path

from campaign.cases.jsonfile import read_json, read_jsonl
from campaign.cases.raw import RawRecord
from campaign.problems import Problem


def test_array_records_carry_their_start_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        '[\n  {"case_id": "A1",\n   "consent": true},\n\n  {"case_id": "A2", '
        '"height_cm": 141.5, "alternate_names": ["Bo", "Bobby"], "lat": null}\n]\n'
    )
    rows = list(read_json(path))
    assert [r.line for r in rows if isinstance(r, RawRecord)] == [2, 5]
    first, second = rows
    assert isinstance(first, RawRecord) and isinstance(second, RawRecord)
    assert first.values == {"case_id": "A1", "consent": "yes"}
    assert second.values == {"case_id": "A2", "height_cm": "141.5", "alternate_names": "Bo; Bobby"}


def test_duplicate_key_and_syntax_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('[{"case_id": "A1"},\n {"case_id": "A2", "case_id": "A3"}]')
    rows = list(read_json(path))
    assert isinstance(rows[0], RawRecord)
    assert isinstance(rows[1], Problem) and rows[1].code == "json-duplicate-key"
    assert rows[1].line == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"case_id": "A1"}')
    (problem,) = read_json(bad)
    assert isinstance(problem, Problem) and "array" in problem.message


def test_nested_values_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('[{"case_id": "A1", "given_name": {"first": "x"}}, 5]')
    first, second = read_json(path)
    assert isinstance(first, RawRecord) and first.problems[0].field == "given_name"
    assert isinstance(second, RawRecord) and second.problems[0].code == "json-not-object"


def test_jsonl_bad_line_does_not_stop_others(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"case_id": "A1"}\n\n{"case_id": \n{"case_id": "A3"}\n')
    rows = list(read_jsonl(path))
    assert [type(r).__name__ for r in rows] == ["RawRecord", "Problem", "RawRecord"]
    assert [r.line for r in rows] == [1, 3, 4]
