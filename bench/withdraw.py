"""Benchmark: how long a withdrawal takes (target: under 60 s on loopback).

The fictional example is built (banners and screen posters), approved and sent to 100
subscribers in the case's country over SMTP (aiosmtpd on 127.0.0.1), two partners and a
printer (outbox); then one case is resolved. Prints the time of the send and of the
withdrawal (cancel, per-channel work, purge, report), and how many notices went out.

    .venv/bin/python bench/withdraw.py [--subscribers N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "examples" / "demo"))

from campaign.approval import approve_build  # noqa: E402
from campaign.build import BuildRequest, build  # noqa: E402
from campaign.clock import SystemClock  # noqa: E402
from campaign.config import load_config  # noqa: E402
from campaign.deliver import send_build  # noqa: E402
from campaign.intake import IntakeOptions, intake  # noqa: E402
from campaign.ledger import Ledger  # noqa: E402
from campaign.state import open_state  # noqa: E402
from campaign.withdraw import withdraw  # noqa: E402
from tests.smtpserver import SmtpServer  # noqa: E402

AS_OF = dt.date(2026, 11, 28)
CASE = "DEMO-US-001"


def campaign(folder: Path, port: int, subscribers: int) -> Path:
    demo = folder / "demo"
    skip = shutil.ignore_patterns("out", "outbox", ".campaign", "photos")
    shutil.copytree(REPO / "examples" / "demo", demo, ignore=skip)
    from make_photos import make_photos

    make_photos(demo / "photos")
    rows = ["email,name,locale,country,region,lat,lon,radius_km,consent_date"]
    rows += [f"s{n:04d}@example.org,,en,US,,,,,2026-01-01" for n in range(subscribers)]
    (demo / "subscribers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = demo / "campaign.toml"
    text = config.read_text(encoding="utf-8").replace(
        'channel = { url = "outbox:outbox" }\n\n# Partner',
        f'channel = {{ url = "smtp://127.0.0.1:{port}", tls = "none" }}\n\n# Partner',
    )
    config.write_text(text.split("[landing]")[0], encoding="utf-8")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SmtpServer("plain") as server:
        path = campaign(Path(tmp), server.port, args.subscribers)
        config = load_config(path)
        loaded = intake(config.cases or path, config, IntakeOptions(AS_OF, {}, persist_refs=True))
        out = config.base_dir / "out"
        formats = ("banner-300x250", "poster-a4-screen", "poster-letter", "flyer-half-letter")
        build(loaded, config, BuildRequest(out, AS_OF, formats, jobs=2))
        with open_state(config) as state:
            approve_build(state, out, "Bench reviewer", dt.datetime.now(dt.UTC))
            ledger = Ledger(state, SystemClock())
            started = time.perf_counter()
            sent = send_build(config, out, ledger, AS_OF)
            send_s = time.perf_counter() - started
            ref = next(c.case_ref for c in loaded.cases if c.case_id == CASE)
            server.reset()
            started = time.perf_counter()
            report = withdraw(config, ledger, ref, "found", case_id=CASE)
            withdraw_s = time.perf_counter() - started
    print(f"send: {sent.recorded} deliveries in {send_s:.2f} s")
    print(f"withdrawal of {CASE}: {len(report.actions)} actions "
          f"({sum(a['action'].startswith('closure') for a in report.actions)} notices) "
          f"in {withdraw_s:.2f} s (target < 60 s)")  # fmt: skip


if __name__ == "__main__":
    main()
