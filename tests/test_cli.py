"""The command line as staff run it: output lines, JSON, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from campaign.cli import main
from tests.conftest import GOOD

AS_OF = ["--as-of", "2026-11-28"]


def invoke(*args: str, cwd: Path | None = None) -> Result:
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args))
    with runner.isolated_filesystem(temp_dir=cwd):
        return runner.invoke(main, list(args))


def test_good_file_exits_0_with_summary(write_cases: Callable[..., Path]) -> None:
    result = invoke("validate", str(write_cases({})), *AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "1 records: 1 ready to publish, 0 gated, 0 rejected" in result.stderr


def test_mixed_file_names_each_bad_row_and_exits_1(write_cases: Callable[..., Path]) -> None:
    path = write_cases(
        {},
        {"case_id": "T-2", "missing_since": "2027-01-01"},
        {"case_id": "T-3", "consent": "no"},
        {"case_id": "T 4"},
    )
    result = invoke("validate", str(path), *AS_OF)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        f"{path}:3: missing_since: error: 2027-01-01 is in the future (as of 2026-11-28) "
        "(case T-2)" in lines
    )
    assert any(line.startswith(f"{path}:4: consent: gated: ") for line in lines)
    assert any(line.startswith(f"{path}:5: case_id: error: 'T 4'") for line in lines)
    assert "4 records: 1 ready to publish, 1 gated, 2 rejected" in result.stderr


def test_json_output_is_the_problem_list(write_cases: Callable[..., Path]) -> None:
    path = write_cases({"sex": "x"})
    result = invoke("validate", str(path), "--json", *AS_OF)
    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)
    assert problem == {
        "severity": "error",
        "code": "choice-invalid",
        "file": str(path),
        "line": 2,
        "field": "sex",
        "case_id": "T-001",
        "message": "'x' is not one of: female, male, other, unknown",
    }


def test_private_values_never_printed(write_cases: Callable[..., Path]) -> None:
    path = write_cases({"guardian_phone": "555-0142 secret\x07", "home_address": "9 Hidden Lane"})
    result = invoke("validate", str(path), "--json", *AS_OF)
    assert "555-0142" not in result.output and "Hidden Lane" not in result.output


def test_usage_errors_exit_2(write_cases: Callable[..., Path], tmp_path: Path) -> None:
    path = write_cases({})
    assert invoke("validate", str(path), "--set", "novalue").exit_code == 2
    assert invoke("validate", str(path), "--set", "missing_contry=MX").exit_code == 2
    odd = tmp_path / "cases.ods"
    odd.write_text("x")
    result = invoke("validate", str(odd))
    assert result.exit_code == 2 and "unknown cases file type" in result.stderr


def test_missing_cases_file_exits_1(tmp_path: Path) -> None:
    result = invoke("validate", str(tmp_path / "none.csv"))
    assert result.exit_code == 1 and "cases file not found" in result.stderr


def test_bad_config_exits_3(write_cases: Callable[..., Path], tmp_path: Path) -> None:
    config = tmp_path / "campaign.toml"
    config.write_text("[campaign]\nstate_dri = 'x'\n")
    result = invoke("validate", str(write_cases({})), "--config", str(config))
    assert result.exit_code == 3 and "did you mean 'campaign.state_dir'" in result.stderr


def test_run_writes_the_report(write_cases: Callable[..., Path], case_dir: Path) -> None:
    write_cases({}, {"case_id": "T-2", "consent": "no"})
    config = case_dir / "campaign.toml"
    config.write_text('[campaign]\ncases = "cases.csv"\n')
    result = invoke("run", "--config", str(config), *AS_OF)
    assert result.exit_code == 0, result.output
    report = (case_dir / "out" / "validation.txt").read_text()
    assert "2 records: 1 ready to publish, 1 gated" in report
    data = json.loads((case_dir / "out" / "validation.json").read_text())
    assert [case["case_id"] for case in data["ready"]] == ["T-001"]
    assert (case_dir / ".campaign" / "case-ref.key").is_file()


def test_run_without_cases_setting_exits_3(tmp_path: Path) -> None:
    config = tmp_path / "campaign.toml"
    config.write_text("")
    assert invoke("run", "--config", str(config)).exit_code == 3


def test_refs_are_stable_and_safe_for_spreadsheets(
    write_cases: Callable[..., Path], case_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAMPAIGN_REF_SECRET", raising=False)
    path = write_cases({}, {"case_id": "T-2"})
    config = case_dir / "campaign.toml"
    config.write_text("")
    first = invoke("refs", str(path), "--config", str(config), *AS_OF)
    second = invoke("refs", str(path), "--config", str(config), *AS_OF)
    assert first.exit_code == 0 and first.stdout == second.stdout
    rows = first.stdout.splitlines()
    assert rows[0] == "case_ref,case_id" and rows[1].endswith(",T-001") and len(rows) == 3


def test_console_script_runs(write_cases: Callable[..., Path]) -> None:
    path = write_cases({"case_id": "T 1"})
    done = subprocess.run(
        [sys.executable, "-m", "campaign", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert f"{path}:2: case_id: error:" in done.stdout
    assert GOOD["given_name"] not in done.stderr
