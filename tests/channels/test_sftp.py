"""SftpChannel against a real asyncssh SFTP server on loopback (chrooted in a per-test folder,
counting connections and login attempts), with the fault proxy cutting a connection in the
middle of a 1 MiB upload."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from campaign.channels import ChannelSettings, Outcome, Outgoing, channel_settings, make_channel
from campaign.channels.base import ChannelError
from campaign.channels.sftp import SftpChannel
from campaign.clock import ManualClock
from campaign.errors import ConfigError
from tests.faultproxy import FaultProxy

USER = "vendor"
PASSWORD = "s3cret-print"  # noqa: S105 - a test server's password
SECRET_ENV = "TEST_SFTP_PASSWORD"
MIB = 1024 * 1024
BIG = bytes(range(256)) * (MIB // 256)  # 1 MiB, not compressible to nothing


@dataclass
class ServerState:
    """What the test server was asked, and where its files live (reset per test)."""

    root: Path = Path()
    connections: int = 0
    auth_requests: int = 0
    passwords: list[str] = field(default_factory=list)


class _CountingServer(asyncssh.SSHServer):
    def __init__(self, state: ServerState) -> None:
        self.state = state

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.state.connections += 1

    def begin_auth(self, username: str) -> bool:
        self.state.auth_requests += 1  # the first USERAUTH request of a connection
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self.state.passwords.append(password)
        return username == USER and password == PASSWORD


class _ChrootSftp(asyncssh.SFTPServer):
    """Serves ``state.root``; any path with "forbidden" in it is refused, and one with "legacy"
    in it gets no posix-rename (as from a server without OpenSSH's extensions)."""

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], state: ServerState) -> None:
        super().__init__(chan, chroot=str(state.root).encode())

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if b"forbidden" in path:
            raise asyncssh.SFTPPermissionDenied("not yours")
        return super().open(path, pflags, attrs)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        if b"legacy" in oldpath:
            raise asyncssh.SFTPOpUnsupported("no posix-rename here")
        super().posix_rename(oldpath, newpath)


@dataclass
class SftpServer:
    port: int
    host_key: str  # the public key line to pin
    client_key: Path
    state: ServerState


@pytest.fixture(scope="session")
def _server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SftpServer]:
    keys = tmp_path_factory.mktemp("sftp-keys")
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key.write_private_key(keys / "client_key")
    authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())
    state = ServerState()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            "127.0.0.1",
            0,
            server_factory=lambda: _CountingServer(state),
            server_host_keys=[host_key],
            authorized_client_keys=authorized,
            sftp_factory=lambda chan: _ChrootSftp(chan, state),
            allow_scp=False,
        )

    acceptor = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    pinned = host_key.export_public_key().decode().strip()
    yield SftpServer(acceptor.get_port(), pinned, keys / "client_key", state)
    acceptor.close()
    asyncio.run_coroutine_threadsafe(acceptor.wait_closed(), loop).result(timeout=5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)


@pytest.fixture
def server(_server: SftpServer, tmp_path: Path) -> SftpServer:
    """The session's server, serving a fresh ``tmp_path/remote`` with its counters reset."""
    root = tmp_path / "remote"
    root.mkdir()
    _server.state.root = root
    _server.state.connections = _server.state.auth_requests = 0
    _server.state.passwords.clear()
    return _server


def settings(server: SftpServer, **table: Any) -> ChannelSettings:
    """Checked settings for the test server (key login); a key given as None is left out."""
    table = {
        "url": f"sftp://127.0.0.1:{server.port}/incoming",
        "host_key": server.host_key,
        "username": USER,
        "key_file": server.client_key.name,
        "timeout_s": 5.0,
        **table,
    }
    return channel_settings(
        "test", {k: v for k, v in table.items() if v is not None}, server.client_key.parent
    )


@pytest.fixture
def channel_for(server: SftpServer) -> Iterator[Any]:
    """``channel_for(**table)``: an SftpChannel for the test server, closed after the test."""
    made: list[SftpChannel] = []

    def make(**table: Any) -> SftpChannel:
        channel = make_channel(settings(server, **table), ManualClock())
        assert isinstance(channel, SftpChannel)
        made.append(channel)
        return channel

    yield make
    for channel in made:
        channel.close()


def print_job(files: dict[str, bytes], key: str = "JOB-1") -> Outgoing:
    return Outgoing(key=key, recipient="vendor", data=b"", kind="print", files=tuple(files.items()))


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_print_job_arrives_byte_identical(server: SftpServer, channel_for: Any) -> None:
    files = {"poster.pdf": BIG, "flyer.pdf": b"%PDF-1.7 flyer", "manifest.json": b'{"n": 2}'}
    receipt = channel_for().send(print_job(files))
    assert receipt.outcome is Outcome.ACCEPTED
    job = server.state.root / "incoming" / "JOB-1"
    assert tree(job) == files  # nothing else, in particular no .part left
    assert sorted(receipt.evidence["uploaded"]) == sorted(files)
    assert len(receipt.evidence["sha256"]["poster.pdf"]) == 64
    assert server.state.connections == 1


def test_second_job_reuses_the_connection(server: SftpServer, channel_for: Any) -> None:
    channel = channel_for()
    channel.send(print_job({"a.pdf": b"a"}, "A"))
    again = channel.send(print_job({"sub/b.pdf": b"b"}, "B"))
    assert tree(server.state.root / "incoming") == {"A/a.pdf": b"a", "B/sub/b.pdf": b"b"}
    assert again.evidence["uploaded"] == ["sub/b.pdf"]
    assert server.state.connections == 1


def test_pack_sync_uploads_what_differs_and_deletes_the_rest(
    server: SftpServer, channel_for: Any
) -> None:
    remote = server.state.root / "incoming"
    (remote / "old").mkdir(parents=True)
    (remote / "keep.pdf").write_bytes(b"same")
    (remote / "change.pdf").write_bytes(b"before")
    (remote / "old" / "gone.pdf").write_bytes(b"withdrawn")
    (remote / "other.pdf.part").write_bytes(b"someone else's upload")
    pack = Outgoing(
        key="pack-v2",
        recipient="vendor",
        data=b"",
        kind="pack",
        files=(("keep.pdf", b"same"), ("change.pdf", b"after"), ("new/n.pdf", b"new")),
    )
    receipt = channel_for().send(pack)
    assert tree(remote) == {
        "keep.pdf": b"same",
        "change.pdf": b"after",
        "new/n.pdf": b"new",
        "other.pdf.part": b"someone else's upload",
    }
    assert receipt.evidence["unchanged"] == ["keep.pdf"]
    assert receipt.evidence["uploaded"] == ["change.pdf", "new/n.pdf"]
    assert receipt.evidence["deleted"] == ["old/gone.pdf"]


def test_wrong_pinned_host_key_halts_before_any_login(server: SftpServer, channel_for: Any) -> None:
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    channel = channel_for(host_key=stranger)
    with pytest.raises(ChannelError, match="does not match the pinned host_key") as caught:
        channel.send(print_job({"a.pdf": b"a"}))
    assert caught.value.halt and caught.value.retryable
    assert server.state.connections == 1  # it did connect ...
    assert server.state.auth_requests == 0  # ... and never tried to log in
    assert not (server.state.root / "incoming").exists()


def test_host_key_is_required_and_parsed(server: SftpServer) -> None:
    with pytest.raises(ConfigError, match="host_key is required"):
        SftpChannel(settings(server, host_key=None), ManualClock())
    with pytest.raises(ConfigError, match="not an OpenSSH public key"):
        SftpChannel(settings(server, host_key="ssh-ed25519 bm90IGEga2V5"), ManualClock())
    known_hosts_line = f"[127.0.0.1]:{server.port} {server.host_key}"
    assert SftpChannel(settings(server, host_key=known_hosts_line), ManualClock()).host_key


def test_password_from_the_environment(
    server: SftpServer, channel_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, PASSWORD)
    channel = channel_for(key_file=None, secret_env=SECRET_ENV)
    channel.send(print_job({"a.pdf": b"a"}))
    assert (server.state.root / "incoming" / "JOB-1" / "a.pdf").read_bytes() == b"a"
    assert PASSWORD in server.state.passwords  # it logged in with the password, not a key
    assert PASSWORD not in repr(channel) + channel.describe()


def test_refused_login_halts(
    server: SftpServer, channel_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "wrong")
    channel = channel_for(key_file=None, secret_env=SECRET_ENV)
    with pytest.raises(ChannelError, match="login .* refused") as caught:
        channel.send(print_job({"a.pdf": b"a"}))
    assert caught.value.halt
    assert "wrong" not in str(caught.value)


def test_permission_denied_is_permanent(server: SftpServer, channel_for: Any) -> None:
    with pytest.raises(ChannelError) as caught:
        channel_for().send(print_job({"a.pdf": b"a"}, "forbidden"))
    assert not caught.value.retryable and not caught.value.halt


def test_plain_rename_replaces_without_posix_rename(server: SftpServer, channel_for: Any) -> None:
    channel = channel_for()
    channel.send(print_job({"a.pdf": b"first"}, "legacy"))
    receipt = channel.send(print_job({"a.pdf": b"second"}, "legacy"))
    assert tree(server.state.root / "incoming") == {"legacy/a.pdf": b"second"}
    assert receipt.evidence["uploaded"] == ["a.pdf"]


def test_unsafe_names_are_refused(channel_for: Any) -> None:
    for name in ("../escape.pdf", "/abs.pdf", "a//b.pdf", "x.pdf.part", ""):
        with pytest.raises(ChannelError) as caught:
            channel_for().send(print_job({name: b"x"}) if name else print_job({}, key=""))
        assert not caught.value.retryable


@pytest.mark.parametrize("into_file_kib", [64, 600])
def test_cut_mid_upload_leaves_no_half_file_then_retry_completes(
    server: SftpServer, channel_for: Any, into_file_kib: int
) -> None:
    job = server.state.root / "incoming" / "JOB-1"
    with FaultProxy(("127.0.0.1", server.port)) as proxy:
        proxy.mode = "cut"
        # The handshake, login and SFTP setup send about 5 KiB client→server before the file.
        proxy.cut_after = (into_file_kib + 6) * 1024
        channel = channel_for(url=f"sftp://127.0.0.1:{proxy.port}/incoming")
        with pytest.raises(ChannelError, match="uploading .*poster.pdf") as caught:
            channel.send(print_job({"poster.pdf": BIG}))
        assert caught.value.retryable and not caught.value.unknown_outcome
        assert not (job / "poster.pdf").exists()
        part = (job / "poster.pdf.part").stat().st_size  # what the server got is named .part
        assert part < MIB
        if into_file_kib > 256:
            assert part > 0  # the server really had part of the file when the line was cut

        proxy.mode = "pass"
        receipt = channel.send(print_job({"poster.pdf": BIG}))
        assert proxy.connections == 2
    assert receipt.outcome is Outcome.ACCEPTED
    assert tree(job) == {"poster.pdf": BIG}


def test_unreachable_server_halts(server: SftpServer, channel_for: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = channel_for(url=f"sftp://127.0.0.1:{port}/incoming")
    with pytest.raises(ChannelError, match="cannot reach") as caught:
        channel.send(print_job({"a.pdf": b"a"}))
    assert caught.value.halt and caught.value.retryable
    channel.close()
    channel.close()


def test_silent_server_times_out_and_halts(server: SftpServer, channel_for: Any) -> None:
    with FaultProxy(("127.0.0.1", server.port)) as proxy:
        proxy.mode = "hang"
        channel = channel_for(url=f"sftp://127.0.0.1:{proxy.port}/incoming", timeout_s=0.5)
        with pytest.raises(ChannelError, match="no answer in time") as caught:
            channel.send(print_job({"a.pdf": b"a"}))
        channel.close()
    assert caught.value.halt and caught.value.retryable


def test_withdraw_files_deletes(server: SftpServer, channel_for: Any) -> None:
    channel = channel_for()
    channel.send(print_job({"a.pdf": b"a", "b.pdf": b"b"}))
    job = server.state.root / "incoming" / "JOB-1"
    (job / "c.pdf.part").write_bytes(b"half")
    receipt = channel.withdraw_files(["JOB-1/a.pdf", "JOB-1/c.pdf", "JOB-1/none.pdf"])
    assert tree(job) == {"b.pdf": b"b"}
    assert receipt.evidence["deleted"] == ["/incoming/JOB-1/a.pdf", "/incoming/JOB-1/c.pdf.part"]
    assert receipt.evidence["absent"] == ["/incoming/JOB-1/c.pdf", "/incoming/JOB-1/none.pdf"]
