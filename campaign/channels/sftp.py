"""Files to a print vendor's SFTP server: ``sftp://HOST:PORT/PATH`` (asyncssh, on a private event
loop in a background thread). The server's host key is pinned (``host_key``, an OpenSSH public
key line; no trust on first use) and checked before any login is tried. One connection per
run, opened on the first send and reopened after a failure. Every file is written to
``NAME.part``, its size and SHA-256 read back and compared, then renamed over ``NAME`` in one
step, so a vendor never sees a half-written file under its final name."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import posixpath
import stat
import threading
from collections.abc import Awaitable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

from campaign.channels.base import BaseChannel, ChannelError, Outcome, Outgoing, Receipt
from campaign.channels.settings import ChannelSettings
from campaign.channels.sshtools import (
    PART,
    EventLoop,
    classify,
    pinned,
    remote_root,
    safe_name,
    shown,
)
from campaign.clock import Clock
from campaign.errors import ConfigError, MissingDependency

try:
    import asyncssh
except ImportError:  # pragma: no cover - the extra is not installed
    asyncssh = None  # type: ignore[assignment]

T = TypeVar("T")
DEFAULT_PORT = 22
CHUNK = 256 * 1024  # bytes per write/read call (asyncssh pipelines it in smaller requests)
_CLEANUP_S = 2.0  # how long removing a .part after a failure may take
Files = tuple[tuple[str, bytes], ...]


class SftpChannel(BaseChannel):
    """Uploads an :class:`Outgoing`'s ``files``: kind ``print`` into the job folder
    ``PATH/<key>/``; kind ``pack`` into ``PATH/`` as its whole content (files not listed are
    deleted, other uploaders' ``*.part`` left alone). Files already there with the same bytes
    are not sent again, so a retry after a cut only sends what is missing."""

    scheme = "sftp"

    def __init__(self, settings: ChannelSettings, clock: Clock) -> None:
        super().__init__(settings, clock)
        if asyncssh is None:  # pragma: no cover
            raise MissingDependency("asyncssh (for sftp:// channels)", extra="sftp")
        parts = urlsplit(settings.url)
        where = f"channel {parts.scheme}://{parts.hostname}"
        try:
            self.port = parts.port or DEFAULT_PORT
        except ValueError as err:
            raise ConfigError(f"{where}: not an sftp://HOST:PORT/PATH URL") from err
        self.host = parts.hostname or ""
        self.root = remote_root(unquote(parts.path))
        self.username = settings.username or (unquote(parts.username) if parts.username else "")
        key_file = settings.options.get("key_file")
        self.key_file = (settings.base_dir or Path()) / key_file if key_file else None
        if not self.host:
            raise ConfigError(f"{where}: the URL needs a host (sftp://HOST:PORT/PATH)")
        if not self.username:
            raise ConfigError(f"{where}: username is required")
        if not self.key_file and not settings.secret_env:
            raise ConfigError(f"{where}: needs key_file or secret_env (the password's variable)")
        self.host_key = pinned(where, settings.host_key)
        self._loop: EventLoop | None = None
        self._lock = threading.Lock()
        self._conn: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None
        self._made: set[str] = set()  # folders known to exist on this connection
        self._stage = "connecting"
        self._committing = False  # a rename was sent: the file may be in place already

    def describe(self) -> str:
        return f"sftp://{self.host}:{self.port}{shown(self.root)}"

    def __repr__(self) -> str:
        return f"SftpChannel({self.describe()}, user={self.username})"

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        with contextlib.suppress(Exception):
            loop.run(self._drop())
        loop.stop()

    def build_payload(self, item: Outgoing) -> tuple[str, Files, bool]:
        """The remote folder, the files with checked names, and whether to delete the rest."""
        files = tuple((safe_name(name), data) for name, data in item.files)
        if len({name for name, _ in files}) != len(files):
            raise ChannelError("sftp: the same file name twice in one delivery", retryable=False)
        if item.kind == "print":
            if "/" in safe_name(item.key):
                raise ChannelError(f"sftp: unusable job name {item.key!r}", retryable=False)
            return posixpath.join(self.root, item.key), files, False
        if item.kind == "pack":
            return self.root, files, True
        raise ChannelError(f"sftp: cannot deliver a {item.kind!r} delivery", retryable=False)

    def transmit(self, item: Outgoing, payload: tuple[str, Files, bool]) -> Receipt:
        self.pace()
        folder, files, prune = payload
        return self._run(self._deliver(folder, files, prune))

    def withdraw_files(self, names: Sequence[str]) -> Receipt:
        """Delete ``names`` (relative to PATH) and any ``.part`` of them; a name already gone is
        listed as ``absent``. Raises :class:`ChannelError` like :meth:`send`."""
        paths = [posixpath.join(self.root, safe_name(name)) for name in names]
        return self._run(self._withdraw(paths))

    # -- running coroutines from synchronous code ---------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the private loop; turn what it raises into a :class:`ChannelError`
        and let go of a connection that cannot be trusted any more."""
        with self._lock:
            if self._loop is None:
                self._loop = EventLoop()
            try:
                return self._loop.run(coro)
            except Exception as err:
                error, drop = classify(err, self._stage, self._committing, self.describe())
                if drop:
                    with contextlib.suppress(Exception):
                        self._loop.run(self._drop())
                if error is err:
                    raise
                raise error from err
            finally:
                self._committing = False

    async def _op(self, step: Awaitable[T]) -> T:
        """One SFTP request, bounded by the channel's timeout."""
        return await asyncio.wait_for(step, self.settings.timeout_s)

    async def _session(self) -> asyncssh.SFTPClient:
        """The open SFTP session, connecting (and checking the host key, then logging in) if
        there is none or the last one was closed."""
        if self._conn is not None and self._sftp is not None and not self._conn.is_closed():
            return self._sftp
        await self._drop()
        self._stage = "connecting"
        timeout = self.settings.timeout_s
        password = self.settings.secret()
        keys = [self._client_key(self.key_file)] if self.key_file else None
        self._conn = await asyncio.wait_for(
            asyncssh.connect(
                self.host,
                self.port,
                config=[],  # nothing from ~/.ssh/config
                known_hosts=([self.host_key], [], []),  # the pinned key and nothing else
                x509_trusted_certs=None,
                username=self.username,
                password=password,
                client_keys=keys,  # None: no keys from ~/.ssh
                agent_path=None,
                gss_host=None,
                host_based_auth=False,
                connect_timeout=timeout,
                login_timeout=timeout,
            ),
            timeout * 2,
        )
        self._stage = "starting SFTP"
        self._sftp = await self._op(self._conn.start_sftp_client())
        return self._sftp

    @staticmethod
    def _client_key(path: Path) -> asyncssh.SSHKey:
        try:
            return asyncssh.read_private_key(path)
        except (OSError, asyncssh.KeyImportError) as err:
            raise ChannelError(
                f"sftp: key_file {path} unusable: {err}", retryable=True, halt=True
            ) from err

    async def _drop(self) -> None:
        conn, self._conn, self._sftp = self._conn, None, None
        self._made.clear()
        if conn is not None:
            conn.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.wait_closed(), _CLEANUP_S)

    # -- the steps ----------------------------------------------------------------------------

    async def _deliver(self, folder: str, files: Files, prune: bool) -> Receipt:
        sftp = await self._session()
        uploaded: list[str] = []
        unchanged: list[str] = []
        digests: dict[str, str] = {}  # every file's, uploaded or not
        for name, data in files:
            path = posixpath.join(folder, name)
            digest = digests[name] = hashlib.sha256(data).hexdigest()
            self._stage = f"checking {name}"
            if await self._holds(sftp, path, len(data), digest):
                unchanged.append(name)
                continue
            await self._upload(sftp, path, data, digest)
            uploaded.append(name)
        deleted = await self._prune(sftp, folder, {name for name, _ in files}) if prune else []
        detail = (
            f"{len(uploaded)} uploaded, {len(unchanged)} unchanged, {len(deleted)} deleted "
            f"in {self.host}:{shown(folder)}"
        )
        evidence = {"uploaded": uploaded, "unchanged": unchanged, "deleted": deleted}
        return Receipt(Outcome.ACCEPTED, folder, detail, {**evidence, "sha256": digests})

    async def _upload(self, sftp: asyncssh.SFTPClient, path: str, data: bytes, digest: str) -> None:
        """Write ``path.part``, check its size and SHA-256, rename it over ``path``; the .part
        is removed (when the connection still allows it) if any step fails."""
        part = path + PART
        self._stage = f"uploading {path}"
        await self._makedirs(sftp, posixpath.dirname(path))
        try:
            await self._write(sftp, part, data)
            self._stage = f"checking {part}"
            size = (await self._op(sftp.stat(part))).size
            if size != len(data):
                message = f"sftp: {part} has {size} bytes after upload, expected {len(data)}"
                raise ChannelError(message, retryable=True)
            if await self._sha256(sftp, part) != digest:
                raise ChannelError(f"sftp: {part} read back differs (SHA-256)", retryable=True)
            self._stage = f"renaming {part}"
            self._committing = True
            await self._replace(sftp, part, path)
            self._committing = False
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sftp.remove(part), _CLEANUP_S)
            raise

    async def _makedirs(self, sftp: asyncssh.SFTPClient, folder: str) -> None:
        if folder and folder not in self._made:
            await self._op(sftp.makedirs(folder, exist_ok=True))
            self._made.add(folder)

    async def _write(self, sftp: asyncssh.SFTPClient, path: str, data: bytes) -> None:
        handle = await self._op(sftp.open(path, "wb"))
        try:
            for offset in range(0, len(data), CHUNK):
                await self._op(handle.write(data[offset : offset + CHUNK]))
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(handle.close(), _CLEANUP_S)
            raise
        await self._op(handle.close())  # a server may report a full disk only here

    async def _sha256(self, sftp: asyncssh.SFTPClient, path: str) -> str:
        digest = hashlib.sha256()
        handle = await self._op(sftp.open(path, "rb"))
        try:
            while chunk := await self._op(handle.read(CHUNK)):
                digest.update(cast(bytes, chunk))  # opened "rb": bytes
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(handle.close(), _CLEANUP_S)
        return digest.hexdigest()

    async def _replace(self, sftp: asyncssh.SFTPClient, part: str, path: str) -> None:
        """Rename ``part`` over ``path`` atomically (OpenSSH's posix-rename); a server without
        it gets a remove then a plain rename (the name is briefly absent, never half-written)."""
        try:
            await self._op(sftp.posix_rename(part, path))
        except asyncssh.SFTPOpUnsupported:
            with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                await self._op(sftp.remove(path))
            await self._op(sftp.rename(part, path))

    async def _holds(self, sftp: asyncssh.SFTPClient, path: str, size: int, digest: str) -> bool:
        """Whether ``path`` is already a regular file with exactly these bytes."""
        try:
            attrs = await self._op(sftp.stat(path))
        except asyncssh.SFTPNoSuchFile:
            return False
        if attrs.permissions is None or not stat.S_ISREG(attrs.permissions):
            return False
        return attrs.size == size and await self._sha256(sftp, path) == digest

    async def _prune(self, sftp: asyncssh.SFTPClient, folder: str, wanted: set[str]) -> list[str]:
        """Delete the regular files under ``folder`` that are not ``wanted`` (nor ``*.part``)."""
        self._stage = f"listing {folder}"
        deleted = []
        for name in await self._files(sftp, folder, ""):
            if name not in wanted and not name.endswith(PART):
                self._stage = f"deleting {name}"
                with contextlib.suppress(asyncssh.SFTPNoSuchFile):
                    await self._op(sftp.remove(posixpath.join(folder, name)))
                    deleted.append(name)
        return sorted(deleted)

    async def _files(self, sftp: asyncssh.SFTPClient, folder: str, prefix: str) -> list[str]:
        """The regular files under ``folder``, as names relative to it (symlinks not followed)."""
        try:
            entries = await self._op(sftp.readdir(posixpath.join(folder, prefix) or "."))
        except asyncssh.SFTPNoSuchFile:
            return []
        names: list[str] = []
        for entry in entries:
            name = str(entry.filename)
            mode = entry.attrs.permissions
            if name in (".", "..") or mode is None:
                continue
            relative = posixpath.join(prefix, name)
            if stat.S_ISDIR(mode):
                names += await self._files(sftp, folder, relative)
            elif stat.S_ISREG(mode):
                names.append(relative)
        return names

    async def _withdraw(self, paths: list[str]) -> Receipt:
        sftp = await self._session()
        deleted: list[str] = []
        absent: list[str] = []  # already gone (a withdrawal repeated is not an error)
        for path in paths:
            self._stage = f"deleting {path}"
            for target in (path, path + PART):
                try:
                    await self._op(sftp.remove(target))
                    deleted.append(target)
                except asyncssh.SFTPNoSuchFile:
                    if target == path:
                        absent.append(target)
        detail = f"{len(deleted)} deleted, {len(absent)} already absent on {self.host}"
        return Receipt(Outcome.ACCEPTED, None, detail, {"deleted": deleted, "absent": absent})
