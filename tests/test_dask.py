"""Renders on a Dask cluster write the same bytes as ``--jobs 1``; workers refuse to render
with other fonts or catalogs than the coordinator keyed the jobs with."""

from __future__ import annotations

import csv
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from campaign import cluster
from campaign.build import BuildRequest, build
from campaign.cases import LoadResult
from campaign.config import Config, load_config
from campaign.errors import MissingDependency, RenderError, UsageError
from campaign.intake import IntakeOptions, intake
from campaign.render import Digests
from tests.conftest import AS_OF
from tests.test_executors import FORMATS, _files

distributed = pytest.importorskip("distributed")

DASK = Path(sys.executable).with_name("dask")
READY_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def three_cases(demo_dir: Path) -> tuple[LoadResult, Config]:
    """The first three cases of the example campaign, loaded."""
    with (demo_dir / "cases.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for _, row in zip(range(3), reader, strict=False)]
        names = list(reader.fieldnames or ())
    path = demo_dir / "cases-dask.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
    config = load_config(demo_dir / "campaign.toml")
    loaded = intake(path, config, IntakeOptions(AS_OF, {}, True))
    assert len(loaded.publishable) == 3
    return loaded, config


@pytest.fixture(scope="module")
def reference(
    three_cases: tuple[LoadResult, Config], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    """Every file of the three cases built in this process (``--jobs 1``)."""
    loaded, config = three_cases
    out = tmp_path_factory.mktemp("jobs1")
    report = build(loaded, config, BuildRequest(out, AS_OF, FORMATS, jobs=1))
    assert report.rendered == len(report.renditions) > 0
    return _files(out)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A ``dask scheduler`` and one ``dask worker`` on loopback, started as separate processes
    (as an operator would) and stopped afterwards; the scheduler's address."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    quiet = subprocess.DEVNULL
    started = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            stdout=quiet,
            stderr=quiet,
        )
    ]
    try:
        started.append(
            subprocess.Popen(
                [DASK, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                stdout=quiet,
                stderr=quiet,
            )
        )
        _wait_ready(address, started)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(address: str, started: list[subprocess.Popen[bytes]]) -> None:
    """Poll until the scheduler accepts a client and has a worker (bounded by READY_TIMEOUT)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        assert all(process.poll() is None for process in started), "a dask process exited"
        try:
            with distributed.Client(address, timeout="2s", set_as_default=False) as client:
                client.wait_for_workers(1, timeout=max(1.0, deadline - time.monotonic()))
                return
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise


@pytest.mark.parametrize("where", ["local-dask", "separate"])
def test_a_dask_cluster_writes_the_same_bytes_as_one_process(
    where: str,
    request: pytest.FixtureRequest,
    three_cases: tuple[LoadResult, Config],
    reference: dict[str, bytes],
    tmp_path: Path,
) -> None:
    address = "local-dask" if where == "local-dask" else request.getfixturevalue("scheduler")
    loaded, config = three_cases
    out = tmp_path / "out"
    report = build(loaded, config, BuildRequest(out, AS_OF, FORMATS, scheduler=address))
    assert report.rendered == len(report.renditions)
    assert _files(out) == reference  # every rendition and manifest.json


def test_a_worker_with_other_fonts_refuses(
    three_cases: tuple[LoadResult, Config], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def other_fonts(locales: Iterable[str]) -> Digests:
        return Digests("0" * 64, tuple((tag, "same") for tag in locales))

    monkeypatch.setattr("campaign.render.worker_digests", other_fonts)
    loaded, config = three_cases
    with pytest.raises(RenderError, match="worker fonts differ from the coordinator's: install"):
        build(loaded, config, BuildRequest(tmp_path, AS_OF, FORMATS, jobs=1))
    assert not list(tmp_path.rglob("*.pdf"))


def test_a_worker_with_other_catalogs_refuses(
    three_cases: tuple[LoadResult, Config], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from campaign import render

    real = render.worker_digests

    def other_catalogs(locales: Iterable[str]) -> Digests:
        found = real(locales)
        return Digests(found.fonts, tuple((tag, "0" * 64) for tag, _ in found.catalogs))

    monkeypatch.setattr(render, "worker_digests", other_catalogs)
    loaded, config = three_cases
    with pytest.raises(RenderError, match=r"worker catalogs for '[^']+' differ"):
        build(loaded, config, BuildRequest(tmp_path, AS_OF, FORMATS, jobs=1))


def test_scheduler_addresses_are_checked() -> None:
    assert cluster.checked_address("tcp://127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    for bad in ("127.0.0.1:8786", "tcp://127.0.0.1", "http://h:1", "tcp://h:port"):
        with pytest.raises(UsageError, match="--scheduler expects tcp://HOST:PORT"):
            cluster.checked_address(bad)


def test_without_dask_the_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    executor = cluster.dask_executor("local-dask")
    with pytest.raises(MissingDependency, match=r"pip install 'campaign\[dask\]'"):
        executor.__enter__()
