"""The CSV reader: lines, BOM, quoting, row shape, encoding."""

from pathlib import Path

from campaign.cases.csvfile import read_csv
from campaign.cases.raw import RawRecord
from campaign.problems import Problem


def records(path: Path) -> list[RawRecord | Problem]:
    return list(read_csv(path))


def test_bom_is_tolerated_and_lines_are_where_rows_start(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        "\ufeffcase_id,description\n"
        'A1,"two\nlines"\n'
        "\n"
        'A2,"three\r\nline\r\ntext"\n'
        "A3,plain\n".encode()
    )
    rows = records(path)
    assert [r.line for r in rows if isinstance(r, RawRecord)] == [2, 5, 8]
    first = rows[0]
    assert isinstance(first, RawRecord)
    assert first.values == {"case_id": "A1", "description": "two\nlines"}
    assert "case_id" in first.values  # the BOM did not stick to the first column name


def test_short_and_long_rows_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("case_id,given_name,family_name\nA1,Ana\nA2,Bo,Cy,extra\nA3,Di,Ek\n")
    rows = [r for r in records(path) if isinstance(r, RawRecord)]
    assert [r.line for r in rows] == [2, 3, 4]
    assert "2 cells but the header has 3" in rows[0].problems[0].message
    assert "4 cells" in rows[1].problems[0].message
    assert rows[2].problems == ()


def test_invalid_utf8_is_kept_visible(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"case_id,given_name\nA1,Jos\xe9\n")
    (row,) = records(path)
    assert isinstance(row, RawRecord)
    assert "\udce9" in row.values["given_name"]


def test_empty_file_and_bad_header(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    (problem,) = records(empty)
    assert isinstance(problem, Problem) and problem.code == "empty-file"
    dup = tmp_path / "dup.csv"
    dup.write_text("case_id,case_id\nA,B\n")
    (problem,) = records(dup)
    assert isinstance(problem, Problem) and "appears twice" in problem.message


def test_unterminated_quote_is_a_syntax_problem_at_its_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('case_id,description\nA1,ok\nA2,"never closed\n')
    rows = records(path)
    assert isinstance(rows[0], RawRecord)
    problem = rows[-1]
    assert isinstance(problem, Problem)
    assert problem.code == "csv-syntax" and problem.line == 3
