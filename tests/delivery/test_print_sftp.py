"""A print vendor on a real asyncssh SFTP server on 127.0.0.1 (host key pinned): the job folder
holds exactly the vendor's print files, byte-identical, with its ticket, and no .part file."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from campaign.clock import ManualClock
from campaign.deliver import send_build
from campaign.ledger import Status
from tests.channels.test_sftp import USER, SftpServer, _server, server  # noqa: F401 (fixtures)
from tests.conftest import AS_OF
from tests.delivery.conftest import MakeCampaign


def test_a_print_job_over_sftp(make_campaign: MakeCampaign, server: SftpServer) -> None:  # noqa: F811
    extra = f"""
[vendors.printshop]
countries = ["US"]
formats = ["poster-a4-screen"]
quantity = 30

[vendors.printshop.channel]
url = "sftp://127.0.0.1:{server.port}/incoming"
username = "{USER}"
key_file = "{server.client_key}"
host_key = "{server.host_key}"
timeout_s = 5
"""
    campaign = make_campaign([], extra=extra)
    with campaign.ledger(ManualClock()) as ledger:
        done = send_build(campaign.config(), campaign.build, ledger, AS_OF)
        (job,) = ledger.deliveries()
    assert done.report is not None and not done.report.incomplete()
    assert job.status is Status.SENT
    assert server.state.root is not None
    folder = Path(server.state.root) / "incoming" / job.key
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert not any(name.endswith(".part") for name in names)
    rows = list(csv.DictReader(io.StringIO((folder / "ticket.csv").read_text())))
    us = {campaign.ref(c) for c in ("DEMO-US-001", "DEMO-US-002", "DEMO-US-003")}
    assert {row["case_ref"] for row in rows} == us and len(rows) == 6
    assert names == {row["file"] for row in rows} | {"ticket.csv", "ticket.json"}
    for row in rows:
        data = (folder / row["file"]).read_bytes()
        built = campaign.build / row["case_ref"]  # never the name: files are by case_ref
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert row["quantity"] == "30" and row["action"] == "new"
        assert not built.exists()
    with campaign.ledger(ManualClock()) as ledger:
        again = send_build(campaign.config(), campaign.build, ledger, AS_OF)
    assert again.recorded == 0
