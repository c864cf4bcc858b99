"""Sending a build through a real SMTP server (aiosmtpd on 127.0.0.1): the right cases to the
right people, DKIM, and the faults of reliability.md at the level of the whole send loop."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from typing import Any

import dkim
from click.testing import CliRunner

from campaign.cli import main
from campaign.clock import ManualClock
from campaign.deliver import send_build
from campaign.ledger import Status
from tests.conftest import AS_OF
from tests.delivery.conftest import Campaign, MakeCampaign, smtp_channel, subscriber
from tests.delivery.test_send import cases_in
from tests.dkimkeys import dkim_keys
from tests.faultproxy import FaultProxy


def messages(server: Any) -> list[EmailMessage]:
    out = []
    for item in server.handler.messages:
        message = email.message_from_bytes(item.data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        assert list(item.rcpt_tos) == [message["To"].addresses[0].addr_spec]
        out.append(message)
    return out


def send(campaign: Campaign, clock: ManualClock | None = None, wait_s: float = 0):  # type: ignore[no-untyped-def]
    with campaign.ledger(clock or ManualClock()) as ledger:
        done = send_build(campaign.config(), campaign.build, ledger, AS_OF, wait_s=wait_s)
        return done, {d.recipient: d for d in ledger.deliveries()}


def test_every_subscriber_gets_exactly_their_cases_over_smtp(
    make_campaign: MakeCampaign, mail_server: Any
) -> None:
    campaign = make_campaign(
        [
            subscriber("maria@example.org", "es", country="MX"),
            subscriber("dana@example.net", "en", region="US-TX"),
            subscriber("priya@example.org", "hi", country="IN"),
            subscriber("wei@example.net", "zh-Hans", country="MY"),
        ],
        channel=smtp_channel(mail_server),
    )
    ref = campaign.ref
    done, rows = send(campaign)
    assert done.report is not None and not done.report.incomplete()
    got = {m["To"].addresses[0].addr_spec: m for m in messages(mail_server)}
    assert {k: cases_in(v) for k, v in got.items()} == {
        "maria@example.org": {ref("DEMO-MX-001"): "es"},
        "dana@example.net": {ref("DEMO-US-001"): "en", ref("DEMO-US-003"): "en"},
        "priya@example.org": {ref("DEMO-IN-001"): "hi", ref("DEMO-IN-002"): "hi"},
        "wei@example.net": {ref("DEMO-MY-001"): "zh-Hans"},
    }
    assert got["wei@example.net"]["Content-Language"] == "zh-Hans"
    assert all(row.status is Status.SENT for row in rows.values())
    # one connection served the whole run
    assert mail_server.handler.connections == 1
    # the Message-ID is the ledger's idempotency key
    for address, message in got.items():
        assert message["Message-ID"] == f"<{rows[address].key}@example.org>"
    # inline banners resolve and the poster is byte-identical to the build's file
    message = got["maria@example.org"]
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    cids = {p["Content-ID"].strip("<>") for p in message.walk() if p["Content-ID"]}
    assert cids and all(f"cid:{cid}" in html for cid in cids)
    poster = next(p for p in message.walk() if p.get_content_type() == "application/pdf")
    built = campaign.build / "DEMO-MX-001" / "es" / "poster-a4-screen.pdf"
    assert poster.get_content() == built.read_bytes()


def test_dkim_signature_verifies(make_campaign: MakeCampaign, mail_server: Any) -> None:
    pem, record = dkim_keys()
    campaign = make_campaign(
        [subscriber("a@example.org", country="GB")],
        channel=smtp_channel(mail_server),
        extra='\n[email.dkim]\nselector = "s1"\ndomain = "example.org"\nkey_file = "dkim.pem"\n',
    )
    (campaign.root / "dkim.pem").write_bytes(pem)
    send(campaign)
    (received,) = mail_server.handler.messages

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"s1._domainkey.example.org."
        return record

    assert dkim.verify(received.data, dnsfunc=dns)
    signed = received.data.split(b"\r\n\r\n")[0].decode()
    assert "list-unsubscribe" in signed.lower().split("h=")[1].split(";")[0].replace("\r\n ", "")


def test_451_then_250_gives_one_copy_after_the_schedule(
    make_campaign: MakeCampaign, mail_server: Any
) -> None:
    campaign = make_campaign([subscriber("a@example.org", country="GB")],
                             channel=smtp_channel(mail_server))  # fmt: skip
    mail_server.handler.faults.temp_fail_data = 1
    clock = ManualClock()
    done, rows = send(campaign, clock, wait_s=3600)
    assert len(mail_server.handler.messages) == 1
    row = rows["a@example.org"]
    assert row.status is Status.SENT and row.attempts == 2
    assert 0 < sum(clock.slept) <= 300  # the first retry waits up to base_s (full jitter)
    assert done.report is not None and not done.report.incomplete()


def test_550_for_one_recipient_fails_and_suppresses_only_that_one(
    make_campaign: MakeCampaign, mail_server: Any
) -> None:
    addresses = ["a@example.org", "gone@example.org", "c@example.org"]
    campaign = make_campaign([subscriber(a, country="GB") for a in addresses],
                             channel=smtp_channel(mail_server))  # fmt: skip
    mail_server.handler.faults.reject_rcpt = {"gone@example.org"}
    result = CliRunner().invoke(
        main, ["send", str(campaign.build), "--quiet", "--config", str(campaign.config_path)]
    )
    assert result.exit_code == 4, result.output
    assert sorted(m.rcpt_tos[0] for m in mail_server.handler.messages) == [
        "a@example.org",
        "c@example.org",
    ]
    with campaign.ledger() as ledger:
        rows = {d.recipient: d for d in ledger.deliveries()}
        assert rows["gone@example.org"].status is Status.FAILED
        assert ledger.is_suppressed("gone@example.org")
        assert not ledger.is_suppressed("a@example.org")
    status = CliRunner().invoke(main, ["status", "--config", str(campaign.config_path)])
    assert "gone@example.org failed after 1 attempts" in status.output
    assert "550" in status.output


def test_554_at_data_is_permanent_but_not_a_bad_address(
    make_campaign: MakeCampaign, mail_server: Any
) -> None:
    campaign = make_campaign([subscriber("a@example.org", country="GB")],
                             channel=smtp_channel(mail_server))  # fmt: skip
    mail_server.handler.faults.reject_data = True
    _, rows = send(campaign)
    assert rows["a@example.org"].status is Status.FAILED and "554" in rows["a@example.org"].detail
    with campaign.ledger() as ledger:
        assert not ledger.is_suppressed("a@example.org")


def test_reply_lost_after_the_dot_is_retried_with_the_same_message_id(
    make_campaign: MakeCampaign, mail_server: Any
) -> None:
    with FaultProxy(("127.0.0.1", mail_server.port)) as proxy:
        proxy.mode = "swallow"
        campaign = make_campaign([subscriber("a@example.org", country="GB")],
                                 channel=smtp_channel(mail_server, proxy.port))  # fmt: skip
        clock = ManualClock()
        done, rows = send(campaign, clock)
        assert rows["a@example.org"].status is Status.DEFERRED
        assert rows["a@example.org"].uncertain
        proxy.mode = "pass"
        clock.advance(300)
        done, rows = send(campaign, clock)
    copies = messages(mail_server)
    assert len(copies) == 2  # one or two copies, never none
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert mail_server.handler.messages[0].data == mail_server.handler.messages[1].data
    assert rows["a@example.org"].status is Status.POSSIBLE_DUPLICATE


def test_a_hung_server_stops_the_channel_for_the_run(make_campaign: MakeCampaign) -> None:
    from tests.smtpserver import free_port

    target = ("127.0.0.1", free_port())
    with FaultProxy(target) as proxy:
        proxy.mode = "hang"
        campaign = make_campaign(
            [subscriber("a@example.org", country="GB"), subscriber("b@example.org", country="GB")],
            channel=smtp_channel(None, proxy.port, timeout_s=0.3),
        )
        done, rows = send(campaign)
    assert done.report is not None and done.report.incomplete()
    assert list(done.report.halted) == ["lists.weekly"]
    # the first delivery is handed back, the second is not even tried: both wait for next run
    assert sorted(row.status for row in rows.values()) == [Status.DEFERRED, Status.PENDING]
    assert {row.attempts for row in rows.values()} == {0}  # the stopped try does not count
    assert done.report.left == 2
