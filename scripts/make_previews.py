"""Render PNG previews of the example campaign's posters into docs/previews/ (for the docs).

.venv/bin/python scripts/make_previews.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_STATE = shutil.ignore_patterns(".campaign", "outbox", "out")
PICKS = [
    ("DEMO-US-001", "en", "poster-a4"),
    ("DEMO-AE-001", "ar", "poster-a4"),
    ("DEMO-MX-001", "es", "poster-letter"),
    ("DEMO-IN-001", "hi", "poster-a4"),
    ("DEMO-MY-001", "zh-Hans", "poster-a4"),
    ("DEMO-US-003", "en", "flyer-a5-2up"),
]


def main() -> None:
    demo = REPO / "examples" / "demo"
    subprocess.run([sys.executable, str(demo / "make_photos.py")], check=True)
    target = REPO / "docs" / "previews"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as out:
        # a copy of the example without its state: the demo's own run resolves a case
        demo = Path(shutil.copytree(demo, Path(out) / "demo", ignore=_STATE))
        formats = sorted({fmt for _, _, fmt in PICKS})
        command = [
            sys.executable,
            "-m",
            "campaign",
            "build",
            str(demo / "cases.csv"),
            "--out",
            str(Path(out) / "build"),
            "--config",
            str(demo / "campaign.toml"),
            "--quiet",
            "--as-of",
            "2026-11-28",
        ]
        for fmt in formats:
            command += ["--format", fmt]
        subprocess.run(command, check=True, capture_output=True)
        for case_id, locale, fmt in PICKS:
            pdf = Path(out) / "build" / case_id / locale / f"{fmt}.pdf"
            stem = target / f"{case_id}-{locale}-{fmt}"
            subprocess.run(
                ["pdftoppm", "-r", "48", "-png", "-singlefile", str(pdf), str(stem)], check=True
            )
            print(stem.with_suffix(".png").relative_to(REPO))


if __name__ == "__main__":
    main()
