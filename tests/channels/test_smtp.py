"""SmtpChannel against real aiosmtpd servers on loopback (no mocking of smtplib), with the fault
proxy for what a server handler cannot do: cut a connection mid-DATA, lose the reply after
the final ".", hang."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from campaign.channels import ChannelSettings, Outcome, Outgoing, make_channel
from campaign.channels.base import ChannelError
from campaign.channels.smtp import SmtpChannel
from campaign.clock import ManualClock
from campaign.errors import ConfigError
from tests.faultproxy import FaultProxy
from tests.smtpserver import PASSWORD, USER, SmtpServer

from .conftest import SECRET_ENV

Settings = Callable[..., ChannelSettings]
SENDER = "appeals@example.org"
BODY = (
    b"From: Appeals <appeals@example.org>\r\n"
    b"To: partner@example.net\r\n"
    b"Subject: Missing: Ana (FIC-2026-0001)\r\n"
    b"Message-ID: <k1@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Have you seen Ana? Llame al 911 \xc2\xb7 gracias.\r\n"
    b".a line that starts with a dot\r\n"
    b".\r\n"
    b"..two dots\r\n"
    b"a bare LF\n.is not a line start for SMTP\r\n"
    b"last line\r\n"
)


def outgoing(
    recipient: str = "partner@example.net", data: bytes = BODY, key: str = "k1"
) -> Outgoing:
    return Outgoing(key=key, recipient=recipient, data=data, sender=SENDER)


@pytest.fixture
def channels() -> Iterator[Callable[..., SmtpChannel]]:
    """Make SmtpChannels (real clock unless given) and close them all after the test."""
    made: list[SmtpChannel] = []

    def make(settings: ChannelSettings, clock: Any = None) -> SmtpChannel:
        channel = make_channel(settings, clock or ManualClock())
        assert isinstance(channel, SmtpChannel)
        made.append(channel)
        return channel

    yield make
    for channel in made:
        channel.close()


def test_message_arrives_byte_identical(smtp_server: SmtpServer, settings_for: Settings, channels):
    channel = channels(settings_for(smtp_server, tls="none"))
    receipt = channel.send(outgoing())
    assert receipt.outcome is Outcome.ACCEPTED
    assert receipt.remote_id == "2.0.0 Ok: queued as Q00001"
    assert receipt.detail == "250 2.0.0 Ok: queued as Q00001"
    [message] = smtp_server.handler.messages
    assert message.data == BODY
    assert (message.mail_from, message.rcpt_tos) == (SENDER, ("partner@example.net",))
    assert "BODY=8BITMIME" in message.mail_options
    assert channel.describe() == f"smtp://127.0.0.1:{smtp_server.port}"


def test_one_connection_for_many_sends(smtp_server: SmtpServer, settings_for: Settings, channels):
    channel = channels(settings_for(smtp_server, tls="none"))
    for number in range(5):
        channel.send(outgoing(f"r{number}@example.net", key=f"k{number}"))
    assert len(smtp_server.handler.messages) == 5
    assert smtp_server.handler.connections == 1
    channel.close()
    channel.close()  # safe twice
    channel.send(outgoing())  # a new connection after close
    assert smtp_server.handler.connections == 2


def test_reconnects_once_when_the_server_closed_an_idle_connection(
    smtp_server: SmtpServer, settings_for: Settings, channels
):
    channel = channels(settings_for(smtp_server, tls="none"))
    channel.send(outgoing(key="a"))
    smtp_server.drop_connections()
    time.sleep(0.05)
    channel.send(outgoing(key="b"))
    assert len(smtp_server.handler.messages) == 2
    assert smtp_server.handler.connections == 2


def test_starttls_verified_with_login(
    starttls_server: SmtpServer, settings_for: Settings, ca_file, smtp_password, channels
):
    settings = settings_for(
        starttls_server, ca_file=str(ca_file), username=USER, secret_env=SECRET_ENV
    )
    channels(settings).send(outgoing())
    assert starttls_server.handler.logins == [USER]
    assert starttls_server.handler.messages[0].data == BODY


def test_starttls_with_the_wrong_ca_halts_before_any_password(
    starttls_server: SmtpServer, settings_for: Settings, wrong_ca_file, smtp_password, channels
):
    settings = settings_for(
        starttls_server, ca_file=str(wrong_ca_file), username=USER, secret_env=SECRET_ENV
    )
    with pytest.raises(ChannelError) as caught:
        channels(settings).send(outgoing())
    assert caught.value.halt and caught.value.retryable
    assert "certificate not verified" in str(caught.value)
    assert starttls_server.handler.auth_attempts == 0
    assert starttls_server.handler.messages == []


def test_smtps_implicit_tls_with_login(
    smtps_server: SmtpServer, settings_for: Settings, ca_file, smtp_password, channels
):
    settings = settings_for(
        smtps_server, ca_file=str(ca_file), username=USER, secret_env=SECRET_ENV
    )
    channel = channels(settings)
    channel.send(outgoing())
    assert channel.describe() == f"smtps://127.0.0.1:{smtps_server.port}"
    assert smtps_server.handler.logins == [USER]
    assert smtps_server.handler.messages[0].data == BODY


def test_wrong_password_halts_and_no_secret_shows(
    starttls_server: SmtpServer, settings_for: Settings, ca_file, monkeypatch, channels
):
    monkeypatch.setenv(SECRET_ENV, "not-the-password-XYZ")
    settings = settings_for(
        starttls_server, ca_file=str(ca_file), username=USER, secret_env=SECRET_ENV
    )
    channel = channels(settings)
    with pytest.raises(ChannelError) as caught:
        channel.send(outgoing())
    err = caught.value
    assert err.halt and err.retryable and "535" in str(err)
    for text in (str(err), repr(err), repr(channel), repr(settings), str(err.__cause__)):
        assert "not-the-password-XYZ" not in text and PASSWORD not in text
    assert starttls_server.handler.auth_attempts >= 1


def test_plain_with_a_username_is_refused_before_connecting(
    smtp_server: SmtpServer, settings_for: Settings, smtp_password
):
    settings = settings_for(smtp_server, tls="none", username=USER, secret_env=SECRET_ENV)
    with pytest.raises(ConfigError, match="never sent"):
        make_channel(settings, ManualClock())
    assert smtp_server.handler.connections == 0


def test_starttls_required_but_not_offered_halts(
    smtp_server: SmtpServer, settings_for: Settings, channels
):
    with pytest.raises(ChannelError, match="does not offer STARTTLS") as caught:
        channels(settings_for(smtp_server)).send(outgoing())
    assert caught.value.halt
    assert smtp_server.handler.messages == []


@pytest.mark.parametrize("where", ["temp_fail_rcpt", "temp_fail_data"])
def test_451_is_retryable_then_250(
    smtp_server: SmtpServer, settings_for: Settings, channels, where: str
):
    setattr(smtp_server.handler.faults, where, 1)
    channel = channels(settings_for(smtp_server, tls="none"))
    with pytest.raises(ChannelError) as caught:
        channel.send(outgoing())
    err = caught.value
    assert err.retryable and not (err.suppress or err.unknown_outcome or err.halt)
    assert err.response == "451 4.3.0 try later"
    assert channel.send(outgoing()).outcome is Outcome.ACCEPTED
    assert len(smtp_server.handler.messages) == 1
    assert smtp_server.handler.connections == 1  # RSET kept the connection usable


def test_550_at_rcpt_is_permanent_and_suppresses(
    smtp_server: SmtpServer, settings_for: Settings, channels
):
    smtp_server.handler.faults.reject_rcpt = {"gone@example.net"}
    channel = channels(settings_for(smtp_server, tls="none"))
    with pytest.raises(ChannelError) as caught:
        channel.send(outgoing("gone@example.net"))
    err = caught.value
    assert not err.retryable and err.suppress and not err.halt
    assert err.response == "550 5.1.1 no such user"
    channel.send(outgoing("fine@example.net"))  # the rest carry on
    assert [m.rcpt_tos for m in smtp_server.handler.messages] == [("fine@example.net",)]


def test_554_at_data_is_permanent_without_suppressing(
    smtp_server: SmtpServer, settings_for: Settings, channels
):
    smtp_server.handler.faults.reject_data = True
    with pytest.raises(ChannelError) as caught:
        channels(settings_for(smtp_server, tls="none")).send(outgoing())
    err = caught.value
    assert not err.retryable and not err.suppress and not err.unknown_outcome
    assert err.response == "554 5.7.1 rejected"


def test_unsafe_address_is_refused_without_connecting(
    smtp_server: SmtpServer, settings_for: Settings, channels
):
    with pytest.raises(ChannelError) as caught:
        channels(settings_for(smtp_server, tls="none")).send(outgoing("a@b.c\r\nRCPT TO:<x@y>"))
    assert caught.value.suppress and not caught.value.retryable
    assert smtp_server.handler.connections == 0


def test_disconnect_mid_data_is_retryable_and_not_delivered(
    smtp_server: SmtpServer, settings_for: Settings, channels
):
    # The body must be bigger than what the kernels buffer, so that the cut reaches the client
    # while it is still sending: a body fully handed over before a cut is (rightly) reported
    # as an unknown outcome, since the client cannot tell it from a reply lost after ".".
    big = BODY + b"x" * 998 + b"\r\n" + (b"y" * 76 + b"\r\n") * 80_000
    with FaultProxy((smtp_server.host, smtp_server.port)) as proxy:
        proxy.mode, proxy.cut_after = "cut", 64 * 1024
        channel = channels(settings_for(f"smtp://127.0.0.1:{proxy.port}", tls="none"))
        with pytest.raises(ChannelError) as caught:
            channel.send(outgoing(data=big))
        err = caught.value
        assert err.retryable and not err.unknown_outcome and not err.halt
        assert "not delivered" in str(err)
        time.sleep(0.05)
        assert smtp_server.handler.messages == []
        proxy.mode = "pass"
        channel.send(outgoing(data=big))  # the retry: one complete copy
    assert [m.data for m in smtp_server.handler.messages] == [big]


def test_reply_lost_after_the_final_dot_is_an_unknown_outcome(
    smtp_server: SmtpServer, settings_for: Settings, channels
):
    with FaultProxy((smtp_server.host, smtp_server.port)) as proxy:
        proxy.mode = "swallow"
        channel = channels(settings_for(f"smtp://127.0.0.1:{proxy.port}", tls="none"))
        with pytest.raises(ChannelError) as caught:
            channel.send(outgoing())
        err = caught.value
        assert err.retryable and err.unknown_outcome and not err.halt
        proxy.mode = "pass"
        channel.send(outgoing())  # the retry, same bytes and Message-ID
    assert [m.data for m in smtp_server.handler.messages] == [BODY, BODY]


def test_hung_server_halts_after_the_timeout(
    smtp_server: SmtpServer, settings_for: Settings, channels
):
    with FaultProxy((smtp_server.host, smtp_server.port)) as proxy:
        proxy.mode = "hang"
        threads = threading.active_count()
        settings = settings_for(f"smtp://127.0.0.1:{proxy.port}", tls="none", timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(ChannelError) as caught:
            channels(settings).send(outgoing())
        elapsed = time.monotonic() - started
    assert caught.value.halt and caught.value.retryable
    assert "no answer within 0.5 s" in str(caught.value)
    assert 0.4 < elapsed < 1.5
    assert threading.active_count() <= threads
    assert smtp_server.handler.connections == 0


def test_latency_is_only_slower(smtp_server: SmtpServer, settings_for: Settings, channels):
    with FaultProxy((smtp_server.host, smtp_server.port)) as proxy:
        proxy.mode, proxy.latency_s = "latency", 0.01
        channels(settings_for(f"smtp://127.0.0.1:{proxy.port}", tls="none")).send(outgoing())
    assert smtp_server.handler.messages[0].data == BODY


def test_rate_is_paced_with_the_clock(smtp_server: SmtpServer, settings_for: Settings, channels):
    clock = ManualClock()
    channel = channels(settings_for(smtp_server, tls="none", rate=5), clock)
    for number in range(4):
        channel.send(outgoing(key=f"k{number}"))
    assert clock.slept == pytest.approx([0.2, 0.2, 0.2])
    assert len(smtp_server.handler.messages) == 4


def test_smtps_with_the_wrong_ca_halts(
    smtps_server: SmtpServer, settings_for: Settings, wrong_ca_file, smtp_password, channels
):
    settings = settings_for(
        smtps_server, ca_file=str(wrong_ca_file), username=USER, secret_env=SECRET_ENV
    )
    with pytest.raises(ChannelError, match="certificate not verified") as caught:
        channels(settings).send(outgoing())
    assert caught.value.halt
    assert smtps_server.handler.auth_attempts == 0


def test_body_without_a_final_newline_gets_one(
    smtp_server: SmtpServer, settings_for: Settings, channels
):
    channels(settings_for(smtp_server, tls="none")).send(outgoing(data=b"Subject: x\r\n\r\n.end"))
    assert smtp_server.handler.messages[0].data == b"Subject: x\r\n\r\n.end\r\n"


@pytest.mark.parametrize(
    ("code", "reply", "bad"),
    [
        (550, "5.1.1 no such user", True),
        (550, "5.2.1 mailbox disabled", True),
        (552, "5.2.2 mailbox full", False),
        (554, "5.7.1 Relay access denied", False),
        (550, "no such user here", True),
        (554, "transaction failed", False),
    ],
)
def test_only_a_bad_mailbox_suppresses_the_address(code: int, reply: str, bad: bool) -> None:
    from campaign.channels.smtp import _bad_address

    assert _bad_address(code, reply) is bad
