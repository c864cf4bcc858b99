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
import json
import random
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from campaign.channels.base import ChannelError, Receipt
from campaign.channels.settings import RetrySettings
from campaign.clock import Clock
from campaign.config import Config
from campaign.ledgerqueries import LedgerQueries, address_key
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

URGENT = 0  # the priority of withdrawal work: ahead of any backlog
__all__ = ["FINAL", "OPEN", "RECEIVED", "TAKEN", "WITHDRAWAL_FORMATS", "Delivery", "Item",
           "Ledger", "NewDelivery", "Status", "open_ledger"]  # fmt: skip
Item = DeliveryItem


def delivery_key(new: NewDelivery, created: float) -> str:
    """The idempotency key: a digest of who gets what and when it was recorded (32 hex)."""
    parts = [new.channel, new.kind, new.recipient, new.locale, repr(created)]
    parts += [f"{i.case_ref}:{i.format}:{i.sha256}" for i in new.items]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


class Ledger(LedgerQueries):
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
                if planned.key and not self._fresh_key(db, planned.key):
                    continue  # already recorded: withdrawal work is recorded once
                if planned.kind in SNAPSHOTS:
                    if not self._supersede(db, planned, now):
                        continue  # the same pack as the last one
                    new = planned
                else:
                    new = _without(planned, taken[planned.kind])
                if not new.items and planned.kind not in SNAPSHOTS:
                    continue
                key = _retry_key(db, planned.key, now) if planned.key else delivery_key(new, now)
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

    @staticmethod
    def _fresh_key(db: Any, key: str) -> bool:
        """A fixed key not recorded yet, or recorded and then cancelled (it may be tried again,
        e.g. a withdrawal pack cancelled because the build had changed)."""
        rows = db.execute("SELECT status FROM deliveries WHERE key = ? OR key LIKE ?",
                          (key, f"{key}-%")).fetchall()  # fmt: skip
        return all(row[0] == "cancelled" for row in rows)

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

    # -- the send loop's side ----------------------------------------------------------------

    def claim(
        self, worker: str, channels: Collection[str], lease_s: float, urgent_only: bool = False
    ) -> Delivery | None:
        """Take the next due delivery of ``channels`` (its lease runs ``lease_s``), or None;
        with ``urgent_only``, only withdrawal work (priority 0).

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
                "(status = 'sending' AND lease_until <= ?)) AND priority <= ? "
                "ORDER BY priority, next_attempt, id LIMIT 1",
                (*channels, now, now, URGENT if urgent_only else 1 << 30),
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

    def sent(self, delivery: Delivery, receipt: Receipt) -> Status:
        """Record an accepted attempt: ``sent``, or ``possible_duplicate`` when an earlier try
        may also have arrived."""
        now = self._now()
        with self.state.transaction() as db:
            row = db.execute(
                "SELECT uncertain FROM deliveries WHERE id = ?", (delivery.id,)
            ).fetchone()
            status = Status.POSSIBLE_DUPLICATE if row is None or row[0] else Status.SENT
            db.execute(
                "UPDATE deliveries SET status = ?, remote_id = ?, detail = ?, lease_until = NULL, "
                "evidence = ?, updated = ? WHERE id = ?",
                (status, receipt.remote_id, receipt.detail, _json(receipt.evidence), now,
                 delivery.id),
            )  # fmt: skip
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

    # -- suppressions and withdrawal ----------------------------------------------------------

    def suppress(self, address: str, reason: str, source: str) -> bool:
        """Never send to ``address`` again; returns whether it was new."""
        with self.state.transaction() as db:
            return _suppress(db, address, reason, source, self._now())

    def cancel_case(self, case_ref: str, reason: str) -> int:
        """Cancel every pending or deferred delivery that carries ``case_ref`` (one that is being
        sent right now is stopped by the send loop's check before its external call)."""
        now = self._now()
        with self.state.transaction() as db:
            rows = db.execute(
                "SELECT DISTINCT d.id FROM deliveries d JOIN delivery_items i "  # noqa: S608
                "ON i.delivery_id = d.id WHERE i.case_ref = ? AND i.format NOT IN "
                f"({_MARKS}) AND d.status IN ('pending', 'deferred') AND d.priority > 0",
                (case_ref, *WITHDRAWAL_FORMATS),
            ).fetchall()
            for (row_id,) in rows:
                db.execute(
                    "UPDATE deliveries SET status = 'cancelled', detail = ?, updated = ? "
                    "WHERE id = ?",
                    (reason, now, row_id),
                )
                _event(db, row_id, now, Status.CANCELLED, reason)
        return len(rows)


# Kinds whose delivery stands for the recipient's whole state (a partner's folder, the event
# announcing it): recorded only when different from the last one, replacing older ones waiting.
SNAPSHOTS = frozenset({"pack", "event"})
# Item formats that mark withdrawal work about a case rather than a rendition of it.
WITHDRAWAL_FORMATS = ("notice", "withdrawn", "closed", "cancelled")
_MARKS = ", ".join("?" for _ in WITHDRAWAL_FORMATS)


def _json(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return "{}"


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
    """What a permanent refusal disables: the address of an e-mail (an appeal or a notice),
    else the channel table (a partner's endpoint that answered 410 Gone)."""
    return delivery.recipient if delivery.kind in ("email", "notice") else delivery.channel


def _retry_key(db: Any, key: str, now: float) -> str:
    """``key``, or — when it was recorded and cancelled — ``key-N`` (tried again)."""
    count = db.execute(
        "SELECT COUNT(*) FROM deliveries WHERE key = ? OR key LIKE ?", (key, f"{key}-%")
    ).fetchone()[0]
    return key if count == 0 else f"{key}-{count}"


def _suppress(db: Any, address: str, reason: str, source: str, now: float) -> bool:
    before = db.total_changes
    db.execute(
        "INSERT INTO suppressions (address, reason, source, at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, source = "
        "excluded.source, at = excluded.at WHERE excluded.reason = 'bounce' "
        "AND suppressions.reason != 'bounce'",  # a hard bounce outranks an unsubscribe
        (address_key(address), reason, source, now),
    )
    return bool(db.total_changes - before)


def _event(db: Any, row_id: int | None, at: float, status: str, detail: str) -> None:
    db.execute(
        "INSERT INTO delivery_events (delivery_id, at, status, detail) VALUES (?, ?, ?, ?)",
        (row_id, at, status, detail),
    )


@contextmanager
def open_ledger(config: Config, clock: Clock | None = None) -> Iterator[Ledger]:
    """The ledger of the campaign's state database (opened, and closed afterwards)."""
    from campaign.clock import SystemClock

    with open_state(config) as state:
        yield Ledger(state, clock or SystemClock())
