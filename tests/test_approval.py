"""Approval: who approved which rendition digests of a build, recorded in the state database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from campaign.approval import approved
from campaign.cli import main
from campaign.config import load_config
from campaign.models import Rendition
from campaign.state import open_state

AS_OF = ["--as-of", "2026-11-28"]
FORMATS = ["--format", "poster-a4", "--format", "banner-300x250"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def built(write_cases: Callable[..., Path], case_dir: Path) -> tuple[Path, Path]:
    """A two-case build (A4 poster and one banner each) and its config: (config, build dir)."""
    cases = write_cases({}, {"case_id": "T-002", "given_name": "Bea"})
    config = case_dir / "campaign.toml"
    config.write_text('[campaign]\nstate_dir = "state"\n')
    out = case_dir / "out"
    result = invoke(
        "build", str(cases), "--out", str(out), "--config", str(config), *FORMATS, *AS_OF
    )
    assert result.exit_code == 0, result.output
    assert "Review gallery: " in result.stderr and (out / "index.html").is_file()
    return config, out


def manifest(out: Path) -> list[dict[str, Any]]:
    renditions: list[dict[str, Any]] = json.loads((out / "manifest.json").read_text())["renditions"]
    return renditions


def rows(config: Path) -> list[tuple[str, ...]]:
    with open_state(load_config(config)) as state:
        found = state._db.execute(
            "SELECT case_ref, locale, format, sha256, approved_by, approved_at FROM approvals"
        )
        return sorted(tuple(row) for row in found)


def approve(config: Path, out: Path, *args: str) -> Result:
    return invoke("approve", str(out), "--config", str(config), *args)


def test_approve_records_every_rendition_digest(built: tuple[Path, Path]) -> None:
    config, out = built
    result = approve(config, out, "--by", "R. Reviewer")
    assert result.exit_code == 0, result.output
    listed = manifest(out)
    assert f"approved {len(listed)} renditions of 2 cases" in result.stdout
    assert f"{len(listed)} newly approved, 0 already approved" in result.stdout
    found = rows(config)
    expected = sorted((r["case_ref"], r["locale"], r["format"], r["sha256"]) for r in listed)
    assert [row[:4] for row in found] == expected
    assert {row[4] for row in found} == {"R. Reviewer"}
    when = dt.datetime.fromisoformat(found[0][5])
    assert when.utcoffset() == dt.timedelta(0)
    assert not any("T-00" in value for row in found for value in row)  # only the case_ref
    with open_state(load_config(config)) as state:
        assert all(approved(state, item) for item in listed)
        assert approved(state, Rendition(**listed[0]))


def test_a_changed_rendition_is_not_approved(built: tuple[Path, Path]) -> None:
    config, out = built
    assert approve(config, out, "--by", "R").exit_code == 0
    first = manifest(out)[0]
    with open_state(load_config(config)) as state:
        assert approved(state, first)
        assert not approved(state, {**first, "sha256": "0" * 64})
        assert not approved(state, {**first, "locale": "es"})
        assert not approved(state, {**first, "format": "poster-letter"})
        assert not approved(state, {**first, "case_ref": "AAAA-BBBB"})


def test_files_changed_since_the_manifest_are_refused(built: tuple[Path, Path]) -> None:
    config, out = built
    target = out / manifest(out)[0]["path"]
    target.write_bytes(target.read_bytes() + b"\n")
    result = approve(config, out, "--by", "R")
    assert result.exit_code == 1
    assert "changed since the manifest was written" in result.stderr
    assert manifest(out)[0]["path"] in result.stderr
    assert rows(config) == []


def test_approving_twice_is_idempotent(built: tuple[Path, Path]) -> None:
    config, out = built
    assert approve(config, out, "--by", "First").exit_code == 0
    before = rows(config)
    again = approve(config, out, "--by", "Second")
    assert again.exit_code == 0, again.output
    assert f"0 newly approved, {len(before)} already approved" in again.stdout
    assert rows(config) == before  # the first approval is kept as it was


def test_case_option_limits_the_approval(built: tuple[Path, Path]) -> None:
    config, out = built
    result = approve(config, out, "--by", "R", "--case", "T-002")
    assert result.exit_code == 0, result.output
    listed = manifest(out)
    refs = {r["case_ref"] for r in listed if r["case_id"] == "T-002"}
    found = rows(config)
    assert found and {row[0] for row in found} == refs
    assert len(found) == sum(1 for r in listed if r["case_id"] == "T-002")
    with open_state(load_config(config)) as state:
        assert not any(approved(state, r) for r in listed if r["case_id"] == "T-001")


def test_unknown_case_is_an_input_error(built: tuple[Path, Path]) -> None:
    config, out = built
    result = approve(config, out, "--by", "R", "--case", "T-999")
    assert result.exit_code == 1
    assert "no renditions of case T-999" in result.stderr
    assert rows(config) == []


def test_missing_folder_or_manifest_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "campaign.toml"
    config.write_text('[campaign]\nstate_dir = "state"\n')
    missing = approve(config, tmp_path / "nowhere", "--by", "R")
    assert missing.exit_code == 1
    assert "no such build folder" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = approve(config, tmp_path / "empty", "--by", "R")
    assert empty.exit_code == 1
    assert "no manifest.json" in empty.stderr
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{not json")
    assert approve(config, tmp_path / "bad", "--by", "R").exit_code == 1
    assert approve(config, tmp_path / "empty", "--by", "  ").exit_code in (1, 2)


def test_run_approve_as_approves_the_run(write_cases: Callable[..., Path], case_dir: Path) -> None:
    write_cases({})
    config = case_dir / "campaign.toml"
    config.write_text('[campaign]\ncases = "cases.csv"\nstate_dir = "state"\n')
    result = invoke("run", "--config", str(config), "--approve-as", "Night run", *AS_OF)
    assert result.exit_code == 0, result.output
    out = case_dir / "out"
    assert (out / "index.html").is_file()
    listed = manifest(out)
    assert "newly approved" in result.stdout
    assert len(rows(config)) == len(listed)
    with open_state(load_config(config)) as state:
        assert all(approved(state, item) for item in listed)
