"""The delivery promise under SIGKILL: a send of N recipients is killed at random points, then
run again until done. Every recipient receives the appeal at least once, each has exactly one
final ledger row, duplicates are no more than the kills and every one is flagged, and SQLite's
integrity check passes. CI runs 300 recipients × 5 kills; 1,000 × 10 is a soak (-m soak)."""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from campaign.ledger import Status
from tests.delivery.conftest import Campaign, MakeCampaign, smtp_channel, subscriber

SEND = "from campaign.cli import main; main()"


def start(campaign: Campaign, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", SEND, "send", str(campaign.build), "--quiet",
         "--config", str(campaign.config_path), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip


def wait_for(
    server: Any, count: int, process: subprocess.Popen[bytes], limit_s: float = 60
) -> bool:
    """Until the server holds ``count`` messages (True) or the process ended (False)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if len(server.handler.messages) >= count:
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.005)
    raise AssertionError("the sender made no progress")


def kill_and_finish(campaign: Campaign, server: Any, recipients: int, kills: int) -> int:
    rng = random.Random(recipients * 1000 + kills)
    done_kills = 0
    for _ in range(kills):
        process = start(campaign)
        target = len(server.handler.messages) + rng.randint(1, max(2, recipients // (kills * 2)))
        if wait_for(server, target, process):
            process.send_signal(signal.SIGKILL)
            done_kills += 1
        process.wait(30)
    final = start(campaign, "--wait", "30")  # waits out the leases the kills left behind
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    return done_kills


@pytest.mark.parametrize(
    ("recipients", "kills"),
    [(300, 5), pytest.param(1000, 10, marks=pytest.mark.soak)],
)
def test_sigkill_mid_send_loses_nothing(
    make_campaign: MakeCampaign, mail_server: Any, recipients: int, kills: int
) -> None:
    campaign = make_campaign(
        [subscriber(f"r{n:04d}@example.org", country="GB") for n in range(recipients)],
        channel=smtp_channel(mail_server),
        extra="\n[delivery]\nlease_s = 0.5\n",
        poster="none",
    )
    killed = kill_and_finish(campaign, mail_server, recipients, kills)
    copies = collections.Counter(m.rcpt_tos[0] for m in mail_server.handler.messages)
    assert set(copies) == {f"r{n:04d}@example.org" for n in range(recipients)}  # nobody missed
    duplicates = sum(copies.values()) - recipients
    assert duplicates <= killed
    with campaign.ledger() as ledger:
        rows = ledger.deliveries()
        assert len(rows) == recipients and len({row.recipient for row in rows}) == recipients
        assert {row.status for row in rows} <= {Status.SENT, Status.POSSIBLE_DUPLICATE}
        flagged = {row.recipient for row in rows if row.status is Status.POSSIBLE_DUPLICATE}
        assert {address for address, n in copies.items() if n > 1} <= flagged
        assert len(flagged) <= killed
        assert ledger.state.integrity_check() == "ok"
    # a duplicate carries the same Message-ID as the first copy
    ids = collections.defaultdict(set)
    for message in mail_server.handler.messages:
        header = message.data.split(b"\r\nMessage-ID: ", 1)[1].split(b"\r\n", 1)[0]
        ids[message.rcpt_tos[0]].add(header)
    assert all(len(found) == 1 for found in ids.values())
