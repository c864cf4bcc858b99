"""Reading a build folder's ``manifest.json`` back (``build.py`` writes it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from campaign.errors import InputError

MANIFEST = "manifest.json"


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """The manifest of the build in ``out_dir``; :class:`InputError` (exit 1) when the folder or
    its manifest is missing or is not a manifest of this engine."""
    if not out_dir.is_dir():
        raise InputError("no such build folder", str(out_dir))
    path = out_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no manifest.json: is this a build folder?", str(out_dir)) from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise InputError(f"cannot read the manifest: {err}", str(path)) from None
    if (
        not isinstance(data, dict)
        or data.get("version") != 1
        or not isinstance(data.get("renditions"), list)
        or not all(isinstance(item, dict) for item in data["renditions"])
    ):
        raise InputError("not a version 1 build manifest", str(path))
    data.setdefault("problems", [])
    return data
