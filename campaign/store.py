"""Where renditions live: a build folder or an S3 prefix, behind one :class:`Store` interface.

Files in a folder are written atomically and never outside it; S3 objects are atomic per put and
their keys never leave the prefix. Workers rebuild their store from a :class:`StoreSpec`, a small
picklable description that names secrets only by environment variable."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from campaign.config import StoreSettings
from campaign.errors import RenderError, UsageError

S3_SCHEME = "s3://"
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class Store(Protocol):
    """Where a build writes its files (``relative`` paths use ``/``)."""

    def put(self, relative: str, data: bytes, media_type: str) -> None: ...

    def get(self, relative: str) -> bytes | None: ...

    def exists(self, relative: str) -> bool: ...

    def exists_with_sha256(self, relative: str, sha256: str) -> bool: ...


@dataclass(frozen=True)
class StoreSpec:
    """A store as workers rebuild it: a folder (``bucket`` None) or an S3 bucket and prefix."""

    root: Path | None = None
    bucket: str | None = None
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_env: str | None = None
    secret_key_env: str | None = None

    @property
    def is_directory(self) -> bool:
        return self.bucket is None

    def __str__(self) -> str:
        if self.bucket is None:
            return str(self.root)
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}".rstrip("/")


def is_remote(out: Path | str) -> bool:
    """Whether ``--out`` names an S3 location rather than a folder."""
    return isinstance(out, str) and out.startswith(S3_SCHEME)


def locate(out: Path | str, settings: StoreSettings | None = None) -> StoreSpec:
    """The store ``--out`` names: ``s3://bucket/prefix`` (with ``[store]`` settings) or a folder."""
    if not is_remote(out):
        return StoreSpec(root=Path(out).resolve())
    bucket, _, prefix = str(out)[len(S3_SCHEME) :].partition("/")
    if not _BUCKET.fullmatch(bucket):
        raise UsageError(f"--out: '{bucket}' is not an S3 bucket name")
    prefix = prefix.strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        raise UsageError(f"--out: the prefix '{prefix}' has an empty, '.' or '..' part")
    settings = settings or StoreSettings()
    return StoreSpec(
        bucket=bucket,
        prefix=prefix,
        endpoint_url=settings.endpoint_url,
        region=settings.region,
        access_key_env=settings.access_key_env,
        secret_key_env=settings.secret_key_env,
    )


def open_store(spec: StoreSpec) -> Store:
    """The store ``spec`` describes, one per process and spec (S3 clients and their connections
    are reused, but never shared with a forked worker)."""
    return _open(spec, os.getpid())


@functools.lru_cache(maxsize=8)
def _open(spec: StoreSpec, pid: int) -> Store:
    if spec.bucket is None:
        assert spec.root is not None
        return DirectoryStore(spec.root)
    from campaign.s3store import S3Store

    return S3Store(spec)


class DirectoryStore:
    """A build folder: each file written atomically, never outside the folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def put(self, relative: str, data: bytes, media_type: str) -> None:
        write_atomic(self.root, relative, data)

    def get(self, relative: str) -> bytes | None:
        try:
            return inside(self.root, relative).read_bytes()
        except OSError:
            return None

    def exists(self, relative: str) -> bool:
        return inside(self.root, relative).is_file()

    def exists_with_sha256(self, relative: str, sha256: str) -> bool:
        return file_sha256(inside(self.root, relative)) == sha256


def write_atomic(root: Path, relative: str, data: bytes) -> Path:
    """Write ``data`` to ``root/relative`` via a temporary file; refuse paths that leave root."""
    target = inside(root, relative)
    replace_file(target, data)
    return target


def replace_file(
    target: Path, data: bytes, temporary_dir: Path | None = None, durable: bool = False
) -> None:
    """Put ``data`` at ``target`` in one step: written to a temporary file (in
    ``temporary_dir``, default beside the target), flushed to disk when ``durable``, renamed."""
    folder = temporary_dir or target.parent
    target.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
