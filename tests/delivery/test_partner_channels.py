"""Partners and printers on real servers on 127.0.0.1: a partner's pack into a versioned bucket
on moto's S3 server and its webhook announcing it to a local HTTP receiver; a print job into
S3; each gets exactly its material, and re-sends add nothing."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from campaign.clock import ManualClock
from campaign.deliver import send_build
from campaign.ledger import Status
from campaign.webhooks import verify_webhook
from tests.channels.test_webhook import Receiver
from tests.conftest import AS_OF
from tests.delivery.conftest import Campaign, MakeCampaign
from tests.smtpserver import free_port

SECRET = "whsec_" + base64.b64encode(b"partner-endpoint-secret-32-bytes").decode()
_buckets = itertools.count(1)


@pytest.fixture(scope="session")
def moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(moto: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)
    return boto3.client("s3", endpoint_url=moto, region_name="us-east-1")


@pytest.fixture(scope="module")
def _receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def receiver(_receiver: Receiver) -> Receiver:
    return _receiver.reset()


def bucket(s3: Any) -> str:
    name = f"partner-{next(_buckets)}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def s3_partner(partner: str, country: str, locale: str, moto: str, name: str, hook: str) -> str:
    """The tables of a partner with a pack in bucket ``name`` and a webhook to ``hook``."""
    return f"""
[partners.{partner}]
countries = ["{country}"]
locales = ["{locale}"]
formats = ["banner-300x250", "poster-a4-screen"]
public_url = "https://{name}.example.net/appeals/"
channel = {{ url = "s3://{name}/appeals", endpoint_url = "{moto}", region = "us-east-1" }}

[partners.{partner}.webhook]
url = "{hook}"
secret_env = "TEST_WEBHOOK_SECRET"
allow_private = true
timeout_s = 2
"""


def partner_campaign(make: MakeCampaign, moto: str, name: str, hook: str) -> Campaign:
    extra = (
        s3_partner("ngo-mx", "MX", "es", moto, name, hook)
        + f"""
[vendors.printshop]
countries = ["GB"]
formats = ["poster-a4-screen"]
quantity = 40
channel = {{ url = "s3://{name}/print", endpoint_url = "{moto}", region = "us-east-1" }}
"""
    )
    return make([], extra=extra)


def versions(s3: Any, name: str, prefix: str) -> dict[str, int]:
    listing = s3.list_object_versions(Bucket=name, Prefix=prefix)
    found: dict[str, int] = {}
    for version in listing.get("Versions", []):
        found[version["Key"]] = found.get(version["Key"], 0) + 1
    return found


def test_pack_to_s3_announced_by_webhook_after_500_500_200(
    make_campaign: MakeCampaign, moto: str, s3: Any, receiver: Receiver
) -> None:
    name = bucket(s3)
    campaign = partner_campaign(make_campaign, moto, name, receiver.url)
    receiver.reset((500, {}, b"busy"), (500, {}, b"busy"), (200, {}, b"ok"))
    clock = ManualClock()
    with campaign.ledger(clock) as ledger:
        done = send_build(campaign.config(), campaign.build, ledger, AS_OF, wait_s=3600)
        rows = {d.channel: d for d in ledger.deliveries()}
    assert done.report is not None and not done.report.incomplete()
    ref = campaign.ref("DEMO-MX-001")
    stored = versions(s3, name, "appeals/")
    assert set(stored) == {
        f"appeals/{ref}/es/banner-300x250.jpg",
        f"appeals/{ref}/es/banner-300x250.html",
        f"appeals/{ref}/es/poster-a4-screen.pdf",
        f"appeals/{ref}/mul/alert-cap.xml",
        *(f"appeals/{n}" for n in ("manifest.json", "README.txt", "feed.json", "feed.atom",
                                   "widget.js", "widget.html")),
    }  # fmt: skip
    assert set(stored.values()) == {1}
    manifest = json.loads(s3.get_object(Bucket=name, Key="appeals/manifest.json")["Body"].read())
    for entry in manifest["files"]:
        body = s3.get_object(Bucket=name, Key=f"appeals/{entry['path']}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    feed = s3.head_object(Bucket=name, Key="appeals/feed.json")
    assert feed["CacheControl"] == "no-cache"
    assert s3.get_bucket_cors(Bucket=name)["CORSRules"][0]["AllowedMethods"] == ["GET", "HEAD"]
    # the webhook: three attempts, one webhook-id, one body; the last verifies
    assert [seen.headers["webhook-id"] for seen in receiver.seen] == [
        rows["partners.ngo-mx.webhook"].key
    ] * 3
    assert len({seen.body for seen in receiver.seen}) == 1
    last = receiver.seen[-1]
    event = verify_webhook(last.body, last.headers, SECRET, now=clock.now())
    assert event["type"] == "appeal.published"
    assert event["data"]["manifest_url"] == f"https://{name}.example.net/appeals/manifest.json"
    assert [case["case_ref"] for case in event["data"]["cases"]] == [ref]
    assert rows["partners.ngo-mx.webhook"].status is Status.SENT
    # the printer's job went to its own prefix, with a ticket
    jobs = versions(s3, name, "print/")
    key = rows["vendors.printshop"].key
    assert f"print/{key}/ticket.json" in jobs and f"print/{key}/ticket.csv" in jobs
    ticket = json.loads(s3.get_object(Bucket=name, Key=f"print/{key}/ticket.json")["Body"].read())
    assert {line["case_ref"] for line in ticket["lines"]} == {campaign.ref("DEMO-GB-001")}
    assert ticket["total_copies"] == 40
    # a second send adds nothing: no new deliveries, no new object versions
    with campaign.ledger(clock) as ledger:
        again = send_build(campaign.config(), campaign.build, ledger, AS_OF)
    assert again.recorded == 0
    assert versions(s3, name, "appeals/") == stored


def test_a_410_disables_the_webhook_endpoint(
    make_campaign: MakeCampaign, moto: str, s3: Any, receiver: Receiver
) -> None:
    name = bucket(s3)
    campaign = partner_campaign(make_campaign, moto, name, receiver.url)
    receiver.reset((410, {}, b"gone"))
    with campaign.ledger(ManualClock()) as ledger:
        done = send_build(campaign.config(), campaign.build, ledger, AS_OF)
        event = next(d for d in ledger.deliveries() if d.kind == "event")
        assert event.status is Status.FAILED and "endpoint disabled" in event.detail
        assert ledger.is_suppressed("partners.ngo-mx.webhook")
        assert not ledger.is_suppressed("ngo-mx")  # the pack itself still goes to the bucket
    assert done.report is not None and done.report.incomplete()
    assert len(receiver.seen) == 1
