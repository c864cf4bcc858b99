"""Builds into S3 (moto's server on loopback), build --json, and the plain progress lines."""

from __future__ import annotations

import csv
import hashlib
import json
import pickle
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from campaign.cli import main
from campaign.config import StoreSettings
from campaign.errors import MissingDependency, RenderError, UsageError
from campaign.store import locate
from tests.conftest import AS_OF

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

FORMATS = ("poster-a4", "banner-300x250")
BUCKET = "appeals"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """An S3 endpoint with an empty bucket, and a client for it (dummy credentials)."""
    monkeypatch.setenv("TEST_S3_KEY", "testing")
    monkeypatch.setenv("TEST_S3_SECRET", "testing")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield endpoint, client
    finally:
        server.stop()


def _two_cases(demo_dir: Path) -> Path:
    with (demo_dir / "cases.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:2]
    path = demo_dir / "cases-two.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _config(demo_dir: Path, endpoint: str) -> Path:
    text = (demo_dir / "campaign.toml").read_text(encoding="utf-8")
    path = demo_dir / f"campaign-s3-{endpoint.rsplit(':', 1)[1]}.toml"
    path.write_text(
        text + f'\n[store]\nendpoint_url = "{endpoint}"\nregion = "us-east-1"\n'
        'access_key_env = "TEST_S3_KEY"\nsecret_key_env = "TEST_S3_SECRET"\n',
        encoding="utf-8",
    )
    return path


def _args(cases: Path, out: str, config: Path, *more: str) -> list[str]:
    args = ["build", str(cases), "--out", out, "--config", str(config)]
    args += ["--as-of", AS_OF.isoformat(), "--jobs", "1", *more]
    for fmt in FORMATS:
        args += ["--format", fmt]
    return args


def test_a_build_into_s3_stores_every_manifest_entry_and_a_rebuild_skips_all(
    demo_dir: Path, s3: tuple[str, Any]
) -> None:
    endpoint, client = s3
    cases, config = _two_cases(demo_dir), _config(demo_dir, endpoint)
    args = _args(cases, f"s3://{BUCKET}/builds/one", config, "--json", "--quiet")
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output + first.stderr
    counts = json.loads(first.stdout)
    manifest = json.loads(
        client.get_object(Bucket=BUCKET, Key="builds/one/manifest.json")["Body"].read()
    )
    entries = manifest["renditions"]
    assert counts["renditions"] == len(entries) == counts["rendered"] > 0
    assert counts["skipped"] == 0 and isinstance(counts["problems"], list)
    assert {entry["format"] for entry in entries} >= set(FORMATS)
    for entry in entries:
        key = f"builds/one/{entry['path']}"
        data = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        head = client.head_object(Bucket=BUCKET, Key=key)
        assert head["ContentType"] == entry["media_type"]
        assert head["Metadata"]["sha256"] == entry["sha256"]
    assert "Review gallery: not written for an S3 build" in first.stderr

    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.stderr
    counts = json.loads(again.stdout)
    assert counts["rendered"] == 0 and counts["skipped"] == len(entries)

    poster = next(entry for entry in entries if entry["format"] == "poster-a4")
    client.put_object(Bucket=BUCKET, Key=f"builds/one/{poster['path']}", Body=b"damaged")
    third = json.loads(CliRunner().invoke(main, args).stdout)
    assert third["rendered"] == 1 and third["skipped"] == len(entries) - 1


def test_plain_progress_lines_when_not_a_terminal_and_none_when_quiet(
    demo_dir: Path, tmp_path: Path
) -> None:
    cases, config = _two_cases(demo_dir), demo_dir / "campaign.toml"
    shown = CliRunner().invoke(main, _args(cases, str(tmp_path / "a"), config))
    assert shown.exit_code == 0, shown.stderr
    lines = [line for line in shown.stderr.splitlines() if line.startswith("jobs done ")]
    assert lines and lines[-1].startswith("jobs done ") and "(100 %)" in lines[-1]
    assert lines[-1].endswith("/s")
    quiet = CliRunner().invoke(main, _args(cases, str(tmp_path / "b"), config, "--quiet"))
    assert quiet.exit_code == 0, quiet.stderr
    assert not [line for line in quiet.stderr.splitlines() if line.startswith("jobs done ")]


def test_s3_locations_are_checked_and_keys_stay_under_the_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_S3_KEY", "key-value-1")
    monkeypatch.setenv("TEST_S3_SECRET", "secret-value-2")
    settings = StoreSettings("http://127.0.0.1:9", "us-east-1", "TEST_S3_KEY", "TEST_S3_SECRET")
    spec = locate("s3://appeals/a/b/", settings)
    assert (spec.bucket, spec.prefix, str(spec)) == ("appeals", "a/b", "s3://appeals/a/b")
    assert "value" not in repr(spec) and spec == pickle.loads(pickle.dumps(spec))
    for bad in ("s3://A_B/x", "s3://appeals/a/../b", "s3://appeals/a//b", "s3://"):
        with pytest.raises(UsageError):
            locate(bad)
    from campaign.s3store import S3Store

    store = S3Store(spec)
    assert store.key("C-1/en/poster.pdf") == "a/b/C-1/en/poster.pdf"
    for bad in ("../x", "/etc/passwd", "a/../../x", "a\\b", ""):
        with pytest.raises(RenderError):
            store.key(bad)


def test_a_missing_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    from campaign.s3store import S3Store

    with pytest.raises(MissingDependency, match=r"campaign\[s3\]"):
        S3Store(locate("s3://appeals/x"))
