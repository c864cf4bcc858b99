"""The state database: the one place that opens ``state_dir/state.db``.

SQLite in WAL mode with ``synchronous=FULL`` (a committed change survives a power cut), a
``schema_version`` table, and migrations as a list of SQL scripts applied in order, each in its
own transaction. Every change is one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``), so two
processes on one database never interleave half-changes.

It holds the ``publications`` table (what was published where, for a later ``Cancel``), the
``approvals`` table (which rendition digests a person approved), the delivery ledger
(``campaign.ledger``: deliveries, their items and events, suppressions) and resolutions. Of a
case it stores the opaque ``case_ref`` — never a name or any private field; the ``case_id``
appears only inside the ledger's rendition paths (``<case_id>/<locale>/…`` of a build folder)
and is scrubbed when the case is purged. Of a recipient, the address (and display name) the
ledger needs to send and to withdraw.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from campaign.config import Config
from campaign.errors import ConfigError

FILE_NAME = "state.db"
BUSY_TIMEOUT_MS = 10_000

# Append only: a released migration is never edited; a change is a new script at the end.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE publications (
        id INTEGER PRIMARY KEY,
        case_ref TEXT NOT NULL,
        kind TEXT NOT NULL,              -- 'cap'
        sender TEXT NOT NULL,
        identifier TEXT NOT NULL UNIQUE,
        sent TEXT NOT NULL,              -- ISO 8601 with an explicit offset
        locales TEXT NOT NULL,           -- BCP 47 tags, space-separated
        msg_type TEXT NOT NULL,          -- Alert, Update, Cancel
        msg_references TEXT NOT NULL,    -- CAP references: 'sender,identifier,sent' joined by ' '
        digest TEXT NOT NULL             -- sha256 of the content, to tell an Update from a re-run
    );
    CREATE INDEX publications_by_case ON publications (case_ref, kind, id);
    """,
    """
    CREATE TABLE approvals (
        id INTEGER PRIMARY KEY,
        case_ref TEXT NOT NULL,
        locale TEXT NOT NULL,            -- BCP 47 tag ('mul' for a case's alert files)
        format TEXT NOT NULL,
        sha256 TEXT NOT NULL,            -- the digest of the approved rendition's bytes
        approved_by TEXT NOT NULL,
        approved_at TEXT NOT NULL,       -- ISO 8601 with an explicit offset
        UNIQUE (case_ref, locale, format, sha256)
    );
    """,
    """
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,        -- idempotency key: Message-ID, webhook-id, object name
        channel TEXT NOT NULL,           -- the config table that sends it: 'lists.weekly'
        kind TEXT NOT NULL,              -- email | pack | notice
        recipient TEXT NOT NULL,         -- an e-mail address, or a partner or vendor name
        recipient_name TEXT NOT NULL DEFAULT '',
        locale TEXT NOT NULL,            -- BCP 47: the language of the message
        build_dir TEXT NOT NULL,         -- the build folder the items' files are in
        status TEXT NOT NULL,            -- see campaign.ledger.Status
        priority INTEGER NOT NULL DEFAULT 10,  -- lower goes first (withdrawals jump the queue)
        attempts INTEGER NOT NULL DEFAULT 0,
        uncertain INTEGER NOT NULL DEFAULT 0,  -- an attempt's outcome is unknown: it may be there
        created REAL NOT NULL,           -- Unix time (UTC seconds), here and below
        first_attempt REAL,
        next_attempt REAL NOT NULL,
        lease_until REAL,
        claimed_by TEXT,
        updated REAL NOT NULL,
        remote_id TEXT,
        detail TEXT NOT NULL DEFAULT '',
        evidence TEXT NOT NULL DEFAULT '{}'  -- JSON from the receipt: version ids, status codes
    );
    CREATE INDEX deliveries_due ON deliveries (status, priority, next_attempt);
    CREATE INDEX deliveries_by_recipient ON deliveries (recipient, kind);
    CREATE TABLE delivery_items (
        delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
        case_ref TEXT NOT NULL,
        locale TEXT NOT NULL,
        format TEXT NOT NULL,
        path TEXT NOT NULL,              -- relative to the delivery's build_dir
        sha256 TEXT NOT NULL             -- the rendition version this delivery carries
    );
    CREATE INDEX delivery_items_by_delivery ON delivery_items (delivery_id);
    CREATE INDEX delivery_items_by_case ON delivery_items (case_ref);
    CREATE TABLE delivery_events (
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
        at REAL NOT NULL,
        status TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX delivery_events_by_delivery ON delivery_events (delivery_id);
    CREATE TABLE suppressions (
        address TEXT PRIMARY KEY,        -- normalised e-mail address, or 'partner:NAME'
        reason TEXT NOT NULL,            -- bounce, complaint, unsubscribe, manual
        source TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE TABLE resolutions (
        id INTEGER PRIMARY KEY,
        case_ref TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT 'other',  -- found, withdrawn, other (never published)
        resolved_at REAL NOT NULL,
        reopened_at REAL                 -- set by an explicit re-open; NULL while resolved
    );
    CREATE UNIQUE INDEX resolutions_open ON resolutions (case_ref) WHERE reopened_at IS NULL;
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        case_ref TEXT NOT NULL,
        channel TEXT NOT NULL,           -- a channel table, or 'local', 'cap', 'person'
        action TEXT NOT NULL,
        at REAL NOT NULL,
        outcome TEXT NOT NULL            -- non-personal: no names, no addresses
    );
    CREATE INDEX audit_by_case ON audit (case_ref, id);
    """,
)


@dataclass(frozen=True)
class Publication:
    """One published document (a CAP message) as the state database keeps it."""

    case_ref: str
    kind: str
    sender: str
    identifier: str
    sent: dt.datetime  # timezone-aware
    locales: tuple[str, ...]
    msg_type: str
    references: tuple[str, ...] = ()
    digest: str = ""

    @property
    def reference(self) -> str:
        """This publication as CAP ``references`` name it: ``sender,identifier,sent``."""
        return f"{self.sender},{self.identifier},{self.sent.isoformat()}"


class State:
    """An open state database. Use as a context manager, or call :meth:`close`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    def __enter__(self) -> State:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One change: ``BEGIN IMMEDIATE`` (takes the write lock now), then commit or roll back."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query (outside any transaction: a consistent WAL snapshot)."""
        return list(self._db.execute(sql, params))

    def schema_version(self) -> int:
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0])

    def journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def integrity_check(self) -> str:
        """``"ok"`` when SQLite finds nothing wrong."""
        return "; ".join(str(row[0]) for row in self._db.execute("PRAGMA integrity_check"))

    def record_publication(self, publication: Publication) -> None:
        """Keep ``publication`` (one transaction); its identifier must be new."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO publications (case_ref, kind, sender, identifier, sent, locales, "
                "msg_type, msg_references, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _row(publication),
            )

    def publications(self, case_ref: str, kind: str) -> list[Publication]:
        """Every publication of ``kind`` for ``case_ref``, oldest first."""
        rows = self._db.execute(
            "SELECT case_ref, kind, sender, identifier, sent, locales, msg_type, msg_references, "
            "digest FROM publications WHERE case_ref = ? AND kind = ? ORDER BY id",
            (case_ref, kind),
        )
        return [_publication(row) for row in rows]

    def latest_publication(self, case_ref: str, kind: str) -> Publication | None:
        """The most recent publication of ``kind`` for ``case_ref``, if any."""
        found = self.publications(case_ref, kind)
        return found[-1] if found else None

    def record_approvals(self, approvals: Sequence[Approval]) -> int:
        """Keep ``approvals`` (one transaction); one already kept for the same rendition digest
        is left as it was. Returns how many were new."""
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO approvals (case_ref, locale, format, sha256, approved_by, "
                "approved_at) VALUES (?, ?, ?, ?, ?, ?)",
                [_approval_row(item) for item in approvals],
            )
            return db.total_changes - before

    def approval(self, case_ref: str, locale: str, fmt: str, sha256: str) -> Approval | None:
        """The approval of exactly this rendition digest, if a person gave one."""
        row = self._db.execute(
            "SELECT case_ref, locale, format, sha256, approved_by, approved_at FROM approvals "
            "WHERE case_ref = ? AND locale = ? AND format = ? AND sha256 = ?",
            (case_ref, locale, fmt, sha256),
        ).fetchone()
        if row is None:
            return None
        ref, locale, fmt, digest, by, at = row
        return Approval(ref, locale, fmt, digest, by, dt.datetime.fromisoformat(at))


@dataclass(frozen=True)
class Approval:
    """A person's approval of one rendition digest (``case_ref``, never the ``case_id``)."""

    case_ref: str
    locale: str
    format: str
    sha256: str
    approved_by: str
    approved_at: dt.datetime  # timezone-aware


def _approval_row(item: Approval) -> tuple[str, ...]:
    if item.approved_at.utcoffset() is None:
        raise ValueError("an approval's time needs an explicit offset")
    return (
        item.case_ref,
        item.locale,
        item.format,
        item.sha256,
        item.approved_by,
        item.approved_at.isoformat(),
    )


def _row(item: Publication) -> tuple[str, ...]:
    if item.sent.utcoffset() is None:
        raise ValueError("a publication's sent time needs an explicit offset")
    return (
        item.case_ref,
        item.kind,
        item.sender,
        item.identifier,
        item.sent.isoformat(),
        " ".join(item.locales),
        item.msg_type,
        " ".join(item.references),
        item.digest,
    )


def _publication(row: Sequence[str]) -> Publication:
    case_ref, kind, sender, identifier, sent, locales, msg_type, references, digest = row
    return Publication(
        case_ref=case_ref,
        kind=kind,
        sender=sender,
        identifier=identifier,
        sent=dt.datetime.fromisoformat(sent),
        locales=tuple(locales.split()),
        msg_type=msg_type,
        references=tuple(references.split()),
        digest=digest,
    )


def state_path(config: Config) -> Path:
    """Where the campaign's state database lives."""
    return config.state_dir / FILE_NAME


def open_state(config: Config) -> State:
    """Open (creating and migrating when needed) the campaign's state database."""
    return open_state_at(state_path(config))


def open_state_at(path: Path, migrations: Sequence[str] = MIGRATIONS) -> State:
    """Open the state database at ``path``: WAL, ``synchronous=FULL``, migrated to the latest."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except (OSError, sqlite3.Error) as err:
        raise ConfigError(f"{path}: cannot open the state database: {err}") from None
    state = State(connection, path)
    try:
        _configure(connection)
        migrate(state, migrations)
    except sqlite3.Error as err:
        state.close()
        raise ConfigError(f"{path}: the state database cannot be used: {err}") from None
    return state


def _configure(db: sqlite3.Connection) -> None:
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.OperationalError(f"WAL journal mode refused (got {mode})")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")


def migrate(state: State, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Apply the migrations the database lacks, each in its own transaction; return the version.

    Idempotent, and safe with several processes: the version is re-read under the write lock.
    """
    with state.transaction() as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"
        )
        db.execute("INSERT OR IGNORE INTO schema_version (id, version) VALUES (1, 0)")
    for number, script in enumerate(migrations, start=1):
        with state.transaction() as db:
            if state.schema_version() >= number:
                continue
            for statement in statements(script):
                db.execute(statement)
            db.execute("UPDATE schema_version SET version = ? WHERE id = 1", (number,))
    return state.schema_version()


def statements(script: str) -> list[str]:
    """A script's statements, split where SQLite says a statement is complete (so a ``;``
    inside a string literal or a trigger body does not split it)."""
    found: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _has_code(buffer):
                found.append(buffer.strip())
            buffer = ""
    return found


def _has_code(statement: str) -> bool:
    lines = (line.split("--", 1)[0].strip() for line in statement.splitlines())
    return any(line and line != ";" for line in lines)
