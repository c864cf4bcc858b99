"""Withdrawal on the real servers: a case delivered to 100 recipients over SMTP, a partner's
versioned S3 bucket with its webhook, and a printer's SFTP server is resolved; every channel's
withdrawal is attempted and recorded, nothing of the case is left anywhere, only past
recipients are told, neutrally; resolving again acts once."""

from __future__ import annotations

import datetime as dt
import email
import json
import time
from email import policy
from pathlib import Path
from typing import Any

import pytest

from campaign.clock import ManualClock
from campaign.deliver import send_build
from campaign.ledger import Status
from campaign.mail.neutral import check_neutral
from campaign.purge import leftovers
from campaign.takedown import load
from campaign.webhooks import verify_webhook
from campaign.withdraw import withdraw
from tests.channels.test_sftp import USER, SftpServer, _server, server  # noqa: F401
from tests.channels.test_webhook import Receiver
from tests.conftest import AS_OF
from tests.delivery.conftest import Campaign, MakeCampaign, smtp_channel, subscriber
from tests.delivery.test_partner_channels import (  # noqa: F401 (fixtures)
    SECRET,
    _receiver,
    bucket,
    moto,
    receiver,
    s3,
    s3_partner,
)

NAME = "Freya Holloway"  # the fictional child of DEMO-GB-001


def everything(make: MakeCampaign, tmp: Path, mail: Any, moto_url: str, name: str,
               hook: str, sftp: SftpServer) -> Campaign:  # fmt: skip
    people = [subscriber(f"gb{n:03d}@example.org", "en", country="GB") for n in range(94)]
    people += [subscriber("bounces@example.org", "en", country="GB")]
    people += [subscriber(f"mx{n}@example.org", "es", country="MX") for n in range(5)]
    extra = (
        s3_partner("ngo-gb", "GB", "en", moto_url, name, hook)
        + f"""
[vendors.printshop]
countries = ["GB"]
formats = ["poster-a4-screen"]

[vendors.printshop.channel]
url = "sftp://127.0.0.1:{sftp.port}/incoming"
username = "{USER}"
key_file = "{sftp.client_key}"
host_key = "{sftp.host_key}"
"""
    )
    return make(people, channel=smtp_channel(mail), extra=extra)


def test_withdrawal_everywhere(
    make_campaign: MakeCampaign, tmp_path: Path, mail_server: Any, moto: str, s3: Any,  # noqa: F811
    receiver: Receiver, server: SftpServer,  # noqa: F811
) -> None:  # fmt: skip
    name = bucket(s3)
    campaign = everything(make_campaign, tmp_path, mail_server, moto, name, receiver.url, server)
    mail_server.handler.faults.reject_rcpt = {"bounces@example.org"}
    clock = ManualClock()
    with campaign.ledger(clock) as ledger:
        send_build(campaign.config(), campaign.build, ledger, AS_OF)
        ledger.suppress("gb000@example.org", "unsubscribe", "weekly")  # left since: still told
    ref = campaign.ref("DEMO-GB-001")
    photo_bytes = [
        data[len(data) // 2 : len(data) // 2 + 64]
        for data in (p.read_bytes() for p in (campaign.build / "DEMO-GB-001").rglob("*.jpg"))
    ]
    appeals = {m.rcpt_tos[0] for m in mail_server.handler.messages}
    assert len(appeals) == 94 + 5 and "bounces@example.org" not in appeals
    published = receiver.seen[-1].headers["webhook-id"]
    mail_server.reset()
    receiver.reset()

    with campaign.ledger(clock) as ledger:
        report = withdraw(campaign.config(), ledger, ref, "found", case_id="DEMO-GB-001")

    assert report.first and {a["status"] for a in report.actions} == {"sent"}
    channels = {a["channel"] for a in report.actions}
    assert channels == {"lists.weekly", "partners.ngo-gb", "partners.ngo-gb.webhook",
                        "vendors.printshop"}  # fmt: skip
    # e-mail: exactly the 94 who got it (the unsubscribed one too), never the bounce or MX
    notices = [email.message_from_bytes(m.data, policy=policy.default)
               for m in mail_server.handler.messages]  # fmt: skip
    told = {m.rcpt_tos[0] for m in mail_server.handler.messages}
    assert told == {f"gb{n:03d}@example.org" for n in range(94)}
    for notice in notices:
        text = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert ref in notice["Subject"] and NAME not in notice.as_string()
        assert not any(part.get_content_maintype() == "image" for part in notice.walk())
        check_neutral(notice["Subject"] + "\n" + text, "en")
    # S3: no version of anything that mentions the case
    listing = s3.list_object_versions(Bucket=name, Prefix="appeals/")
    versions = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
    assert versions and not any(ref in v["Key"] for v in versions)
    for version in listing.get("Versions", []):
        body = s3.get_object(Bucket=name, Key=version["Key"], VersionId=version["VersionId"])
        data = body["Body"].read()
        assert ref.encode() not in data and NAME.encode() not in data, version["Key"]
    # webhook: appeal.withdrawn naming only the opaque reference and the original event
    (seen,) = receiver.seen
    event = verify_webhook(seen.body, seen.headers, SECRET, now=clock.now())
    assert event["type"] == "appeal.withdrawn"
    assert event["data"] == {"case_ref": ref, "original_event_ids": [published],
                             "partner": "ngo-gb"}  # fmt: skip
    check_neutral(seen.body.decode(), "en")
    # the printer: a cancellation beside the jobs, the case's files gone, no half file
    assert server.state.root is not None
    incoming = Path(server.state.root) / "incoming"
    files = [p.relative_to(incoming).as_posix() for p in incoming.rglob("*") if p.is_file()]
    assert not any(ref in f for f in files if not f.endswith(("ticket.json", "ticket.csv",
                                                              "cancellation.json",
                                                              "cancellation.csv")))  # fmt: skip
    cancellation = next(incoming.rglob("cancellation.json"))
    lines = json.loads(cancellation.read_text())["lines"]
    assert {line["case_ref"] for line in lines} == {ref}
    # what needs a person: the printed copies at least
    assert any("confirm with printer printshop" in item["what"] for item in report.open_items)
    # nothing of the child is left locally
    roots = [campaign.build, campaign.root / ".campaign"]
    assert leftovers(roots, [NAME.encode(), NAME.encode("utf-16-be"), *photo_bytes]) == []
    # resolving again acts once
    with campaign.ledger(clock) as ledger:
        again = withdraw(campaign.config(), ledger, ref, "found", case_id="DEMO-GB-001")
    assert not again.first and len(mail_server.handler.messages) == 94
    assert len(receiver.seen) == 1


def test_resolving_from_two_processes_acts_once(make_campaign: MakeCampaign) -> None:
    import subprocess
    import sys

    people = [subscriber(f"p{n}@example.org", country="GB") for n in range(20)]
    campaign = make_campaign(people, poster="none")
    with campaign.ledger() as ledger:
        send_build(campaign.config(), campaign.build, ledger, AS_OF)
    ref = campaign.ref("DEMO-GB-001")  # before the purge takes the case out of the build
    command = [sys.executable, "-c", "from campaign.cli import main; main()", "resolve",
               "DEMO-GB-001", "--config", str(campaign.config_path)]  # fmt: skip
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]  # fmt: skip
    codes = [run.wait(120) for run in runs]
    assert codes == [5, 5], [run.stderr.read().decode()[-3000:] for run in runs if run.stderr]
    notices = [p for p in campaign.outbox() if b"has been closed" in p.read_bytes()]
    assert len(notices) == 20
    with campaign.ledger() as ledger:
        rows = ledger.state.query("SELECT COUNT(*) FROM resolutions WHERE case_ref = ?", (ref,))
        assert rows[0][0] == 1
        log = ledger.state.query("SELECT action FROM audit WHERE case_ref = ?", (ref,))
        assert [row[0] for row in log].count("withdraw") == 1


def test_resolving_mid_send_stops_further_sends(make_campaign: MakeCampaign) -> None:
    from campaign.channels.outbox import OutboxChannel
    from campaign.resolutions import resolve

    people = [subscriber(f"m{n:02d}@example.org", country="GB") for n in range(20)]
    campaign = make_campaign(people, poster="none")
    config = campaign.config()
    ref = campaign.ref("DEMO-GB-001")

    class ResolvingOutbox(OutboxChannel):
        sent = 0

        def send(self, item: Any) -> Any:
            receipt = super().send(item)
            ResolvingOutbox.sent += 1
            if ResolvingOutbox.sent == 5:  # someone resolves the case from another terminal
                with campaign.ledger() as other:
                    resolve(other.state, ref, "found", time.time())
            return receipt

    with campaign.ledger() as ledger:
        batch = send_build(config, campaign.build, ledger, AS_OF, dry_run=True).batch
        ledger.record(batch.deliveries)
        outbox = ResolvingOutbox(config.audience.lists[0].channel, ledger.clock)
        report = run_loop(config, ledger, outbox)
        assert report.outcomes == {Status.SENT: 5, Status.CANCELLED: 15}
        report2 = withdraw(config, ledger, ref, "found", case_id="DEMO-GB-001")
    # the five appeals were purged from the outbox with the case; the five notices remain
    kept = [path.read_bytes() for path in campaign.outbox()]
    assert len(kept) == 5 and all(b"has been closed" in data for data in kept)
    assert {a["recipient"] for a in report2.actions} == {f"m{n:02d}@example.org" for n in range(5)}


def test_a_resolved_case_stays_resolved_until_reopened(
    make_campaign: MakeCampaign, write_cases: Any
) -> None:
    from campaign.intake import IntakeOptions, intake
    from campaign.resolutions import reopen

    campaign = make_campaign([subscriber("a@example.org", country="GB")], poster="none")
    with campaign.ledger() as ledger:
        send_build(campaign.config(), campaign.build, ledger, AS_OF)
        ref = campaign.ref("DEMO-GB-001")
        withdraw(campaign.config(), ledger, ref, "found", case_id="DEMO-GB-001")
        # the cases file still says active: reported as a conflict and not published
        again = send_build(campaign.config(), campaign.build, ledger, AS_OF)
        assert again.recorded == 0  # purged from the build, and resolved in the state
    cases = write_cases({"case_id": "DEMO-GB-001", "missing_country": "GB"})
    config = campaign.config()
    loaded = intake(cases, config, IntakeOptions(AS_OF, {}, check_photos=False))
    assert loaded.publishable == []
    assert [p.code for p in loaded.problems if p.case_id == "DEMO-GB-001"] == ["resolved-in-state"]
    with campaign.ledger() as ledger:
        assert reopen(ledger.state, ref, time.time())
    loaded = intake(cases, config, IntakeOptions(AS_OF, {}, check_photos=False))
    assert [c.case_id for c in loaded.publishable] == ["DEMO-GB-001"]


@pytest.mark.parametrize("reason", ["found", "withdrawn"])
def test_the_cli_reports_and_exits_5_until_a_person_is_done(
    make_campaign: MakeCampaign, reason: str
) -> None:
    from click.testing import CliRunner

    from campaign.cli import main

    campaign = make_campaign([subscriber("a@example.org", country="GB")], poster="none")
    with campaign.ledger() as ledger:
        send_build(campaign.config(), campaign.build, ledger, AS_OF)
    config = ["--config", str(campaign.config_path)]
    first = CliRunner().invoke(main, ["resolve", "DEMO-GB-001", "--reason", reason, *config])
    assert first.exit_code == 5, first.output
    assert "closure notice" in first.output and "Needs a person:" in first.output
    items = [line for line in first.output.splitlines() if "TODO" in line]
    numbers = [line.split("]")[0].strip(" [") for line in items]
    shown = CliRunner().invoke(main, ["status", "--case", "DEMO-GB-001", *config])
    assert shown.exit_code == 5 and shown.output.splitlines()[0] == first.output.splitlines()[0]
    done = CliRunner().invoke(main, ["resolve", "DEMO-GB-001", *config,
                                     *(x for n in numbers for x in ("--done", n))])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "Nothing needs a person." in done.output


def test_a_re_imported_resolved_case_is_withdrawn_and_reopening_starts_a_new_appeal(
    make_campaign: MakeCampaign, write_cases: Any
) -> None:
    import dataclasses

    from campaign.cli.withdrawal import withdraw_resolved
    from campaign.intake import IntakeOptions, intake
    from campaign.layouts.alert_text import alert_context
    from campaign.models import Status as CaseStatus
    from campaign.publish import publish_cap
    from campaign.resolutions import current, reopen

    campaign = make_campaign([subscriber("a@example.org", country="GB")], poster="none")
    config = campaign.config()
    cases = write_cases({"case_id": "DEMO-GB-001", "missing_country": "GB"})
    (case,) = intake(cases, config, IntakeOptions(AS_OF, {}, check_photos=False)).cases
    when = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
    with campaign.ledger() as ledger:
        send_build(config, campaign.build, ledger, AS_OF)
        alert = publish_cap(case, alert_context(case, config, AS_OF), ledger.state, when)
    resolved = dataclasses.replace(case, status=CaseStatus.RESOLVED)  # status=resolved in the file
    assert withdraw_resolved(config, [resolved]) == 5
    ref = case.case_ref
    saved = load(config, ref)
    assert saved is not None and [a["action"] for a in saved.actions] == ["closure notice (e-mail)"]
    with campaign.ledger() as ledger:
        assert current(ledger.state, ref) is not None
        (cancel,) = [p for p in ledger.state.publications(ref, "cap") if p.msg_type == "Cancel"]
        assert cancel.references == (alert.publication.reference,)
        assert reopen(ledger.state, ref, when.timestamp() + 60)
        again = publish_cap(case, alert_context(case, config, AS_OF), ledger.state,
                            when + dt.timedelta(days=1))  # fmt: skip
    assert again.publication.msg_type == "Alert"
    assert again.publication.identifier != alert.publication.identifier
    assert withdraw_resolved(config, [case]) == 0  # an active case is left alone


def test_local_copies_wait_for_the_grace_period(make_campaign: MakeCampaign) -> None:
    from campaign.withdraw import purge_due

    campaign = make_campaign(
        [subscriber("a@example.org", country="GB")], poster="none",
        extra="\n[withdrawal]\ngrace_days = 7\n",
    )  # fmt: skip
    clock = ManualClock()
    with campaign.ledger(clock) as ledger:
        send_build(campaign.config(), campaign.build, ledger, AS_OF)
        ref = campaign.ref("DEMO-GB-001")
        report = withdraw(campaign.config(), ledger, ref, "found", case_id="DEMO-GB-001")
        assert report.purge is None and (campaign.build / "DEMO-GB-001").is_dir()
        clock.advance(6 * 86400)
        assert purge_due(campaign.config(), ledger) == 0
        clock.advance(2 * 86400)
        assert purge_due(campaign.config(), ledger) == 1
        assert purge_due(campaign.config(), ledger) == 0  # once
    assert not (campaign.build / "DEMO-GB-001").exists()
    assert leftovers([campaign.build], [NAME.encode()]) == []


def test_an_unexpected_failure_releases_the_delivery(make_campaign: MakeCampaign) -> None:
    from campaign.channels.outbox import OutboxChannel

    class Broken(OutboxChannel):
        def send(self, item: Any) -> Any:
            raise RuntimeError("disk on fire")

    campaign = make_campaign([subscriber("a@example.org", country="GB")], poster="none")
    config = campaign.config()
    with campaign.ledger() as ledger:
        batch = send_build(config, campaign.build, ledger, AS_OF, dry_run=True).batch
        ledger.record(batch.deliveries)
        channel = Broken(config.audience.lists[0].channel, ledger.clock)
        report = run_loop(config, ledger, channel)
        (row,) = ledger.deliveries()
    assert row.status is Status.DEFERRED and not row.uncertain and row.attempts == 0
    assert "disk on fire" in report.halted["lists.weekly"]


def test_resolved_while_being_sent_still_gets_a_notice(make_campaign: MakeCampaign) -> None:
    from campaign.channels.outbox import OutboxChannel
    from campaign.withdraw import late_withdrawal

    campaign = make_campaign([subscriber("a@example.org", country="GB")], poster="none")
    config = campaign.config()
    ref = campaign.ref("DEMO-GB-001")

    class ResolvedMeanwhile(OutboxChannel):
        def send(self, item: Any) -> Any:
            receipt = super().send(item)
            if item.kind == "email" and b"has been closed" not in item.data:
                with campaign.ledger() as other:  # another terminal resolves it right now
                    withdraw(config, other, ref, "found", case_id="DEMO-GB-001")
            return receipt

    with campaign.ledger() as ledger:
        batch = send_build(config, campaign.build, ledger, AS_OF, dry_run=True).batch
        ledger.record(batch.deliveries)
        channel = ResolvedMeanwhile(config.audience.lists[0].channel, ledger.clock)
        report = run_loop(config, ledger, channel, late_withdrawal(config, ledger))
    assert report.outcomes == {Status.SENT: 1}
    kept = [path.read_bytes() for path in campaign.outbox()]  # the appeal itself was purged
    assert len(kept) == 1 and b"has been closed" in kept[0] and b"a@example.org" in kept[0]


def test_a_withdrawal_pack_goes_out_after_a_rebuild(
    make_campaign: MakeCampaign, tmp_path: Path
) -> None:
    extra = """
[partners.ngo]
countries = ["GB", "ES"]
locales = ["en", "es"]
formats = ["banner-300x250"]
channel = { url = "outbox:outbox" }
"""
    campaign = make_campaign([], extra=extra)
    ref = campaign.ref("DEMO-GB-001")
    with campaign.ledger() as ledger:
        send_build(campaign.config(), campaign.build, ledger, AS_OF)
    other = next((campaign.build / "DEMO-ES-001").rglob("banner-300x250.jpg"))
    other.write_bytes(other.read_bytes() + b"\0")  # rebuilt since: no longer the sent version
    with campaign.ledger() as ledger:
        report = withdraw(campaign.config(), ledger, ref, "found", case_id="DEMO-GB-001")
    assert {a["status"] for a in report.actions} == {"sent"}
    folder = campaign.root / "outbox" / "partners" / "ngo"
    assert not (folder / ref).exists() and ref not in (folder / "manifest.json").read_text()


def test_a_preview_leaves_resolved_cases_out(make_campaign: MakeCampaign) -> None:
    from campaign.batch import preview_delivery

    campaign = make_campaign([subscriber("a@example.org", country="GB")])
    ref = campaign.ref("DEMO-GB-001")
    with campaign.ledger() as ledger, ledger.state.transaction() as db:
        db.execute("INSERT INTO resolutions (case_ref, resolved_at) VALUES (?, 0)", (ref,))
    with campaign.ledger() as ledger:
        staff = preview_delivery(campaign.config(), campaign.build, ledger, "s@example.org", "en")
    assert ref not in {item.case_ref for item in staff.items}


def run_loop(config: Any, ledger: Any, channel: Any, on_resolved: Any = None) -> Any:
    """The send loop over the recorded deliveries with ``channel`` as the list's channel."""
    from campaign.deliver import Loop
    from campaign.payloads import Payloads, email_composer

    loop = Loop(ledger, {"lists.weekly": channel}, Payloads(config, email_composer(config), ledger),
                config.audience.delivery, ledger.clock)  # fmt: skip
    loop.on_resolved = on_resolved
    return loop.run()
