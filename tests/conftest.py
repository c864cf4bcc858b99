"""Shared fixtures: a folder with a clean photo, and writers for small cases files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

AS_OF = dt.date(2026, 11, 28)

GOOD = {
    "case_id": "T-001",
    "given_name": "Ana",
    "family_name": "Ejemplo",
    "missing_since": "2026-03-01",
    "missing_country": "MX",
    "photo": "photos/ok.jpg",
    "authority_ref": "FIC-2026-0001",
    "consent": "yes",
}


def make_jpeg(path: Path, size: tuple[int, int] = (1200, 1500)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (180, 150, 120)).save(path, "JPEG", quality=80)
    return path


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    """A folder holding ``photos/ok.jpg`` (1200×1500, clean)."""
    make_jpeg(tmp_path / "photos" / "ok.jpg")
    return tmp_path


def csv_text(rows: Sequence[Mapping[str, str]], columns: Sequence[str] | None = None) -> str:
    names = list(columns or dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()


@pytest.fixture
def write_cases(case_dir: Path) -> Callable[..., Path]:
    """Write rows (GOOD merged with each row's changes) to ``cases.csv`` in ``case_dir``."""

    def write(*changes: Mapping[str, str], name: str = "cases.csv") -> Path:
        rows = [{**GOOD, **change} for change in changes]
        path = case_dir / name
        path.write_text(csv_text(rows), encoding="utf-8")
        return path

    return write


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example campaign with its photos generated (once per test session)."""
    import shutil
    import sys

    target = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(
        REPO / "examples" / "demo",
        target,
        ignore=shutil.ignore_patterns("photos", "out", ".campaign"),
    )
    sys.path.insert(0, str(REPO / "examples" / "demo"))
    try:
        from make_photos import make_photos
    finally:
        sys.path.pop(0)
    make_photos(target / "photos")
    return target


@dataclass(frozen=True)
class DemoBuild:
    root: Path
    manifest: dict[str, Any]
    loaded: Any

    def pdfs(self, fmt: str | None = None, locale: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.manifest["renditions"]
            if (fmt is None or r["format"] == fmt) and (locale is None or r["locale"] == locale)
        ]


@pytest.fixture(scope="session")
def demo_build(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    """The example built in every print and screen format in each case's languages (once)."""
    import json

    from campaign.build import BuildRequest, build
    from campaign.config import load_config
    from campaign.intake import IntakeOptions, intake
    from campaign.layouts import default_formats

    config = load_config(demo_dir / "campaign.toml")
    loaded = intake(demo_dir / "cases.csv", config, IntakeOptions(AS_OF, {}, persist_refs=True))
    out = tmp_path_factory.mktemp("build")
    build(loaded, config, BuildRequest(out, AS_OF, default_formats()))
    manifest = json.loads((out / "manifest.json").read_text())
    return DemoBuild(out, manifest, loaded)


def print_formats() -> list[str]:
    """Every print format (the poster and flyer families, screen variants excluded)."""
    from campaign.layouts.flyer import FlyerLayout
    from campaign.layouts.poster import FORMATS

    posters = [fmt for fmt, variant in FORMATS.items() if not variant.screen]
    return posters + list(FlyerLayout.formats)


def screen_formats() -> list[str]:
    from campaign.layouts.poster import FORMATS

    return [fmt for fmt, variant in FORMATS.items() if variant.screen]
