"""SesChannel against moto's server on loopback (sesv2 raw SendEmail), plus the fault proxy for
a response that never comes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from campaign.channels import Outcome, Outgoing, channel_settings, make_channel
from campaign.channels.base import ChannelError
from campaign.channels.ses import SesChannel
from campaign.clock import ManualClock
from campaign.errors import ConfigError, MissingDependency
from tests.faultproxy import FaultProxy
from tests.smtpserver import free_port

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

REGION = "eu-west-1"
SENDER = "appeals@example.org"
DATA = (
    b"From: appeals@example.org\r\nTo: partner@example.net\r\nSubject: Missing: Ana\r\n"
    b"Message-ID: <ses-1@example.org>\r\n\r\nHave you seen Ana?\r\n"
)
KEY_ENV, SECRET_ENV = "TEST_SES_KEY", "TEST_SES_SECRET"
SECRET = "ses-secret-value-QQQ"


@pytest.fixture(scope="module")
def ses_endpoint() -> Iterator[str]:
    """moto's server on a free loopback port, with SENDER verified."""
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "ses",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.verify_email_identity(EmailAddress=SENDER)
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def ses_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "testing")
    monkeypatch.setenv(SECRET_ENV, SECRET)


def ses_channel(endpoint: str, tmp_path: Path, **table: Any) -> SesChannel:
    settings = channel_settings(
        "test",
        {
            "url": f"ses:{REGION}",
            "endpoint_url": endpoint,
            "access_key_env": KEY_ENV,
            "secret_env": SECRET_ENV,
            **table,
        },
        tmp_path,
    )
    channel = make_channel(settings, ManualClock())
    assert isinstance(channel, SesChannel)
    return channel


def sent_messages() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def outgoing(sender: str = SENDER) -> Outgoing:
    return Outgoing(
        key="<ses-1@example.org>", recipient="partner@example.net", data=DATA, sender=sender
    )


def test_sends_raw_and_keeps_the_message_id(ses_endpoint: str, ses_env, tmp_path: Path):
    channel = ses_channel(ses_endpoint, tmp_path, configuration_set="appeals")
    before = len(sent_messages())
    receipt = channel.send(outgoing())
    channel.close()
    assert receipt.outcome is Outcome.ACCEPTED and receipt.remote_id
    [message] = sent_messages()[before:]
    assert message.id == receipt.remote_id
    assert message.raw_data == DATA.decode()
    assert "partner@example.net" in message.destinations
    assert SECRET not in repr(channel) and channel.describe() == f"ses:{REGION} via {ses_endpoint}"


def test_unverified_sender_is_permanent(ses_endpoint: str, ses_env, tmp_path: Path):
    channel = ses_channel(ses_endpoint, tmp_path)
    with pytest.raises(ChannelError) as caught:
        channel.send(outgoing("nobody@unverified.example"))
    err = caught.value
    assert not err.retryable and not err.suppress and not err.halt
    assert "MessageRejected" in (err.response or "")
    assert SECRET not in str(err)
    assert err.__cause__ is not None


def test_unreachable_endpoint_halts(ses_env, tmp_path: Path):
    channel = ses_channel(f"http://127.0.0.1:{free_port()}", tmp_path, timeout_s=0.5)
    with pytest.raises(ChannelError) as caught:
        channel.send(outgoing())
    assert caught.value.halt and caught.value.retryable and not caught.value.unknown_outcome


def test_lost_response_is_an_unknown_outcome(ses_endpoint: str, ses_env, tmp_path: Path):
    port = int(ses_endpoint.rsplit(":", 1)[1])
    with FaultProxy(("127.0.0.1", port)) as proxy:
        proxy.mode = "hang"
        channel = ses_channel(f"http://127.0.0.1:{proxy.port}", tmp_path, timeout_s=0.5)
        with pytest.raises(ChannelError) as caught:
            channel.send(outgoing())
        channel.close()
    assert caught.value.unknown_outcome and caught.value.retryable
    assert proxy.connections == 1  # botocore did not retry behind our back


def test_unset_credentials_halt_without_a_secret(ses_endpoint: str, tmp_path: Path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ChannelError, match=KEY_ENV) as caught:
        ses_channel(ses_endpoint, tmp_path).send(outgoing())
    assert caught.value.halt


def test_botocore_debug_logging_is_refused(ses_endpoint: str, ses_env, tmp_path: Path):
    logger = logging.getLogger("botocore")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        with pytest.raises(ConfigError, match="debug logging"):
            ses_channel(ses_endpoint, tmp_path).open()
    finally:
        logger.setLevel(level)


def test_bad_urls_and_half_credentials_are_config_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="ses:REGION"):
        make_channel(channel_settings("t", "ses:", tmp_path), ManualClock())
    half = channel_settings("t", {"url": "ses:eu-west-1", "secret_env": "X"}, tmp_path)
    with pytest.raises(ConfigError, match="go together"):
        make_channel(half, ManualClock())


def test_missing_boto3_names_the_extra(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(MissingDependency) as caught:
        make_channel(channel_settings("t", "ses:eu-west-1", tmp_path), ManualClock())
    assert caught.value.extra == "s3"
