"""Shared fixtures: a folder with a clean photo, and writers for small cases files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

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
