"""Partner poster packs and print packs through the outbox: exactly the partner's cases,
languages and formats with a checked manifest and the terms of use; feeds; updates replace and
cases that leave are deleted; print jobs with tickets, new and replacement."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import feedparser

from campaign.clock import ManualClock
from campaign.deliver import send_build
from campaign.ledger import Status
from tests.conftest import AS_OF
from tests.delivery.conftest import Campaign, MakeCampaign

PARTNERS = """
[partners.ngo-mx]
countries = ["MX"]
locales = ["es", "en"]
formats = ["poster-a4-screen", "banner-300x250"]
public_url = "https://partner.example.net/appeals/"
channel = { url = "outbox:outbox" }

[partners.gulf]
regions = ["AE-DU"]
locales = ["ar"]
formats = ["banner-300x250"]
channel = { url = "outbox:outbox" }

[vendors.printshop]
countries = ["US"]
formats = ["poster-a4-screen"]
quantity = { poster-a4-screen = 25 }
channel = { url = "outbox:outbox" }
"""


LANDING = """
[landing]
base_url = "https://example.org/c/"
channel = { url = "outbox:outbox" }
"""


def send(campaign: Campaign, clock: ManualClock | None = None):  # type: ignore[no-untyped-def]
    with campaign.ledger(clock or ManualClock()) as ledger:
        return send_build(campaign.config(), campaign.build, ledger, AS_OF)


def folder(campaign: Campaign, *parts: str) -> Path:
    return campaign.root.joinpath("outbox", *parts)


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_partner_gets_exactly_its_cases_languages_and_formats(
    make_campaign: MakeCampaign,
) -> None:
    campaign = make_campaign([], extra=PARTNERS)
    done = send(campaign)
    assert done.report is not None and not done.report.incomplete()
    mx = files_of(folder(campaign, "partners", "ngo-mx"))
    ref = campaign.ref("DEMO-MX-001")
    assert {name for name in mx if name.startswith(ref)} == {
        f"{ref}/es/poster-a4-screen.pdf",
        f"{ref}/es/banner-300x250.jpg",
        f"{ref}/es/banner-300x250.html",
        f"{ref}/en/poster-a4-screen.pdf",
        f"{ref}/en/banner-300x250.jpg",
        f"{ref}/en/banner-300x250.html",
        f"{ref}/mul/alert-cap.xml",
    }
    manifest = json.loads(mx["manifest.json"])
    assert manifest["cases"] == [ref]  # MX-002 is gated in the example: only one MX case
    for entry in manifest["files"]:
        assert hashlib.sha256(mx[entry["path"]]).hexdigest() == entry["sha256"]
        assert len(mx[entry["path"]]) == entry["bytes"]
    assert "no alter" in mx["README.txt"].decode().lower() or "alter" in mx["README.txt"].decode()
    # names never appear in paths
    assert all("Fern" not in name for name in mx)
    gulf = files_of(folder(campaign, "partners", "gulf"))
    assert {n.split("/")[0] for n in gulf if "/" in n} == {campaign.ref("DEMO-AE-001")}
    assert "feed.json" not in gulf  # no public_url: no feed


def test_feeds_parse_and_list_one_entry_per_case(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign([], extra=PARTNERS)
    send(campaign)
    mx = folder(campaign, "partners", "ngo-mx")
    atom = feedparser.parse((mx / "feed.atom").read_bytes())
    assert atom.bozo == 0 and len(atom.entries) == 1
    entry = atom.entries[0]
    assert entry.language == "es" if hasattr(entry, "language") else True
    data = json.loads((mx / "feed.json").read_text())
    (item,) = data["items"]
    assert item["image"].startswith("https://partner.example.net/appeals/")
    assert item["image"].endswith("/es/banner-300x250.jpg")
    assert item["id"] == f"urn:campaign:case:{campaign.ref('DEMO-MX-001')}"


def test_an_unchanged_pack_is_not_sent_again(make_campaign: MakeCampaign) -> None:
    campaign = make_campaign([], extra=PARTNERS)
    first = send(campaign)
    second = send(campaign)
    assert first.recorded == 3 and second.recorded == 0


def _update(campaign: Campaign, case_id: str, tmp: Path) -> str:
    """A new build in which one rendition of ``case_id`` changed (as after a new photo)."""
    copy = tmp / "build-2"
    shutil.copytree(campaign.build, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    entry = next(r for r in manifest["renditions"]
                 if r["case_id"] == case_id and r["format"] == "poster-a4-screen")  # fmt: skip
    path = copy / entry["path"]
    path.write_bytes(path.read_bytes() + b"% updated\n")
    entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    entry["bytes"] = path.stat().st_size
    (copy / "manifest.json").write_text(json.dumps(manifest))
    campaign.build = copy
    campaign.approve()
    return str(entry["sha256"])


def test_an_update_replaces_the_pack_and_sends_a_replacement_print_job(
    make_campaign: MakeCampaign, tmp_path: Path
) -> None:
    campaign = make_campaign([], extra=PARTNERS)
    send(campaign)
    sha = _update(campaign, "DEMO-US-001", tmp_path)
    done = send(campaign)
    assert done.recorded == 1  # only the printer: the partners' cases did not change
    jobs = sorted(folder(campaign, "print", "printshop").iterdir(), key=lambda p: p.stat().st_mtime)
    assert len(jobs) == 2
    rows = list(csv.DictReader(io.StringIO((jobs[1] / "ticket.csv").read_text())))
    ref = campaign.ref("DEMO-US-001")
    assert {row["case_ref"] for row in rows} == {ref}
    assert {row["action"] for row in rows} == {"replacement"}
    assert sha in {row["sha256"] for row in rows}
    assert {row["quantity"] for row in rows} == {"25"}
    assert {row["paper"] for row in rows} == {"a4"}
    first = list(csv.DictReader(io.StringIO((jobs[0] / "ticket.csv").read_text())))
    assert {row["action"] for row in first} == {"new"} and len(first) == 6  # 3 US cases × en, es
    for row in rows:
        data = (jobs[1] / row["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]


def test_a_changed_partner_case_replaces_its_files(
    make_campaign: MakeCampaign, tmp_path: Path
) -> None:
    campaign = make_campaign([], extra=PARTNERS)
    send(campaign)
    sha = _update(campaign, "DEMO-MX-001", tmp_path)
    done = send(campaign)
    assert done.recorded == 1
    ref = campaign.ref("DEMO-MX-001")
    mx = folder(campaign, "partners", "ngo-mx")
    manifest = json.loads((mx / "manifest.json").read_text())
    entry = next(e for e in manifest["files"] if e["path"] == f"{ref}/en/poster-a4-screen.pdf")
    assert entry["sha256"] == sha
    assert hashlib.sha256((mx / entry["path"]).read_bytes()).hexdigest() == sha


def test_a_case_that_leaves_is_deleted_from_the_partner_folder(make_campaign: MakeCampaign) -> None:
    extra = PARTNERS.replace('countries = ["MX"]', 'countries = ["MX", "ES"]')
    campaign = make_campaign([], extra=extra)
    send(campaign)
    es = campaign.ref("DEMO-ES-001")
    mx = folder(campaign, "partners", "ngo-mx")
    assert (mx / es).is_dir()
    with campaign.ledger() as ledger, ledger.state.transaction() as db:
        db.execute("INSERT INTO resolutions (case_ref, resolved_at) VALUES (?, 0)", (es,))
    done = send(campaign)
    assert done.recorded == 1
    assert not (mx / es).exists()
    assert es not in (mx / "feed.json").read_text()
    assert es not in (mx / "manifest.json").read_text()
    with campaign.ledger() as ledger:
        packs = [d for d in ledger.deliveries() if d.channel == "partners.ngo-mx"]
        assert [d.status for d in packs] == [Status.SENT, Status.SENT]


def test_no_landing_pages_without_social_images(make_campaign: MakeCampaign) -> None:
    # the small build has no social images: landing pages need them, so use a build with them
    campaign = make_campaign(
        [],
        extra=LANDING,
    )
    manifest = json.loads((campaign.build / "manifest.json").read_text())
    assert not any(r["format"] == "social-1200x630" for r in manifest["renditions"])
    assert send(campaign).recorded == 0  # nothing to publish without the social images


def test_landing_pages_from_the_full_build(
    make_campaign: MakeCampaign, demo_build: object, tmp_path: Path
) -> None:
    campaign = make_campaign(
        [],
        extra=LANDING,
    )
    campaign.build = demo_build.root  # type: ignore[attr-defined]
    campaign.approve()
    send(campaign)
    pages = folder(campaign, "pages")
    ref = campaign.ref("DEMO-AE-001")
    page = (pages / ref / "ar" / "index.html").read_text()
    assert f'content="https://example.org/c/{ref}/ar/social-1200x630.jpg"' in page
    assert 'dir="rtl"' in page
    assert (pages / ref / "index.html").read_text().count('src="ar/social-1200x630.jpg"') == 1
    restricted = campaign.ref("DEMO-AE-002")
    assert not (pages / restricted).exists()  # restricted cases get no public page
    with campaign.ledger() as ledger, ledger.state.transaction() as db:
        db.execute("INSERT INTO resolutions (case_ref, resolved_at) VALUES (?, 0)", (ref,))
    send(campaign)
    closed = (pages / ref / "index.html").read_text()
    assert ref in closed and "noindex" in closed and "ليلى" not in closed and "<img" not in closed
    assert not (pages / ref / "ar" / "social-1200x630.jpg").exists()
