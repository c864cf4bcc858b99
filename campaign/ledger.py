"""The delivery ledger: an outbox in the state database (see ``state.py`` for its tables).

Each delivery — one message or pack to one recipient, carrying one version of each of its
cases' renditions — gets its idempotency ``key`` when it is recorded, before any attempt. The
send loop claims a due row under ``BEGIN IMMEDIATE`` with a lease, so two engines on one ledger
never take the same row; a crash leaves a lease that runs out, and the row is tried again and
flagged ``possible_duplicate`` when it then succeeds (the first attempt may have arrived). Every
state change is one committed transaction and leaves an event in ``delivery_events``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from campaign.channels.base import ChannelError, Receipt
from campaign.channels.settings import RetrySettings
from campaign.clock import Clock
from campaign.config import Config
from campaign.models import (
    FINAL,
    OPEN,
    RECEIVED,
    TAKEN,
    Delivery,
    DeliveryItem,
    NewDelivery,
)
from campaign.models import DeliveryStatus as Status
from campaign.state import State, open_state

__all__ = ["FINAL", "OPEN", "RECEIVED", "TAKEN", "Delivery", "Item", "Ledger", "NewDelivery",
           "Status", "open_ledger"]  # fmt: skip
Item = DeliveryItem


_COLUMNS = (
    "id, key, channel, kind, recipient, recipient_name, locale, build_dir, status, attempts, "
    "uncertain, created, first_attempt, remote_id, detail"
)


def delivery_key(new: NewDelivery, created: float) -> str:
    """The idempotency key: a digest of who gets what and when it was recorded (32 hex)."""
    parts = [new.channel, new.kind, new.recipient, new.locale, repr(created)]
    parts += [f"{i.case_ref}:{i.format}:{i.sha256}" for i in new.items]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


class Ledger:
    """The deliveries of one state database, with the time taken from ``clock``."""

    def __init__(self, state: State, clock: Clock) -> None:
        self.state = state
        self.clock = clock

    def _now(self) -> float:
        return self.clock.now().timestamp()

    # -- recording ---------------------------------------------------------------------------

    def record(self, batch: Sequence[NewDelivery], since: float | None = None) -> list[str]:
        """Record a batch of deliveries in one transaction; returns their keys.

        Under the write lock, cases another engine recorded for the same recipient since the
        batch was planned are dropped (a delivery left with nothing is not recorded), so two
        engines sending one build at once do not both send it. A ``pack`` (a recipient's whole
        folder) is recorded only when it differs from the last one, and replaces any older pack
        still waiting."""
        now = self._now()
        keys: list[str] = []
        with self.state.transaction() as db:
            kinds = {new.kind for new in batch} - SNAPSHOTS
            taken = {kind: self.taken(kind, since) for kind in kinds}
            for planned in batch:
                if planned.kind in SNAPSHOTS:
                    new = planned if self._supersede(db, planned, now) else _empty(planned)
                else:
                    new = _without(planned, taken[planned.kind])
                if not new.items:
                    continue
                key = delivery_key(new, now)
                cursor = db.execute(
                    "INSERT INTO deliveries (key, channel, kind, recipient, recipient_name, "
                    "locale, build_dir, status, priority, created, next_attempt, updated) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, new.channel, new.kind, new.recipient, new.recipient_name, new.locale,
                     new.build_dir, Status.PENDING, new.priority, now, now, now),
                )  # fmt: skip
                row_id = cursor.lastrowid
                db.executemany(
                    "INSERT INTO delivery_items (delivery_id, case_ref, locale, format, path, "
                    "sha256) VALUES (?, ?, ?, ?, ?, ?)",
                    [(row_id, i.case_ref, i.locale, i.format, i.path, i.sha256) for i in new.items],
                )
                _event(db, row_id, now, Status.PENDING, f"{len(new.items)} items")
                keys.append(key)
        return keys

    def _supersede(self, db: Any, new: NewDelivery, now: float) -> bool:
        """Whether pack ``new`` differs from the recipient's last one; if so, older packs still
        waiting are cancelled (the new one carries everything)."""
        rows = db.execute(
            "SELECT id, status FROM deliveries WHERE channel = ? AND recipient = ? AND kind = ? "
            "AND status IN ('pending', 'sending', 'deferred', 'sent', 'possible_duplicate') "
            "ORDER BY id DESC",
            (new.channel, new.recipient, new.kind),
        ).fetchall()
        if rows:
            last = db.execute(
                "SELECT path, sha256 FROM delivery_items WHERE delivery_id = ?", (rows[0][0],)
            ).fetchall()
            if set(last) == {(item.path, item.sha256) for item in new.items}:
                return False
        for row_id, status in rows:
            if status in ("pending", "deferred"):
                db.execute(
                    "UPDATE deliveries SET status = 'cancelled', detail = ?, updated = ? "
                    "WHERE id = ?",
                    ("superseded by a newer pack", now, row_id),
                )
                _event(db, row_id, now, Status.CANCELLED, "superseded by a newer pack")
        return True

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
            f"WHERE d.kind = ? AND d.status IN ({marks})",
            (kind, *sorted(TAKEN)),
        )
        return {
            (recipient, ref, sha)
            for recipient, ref, sha, status, updated in rows
            if since is None or status in OPEN or updated >= since
        }

    # -- the send loop's side ----------------------------------------------------------------

    def claim(self, worker: str, channels: Collection[str], lease_s: float) -> Delivery | None:
        """Take the next due delivery of ``channels`` (its lease runs ``lease_s``), or None.

        A row still ``sending`` whose lease ran out was left by an engine that stopped mid-way:
        it is taken again and marked uncertain (the earlier try may have arrived)."""
        if not channels:
            return None
        now = self._now()
        marks = ", ".join("?" for _ in channels)
        with self.state.transaction() as db:
            row = db.execute(
                f"SELECT id, status FROM deliveries WHERE channel IN ({marks}) AND ("  # noqa: S608
                "(status IN ('pending', 'deferred') AND next_attempt <= ?) OR "
                "(status = 'sending' AND lease_until <= ?)) "
                "ORDER BY priority, next_attempt, id LIMIT 1",
                (*channels, now, now),
            ).fetchone()
            if row is None:
                return None
            row_id, status = row
            abandoned = status == Status.SENDING
            db.execute(
                "UPDATE deliveries SET status = 'sending', lease_until = ?, claimed_by = ?, "
                "attempts = attempts + 1, first_attempt = COALESCE(first_attempt, ?), "
                "uncertain = uncertain OR ?, updated = ? WHERE id = ?",
                (now + lease_s, worker, now, abandoned, now, row_id),
            )
            detail = f"claimed by {worker}" + (" (an earlier try was cut off)" if abandoned else "")
            _event(db, row_id, now, Status.SENDING, detail)
        return self.get(row_id)

    def next_due(self, channels: Collection[str]) -> float | None:
        """When the next open delivery of ``channels`` becomes due (Unix time), if any."""
        if not channels:
            return None
        marks = ", ".join("?" for _ in channels)
        row = self.state.query(
            "SELECT MIN(CASE status WHEN 'sending' THEN lease_until ELSE next_attempt END) "  # noqa: S608
            f"FROM deliveries WHERE channel IN ({marks}) AND status IN "
            "('pending', 'deferred', 'sending')",
            tuple(channels),
        )
        value = row[0][0] if row else None
        return float(value) if value is not None else None

    def sent(self, delivery: Delivery, receipt: Receipt) -> Status:
        """Record an accepted attempt: ``sent``, or ``possible_duplicate`` when an earlier try
        may also have arrived."""
        now = self._now()
        with self.state.transaction() as db:
            (uncertain,) = db.execute(
                "SELECT uncertain FROM deliveries WHERE id = ?", (delivery.id,)
            ).fetchone()
            status = Status.POSSIBLE_DUPLICATE if uncertain else Status.SENT
            db.execute(
                "UPDATE deliveries SET status = ?, remote_id = ?, detail = ?, lease_until = NULL, "
                "updated = ? WHERE id = ?",
                (status, receipt.remote_id, receipt.detail, now, delivery.id),
            )
            _event(db, delivery.id, now, status, receipt.detail or str(receipt.remote_id or ""))
        return status

    def failed(self, delivery: Delivery, error: ChannelError, retry: RetrySettings,
               rng: random.Random) -> Status:  # fmt: skip
        """Record a failed attempt: ``deferred`` until its next try, ``expired`` past the
        channel's lifetime, or ``failed`` for good (suppressing the address when asked)."""
        now = self._now()
        detail = str(error)
        with self.state.transaction() as db:
            if not error.retryable:
                status = Status.FAILED
                if error.suppress:
                    target = suppression_key(delivery)
                    _suppress(db, target, "bounce", delivery.channel, now)
                    detail += (
                        "; address suppressed"
                        if target == delivery.recipient
                        else ("; endpoint disabled")
                    )
                next_at = now
            else:
                wait = retry.delay(delivery.attempts, rng, error.retry_after)
                first = delivery.first_attempt or now
                expired = now + wait > first + retry.lifetime_s
                status = Status.EXPIRED if expired else Status.DEFERRED
                next_at = now + wait
            db.execute(
                "UPDATE deliveries SET status = ?, detail = ?, next_attempt = ?, "
                "lease_until = NULL, uncertain = uncertain OR ?, updated = ? WHERE id = ?",
                (status, detail, next_at, error.unknown_outcome, now, delivery.id),
            )
            _event(db, delivery.id, now, status, detail)
        return status

    def release(self, delivery: Delivery, reason: str, unknown_outcome: bool = False) -> None:
        """Hand a claimed delivery back untried (its channel stopped for this run)."""
        now = self._now()
        with self.state.transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = 'deferred', attempts = MAX(0, attempts - ?), "
                "next_attempt = ?, lease_until = NULL, detail = ?, uncertain = uncertain OR ?, "
                "updated = ? WHERE id = ?",
                (0 if unknown_outcome else 1, now, reason, unknown_outcome, now, delivery.id),
            )
            _event(db, delivery.id, now, Status.DEFERRED, reason)

    def cancel(self, delivery: Delivery, reason: str) -> None:
        """Do not send this delivery (its uncertain flag stays: it may have been received)."""
        now = self._now()
        with self.state.transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = 'cancelled', detail = ?, lease_until = NULL, "
                "updated = ? WHERE id = ?",
                (reason, now, delivery.id),
            )
            _event(db, delivery.id, now, Status.CANCELLED, reason)

    # -- reading -----------------------------------------------------------------------------

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

    # -- suppressions and resolutions ----------------------------------------------------------

    def suppress(self, address: str, reason: str, source: str) -> bool:
        """Never send to ``address`` again; returns whether it was new."""
        with self.state.transaction() as db:
            return _suppress(db, address, reason, source, self._now())

    def is_suppressed(self, address: str) -> bool:
        rows = self.state.query(
            "SELECT 1 FROM suppressions WHERE address = ?", (_address_key(address),)
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


# Kinds whose delivery stands for the recipient's whole state (a partner's folder, the event
# announcing it): recorded only when different from the last one, replacing older ones waiting.
SNAPSHOTS = frozenset({"pack", "event"})


def _empty(new: NewDelivery) -> NewDelivery:
    return NewDelivery(new.channel, new.kind, new.recipient, new.locale, new.build_dir, ())


def _without(new: NewDelivery, taken: set[tuple[str, str, str]]) -> NewDelivery:
    """``new`` without the cases whose version the recipient already has (or is getting):
    every file of the case is one it has; a case with any new file goes whole."""
    refs = {item.case_ref for item in new.items}
    fresh = {i.case_ref for i in new.items if (new.recipient, i.case_ref, i.sha256) not in taken}
    done = refs - fresh
    if not done:
        return new
    kept = tuple(item for item in new.items if item.case_ref not in done)
    return NewDelivery(new.channel, new.kind, new.recipient, new.locale, new.build_dir, kept,
                       new.recipient_name, new.priority)  # fmt: skip


def suppression_key(delivery: Delivery) -> str:
    """What a permanent refusal disables: the address of an e-mail, else the channel table
    (a partner's endpoint that answered 410 Gone)."""
    return delivery.recipient if delivery.kind == "email" else delivery.channel


def _address_key(address: str) -> str:
    """Suppressions compare whole addresses case-insensitively: a local part may in theory be
    case-sensitive, but someone who unsubscribed as Ana@ must not get mail as ana@."""
    return address.strip().lower()


def _suppress(db: Any, address: str, reason: str, source: str, now: float) -> bool:
    before = db.total_changes
    db.execute(
        "INSERT OR IGNORE INTO suppressions (address, reason, source, at) VALUES (?, ?, ?, ?)",
        (_address_key(address), reason, source, now),
    )
    return bool(db.total_changes - before)


def _event(db: Any, row_id: int | None, at: float, status: str, detail: str) -> None:
    db.execute(
        "INSERT INTO delivery_events (delivery_id, at, status, detail) VALUES (?, ?, ?, ?)",
        (row_id, at, status, detail),
    )


def _delivery(row: Sequence[Any], items: tuple[Item, ...]) -> Delivery:
    (row_id, key, channel, kind, recipient, name, locale, build_dir, status, attempts,
     uncertain, created, first, remote_id, detail) = row  # fmt: skip
    return Delivery(
        row_id, key, channel, kind, recipient, name, locale, build_dir, Status(status),
        attempts, bool(uncertain), created, first, remote_id, detail, items,
    )  # fmt: skip


@contextmanager
def open_ledger(config: Config, clock: Clock | None = None) -> Iterator[Ledger]:
    """The ledger of the campaign's state database (opened, and closed afterwards)."""
    from campaign.clock import SystemClock

    with open_state(config) as state:
        yield Ledger(state, clock or SystemClock())
