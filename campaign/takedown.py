"""The takedown report of a resolved case: per recipient what was done, with evidence (status
codes, deleted version ids, listings), and what still needs a person — printed copies, partners
that could not delete, the CAP Cancel to pass on, social posts and SMS/WEA sent by hand, the
user's own input files. Saved as JSON and text in ``state_dir/takedown/``; ``campaign status
--case`` prints it again, and ``campaign resolve CASE --done N`` records that a person did item
N. While items are open, the commands exit 5."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from campaign.config import Config
from campaign.ledger import Delivery, Ledger, Status
from campaign.resolutions import Resolution

KIND_ACTIONS = {
    "notice": "closure notice (e-mail)",
    "pack": "folder without the case (files and all their versions deleted, feeds regenerated)",
    "withdrawal": "appeal.withdrawn event (webhook)",
    "cancel": "print cancellation uploaded, the case's files deleted",
}
DONE = {Status.SENT, Status.POSSIBLE_DUPLICATE}


@dataclass
class Takedown:
    case_ref: str
    reason: str
    resolved_at: str
    first: bool  # this call resolved the case (False: it was resolved before)
    cancelled: int  # waiting deliveries of the case cancelled now
    actions: list[dict[str, Any]] = field(default_factory=list)
    person: list[dict[str, Any]] = field(default_factory=list)  # {n, what, done}
    cap: dict[str, str] | None = None
    purge: dict[str, list[str]] | None = None

    @property
    def open_items(self) -> list[dict[str, Any]]:
        return [item for item in self.person if not item.get("done")]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    def text(self) -> str:
        """The report for people: done, failed, and the numbered items that need a person."""
        head = "resolved now" if self.first else "already resolved"
        lines = [f"Takedown of appeal {self.case_ref} ({head}, {self.resolved_at}, {self.reason})"]
        if self.cancelled:
            lines.append(f"  cancelled {self.cancelled} deliveries that were still waiting")
        for action in self.actions:
            proof = _proof(action.get("evidence") or {})
            lines.append(
                f"  {action['status']:>9}  {action['channel']} → {action['recipient']}: "
                f"{action['action']}" + (f" ({action['detail']})" if action["detail"] else "")
                + (f" [{proof}]" if proof else "")
            )  # fmt: skip
        if self.cap:
            lines.append(f"  CAP Cancel {self.cap['identifier']} recorded: {self.cap['file']}")
        if self.purge is not None:
            lines.append(f"  local copies purged: {len(self.purge['removed'])} files")
        lines.append("Needs a person:" if self.open_items else "Nothing needs a person.")
        for item in self.person:
            mark = "done" if item.get("done") else "TODO"
            lines.append(f"  [{item['n']}] {mark}: {item['what']}")
        return "\n".join(lines) + "\n"


def _proof(evidence: dict[str, Any]) -> str:
    parts = []
    for key in ("deleted", "uploaded", "removed", "files", "status", "webhook_id"):
        value = evidence.get(key)
        if isinstance(value, dict):
            value = value.get("deleted", [])
        if isinstance(value, list):
            parts.append(f"{key} {len(value)}")
        elif value not in (None, "", {}):
            parts.append(f"{key} {value}")
    return ", ".join(parts)


def compile_report(
    config: Config,
    ledger: Ledger,
    resolution: Resolution,
    first: bool,
    cancelled: int,
    keys: Sequence[str],
    cap: dict[str, str] | None,
    purge: dict[str, list[str]] | None,
    audit: Sequence[tuple[float, str, str, str]],
    notes: Sequence[str] = (),
) -> Takedown:
    """The report from the ledger (what the withdrawal work did) and the audit (items done)."""
    wanted = set(keys)
    rows = [row for row in ledger.deliveries() if row.key.split("-")[0] in wanted]
    report = Takedown(
        resolution.case_ref, resolution.reason, resolution.when.isoformat(timespec="seconds"),
        first, cancelled, cap=cap, purge=purge,
    )  # fmt: skip
    for row in rows:
        report.actions.append(_action(ledger, row))
    report.person = _person_items(config, ledger, resolution.case_ref, rows, cap, purge, notes)
    done = {outcome for _, channel, action, outcome in audit if action == "person-done"}
    for item in report.person:
        item["done"] = str(item["n"]) in done
    save(config, report)
    return report


def _action(ledger: Ledger, row: Delivery) -> dict[str, Any]:
    return {
        "channel": row.channel,
        "recipient": row.recipient,
        "action": KIND_ACTIONS.get(row.kind, row.kind),
        "status": row.status.value,
        "attempts": row.attempts,
        "detail": row.detail,
        "evidence": ledger.evidence(row.id),
    }


def _person_items(
    config: Config,
    ledger: Ledger,
    ref: str,
    rows: Sequence[Delivery],
    cap: dict[str, str] | None,
    purge: dict[str, list[str]] | None,
    notes: Sequence[str] = (),
) -> list[dict[str, Any]]:
    items: list[str] = list(notes)
    for row in rows:
        if row.status not in DONE:
            items.append(f"{row.channel} ({row.recipient}): the automatic withdrawal has not "
                         f"succeeded yet ({row.status}: {row.detail}); make sure they remove "
                         "every copy")  # fmt: skip
    for job in ledger.carried(ref, ["print"]):
        day = dt.datetime.fromtimestamp(job.created, dt.UTC).date().isoformat()
        files = sum(1 for item in job.items if item.case_ref == ref)
        items.append(
            f"confirm with printer {job.recipient}: job {job.key} of {day} "
            f"({files} files of this case): stop printing and remove physical copies"
        )
    if cap is not None:
        items.append(f"pass the CAP Cancel {cap['identifier']} ({cap['file']}) to every "
                     "system the alert was sent to")  # fmt: skip
    items.append("remove social media posts and stop any SMS/WEA sent by hand from this "
                 "appeal's texts")  # fmt: skip
    for path in (purge or {}).get("left_for_a_person", []):
        items.append(f"your own input: {path} (delete the photo files; mark the case resolved)")
    return [{"n": n, "what": what} for n, what in enumerate(items, start=1)]


def report_paths(config: Config, case_ref: str) -> tuple[Path, Path]:
    folder = config.state_dir / "takedown"
    return folder / f"{case_ref}.json", folder / f"{case_ref}.txt"


def save(config: Config, report: Takedown) -> None:
    """Write the report (JSON and text) into the state folder, atomically."""
    for path, text in zip(report_paths(config, report.case_ref),
                          (report.to_json(), report.text()), strict=True):  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)


def load(config: Config, case_ref: str) -> Takedown | None:
    """The saved report of ``case_ref``, if it was resolved with this state folder."""
    try:
        data = json.loads(report_paths(config, case_ref)[0].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Takedown(**data)
