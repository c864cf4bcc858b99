"""Loopback mail servers for the channel tests: plain, STARTTLS and SMTPS (a trustme CA),
each started once per session on a free port and reset before every test that uses it."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from campaign.channels.settings import ChannelSettings, channel_settings
from tests.smtpserver import PASSWORD, SmtpServer

trustme = pytest.importorskip("trustme")

SECRET_ENV = "TEST_SMTP_PASSWORD"


@pytest.fixture(scope="session")
def tls_ca() -> Any:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(tls_ca: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CA that signed the test servers' certificate, as a PEM file for the client."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="session")
def wrong_ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA that signed nothing the servers use."""
    path = tmp_path_factory.mktemp("wrong-ca") / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="session")
def server_tls(tls_ca: Any) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def _serve(mode: str, tls: ssl.SSLContext | None = None) -> Iterator[SmtpServer]:
    with SmtpServer(mode, tls) as server:
        yield server


@pytest.fixture(scope="session")
def _plain_server() -> Iterator[SmtpServer]:
    yield from _serve("plain")


@pytest.fixture(scope="session")
def _starttls_server(server_tls: ssl.SSLContext) -> Iterator[SmtpServer]:
    yield from _serve("starttls", server_tls)


@pytest.fixture(scope="session")
def _smtps_server(server_tls: ssl.SSLContext) -> Iterator[SmtpServer]:
    yield from _serve("smtps", server_tls)


@pytest.fixture
def smtp_server(_plain_server: SmtpServer) -> SmtpServer:
    """A plain SMTP server (no TLS, no AUTH), its messages and faults reset."""
    _plain_server.reset()
    return _plain_server


@pytest.fixture
def starttls_server(_starttls_server: SmtpServer) -> SmtpServer:
    """An SMTP server that requires STARTTLS and offers AUTH after it, reset."""
    _starttls_server.reset()
    return _starttls_server


@pytest.fixture
def smtps_server(_smtps_server: SmtpServer) -> SmtpServer:
    """An SMTPS (implicit TLS) server with AUTH, reset."""
    _smtps_server.reset()
    return _smtps_server


@pytest.fixture
def smtp_password(monkeypatch: pytest.MonkeyPatch) -> str:
    """Puts the test user's password in the environment variable ``SECRET_ENV`` names."""
    monkeypatch.setenv(SECRET_ENV, PASSWORD)
    return PASSWORD


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., ChannelSettings]:
    """``settings_for(server_or_url, **table)``: checked ChannelSettings for a test server, as
    ``channel_settings('test', {...}, tmp_path)`` builds them (helo and a 2 s timeout preset)."""

    def make(target: SmtpServer | str, **table: Any) -> ChannelSettings:
        url = target if isinstance(target, str) else target.url
        return channel_settings(
            "test", {"url": url, "helo": "client.test", "timeout_s": 2.0, **table}, tmp_path
        )

    return make
