"""Resolutions: the state database's authoritative record that a case was resolved (found,
withdrawn, other). Idempotent and monotonic: resolving twice, or from two processes at once,
records one resolution (a unique index over the open ones, under ``BEGIN IMMEDIATE``); only an
explicit re-open ends it, and the case then starts a new appeal. The audit table keeps what was
done about a case without any personal data: case_ref, channel, action, time, outcome."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from campaign.state import State

REASONS = ("found", "withdrawn", "other")


@dataclass(frozen=True)
class Resolution:
    case_ref: str
    reason: str
    resolved_at: float  # Unix time

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.resolved_at, dt.UTC)


def resolve(state: State, case_ref: str, reason: str, now: float) -> tuple[Resolution, bool]:
    """Record that ``case_ref`` is resolved; returns the resolution in force and whether it is
    new (False when it was already resolved: nothing is recorded twice)."""
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {', '.join(REASONS)}")
    try:
        with state.transaction() as db:
            db.execute(
                "INSERT INTO resolutions (case_ref, reason, resolved_at) VALUES (?, ?, ?)",
                (case_ref, reason, now),
            )
            _audit(db, case_ref, "local", "resolve", now, f"resolved ({reason})")
    except sqlite3.IntegrityError:  # an open resolution exists: monotonic, act once
        found = current(state, case_ref)
        assert found is not None
        return found, False
    return Resolution(case_ref, reason, now), True


def reopen(state: State, case_ref: str, now: float) -> bool:
    """End the open resolution of ``case_ref``; False when it was not resolved."""
    with state.transaction() as db:
        changed = db.execute(
            "UPDATE resolutions SET reopened_at = ? WHERE case_ref = ? AND reopened_at IS NULL",
            (now, case_ref),
        ).rowcount
        if changed:
            _audit(db, case_ref, "local", "reopen", now, "re-opened: a new appeal")
    return bool(changed)


def current(state: State, case_ref: str) -> Resolution | None:
    """The open resolution of ``case_ref``, if it is resolved now."""
    rows = state.query(
        "SELECT case_ref, reason, resolved_at FROM resolutions "
        "WHERE case_ref = ? AND reopened_at IS NULL",
        (case_ref,),
    )
    return Resolution(str(rows[0][0]), str(rows[0][1]), float(rows[0][2])) if rows else None


def resolved_refs(state: State) -> dict[str, Resolution]:
    """Every case resolved now, by case_ref."""
    rows = state.query(
        "SELECT case_ref, reason, resolved_at FROM resolutions WHERE reopened_at IS NULL"
    )
    return {str(r[0]): Resolution(str(r[0]), str(r[1]), float(r[2])) for r in rows}


def audit(state: State, case_ref: str, channel: str, action: str, outcome: str, now: float) -> None:
    """Keep one non-personal line about what was done for ``case_ref``."""
    with state.transaction() as db:
        _audit(db, case_ref, channel, action, now, outcome)


def audit_log(state: State, case_ref: str) -> list[tuple[float, str, str, str]]:
    """``(at, channel, action, outcome)`` for ``case_ref``, oldest first."""
    rows = state.query(
        "SELECT at, channel, action, outcome FROM audit WHERE case_ref = ? ORDER BY id",
        (case_ref,),
    )
    return [(float(a), str(c), str(x), str(o)) for a, c, x, o in rows]


def _audit(db: sqlite3.Connection, ref: str, channel: str, action: str, at: float, outcome: str
           ) -> None:  # fmt: skip
    db.execute(
        "INSERT INTO audit (case_ref, channel, action, at, outcome) VALUES (?, ?, ?, ?, ?)",
        (ref, channel, action, at, outcome),
    )
