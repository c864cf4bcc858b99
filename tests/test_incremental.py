"""Incremental builds: job keys in the manifest, unchanged jobs skipped, changed ones rendered."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from campaign import i18n, jobkeys
from campaign.build import BuildReport, BuildRequest, build
from campaign.config import load_config
from campaign.intake import IntakeOptions, intake
from campaign.jobkeys import case_fields
from tests.conftest import AS_OF

FORMATS = ("poster-a4", "banner-300x250")
CHANGED = "DEMO-MX-001"

Builder = Callable[..., BuildReport]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def builder(demo_dir: Path, tmp_path: Path) -> Builder:
    """Build a cases file of the example (beside its photos) into one folder per test."""
    config = load_config(demo_dir / "campaign.toml")

    def run(cases: Path | None = None, force: bool = False, jobs: int = 1) -> BuildReport:
        loaded = intake(cases or demo_dir / "cases.csv", config, IntakeOptions(AS_OF, {}, True))
        request = BuildRequest(tmp_path / "out", AS_OF, FORMATS, force=force, jobs=jobs)
        return build(loaded, config, request)

    return run


def _state(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of a build but the manifest, with its mtime and bytes."""
    return {
        str(path.relative_to(root)): (path.stat().st_mtime_ns, path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }


def _touched(before: dict[str, tuple[int, bytes]], root: Path) -> set[str]:
    after = _state(root)
    return {path for path, (mtime, _) in after.items() if before.get(path, (None,))[0] != mtime}


def _manifest(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    return data


def test_keys_are_in_the_manifest_and_an_unchanged_rebuild_renders_nothing(
    builder: Builder, tmp_path: Path
) -> None:
    first = builder()
    root = tmp_path / "out"
    before, manifest = _state(root), _manifest(root)
    assert first.rendered == len(first.renditions) and first.skipped == 0
    renditions = manifest["renditions"]
    assert isinstance(renditions, list)
    assert all(len(item["key"]) == 64 for item in renditions)
    again = builder()
    assert (again.rendered, again.skipped) == (0, len(first.renditions))
    assert _state(root) == before
    assert _manifest(root) == manifest


def test_one_changed_case_renders_only_its_jobs(
    builder: Builder, demo_dir: Path, tmp_path: Path
) -> None:
    rows = _rows(demo_dir / "cases.csv")
    builder(_write_rows(demo_dir / "incremental-case.csv", rows))
    root = tmp_path / "out"
    before = _state(root)
    for row in rows:
        if row["case_id"] == CHANGED:
            row["clothing"] = "A green raincoat and yellow boots"
    again = builder(_write_rows(demo_dir / "incremental-case.csv", rows))
    touched = _touched(before, root)
    assert touched and {path.split("/")[0] for path in touched} == {CHANGED}
    ours = [r for r in again.renditions if r.case_id == CHANGED]
    assert again.rendered == len(ours) == len({p for p in touched if not p.endswith(".html")})
    assert again.skipped == len(again.renditions) - len(ours)


def test_a_changed_translation_renders_only_its_locale(
    builder: Builder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder()
    root = tmp_path / "out"
    before = _state(root)
    real = jobkeys.catalog_digest
    monkeypatch.setattr(
        jobkeys, "catalog_digest", lambda tag: "changed" if tag == "es" else real(tag)
    )
    again = builder()
    rerendered = {path.split("/")[1] for path in _touched(before, root)}
    assert rerendered == {"es", "alerts"}  # the alert files of a case also written in Spanish
    spanish = [r for r in again.renditions if r.locale == "es"]
    alerts = {r.case_id for r in again.renditions if r.locale == "es"}
    assert again.rendered == len(spanish) + sum(
        1 for r in again.renditions if r.locale == "mul" and r.case_id in alerts
    )


def test_catalog_digest_follows_the_catalog_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    before = {tag: i18n.catalog_digest(tag) for tag in ("es", "es-MX", "fr")}
    real = i18n._compiled
    monkeypatch.setattr(i18n, "_compiled", lambda tag: b"other" if tag == "es" else real(tag))
    after = {tag: i18n.catalog_digest(tag) for tag in ("es", "es-MX", "fr")}
    assert after["es"] != before["es"] and after["es-MX"] != before["es-MX"]
    assert after["fr"] == before["fr"]


def test_a_deleted_or_corrupted_file_is_rendered_again(builder: Builder, tmp_path: Path) -> None:
    first = builder()
    root = tmp_path / "out"
    gone, damaged = first.renditions[0], first.renditions[1]
    (root / gone.path).unlink()
    (root / damaged.path).write_bytes(b"not a poster")
    again = builder()
    assert (again.rendered, again.skipped) == (2, len(first.renditions) - 2)
    for item in (gone, damaged):
        assert hashlib.sha256((root / item.path).read_bytes()).hexdigest() == item.sha256


def test_force_renders_everything(builder: Builder) -> None:
    first = builder()
    again = builder(force=True)
    assert (again.rendered, again.skipped) == (len(first.renditions), 0)


def test_moving_a_row_renders_nothing(builder: Builder, demo_dir: Path, tmp_path: Path) -> None:
    rows = _rows(demo_dir / "cases.csv")
    builder(_write_rows(demo_dir / "incremental-move.csv", rows))
    before = _state(tmp_path / "out")
    moved = _write_rows(demo_dir / "incremental-move.csv", rows[1:] + rows[:1])
    again = builder(moved)
    assert again.rendered == 0 and _state(tmp_path / "out") == before
    config = load_config(demo_dir / "campaign.toml")
    cases = intake(moved, config, IntakeOptions(AS_OF, {}, True)).publishable
    now = {case.case_id: case.origin.line for case in cases}
    warned = [(r.case_id, p.line) for r in again.renditions for p in r.problems]
    assert warned and all(line == now[case_id] for case_id, line in warned)


def test_the_case_serialisation_leaves_out_where_the_record_came_from(demo_dir: Path) -> None:
    config = load_config(demo_dir / "campaign.toml")
    options = IntakeOptions(AS_OF, {}, True, check_photos=False)
    case = intake(demo_dir / "cases.csv", config, options).publishable[0]
    fields = case_fields(case)
    assert "origin" not in fields and fields["case_id"] == case.case_id
    assert json.dumps(fields)  # plain JSON data
