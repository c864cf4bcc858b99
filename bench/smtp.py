"""Benchmark: SMTP sending with one reused connection vs a new connection per message.

An aiosmtpd server on loopback (the test server, plain, no TLS); N messages of about 30 KB
each, sent by :class:`~campaign.channels.smtp.SmtpChannel`

- with connection reuse (one connection for the run, as the channel does by default);
- with a new connection per message (``close()`` after every send: connect, EHLO, QUIT each
  time).

Both in one run, after a short warm-up; prints messages/s for each and the ratio.

    .venv/bin/python bench/smtp.py [--messages N] [--size-kb KB]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from campaign.channels import Outgoing, channel_settings, make_channel  # noqa: E402
from campaign.clock import SystemClock  # noqa: E402
from tests.smtpserver import SmtpServer  # noqa: E402


def message(number: int, size: int) -> Outgoing:
    """A fictional appeal of about ``size`` bytes (CRLF lines of 76 characters)."""
    head = (
        f"From: appeals@example.org\r\nTo: partner{number}@example.net\r\n"
        f"Subject: Missing: bench case {number}\r\nMessage-ID: <b{number}@example.org>\r\n\r\n"
    ).encode()
    line = b"Have you seen this child? Call the number on the poster. " + b"." * 17 + b"\r\n"
    return Outgoing(
        key=f"b{number}",
        recipient=f"partner{number}@example.net",
        data=head + line * (size // len(line)),
        sender="appeals@example.org",
    )


def run(server: SmtpServer, items: list[Outgoing], reuse: bool) -> float:
    """Seconds to send ``items``; checks that every message arrived."""
    server.reset()
    table = {"url": server.url, "tls": "none", "helo": "bench.test"}
    settings = channel_settings("bench", table, REPO)
    channel = make_channel(settings, SystemClock())
    started = time.perf_counter()
    for item in items:
        channel.send(item)
        if not reuse:
            channel.close()
    channel.close()
    elapsed = time.perf_counter() - started
    assert len(server.handler.messages) == len(items)
    expected = 1 if reuse else len(items)
    assert server.handler.connections == expected, server.handler.connections
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--size-kb", type=int, default=30)
    args = parser.parse_args()
    items = [message(number, args.size_kb * 1024) for number in range(args.messages)]
    with SmtpServer("plain") as server:
        run(server, items[:20], reuse=True)  # warm-up
        run(server, items[:20], reuse=False)
        reused = run(server, items, reuse=True)
        fresh = run(server, items, reuse=False)
    size = sum(len(item.data) for item in items) / len(items) / 1024
    print(f"{args.messages} messages of {size:.1f} KB to aiosmtpd on loopback")
    print(f"  one reused connection:      {args.messages / reused:8.1f} messages/s")
    print(f"  new connection per message: {args.messages / fresh:8.1f} messages/s")
    print(f"  ratio (reuse / per message): {fresh / reused:.2f}x")


if __name__ == "__main__":
    main()
