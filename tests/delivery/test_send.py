"""Sending a build to an e-mail list through the outbox channel: who gets which cases in which
language, once; what is held back, cancelled or suppressed; dry runs, status and previews."""

from __future__ import annotations

import email
import shutil
from email import policy
from email.message import EmailMessage
from pathlib import Path

from click.testing import CliRunner

from campaign.cli import main
from campaign.clock import ManualClock
from campaign.deliver import Loop, Payloads, email_composer, open_channels, send_build
from campaign.ledger import Ledger, Status
from tests.conftest import AS_OF
from tests.delivery.conftest import Campaign, MakeCampaign, subscriber


def read(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def received(campaign: Campaign) -> dict[str, EmailMessage]:
    """Each outbox message by its recipient's address."""
    found: dict[str, EmailMessage] = {}
    for path in campaign.outbox():
        message = read(path)
        address = message["To"].addresses[0].addr_spec
        assert address not in found, f"{address} got two messages"
        found[address] = message
    return found


def cases_in(message: EmailMessage) -> dict[str, str]:
    """case_ref → the language of its rendition, from the attached posters' names."""
    out = {}
    for part in message.walk():
        name = part.get_filename()
        if name and name.endswith("-poster-a4-screen.pdf"):
            ref = name[:9]
            out[ref] = name[10:].removesuffix("-poster-a4-screen.pdf")
    return out


def send(campaign: Campaign, clock: ManualClock | None = None, dry_run: bool = False):  # type: ignore[no-untyped-def]
    config = campaign.config()
    with campaign.ledger(clock or ManualClock()) as ledger:
        return send_build(config, campaign.build, ledger, AS_OF, dry_run=dry_run)


def record_batch(campaign: Campaign, ledger: Ledger, build: Path | None = None) -> None:
    """Plan and record a batch without sending it (as an engine stopped after recording)."""
    planned = send_build(campaign.config(), build or campaign.build, ledger, AS_OF, dry_run=True)
    ledger.record(planned.batch.deliveries)


def test_each_subscriber_gets_the_cases_of_their_area_in_their_language(
    make_campaign: MakeCampaign,
) -> None:
    campaign = make_campaign(
        [
            subscriber("maria@example.org", "es", country="MX"),
            subscriber("dana@example.net", "en", region="US-TX"),
            subscriber("houston@example.com", "es", lat="29.76", lon="-95.37", radius_km="80"),
            subscriber("noura@example.com", "ar", country="AE"),
            subscriber("global@example.org", "en"),
            subscriber("ana@example.net", "pt-BR", country="ES IN"),
        ]
    )
    ref = campaign.ref
    done = send(campaign)
    assert done.report is not None and not done.report.incomplete()
    got = received(campaign)
    assert cases_in(got["maria@example.org"]) == {ref("DEMO-MX-001"): "es"}
    assert cases_in(got["dana@example.net"]) == {ref("DEMO-US-001"): "en", ref("DEMO-US-003"): "en"}
    # by distance only: DEMO-US-003 has no last-seen point
    assert cases_in(got["houston@example.com"]) == {ref("DEMO-US-001"): "es"}
    # DEMO-AE-002 is restricted (print only): never e-mailed
    assert cases_in(got["noura@example.com"]) == {ref("DEMO-AE-001"): "ar"}
    assert len(cases_in(got["global@example.org"])) == 10
    # pt-BR falls back to English renditions, or the case's own language when there is no English
    assert cases_in(got["ana@example.net"]) == {
        ref("DEMO-ES-001"): "es",
        ref("DEMO-IN-001"): "en",
        ref("DEMO-IN-002"): "en",
    }
    assert got["maria@example.org"]["Content-Language"] == "es"
    assert got["maria@example.org"]["Subject"] == "1 aviso de menor desaparecido"
    assert got["ana@example.net"]["Content-Language"] == "pt-BR"
    for message in got.values():
        key = message["Message-ID"].strip("<>").split("@")[0]
        assert key in {path.stem for path in campaign.outbox()}


def test_nothing_is_sent_twice(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign([subscriber("a@example.org", country="GB")])
    first = send(campaign)
    second = send(campaign)
    assert first.recorded == 1 and second.recorded == 0 and second.batch.already == 1
    assert len(campaign.outbox()) == 1


def test_reminders_come_after_resend_after_days(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign(
        [subscriber("a@example.org", country="GB")], extra="\n[delivery]\nresend_after_days = 7\n"
    )
    clock = ManualClock()
    assert send(campaign, clock).recorded == 1
    clock.advance(6 * 86400)
    assert send(campaign, clock).recorded == 0
    clock.advance(2 * 86400)
    assert send(campaign, clock).recorded == 1
    assert len(campaign.outbox()) == 2


def test_unapproved_renditions_are_held_back(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign([subscriber("a@example.org")], approve=False)
    done = send(campaign)
    assert done.recorded == 0 and not campaign.outbox()
    assert sum(done.batch.held.values()) == 10
    assert all("not approved" in reason for reason in done.batch.held)


def test_unreviewed_translations_give_way_to_english(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign([subscriber("a@example.org", "es", country="MX")])
    campaign.config_path.write_text(
        campaign.config_path.read_text().replace("allow_unreviewed_locales = true", "")
    )
    send(campaign)
    message = received(campaign)["a@example.org"]
    assert cases_in(message) == {campaign.ref("DEMO-MX-001"): "en"}
    assert message["Content-Language"] == "en"


def test_dry_run_records_nothing_and_connects_to_nothing(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign([subscriber("a@example.org", country="GB")])
    result = CliRunner().invoke(
        main, ["send", str(campaign.build), "--config", str(campaign.config_path), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "lists.weekly → outbox:" in result.output
    assert f"a@example.org [en]: {campaign.ref('DEMO-GB-001')}" in result.output
    assert "would send 1 messages to 1 recipients about 1 cases" in result.output
    assert not (campaign.root / "outbox").exists()
    with campaign.ledger() as ledger:
        assert ledger.deliveries() == []


def test_suppressed_addresses_are_not_sent(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign(
        [subscriber("a@example.org", country="GB"), subscriber("b@example.org", country="GB")]
    )
    runner = CliRunner()
    config = ["--config", str(campaign.config_path)]
    added = runner.invoke(
        main, ["suppress", "add", "A@Example.org", "--reason", "complaint", *config]
    )
    assert added.exit_code == 0 and "suppressed 1 new" in added.output
    done = send(campaign)
    assert set(received(campaign)) == {"b@example.org"} and done.batch.suppressed == 1
    listed = runner.invoke(main, ["suppress", "list", *config])
    assert listed.output.startswith("a@example.org\tcomplaint\tmanual\t")


def test_suppression_import_reports_bad_lines(make_campaign: MakeCampaign, tmp_path: Path) -> None:
    campaign = make_campaign([subscriber("a@example.org")])
    bounces = tmp_path / "bounces.csv"
    bounces.write_text(
        "email,reason\nx@example.org,bounce\nnot-an-address,bounce\ny@example.org,\n"
    )
    result = CliRunner().invoke(
        main, ["suppress", "import", str(bounces), "--config", str(campaign.config_path)]
    )
    assert result.exit_code == 1
    assert f"{bounces}:3: email: error: not a valid e-mail address" in result.output
    assert "suppressed 2 new addresses, 0 already suppressed, 1 lines refused" in result.output
    assert "not-an-address" not in result.output.split(":3:")[1].split("\n")[0]


def test_a_suppression_after_planning_cancels_the_send(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign([subscriber("a@example.org", country="GB")])
    config = campaign.config()
    with campaign.ledger() as ledger:
        record_batch(campaign, ledger)
        ledger.suppress("a@example.org", "unsubscribe", "weekly")
        loop = Loop(ledger, open_channels(config, ledger.clock),
                    Payloads(config, email_composer(config)), config.audience.delivery,
                    ledger.clock)  # fmt: skip
        report = loop.run()
        assert report.outcomes == {Status.CANCELLED: 1}
        assert ledger.deliveries()[0].detail == "the address is suppressed"
    assert not campaign.outbox()


def test_a_resolved_case_is_not_sent(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign([subscriber("a@example.org", country="GB")])
    config = campaign.config()
    with campaign.ledger() as ledger:
        record_batch(campaign, ledger)
        with ledger.state.transaction() as db:
            db.execute(
                "INSERT INTO resolutions (case_ref, resolved_at) VALUES (?, 0)",
                (campaign.ref("DEMO-GB-001"),),
            )
        done = send_build(config, campaign.build, ledger, AS_OF)
        assert done.recorded == 0 and done.batch.resolved == 1
        assert done.report is not None and done.report.outcomes == {Status.CANCELLED: 1}
        assert ledger.deliveries()[0].detail.startswith("a case in it was resolved")
    assert not campaign.outbox()


def test_a_rendition_changed_after_planning_is_not_sent(
    make_campaign: MakeCampaign, tmp_path: Path
) -> None:
    campaign = make_campaign([subscriber("a@example.org", country="GB")])
    copy = tmp_path / "build-copy"
    shutil.copytree(campaign.build, copy)
    campaign.build = copy
    config = campaign.config()
    with campaign.ledger() as ledger:
        record_batch(campaign, ledger, copy)
        banner = next(copy.glob("DEMO-GB-001/en/banner-300x250.jpg"))
        banner.write_bytes(banner.read_bytes() + b"\0")
        done = send_build(config, copy, ledger, AS_OF)
        assert done.report is not None and done.report.outcomes == {Status.CANCELLED: 1}
        assert "changed since the batch was planned" in ledger.deliveries()[0].detail
    assert not campaign.outbox()


def test_send_and_status_commands(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign([subscriber("a@example.org", country="GB")])
    runner = CliRunner()
    config = ["--config", str(campaign.config_path)]
    sent = runner.invoke(main, ["send", str(campaign.build), "--quiet", *config])
    assert sent.exit_code == 0, sent.output
    assert "recorded 1 new deliveries; 1 attempts; 1 deliveries now: 1 sent" in sent.output
    status = runner.invoke(main, ["status", *config])
    assert status.exit_code == 0
    header, row = status.output.splitlines()[:2]
    assert header.split()[:3] == ["channel", "pending", "sending"]
    assert row.split()[0] == "lists.weekly" and row.split()[3] == "1"
    as_json = runner.invoke(main, ["status", "--json", *config])
    assert '"status": "sent"' in as_json.output


def test_preview_sends_one_message_and_records_nothing(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign([subscriber("a@example.org", country="GB")])
    result = CliRunner().invoke(
        main,
        ["send", str(campaign.build), "--preview", "--to", "staff@example.org", "--locale", "es",
         "--config", str(campaign.config_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "sent a preview of 10 cases in 'es' to staff@example.org" in result.output
    (message,) = received(campaign).values()
    assert message["To"].addresses[0].addr_spec == "staff@example.org"
    assert message["Content-Language"] == "es"
    with campaign.ledger() as ledger:
        assert ledger.deliveries() == []
    refused = CliRunner().invoke(
        main, ["send", str(campaign.build), "--preview", "--config", str(campaign.config_path)]
    )
    assert refused.exit_code == 2 and "--preview needs --to" in refused.output


def test_the_demo_run_delivers_every_subscriber_to_the_outbox(
    demo_dir: Path, demo_build: object, tmp_path: Path
) -> None:
    """What `make demo` does: run with --approve-as on the example; the built-in outbox gets one
    real message per fictional subscriber; a second run sends nothing again."""
    demo = tmp_path / "demo"
    shutil.copytree(demo_dir, demo, ignore=shutil.ignore_patterns(".campaign", "outbox"))
    shutil.copytree(demo_build.root, demo / "out")  # type: ignore[attr-defined]
    args = ["run", "--config", str(demo / "campaign.toml"), "--as-of", AS_OF.isoformat(),
            "--approve-as", "Demo reviewer (fictional)", "--quiet", "--jobs", "1"]  # fmt: skip
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    subscribers = (demo / "subscribers.csv").read_text().splitlines()[1:]
    outbox = sorted((demo / "outbox" / "new").glob("*.eml"))
    assert len(outbox) == len(subscribers) == 11
    for path in outbox:
        message = read(path)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "(fictional)" in str(message["To"])
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert "nothing new to send" in second.output
    assert len(list((demo / "outbox" / "new").glob("*.eml"))) == 11
