"""The package build ships compiled catalogs (the repository keeps only the .po sources)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from campaign import i18n
from tests.conftest import REPO


def test_wheel_ships_a_compiled_catalog_for_every_locale(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("campaign-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for tag in i18n.available_locales():
            compiled = f"campaign/i18n/locales/{tag}.mo"
            assert compiled in names and f"campaign/i18n/locales/{tag}.po" in names
            source = (REPO / "campaign" / "i18n" / "locales" / f"{tag}.po").read_bytes()
            assert archive.read(compiled) == i18n.compile_po(source, tag)
    assert not list((REPO / "campaign" / "i18n" / "locales").glob("*.mo"))
