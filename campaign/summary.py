"""What the delivery commands print: a batch plan (``send --dry-run``), the outcome of a send,
and the ledger by channel and status (``campaign status``). Plain text, no click."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Mapping

from campaign.batch import Batch
from campaign.channels import Channel
from campaign.deliver import SendReport
from campaign.ledger import Ledger, Status

SHOWN = 50  # recipients listed one by one in a dry run, the rest counted


def plan_text(batch: Batch, channels: Mapping[str, Channel]) -> str:
    """Where a batch would go: per channel table, its destination and messages, then each
    recipient with the case references it would get."""
    if not batch.deliveries:
        return f"nothing to send from {batch.build_dir}" + _left_out(batch)
    by_channel: dict[str, list[str]] = defaultdict(list)
    lines: list[str] = []
    for new in batch.deliveries:
        refs = " ".join(dict.fromkeys(item.case_ref for item in new.items))
        by_channel[new.channel].append(f"    {new.recipient} [{new.locale}]: {refs}")
    for name, rows in by_channel.items():
        where = channels[name].describe() if name in channels else "(no channel)"
        lines.append(f"{name} → {where}: {len(rows)} messages")
        lines += rows[:SHOWN]
        if len(rows) > SHOWN:
            lines.append(f"    … and {len(rows) - SHOWN} more")
    cases = {item.case_ref for new in batch.deliveries for item in new.items}
    lines.append(
        f"would send {len(batch.deliveries)} messages to {batch.recipients()} recipients "
        f"about {len(cases)} cases (dry run: nothing recorded, nothing sent)" + _left_out(batch)
    )
    return "\n".join(lines)


def _left_out(batch: Batch) -> str:
    parts = []
    if batch.already:
        parts.append(f"{batch.already} case versions already sent")
    if batch.suppressed:
        parts.append(f"{batch.suppressed} suppressed addresses")
    if batch.resolved:
        parts.append(f"{batch.resolved} resolved cases")
    return "; left out: " + ", ".join(parts) if parts else ""


def send_text(recorded: int, report: SendReport) -> str:
    """One paragraph on a send: recorded, attempted by outcome, what is left, halted channels."""
    if not recorded and not report.attempted and not report.left:
        return "nothing new to send: every recipient already has every approved case version"
    outcomes = ", ".join(f"{n} {status}" for status, n in sorted(report.outcomes.items()))
    lines = [
        f"recorded {recorded} new deliveries; {report.attempted} attempts; "
        f"{len(report.final)} deliveries now: {outcomes or 'none'}"
    ]
    if report.left:
        lines.append(f"{report.left} deliveries wait for a retry (run campaign send again later)")
    for name, why in report.halted.items():
        lines.append(f"channel {name} stopped for this run: {why}")
    return "\n".join(lines)


ATTENTION = (Status.FAILED, Status.POSSIBLE_DUPLICATE, Status.EXPIRED, Status.DEFERRED)


def status_text(ledger: Ledger, limit: int = 100) -> str:
    """The ledger by channel and status, then the deliveries that need attention with reasons."""
    counts = ledger.counts()
    if not counts:
        return "the ledger is empty: nothing was sent yet"
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for channel, status, n in counts:
        table[channel][status] += n
    width = max(len(name) for name in [*table, "channel"])
    lines = [f"{'channel':<{width}}  " + "  ".join(f"{s.value:>{len(s.value)}}" for s in Status)]
    for channel, row in sorted(table.items()):
        cells = "  ".join(f"{row[s]:>{len(s.value)}}" for s in Status)
        lines.append(f"{channel:<{width}}  {cells}")
    attention = ledger.deliveries([s.value for s in ATTENTION])
    if attention:
        lines.append("")
        lines.append("needs attention:")
    for item in attention[:limit]:
        when = dt.datetime.fromtimestamp(item.created, dt.UTC).strftime("%Y-%m-%d %H:%M")
        lines.append(
            f"  #{item.id} {item.channel} {item.recipient} {item.status} after "
            f"{item.attempts} attempts (recorded {when} UTC): {item.detail}"
        )
    if len(attention) > limit:
        lines.append(f"  … and {len(attention) - limit} more")
    return "\n".join(lines)


def status_json(ledger: Ledger) -> str:
    """The same as JSON: counts, and the deliveries that need attention."""
    data = {
        "counts": [{"channel": c, "status": s, "n": n} for c, s, n in ledger.counts()],
        "attention": [
            {
                "id": item.id,
                "key": item.key,
                "channel": item.channel,
                "recipient": item.recipient,
                "status": item.status.value,
                "attempts": item.attempts,
                "detail": item.detail,
            }
            for item in ledger.deliveries([s.value for s in ATTENTION])
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
