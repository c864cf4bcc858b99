"""Headless Chromium for tests that look at pages as a browser shows them (the flags keep it
off the network: this machine's closed network refuses its background connections)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a fresh profile folder (skips the test when it is missing)."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (scripts/system-deps.sh --tests installs it)")
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
