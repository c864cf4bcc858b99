"""Executors: in-process or a process pool, results streamed in order, same bytes either way."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from campaign import executors
from campaign.build import BuildRequest, build
from campaign.cli import main
from campaign.config import load_config
from campaign.executors import InlineExecutor, stream
from campaign.intake import IntakeOptions, intake
from tests.conftest import AS_OF

FORMATS = ("poster-a4", "banner-300x250")


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_two_workers_write_the_same_bytes_as_one(demo_dir: Path, tmp_path: Path) -> None:
    config = load_config(demo_dir / "campaign.toml")
    loaded = intake(demo_dir / "cases.csv", config, IntakeOptions(AS_OF, {}, True))
    reports = [
        build(loaded, config, BuildRequest(tmp_path / str(jobs), AS_OF, FORMATS, jobs=jobs))
        for jobs in (1, 2)
    ]
    one, two = _files(tmp_path / "1"), _files(tmp_path / "2")
    assert one and one == two  # every file, manifest.json included
    assert reports[0].rendered == reports[1].rendered == len(reports[0].renditions)


class _Logging(InlineExecutor):
    """Runs each task at once and logs its submission."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.log.append("submit")
        return super().submit(fn, *args, **kwargs)


def test_stream_keeps_the_order_and_a_bounded_window() -> None:
    log: list[str] = []
    items = [(n, None if n % 3 == 0 else n) for n in range(12)]
    got = []
    for tag, result in stream(_Logging(log), lambda n: n * 10, items, window=2):
        got.append((tag, result))
        log.append("yield" if result is not None else "pass")
    assert got == [(n, None if n % 3 == 0 else n * 10) for n in range(12)]
    in_flight = 0
    for event in log:
        in_flight += {"submit": 1, "yield": -1, "pass": 0}[event]
        assert in_flight <= 3  # the window, plus the one just submitted


def test_inline_executor_hands_errors_to_the_future() -> None:
    def boom() -> None:
        raise ValueError("no")

    future = InlineExecutor().submit(boom)
    with pytest.raises(ValueError, match="no"):
        future.result()
    assert InlineExecutor().submit(lambda: 4).result() == 4


def test_workers_default_to_every_core() -> None:
    assert executors.workers(3) == 3
    assert executors.workers(None) >= 1
    assert isinstance(executors.local(1), InlineExecutor)


def test_cli_build_takes_jobs_and_force(demo_dir: Path, tmp_path: Path) -> None:
    args = [
        "build",
        str(demo_dir / "cases.csv"),
        "--out",
        str(tmp_path / "out"),
        "--config",
        str(demo_dir / "campaign.toml"),
        "--as-of",
        AS_OF.isoformat(),
        "--format",
        "poster-a4",
        "--quiet",
    ]
    runner = CliRunner()
    first = runner.invoke(main, [*args, "--jobs", "2"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(main, args)
    assert "(0 rendered, " in again.stderr
    forced = runner.invoke(main, [*args, "--force", "--jobs", "1"])
    assert " 0 unchanged and skipped" in forced.stderr
    assert runner.invoke(main, [*args, "--jobs", "0"]).exit_code == 2
