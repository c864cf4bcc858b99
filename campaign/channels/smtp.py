"""Mail through an SMTP relay: ``smtp://HOST:PORT`` (STARTTLS required unless ``tls = "none"``)
or ``smtps://HOST:PORT`` (implicit TLS). One connection per run, opened on the first send;
certificates always verified; no password over an unverified connection. Every reply is
sorted into retry / permanent / suppress / unknown outcome: DATA is done in two halves so a lost
connection can be placed before the final "." (not delivered) or after it (may have arrived)."""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from campaign.channels.base import (
    BaseChannel,
    ChannelError,
    Outcome,
    Outgoing,
    Receipt,
    explain,
    timed_out,
)
from campaign.channels.settings import ChannelSettings
from campaign.clock import Clock
from campaign.errors import ConfigError

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TLS_MODES = ("starttls", "none")
_LEADING_DOT = re.compile(rb"(?:\A|(?<=\r\n))\.")  # a "." starting a CRLF line
_UNSAFE = re.compile(r"[\r\n\x00<>]")
# What smtplib raises for a dropped or silent connection; ChannelError is neither.
_LOST = (smtplib.SMTPException, OSError)


class _Connection(smtplib.SMTP):
    """smtplib with DATA in two halves: ``start_data`` (expects 354) and ``send_body``, which
    records whether the whole body and its final "." left this process."""

    dot_sent = False

    def connect(self, host: str = "localhost", port: int = 0, source_address: Any = None) -> Any:
        self._host = host  # Python 3.11 sets it only in __init__; TLS checks the name against it
        return super().connect(host, port, source_address)

    def start_data(self) -> tuple[int, bytes]:
        self.dot_sent = False
        self.putcmd("data")
        return self.getreply()

    def send_body(self, body: bytes) -> None:
        stuffed = _LEADING_DOT.sub(b"..", body)
        if not stuffed.endswith(b"\r\n"):
            stuffed += b"\r\n"
        self.send(stuffed + b".\r\n")  # raises SMTPServerDisconnected unless all of it went
        self.dot_sent = True


class _TlsConnection(smtplib.SMTP_SSL, _Connection):
    """The same, over implicit TLS (``smtps:``)."""


class SmtpChannel(BaseChannel):
    """Sends each :class:`Outgoing` as one SMTP transaction: ``sender`` → MAIL FROM, one RCPT TO
    ``recipient``, and ``data`` byte for byte (dot-stuffed on the wire)."""

    scheme = "smtp"

    def __init__(self, settings: ChannelSettings, clock: Clock) -> None:
        super().__init__(settings, clock)
        parts = urlsplit(settings.url)
        self.implicit_tls = settings.scheme == "smtps"
        self.tls = "tls" if self.implicit_tls else settings.options.get("tls", "starttls")
        try:
            self.port = parts.port or DEFAULT_PORTS[settings.scheme]
        except (ValueError, KeyError) as err:
            raise ConfigError(f"channel {settings.url}: not an smtp(s)://HOST:PORT URL") from err
        self.host = parts.hostname or ""
        self._helo: str | None = settings.options.get("helo")
        self._conn: _Connection | None = None
        self._context: ssl.SSLContext | None = None
        self._check()

    def _check(self) -> None:
        where = f"channel {self.describe()}"
        if not self.host:
            raise ConfigError(f"{where}: the URL needs a host (smtp://HOST:PORT)")
        if self.tls not in (*TLS_MODES, "tls"):
            raise ConfigError(f"{where}: tls must be one of {', '.join(TLS_MODES)}")
        if self.settings.username and self.tls == "none":
            raise ConfigError(
                f'{where}: refusing to log in with tls = "none" (a password is never sent '
                "over an unverified connection); use STARTTLS or smtps://"
            )
        if self.settings.username and not self.settings.secret_env:
            raise ConfigError(f"{where}: username needs secret_env (the password's variable)")

    def describe(self) -> str:
        return f"{self.settings.scheme}://{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"SmtpChannel({self.describe()}, tls={self.tls})"

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except _LOST:
            pass
        finally:
            conn.close()

    def build_payload(self, item: Outgoing) -> bytes:
        if not item.recipient or _UNSAFE.search(item.recipient):
            raise ChannelError(
                f"smtp: unusable recipient address {item.recipient!r}",
                retryable=False,
                suppress=True,
            )
        if _UNSAFE.search(item.sender):
            raise ChannelError(f"smtp: unusable sender address {item.sender!r}", retryable=False)
        return item.data

    def transmit(self, item: Outgoing, payload: bytes) -> Receipt:
        self.pace()
        conn = self._begin(item, payload)
        conn.dot_sent = False  # not yet, for this message (the connection may be reused)
        stage = "RCPT TO"
        try:
            self._expect(conn, stage, conn.rcpt(item.recipient), (250, 251))
            stage = "DATA"
            self._expect(conn, stage, conn.start_data(), (354,))
            stage = "the message body"
            conn.send_body(payload)
            stage = "the reply to the final '.'"
            code, raw = conn.getreply()
        except _LOST as err:
            self._drop()
            raise _lost(err, stage, conn.dot_sent, self.settings.timeout_s) from err
        self._expect(conn, "end of DATA", (code, raw), (250,))
        text = raw.decode("utf-8", "replace")
        return Receipt(Outcome.ACCEPTED, text, f"{code} {text}", {"server": self.describe()})

    # -- the session ------------------------------------------------------------------------

    def _begin(self, item: Outgoing, payload: bytes) -> _Connection:
        """A connection whose MAIL FROM was accepted. A reused connection that the server closed
        while idle (nothing of this message sent yet) is replaced once, transparently."""
        reused = self._conn is not None
        conn = self._conn or self._connect()
        self._conn = conn
        try:
            reply = conn.mail(item.sender, _mail_options(conn, item, payload))
        except _LOST as err:
            self._drop()
            if reused:
                return self._begin(item, payload)
            raise _lost(err, "MAIL FROM", False, self.settings.timeout_s) from err
        if reply[0] == 421 and reused:
            self._drop()
            return self._begin(item, payload)
        self._expect(conn, "MAIL FROM", reply, (250,))
        return conn

    def _connect(self) -> _Connection:
        """Connect, greet, STARTTLS and log in; any failure halts the channel for this run."""
        timeout = self.settings.timeout_s
        if self._helo is None:
            self._helo = socket.getfqdn()
        conn: _Connection | None = None
        try:
            conn = (
                _TlsConnection(local_hostname=self._helo, timeout=timeout, context=self._tls())
                if self.implicit_tls
                else _Connection(local_hostname=self._helo, timeout=timeout)
            )
            self._handshake(conn)
        except ChannelError:
            if conn is not None:
                conn.close()
            raise
        except (*_LOST, ConfigError) as err:  # OSError covers an unreadable ca_file too
            if conn is not None:
                conn.close()
            raise ChannelError(
                f"smtp: cannot use {self.describe()}: {_explain(err, timeout)}",
                retryable=True,
                halt=True,
            ) from err
        return conn

    def _tls(self) -> ssl.SSLContext:
        """The verifying TLS context, made once per channel (loading CAs costs milliseconds)."""
        if self._context is None:
            cafile = str(self.settings.ca_file) if self.settings.ca_file else None
            self._context = ssl.create_default_context(cafile=cafile)
        return self._context

    def _handshake(self, conn: _Connection) -> None:
        code, greeting = conn.connect(self.host, self.port)
        if code != 220:
            raise smtplib.SMTPConnectError(code, greeting)
        conn.ehlo_or_helo_if_needed()
        if self.tls == "starttls":
            if not conn.has_extn("starttls"):
                raise ChannelError(
                    f"smtp: {self.describe()} does not offer STARTTLS (required; set "
                    'tls = "none" only for a plain loopback relay)',
                    retryable=True,
                    halt=True,
                )
            conn.starttls(context=self._tls())
            conn.ehlo()
        if self.settings.username:
            if not isinstance(conn.sock, ssl.SSLSocket):  # belt and braces: never in clear
                raise ChannelError(
                    "smtp: refusing to log in without TLS", retryable=True, halt=True
                )
            conn.login(self.settings.username, self.settings.secret() or "")

    def _expect(
        self, conn: _Connection, stage: str, reply: tuple[int, bytes], ok: tuple[int, ...]
    ) -> None:
        """Return if the reply code is one of ``ok``; else end the transaction and raise."""
        code, raw = reply
        if code in ok:
            return
        response = f"{code} {raw.decode('utf-8', 'replace')}".strip()
        if code == 421:  # the server is closing the connection
            self._drop()
        else:
            self._reset(conn)
        raise _refused(stage, code, response)

    def _reset(self, conn: _Connection) -> None:
        try:
            if conn.rset()[0] == 250:
                return
        except _LOST:
            pass
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _mail_options(conn: _Connection, item: Outgoing, payload: bytes) -> list[str]:
    options = []
    if not payload.isascii() and conn.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    if not (item.sender + item.recipient).isascii():
        if not conn.has_extn("smtputf8"):
            raise ChannelError(
                "smtp: the server does not take non-ASCII addresses (no SMTPUTF8)",
                retryable=False,
            )
        options.append("SMTPUTF8")
    return options


def _refused(stage: str, code: int, response: str) -> ChannelError:
    """The error for a reply the server refused with: 4xx retry, 5xx permanent; only a 5xx at
    RCPT TO blames (suppresses) the address; 530 (log in first) halts the channel."""
    if code == 530:
        return ChannelError(
            f"smtp: {stage} needs a login: {response}",
            retryable=True,
            halt=True,
            response=response,
        )
    if 500 <= code < 600:
        return ChannelError(
            f"smtp: {stage} refused: {response}",
            retryable=False,
            suppress=stage == "RCPT TO" and _bad_address(code, response),
            response=response,
        )
    return ChannelError(f"smtp: {stage} deferred: {response}", retryable=True, response=response)


_ENHANCED = re.compile(r"^\s*5\.(\d{1,3})\.(\d{1,3})")


def _bad_address(code: int, response: str) -> bool:
    """Whether a 5xx at RCPT TO says the mailbox itself is bad (RFC 3463 5.1.x, or 5.2.1
    disabled) — not a policy or relay refusal (5.7.x), which must not suppress people."""
    found = _ENHANCED.match(response)
    if found is not None:
        subject, detail = found.groups()
        return subject == "1" or (subject, detail) == ("2", "1")
    return code in (550, 551, 553)


def _lost(err: BaseException, stage: str, dot_sent: bool, timeout: float) -> ChannelError:
    """The error for a connection lost at ``stage``: after the final "." the message may have
    arrived (unknown outcome); a server that stopped answering halts the channel."""
    hung = timed_out(err)
    if dot_sent:
        return ChannelError(
            f"smtp: connection lost waiting for {stage}, the message may have arrived: "
            + _explain(err, timeout),
            retryable=True,
            unknown_outcome=True,
            halt=hung,
        )
    return ChannelError(
        f"smtp: connection lost during {stage} (not delivered): {_explain(err, timeout)}",
        retryable=True,
        halt=hung,
    )


def _explain(err: BaseException, timeout: float) -> str:
    if not timed_out(err) and isinstance(err, smtplib.SMTPResponseException):
        text = err.smtp_error
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        reply = f"{err.smtp_code} {text}"
        login = isinstance(err, smtplib.SMTPAuthenticationError)
        return f"login refused: {reply}" if login else reply
    return explain(err, timeout)
