"""Where renditions live: a directory. Files are written atomically and never outside it."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from campaign.errors import RenderError


def write_atomic(root: Path, relative: str, data: bytes) -> Path:
    """Write ``data`` to ``root/relative`` via a temporary file; refuse paths that leave root."""
    target = inside(root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)
    return target


def inside(root: Path, relative: str) -> Path:
    """``root/relative`` resolved; a RenderError when it would leave ``root``."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise RenderError(f"refusing to write outside the build folder: {relative}")
    return target


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes, or None when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None
