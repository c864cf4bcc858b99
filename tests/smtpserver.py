"""A loopback SMTP server for tests and benchmarks: aiosmtpd on 127.0.0.1 (a free port picked
first), plain, STARTTLS or implicit TLS, with a handler that keeps every message as the exact
bytes received and answers with scripted faults (451 for the first K RCPT/DATA, 550 at RCPT for
chosen addresses, 554 at DATA), and optional AUTH for one user/password."""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.background import Background

USER = "courier"
PASSWORD = "correct-horse-battery-staple"  # a test password; must never appear in errors


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Received:
    """One message as the server took it: envelope and the exact (un-dot-stuffed) bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    mail_options: tuple[str, ...] = ()


@dataclass
class Faults:
    """What the handler does wrong; ``reset()`` puts everything back to "accept all"."""

    temp_fail_rcpt: int = 0  # answer 451 to this many RCPT TO, then 250
    temp_fail_data: int = 0  # answer 451 to this many end-of-DATA, then 250
    reject_rcpt: set[str] = field(default_factory=set)  # 550 5.1.1 at RCPT TO
    reject_data: bool = False  # 554 5.7.1 at the end of DATA


class RecordingHandler:
    """aiosmtpd handler: stores messages in a thread-safe list, counts connections and AUTH
    attempts, and plays the :class:`Faults` it is given."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: list[Received] = []
        self.connections = 0
        self.auth_attempts = 0
        self.logins: list[str] = []
        self.faults = Faults()

    def reset(self) -> None:
        with self._lock:
            self.messages = []
            self.connections = 0
            self.auth_attempts = 0
            self.logins = []
            self.faults = Faults()

    def connected(self) -> None:
        with self._lock:
            self.connections += 1

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        with self._lock:
            self.auth_attempts += 1
            ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
                USER.encode(),
                PASSWORD.encode(),
            )
            if ok:
                self.logins.append(USER)
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self._lock:
            if address in self.faults.reject_rcpt:
                return "550 5.1.1 no such user"
            if self.faults.temp_fail_rcpt > 0:
                self.faults.temp_fail_rcpt -= 1
                return "451 4.3.0 try later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            if self.faults.reject_data:
                return "554 5.7.1 rejected"
            if self.faults.temp_fail_data > 0:
                self.faults.temp_fail_data -= 1
                return "451 4.3.0 try later"
            self.messages.append(
                Received(
                    envelope.mail_from or "",
                    tuple(envelope.rcpt_tos),
                    envelope.original_content or b"",
                    tuple(envelope.mail_options),
                )
            )
            number = len(self.messages)
        return f"250 2.0.0 Ok: queued as Q{number:05d}"


class _Controller(Controller):
    """Counts connections and keeps each session's protocol, so tests can drop them."""

    def __init__(self, owner: SmtpServer, **kwargs: Any) -> None:
        super().__init__(owner.handler, **kwargs)
        self.owner = owner

    def factory(self) -> SMTP:
        smtp = super().factory()
        self.owner.handler.connected()
        self.owner.sessions.append(smtp)
        return smtp


class SmtpServer(Background):
    """aiosmtpd on 127.0.0.1: ``mode`` is ``plain``, ``starttls`` (required before anything
    else; AUTH only after it) or ``smtps`` (implicit TLS). ``tls`` is the server's context."""

    def __init__(self, mode: str = "plain", tls: ssl.SSLContext | None = None) -> None:
        self.mode = mode
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = RecordingHandler()
        self.sessions: list[SMTP] = []
        options: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            "server_hostname": "mx.test",
            "authenticator": self.handler.authenticate,
            "ready_timeout": 5.0,
        }
        if mode == "starttls":
            options.update(tls_context=tls, require_starttls=True)
        elif mode == "smtps":
            # aiosmtpd does not see implicit TLS as TLS for AUTH; the socket is TLS all the same.
            options.update(ssl_context=tls, auth_require_tls=False)
        self.controller = _Controller(self, **options)

    @property
    def url(self) -> str:
        return f"{'smtps' if self.mode == 'smtps' else 'smtp'}://{self.host}:{self.port}"

    def start(self) -> None:
        self.controller.start()
        self.reset()

    def stop(self) -> None:
        self.controller.stop()

    def reset(self) -> None:
        """Forget messages, counters and faults; drop the bookkeeping of old sessions."""
        self.handler.reset()
        self.sessions = [s for s in self.sessions if s.transport is not None]

    def drop_connections(self) -> None:
        """Close every open client connection from the server side (an idle timeout)."""
        for smtp in self.sessions:
            transport = smtp.transport
            if transport is not None:
                self.controller.loop.call_soon_threadsafe(transport.close)
        self.sessions = []
