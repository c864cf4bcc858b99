"""WebhookChannel against loopback HTTP(S) receivers that answer from a script and record every
request; target checks with an injected resolver and no network at all."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from campaign.channels import Outcome, Outgoing, channel_settings, make_channel
from campaign.channels.base import ChannelError
from campaign.channels.settings import DEFAULT_RETRY, ChannelSettings
from campaign.channels.webhook import WebhookChannel
from campaign.clock import ManualClock
from campaign.errors import ConfigError
from campaign.webhooks import event_body, verify_webhook
from tests.smtpserver import free_port

SECRET_ENV = "TEST_WEBHOOK_SECRET"
SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY="  # 30 bytes
KEY = "wh_01J9Z3K7C2M8"
CREATED = dt.datetime(2026, 11, 28, 8, 55, tzinfo=dt.UTC)

Step = tuple[int, dict[str, str], bytes] | str  # (status, headers, body) or "hang"


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


class Receiver:
    """A webhook endpoint on 127.0.0.1: answers each POST with the next scripted step (200 when
    the script is empty) and records what it got."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[Seen] = []
        self.script: deque[Step] = deque()
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver.answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
        names = {name.lower(): value for name, value in handler.headers.items()}
        self.seen.append(Seen(handler.path, names, body))
        step = self.script.popleft() if self.script else (200, {}, b"ok")
        if isinstance(step, str):  # "hang": read the request, never answer
            self.release.wait(10)
            handler.close_connection = True
            return
        status, extra, payload = step
        handler.send_response(status)
        for name, value in {**extra, "Content-Length": str(len(payload))}.items():
            handler.send_header(name, value)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(payload)
        handler.close_connection = True

    def reset(self, *script: Step) -> Receiver:
        self.release.set()  # frees a handler still hanging from an earlier test
        self.release = threading.Event()
        self.seen.clear()
        self.script = deque(script)
        return self

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def _receivers() -> Iterator[tuple[Receiver, Receiver]]:
    first, second = Receiver(), Receiver()
    try:
        yield first, second
    finally:
        first.close()
        second.close()


@pytest.fixture
def receiver(_receivers: tuple[Receiver, Receiver]) -> Receiver:
    return _receivers[0].reset()


@pytest.fixture
def other_receiver(_receivers: tuple[Receiver, Receiver]) -> Receiver:
    return _receivers[1].reset()


@pytest.fixture(scope="module")
def tls_receiver(server_tls: ssl.SSLContext) -> Iterator[Receiver]:
    server = Receiver(server_tls)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC))


def settings(url: str, *, allow_private: bool = True, **kw: Any) -> ChannelSettings:
    """Built by hand: the config side maps only https:, and loopback needs allow_private."""
    table: dict[str, Any] = {"secret_env": SECRET_ENV, "timeout_s": 2.0, **kw}
    options = {"allow_private": True} if allow_private else {}
    return ChannelSettings(url=url, retry=DEFAULT_RETRY["https"], options=options, **table)


def channel(url: str, clock: ManualClock, **kw: Any) -> WebhookChannel:
    resolver = kw.pop("resolver", None)
    return WebhookChannel(settings(url, **kw), clock, resolver=resolver)


def event(key: str = KEY) -> Outgoing:
    body = event_body("case.withdrawn", CREATED, {"case_ref": "c-7f3a", "action": "take-down"})
    return Outgoing(key, "partner-a", body, kind="event", created=CREATED.timestamp())


def failure(chan: WebhookChannel, item: Outgoing | None = None) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        chan.send(item or event())
    return caught.value


# -- delivery -------------------------------------------------------------------------------


def test_delivered_and_verifiable(receiver: Receiver, clock: ManualClock) -> None:
    receipt = channel(receiver.url, clock).send(event())
    assert (receipt.outcome, receipt.remote_id, receipt.detail) == (
        Outcome.ACCEPTED,
        KEY,
        "HTTP 200",
    )
    [got] = receiver.seen
    assert got.path == "/hook"
    assert got.body == event().data
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "campaign-webhooks/1"
    assert got.headers["webhook-id"] == KEY
    assert got.headers["webhook-timestamp"] == str(int(clock.now().timestamp()))
    payload = verify_webhook(got.body, got.headers, SECRET, now=clock.now())
    assert payload["type"] == "case.withdrawn"
    assert payload["data"] == {"case_ref": "c-7f3a", "action": "take-down"}


def test_500_500_200_same_id_and_body(receiver: Receiver, clock: ManualClock) -> None:
    """Standard Webhooks' schedule (0 s, 5 s, 5 min): each attempt carries the same id and
    bytes; the timestamp is the attempt's, so every signature verifies when it arrives."""
    receiver.reset((500, {}, b"oops"), (500, {}, b"oops"), (200, {}, b""))
    chan = channel(receiver.url, clock)
    arrived = []
    for wait in (0, 5, 300):
        clock.advance(wait)
        arrived.append(clock.now())
        if wait < 300:
            err = failure(chan)
            assert err.retryable and not err.suppress and not err.unknown_outcome
            assert "HTTP 500" in str(err)
        else:
            assert chan.send(event()).outcome is Outcome.ACCEPTED
    assert len(receiver.seen) == 3
    assert {seen.headers["webhook-id"] for seen in receiver.seen} == {KEY}
    assert {seen.body for seen in receiver.seen} == {event().data}
    for seen, when in zip(receiver.seen, arrived, strict=True):
        verify_webhook(seen.body, seen.headers, SECRET, now=when)


def test_attempts_at_the_same_time_are_byte_identical(
    receiver: Receiver, clock: ManualClock
) -> None:
    receiver.reset((503, {}, b""), (200, {}, b""))
    chan = channel(receiver.url, clock)
    failure(chan)
    chan.send(event())
    first, second = receiver.seen
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    assert [first.headers[n] for n in names] == [second.headers[n] for n in names]


def test_a_late_retry_still_verifies(receiver: Receiver, clock: ManualClock) -> None:
    """The 30-minute retry: signed with the delivery's recording time it would be stale."""
    clock.advance(1800)
    channel(receiver.url, clock).send(event())
    [got] = receiver.seen
    verify_webhook(got.body, got.headers, SECRET, now=clock.now())
    assert int(got.headers["webhook-timestamp"]) - CREATED.timestamp() > 300


def test_410_disables_the_endpoint(receiver: Receiver, clock: ManualClock) -> None:
    receiver.reset((410, {}, b"gone"))
    err = failure(channel(receiver.url, clock))
    assert err.suppress and not err.retryable
    assert "endpoint gone: disabled" in str(err)


def test_redirect_not_followed(
    receiver: Receiver, other_receiver: Receiver, clock: ManualClock
) -> None:
    receiver.reset((302, {"Location": other_receiver.url + "?token=abc"}, b""))
    err = failure(channel(receiver.url, clock))
    assert not err.retryable and not err.suppress
    assert "redirect not followed" in str(err)
    assert "token" not in str(err)
    assert other_receiver.seen == []
    assert len(receiver.seen) == 1


def test_429_retry_after_seconds(receiver: Receiver, clock: ManualClock) -> None:
    receiver.reset((429, {"Retry-After": "120"}, b"slow down"))
    err = failure(channel(receiver.url, clock))
    assert err.retryable and err.retry_after == 120


def test_503_retry_after_http_date(receiver: Receiver, clock: ManualClock) -> None:
    later = clock.now() + dt.timedelta(seconds=90)
    receiver.reset((503, {"Retry-After": email.utils.format_datetime(later, usegmt=True)}, b""))
    err = failure(channel(receiver.url, clock))
    assert err.retryable and err.retry_after == 90


@pytest.mark.parametrize(
    ("status", "retryable", "halt"),
    [(408, True, False), (404, False, False), (401, True, True), (403, True, True)],
)
def test_other_statuses(
    receiver: Receiver, clock: ManualClock, status: int, retryable: bool, halt: bool
) -> None:
    receiver.reset((status, {}, b""))
    err = failure(channel(receiver.url, clock))
    assert err.retryable is retryable and not err.suppress and not err.unknown_outcome
    assert err.halt is halt  # a refused signature stops the endpoint for the run, not for good


def test_hung_receiver_is_an_unknown_outcome(receiver: Receiver, clock: ManualClock) -> None:
    receiver.reset("hang")
    start = time.monotonic()
    err = failure(channel(receiver.url, clock, timeout_s=0.5))
    assert time.monotonic() - start < 3
    assert err.retryable and err.unknown_outcome and err.halt
    assert "may have arrived" in str(err)
    assert len(receiver.seen) == 1  # the body did arrive


def test_connection_refused_is_retryable(clock: ManualClock) -> None:
    err = failure(channel(f"http://127.0.0.1:{free_port()}/hook", clock))
    assert err.retryable and not err.unknown_outcome and err.halt


def test_errors_never_show_the_signature_or_secret(receiver: Receiver, clock: ManualClock) -> None:
    """An endpoint that echoes what it got back into its error answer."""
    chan = channel(receiver.url, clock)
    receiver.reset((503, {}, b""))
    failure(chan)
    signature = receiver.seen[0].headers["webhook-signature"]
    echo = f"bad: {signature} {SECRET.removeprefix('whsec_')}".encode()
    receiver.reset((400, {}, echo))
    err = failure(chan)
    shown = f"{err} {err.response} {chan!r} {chan.describe()}"
    assert signature.partition(",")[2] not in shown
    assert SECRET.removeprefix("whsec_") not in shown
    assert "[hidden]" in (err.response or "")


def test_only_event_deliveries(receiver: Receiver, clock: ManualClock) -> None:
    chan = channel(receiver.url, clock)
    mail = Outgoing(KEY, "partner-a", b"From: x\r\n\r\nhi", kind="email")
    assert not failure(chan, mail).retryable
    assert not failure(chan, event("id.with.dots")).retryable
    assert receiver.seen == []


# -- TLS ------------------------------------------------------------------------------------


def test_https_verified_with_ca_file(
    tls_receiver: Receiver, ca_file: Path, clock: ManualClock
) -> None:
    tls_receiver.reset()
    url = f"https://localhost:{tls_receiver.port}/hook"
    pinned = channel(url, clock, ca_file=ca_file, resolver=lambda host, port: ["127.0.0.1"])
    assert pinned.send(event()).outcome is Outcome.ACCEPTED
    assert tls_receiver.seen[0].headers["host"] == f"localhost:{tls_receiver.port}"


def test_https_unknown_ca_halts(
    tls_receiver: Receiver, wrong_ca_file: Path, clock: ManualClock
) -> None:
    tls_receiver.reset()
    err = failure(channel(tls_receiver.url, clock, ca_file=wrong_ca_file))
    assert err.halt and err.retryable and "certificate not verified" in str(err)
    assert tls_receiver.seen == []


# -- target checks (allow_private off) ------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> socket.socket:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.5/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://2130706433/hook",
        "https://0x7f.1/hook",
    ],
)
def test_ip_targets_refused(no_network: None, clock: ManualClock, url: str) -> None:
    err = failure(channel(url, clock, allow_private=False))
    assert not err.retryable and not err.unknown_outcome
    assert "target refused" in str(err)


@pytest.mark.parametrize(
    "answers", [["127.0.0.1"], ["169.254.169.254"], ["93.184.216.34", "10.1.2.3"], ["::1"]]
)
def test_names_resolving_to_private_addresses_refused(
    no_network: None, clock: ManualClock, answers: list[str]
) -> None:
    chan = channel(
        "https://hooks.partner.example/in",
        clock,
        allow_private=False,
        resolver=lambda host, port: answers,
    )
    err = failure(chan)
    assert not err.retryable and "only public addresses" in str(err)


def test_dns_failure_is_retryable(no_network: None, clock: ManualClock) -> None:
    def fail(host: str, port: int) -> list[str]:
        raise socket.gaierror("Name or service not known")

    err = failure(
        channel("https://hooks.partner.example/in", clock, allow_private=False, resolver=fail)
    )
    assert err.retryable and not err.unknown_outcome


# -- configuration --------------------------------------------------------------------------


def test_made_from_a_config_table(tmp_path: Path, clock: ManualClock) -> None:
    table = {"url": "https://hooks.partner.example/in?token=t0k", "secret_env": SECRET_ENV}
    chan = make_channel(channel_settings("test", table, tmp_path), clock)
    assert isinstance(chan, WebhookChannel)
    assert chan.describe() == "https://hooks.partner.example/in"
    assert "t0k" not in repr(chan) and SECRET not in repr(chan)
    assert chan.timeout_s == 30


@pytest.mark.parametrize(
    "value", ["", "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY=", "whsec_!!!!", "whsec_c2hvcnQ="]
)
def test_bad_secrets_refused_without_echo(
    monkeypatch: pytest.MonkeyPatch, clock: ManualClock, value: str
) -> None:
    monkeypatch.setenv(SECRET_ENV, value)
    with pytest.raises(ConfigError) as caught:
        channel("https://hooks.partner.example/in", clock, allow_private=False)
    assert SECRET_ENV in str(caught.value)
    assert not value or value not in str(caught.value)


def test_secret_required(monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> None:
    with pytest.raises(ConfigError, match="secret_env is required"):
        WebhookChannel(ChannelSettings(url="https://hooks.partner.example/in"), clock)
    monkeypatch.delenv(SECRET_ENV)
    with pytest.raises(ConfigError, match=SECRET_ENV):
        channel("https://hooks.partner.example/in", clock, allow_private=False)


def test_plain_http_only_for_loopback_tests(clock: ManualClock) -> None:
    with pytest.raises(ConfigError, match="https"):
        channel("http://hooks.partner.example/in", clock, allow_private=False)
    assert channel("http://127.0.0.1:9/in", clock).describe() == "http://127.0.0.1:9/in"


@pytest.mark.parametrize(
    ("given", "allow_private", "used"),
    [(1.0, False, 15.0), (20.0, False, 20.0), (120.0, False, 30.0), (0.5, True, 0.5)],
)
def test_timeout_clamped(
    clock: ManualClock, given: float, allow_private: bool, used: float
) -> None:
    url = "https://hooks.partner.example/in"
    assert channel(url, clock, timeout_s=given, allow_private=allow_private).timeout_s == used


def test_json_body_sent_as_is(receiver: Receiver, clock: ManualClock) -> None:
    """Not re-serialised: the receiver gets (and verifies) exactly the bytes it was given."""
    data = b'{"type":"x.y","timestamp":"2026-11-28T09:00:00Z","data":{"b":1, "a":"\xc3\xa9"}}'
    item = Outgoing(KEY, "partner-a", data, kind="event")
    channel(receiver.url, clock).send(item)
    assert receiver.seen[0].body == data
    assert json.loads(data)["data"]["a"] == "é"
