"""What the SFTP channel needs besides the transfer itself: the event loop it runs asyncssh on,
the pinned host key, remote names, and the sorting of asyncssh's errors into ours."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from campaign.channels.base import ChannelError, plain_relative
from campaign.errors import ConfigError

try:
    import asyncssh
except ImportError:  # pragma: no cover - a core dependency; guarded for a clear message
    asyncssh = None  # type: ignore[assignment]

T = TypeVar("T")
PART = ".part"


class EventLoop:
    """A private event loop on a daemon thread, so synchronous code can drive asyncssh and the
    connection is still served (keepalives, window updates) between sends."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sftp", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


def classify(err: Exception, stage: str, committing: bool, where: str) -> tuple[Exception, bool]:
    """The error to raise for ``err`` and whether the connection must be dropped: a host key
    or login refused halts the channel; a lost or silent connection is retried (after a rename
    was sent, the file may be in place: unknown outcome); a refused path is permanent."""
    if isinstance(err, ChannelError):
        return err, False
    if isinstance(err, ConfigError):  # the password's variable is unset
        return ChannelError(f"sftp: {err}", retryable=True, halt=True), True
    if isinstance(err, asyncssh.HostKeyNotVerifiable):
        message = f"sftp: the host key of {where} does not match the pinned host_key"
        return ChannelError(message, retryable=True, halt=True), True
    if isinstance(err, asyncssh.KeyExchangeFailed):
        message = f"sftp: key exchange with {where} failed (is host_key the server's key type?)"
        return ChannelError(f"{message}: {err}", retryable=True, halt=True), True
    if isinstance(err, asyncssh.PermissionDenied):
        return ChannelError(f"sftp: login to {where} refused", retryable=True, halt=True), True
    if isinstance(err, asyncssh.SFTPPermissionDenied | asyncssh.SFTPNoSuchFile):
        return ChannelError(f"sftp: refused while {stage}: {err}", retryable=False), False
    hung = isinstance(err, TimeoutError)
    lost = isinstance(
        err, asyncssh.SFTPConnectionLost | asyncssh.SFTPNoConnection | asyncssh.DisconnectError
    )
    if hung or lost or isinstance(err, OSError | EOFError | asyncssh.ChannelOpenError):
        reason = "no answer in time" if hung else f"{type(err).__name__}: {err}"
        if stage == "connecting":
            message = f"sftp: cannot reach {where}: {reason}"
        elif committing:
            message = f"sftp: connection lost while {stage}, the file may be in place: {reason}"
        else:
            message = f"sftp: connection lost while {stage} (final name untouched): {reason}"
        halt = hung or stage == "connecting"  # unreachable or silent: no use trying now
        return ChannelError(message, retryable=True, unknown_outcome=committing, halt=halt), True
    if isinstance(err, asyncssh.SFTPError):  # e.g. SFTPFailure: a full disk, a busy file
        return ChannelError(f"sftp: failed while {stage}: {err}", retryable=True), False
    return err, True  # BaseChannel.send wraps it (retryable)


def pinned(where: str, host_key: str | None) -> asyncssh.SSHKey:
    """The pinned server key from an OpenSSH public key line (``ssh-ed25519 AAAA… comment``,
    or a known_hosts line with the host in front)."""
    if not host_key:
        raise ConfigError(
            f"{where}: host_key is required (the server's public key, e.g. the line "
            "`ssh-keyscan -t ed25519 HOST` prints); keys are never trusted on first use"
        )
    words = host_key.split()
    for candidate in (" ".join(words), " ".join(words[1:])):
        try:
            return asyncssh.import_public_key(candidate)
        except (asyncssh.KeyImportError, ValueError):
            continue
    raise ConfigError(f"{where}: host_key is not an OpenSSH public key line")


def remote_root(path: str) -> str:
    """The remote folder of a URL's path: absolute, or ``/~/…`` for the login folder."""
    if path in ("", "/~", "/~/"):
        return ""
    if path.startswith("/~/"):
        return path[3:].rstrip("/")
    return path.rstrip("/") or "/"


def shown(folder: str) -> str:
    return folder if folder.startswith("/") else f"/~/{folder}".rstrip("/")


def safe_name(name: str) -> str:
    """``name`` if it is a plain relative path with no ``..``; else a permanent error."""
    if not plain_relative(name) or name.endswith(PART):
        raise ChannelError(f"sftp: unusable remote file name {name!r}", retryable=False)
    return name
