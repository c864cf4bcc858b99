"""``outbox:DIR`` — the embedded channel: nothing leaves the machine. E-mail goes into a Maildir
(``DIR/new/<key>.eml``, real RFC 5322 files any mail client or parser opens), a partner's pack
into ``DIR/partners/<name>/`` (kept equal to the latest pack: files it no longer lists are
deleted), print jobs into ``DIR/print/<vendor>/<key>/``. Files are written under ``tmp/`` and
renamed into place, and named by the idempotency key, so a retry replaces a file with the same
bytes instead of adding a second copy. ``DIR`` is relative to the config file."""

from __future__ import annotations

import re
from pathlib import Path

from campaign.channels.base import BaseChannel, ChannelError, Outcome, Outgoing, Receipt
from campaign.errors import ConfigError
from campaign.store import replace_file

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class OutboxChannel(BaseChannel):
    scheme = "outbox"

    @property
    def root(self) -> Path:
        place = self.settings.url.partition(":")[2].removeprefix("//") or "outbox"
        base = self.settings.base_dir or Path.cwd()
        return (base / place).resolve()

    def describe(self) -> str:
        return f"outbox:{self.root}"

    def open(self) -> None:
        for part in ("tmp", "new", "cur"):
            try:
                (self.root / part).mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as err:
                raise ChannelError(
                    f"outbox {self.root}: cannot create the folder: {err.strerror}",
                    retryable=True,
                    halt=True,
                ) from None

    def transmit(self, item: Outgoing, payload: object) -> Receipt:
        if not _SAFE.fullmatch(item.key):
            raise ConfigError(f"outbox: unsafe delivery key {item.key!r}")
        if item.kind == "email":
            target = self.root / "new" / f"{item.key}.eml"
            replace_file(target, item.data, self.root / "tmp", durable=True)
            return Receipt(Outcome.ACCEPTED, target.name, f"written to {target}")
        place = item.folder or f"{item.kind}/{_name(item.recipient)}/{item.key}"
        folder = (self.root / place).resolve()
        if not folder.is_relative_to(self.root):
            raise ChannelError(f"outbox: folder outside the outbox: {place!r}", retryable=False)
        written = self._write_files(item, folder)
        removed = _prune(folder, written) if item.kind == "pack" else []
        if item.data:
            replace_file(folder / "event.json", item.data, self.root / "tmp", durable=True)
        return Receipt(Outcome.ACCEPTED, item.key, f"written to {folder}",
                       {"files": sorted(written), "removed": removed})  # fmt: skip

    def withdraw_files(self, names: list[str]) -> Receipt:
        """Delete earlier print files (``JOB/<case_ref>/…``) of any vendor in this outbox."""
        deleted: list[str] = []
        for name in names:
            for path in sorted((self.root / "print").glob(f"*/{name}")):
                if path.resolve().is_relative_to(self.root) and path.is_file():
                    path.unlink()
                    deleted.append(path.relative_to(self.root).as_posix())
        return Receipt(Outcome.ACCEPTED, None, f"deleted {len(deleted)} files",
                       {"deleted": deleted})  # fmt: skip

    def _write_files(self, item: Outgoing, folder: Path) -> set[str]:
        written: set[str] = set()
        for name, data in item.files:
            target = (folder / name).resolve()
            if not target.is_relative_to(folder.resolve()):
                raise ChannelError(f"outbox: a pack file name leaves its folder: {name!r}",
                                   retryable=False)  # fmt: skip
            if not (target.is_file() and target.read_bytes() == data):
                replace_file(target, data, self.root / "tmp", durable=True)
            written.add(name)
        return written


def _prune(folder: Path, keep: set[str]) -> list[str]:
    """Delete the files of ``folder`` a pack no longer lists (and folders left empty)."""
    removed = []
    for path in sorted(folder.rglob("*"), reverse=True):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in keep:
            path.unlink()
            removed.append(name)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed


def _name(recipient: str) -> str:
    if not _SAFE.fullmatch(recipient):
        raise ChannelError(f"outbox: unsafe recipient name {recipient!r}", retryable=False)
    return recipient
