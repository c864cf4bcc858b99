"""Careful file handling for the purge: paths checked to stay inside their root (links never
followed), JSON read leniently, every regular file under a folder."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def json_list(data: Mapping[str, Any] | None, key: str) -> list[dict[str, Any]]:
    items = data.get(key) if data is not None else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def absolute(path: Path) -> Path:
    return Path(os.path.abspath(path)).resolve()


def inside(base: Path, path: Path) -> bool:
    """``path`` itself (not what a link at it points to) lies inside ``base``."""
    where = Path(os.path.abspath(path))
    return where != base and (where.parent.resolve() / where.name).is_relative_to(base)


def files_under(root: Path) -> Iterator[Path]:
    """Every regular file under ``root`` (or ``root`` itself), links not followed."""
    if root.is_file() and not root.is_symlink():
        yield root
        return
    for folder, _, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path
