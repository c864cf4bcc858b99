"""Reading the delivery ledger: one delivery, lists and counts, what a recipient already has,
what is due next, what carried a case, suppressions and resolutions. :class:`~campaign.ledger.
Ledger` adds the changes (one transaction each)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from campaign.models import OPEN, TAKEN, Delivery, DeliveryItem, DeliveryStatus
from campaign.state import State

Status = DeliveryStatus
Item = DeliveryItem

_COLUMNS = (
    "id, key, channel, kind, recipient, recipient_name, locale, build_dir, status, attempts, "
    "uncertain, created, first_attempt, remote_id, detail, priority"
)


class LedgerQueries:
    """The read-only side of the ledger (a consistent WAL snapshot per query)."""

    state: State

    def latest(self, channel: str, recipient: str, kind: str) -> Delivery | None:
        """The recipient's most recent delivery of ``kind`` that was received or may have been."""
        rows = self.state.query(
            "SELECT id FROM deliveries WHERE channel = ? AND recipient = ? AND kind = ? "
            "AND status IN ('sent', 'possible_duplicate') ORDER BY id DESC LIMIT 1",
            (channel, recipient, kind),
        )
        return self.get(rows[0][0]) if rows else None

    def taken(self, kind: str, since: float | None = None) -> set[tuple[str, str, str]]:
        """``(recipient, case_ref, sha256)`` of every case version already sent, or on its way,
        to a recipient by ``kind`` deliveries; with ``since``, a version received before that
        time no longer counts (reminders)."""
        marks = ", ".join("?" for _ in TAKEN)
        rows = self.state.query(
            "SELECT d.recipient, i.case_ref, i.sha256, d.status, d.updated "  # noqa: S608
            "FROM deliveries d JOIN delivery_items i ON i.delivery_id = d.id "
            f"WHERE d.kind = ? AND (d.status IN ({marks}) OR d.uncertain = 1)",
            (kind, *sorted(TAKEN)),
        )  # a version that may have arrived is not sent again under a new key
        return {
            (recipient, ref, sha)
            for recipient, ref, sha, status, updated in rows
            if since is None or status in OPEN or updated >= since
        }

    def next_due(self, channels: Collection[str], urgent_only: bool = False) -> float | None:
        """When the next open delivery of ``channels`` becomes due (Unix time), if any."""
        if not channels:
            return None
        marks = ", ".join("?" for _ in channels)
        row = self.state.query(
            "SELECT MIN(CASE status WHEN 'sending' THEN lease_until ELSE next_attempt END) "  # noqa: S608
            f"FROM deliveries WHERE channel IN ({marks}) AND status IN "
            "('pending', 'deferred', 'sending') AND priority <= ?",
            (*channels, 0 if urgent_only else 1 << 30),
        )
        value = row[0][0] if row else None
        return float(value) if value is not None else None

    def get(self, row_id: int) -> Delivery:
        row = self.state.query(
            f"SELECT {_COLUMNS} FROM deliveries WHERE id = ?",  # noqa: S608
            (row_id,),
        )[0]
        items = self.state.query(
            "SELECT case_ref, locale, format, path, sha256 FROM delivery_items "
            "WHERE delivery_id = ? ORDER BY rowid",
            (row_id,),
        )
        return _delivery(row, tuple(Item(*item) for item in items))

    def deliveries(self, statuses: Collection[str] = ()) -> list[Delivery]:
        """Every delivery (of ``statuses`` when given), oldest first, without their items."""
        where = ""
        if statuses:
            where = " WHERE status IN (" + ", ".join("?" for _ in statuses) + ")"
        rows = self.state.query(
            f"SELECT {_COLUMNS} FROM deliveries{where} ORDER BY id",  # noqa: S608
            tuple(statuses),
        )
        return [_delivery(row, ()) for row in rows]

    def counts(self) -> list[tuple[str, str, int]]:
        """``(channel, status, n)`` for every channel table and status present."""
        rows = self.state.query(
            "SELECT channel, status, COUNT(*) FROM deliveries GROUP BY channel, status "
            "ORDER BY channel, status"
        )
        return [(str(c), str(s), int(n)) for c, s, n in rows]

    def events(self, delivery_id: int) -> list[tuple[float, str, str]]:
        rows = self.state.query(
            "SELECT at, status, detail FROM delivery_events WHERE delivery_id = ? ORDER BY id",
            (delivery_id,),
        )
        return [(float(a), str(s), str(d)) for a, s, d in rows]

    def carried(self, case_ref: str, kinds: Collection[str]) -> list[Delivery]:
        """Deliveries of ``kinds`` that carried ``case_ref`` and may have arrived: sent,
        possibly duplicated, being sent now, with an attempt whose outcome is unknown, or — a
        pack or print job, written file by file — any that was attempted at all."""
        marks = ", ".join("?" for _ in kinds)
        rows = self.state.query(
            "SELECT DISTINCT d.id FROM deliveries d "  # noqa: S608
            "JOIN delivery_items i ON i.delivery_id = d.id "
            f"WHERE i.case_ref = ? AND d.kind IN ({marks}) AND (d.status IN "
            "('sent', 'possible_duplicate', 'sending') OR d.uncertain = 1 OR "
            "(d.kind IN ('pack', 'print') AND d.attempts > 0)) ORDER BY d.id",
            (case_ref, *kinds),
        )
        return [self.get(row[0]) for row in rows]

    def evidence(self, delivery_id: int) -> dict[str, Any]:
        rows = self.state.query("SELECT evidence FROM deliveries WHERE id = ?", (delivery_id,))
        return dict(json.loads(rows[0][0])) if rows else {}

    def suppression_reason(self, address: str) -> str | None:
        rows = self.state.query(
            "SELECT reason FROM suppressions WHERE address = ?", (address_key(address),)
        )
        return str(rows[0][0]) if rows else None

    def is_suppressed(self, address: str) -> bool:
        rows = self.state.query(
            "SELECT 1 FROM suppressions WHERE address = ?", (address_key(address),)
        )
        return bool(rows)

    def suppressions(self) -> list[tuple[str, str, str, float]]:
        rows = self.state.query("SELECT address, reason, source, at FROM suppressions ORDER BY at")
        return [(str(a), str(r), str(s), float(t)) for a, r, s, t in rows]

    def resolved(self, case_refs: Collection[str]) -> set[str]:
        """Those of ``case_refs`` that are resolved now (checked right before every send)."""
        if not case_refs:
            return set()
        marks = ", ".join("?" for _ in case_refs)
        rows = self.state.query(
            f"SELECT case_ref FROM resolutions WHERE reopened_at IS NULL "  # noqa: S608
            f"AND case_ref IN ({marks})",
            tuple(case_refs),
        )
        return {str(row[0]) for row in rows}


def address_key(address: str) -> str:
    """Suppressions compare whole addresses case-insensitively: a local part may in theory be
    case-sensitive, but someone who unsubscribed as Ana@ must not get mail as ana@."""
    return address.strip().lower()


def _delivery(row: Sequence[Any], items: tuple[Item, ...]) -> Delivery:
    (row_id, key, channel, kind, recipient, name, locale, build_dir, status, attempts,
     uncertain, created, first, remote_id, detail, priority) = row  # fmt: skip
    return Delivery(
        row_id, key, channel, kind, recipient, name, locale, build_dir, Status(status),
        attempts, bool(uncertain), created, first, remote_id, detail, items, int(priority),
    )  # fmt: skip
