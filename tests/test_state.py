"""The state database: migrations, durability settings, transactions, publications."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from campaign.config import Config
from campaign.errors import ConfigError
from campaign.state import (
    MIGRATIONS,
    Publication,
    migrate,
    open_state,
    open_state_at,
    state_path,
    statements,
)

SENT = dt.datetime(2026, 11, 28, 12, 0, 0, tzinfo=dt.UTC)


def publication(
    identifier: str = "example.org.AAAA-BBBB.20261128T120000Z", **changes: object
) -> Publication:
    values: dict[str, object] = {
        "case_ref": "AAAA-BBBB",
        "kind": "cap",
        "sender": "alerts@example.org",
        "identifier": identifier,
        "sent": SENT,
        "locales": ("en", "es"),
        "msg_type": "Alert",
        "references": (),
        "digest": "d1",
        **changes,
    }
    return Publication(**values)  # type: ignore[arg-type]


def test_open_state_uses_the_config_state_dir(tmp_path: Path) -> None:
    config = Config(state_dir=tmp_path / "state")
    with open_state(config) as state:
        assert state.path == tmp_path / "state" / "state.db" == state_path(config)
        assert state.schema_version() == len(MIGRATIONS)
    assert (tmp_path / "state" / "state.db").stat().st_mode & 0o077 == 0


def test_wal_full_sync_and_integrity(tmp_path: Path) -> None:
    with open_state_at(tmp_path / "state.db") as state:
        assert state.journal_mode() == "wal"
        db = sqlite3.connect(tmp_path / "state.db")
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
        db.close()
        assert state.integrity_check() == "ok"
        assert state._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_state_at(path) as state:
        state.record_publication(publication())
        assert migrate(state) == len(MIGRATIONS)
        assert migrate(state) == len(MIGRATIONS)
    with open_state_at(path) as again:  # reopening migrates nothing and keeps the rows
        assert again.schema_version() == len(MIGRATIONS)
        assert len(again.publications("AAAA-BBBB", "cap")) == 1
        tables = again._db.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'publications'"
        ).fetchone()
        assert tables == (1,)


def test_later_migrations_apply_in_order_one_transaction_each(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    extra = (*MIGRATIONS, "CREATE TABLE later (x TEXT); INSERT INTO later VALUES ('a;b');")
    with open_state_at(path) as state:
        assert state.schema_version() == len(MIGRATIONS)
    with open_state_at(path, extra) as state:
        assert state.schema_version() == len(extra)
        assert state._db.execute("SELECT x FROM later").fetchall() == [("a;b",)]
    broken = (*extra, "CREATE TABLE half (x TEXT); CREATE TABLE half (y TEXT);")
    with pytest.raises(ConfigError, match="cannot be used"):
        open_state_at(path, broken)
    with open_state_at(path, extra) as state:  # the failed migration left nothing behind
        assert state.schema_version() == len(extra)
        found = state._db.execute("SELECT name FROM sqlite_master WHERE name = 'half'")
        assert found.fetchall() == []


def test_statements_split_where_sqlite_says() -> None:
    script = """
        -- a comment; with a semicolon
        CREATE TABLE t (x TEXT);
        INSERT INTO t VALUES ('a;b');
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END;
    """
    found = statements(script)
    assert len(found) == 3
    assert found[1].endswith("VALUES ('a;b');")
    assert found[2].startswith("CREATE TRIGGER") and found[2].endswith("END;")


def test_two_connections_see_each_others_commits(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_state_at(path) as first, open_state_at(path) as second:
        assert second.latest_publication("AAAA-BBBB", "cap") is None
        first.record_publication(publication())
        seen = second.latest_publication("AAAA-BBBB", "cap")
        assert seen == publication()
        second.record_publication(
            publication("example.org.AAAA-BBBB.20261128T120001Z", msg_type="Update")
        )
        assert [p.msg_type for p in first.publications("AAAA-BBBB", "cap")] == [
            "Alert",
            "Update",
        ]


def test_a_failed_change_is_rolled_back_whole(tmp_path: Path) -> None:
    with open_state_at(tmp_path / "state.db") as state:
        state.record_publication(publication())
        with pytest.raises(sqlite3.IntegrityError):
            state.record_publication(publication())  # the identifier must be new
        with pytest.raises(RuntimeError), state.transaction() as db:
            db.execute("DELETE FROM publications")
            raise RuntimeError("interrupted")
        assert len(state.publications("AAAA-BBBB", "cap")) == 1
        assert not state._db.in_transaction


def test_publications_round_trip_with_offset_and_references(tmp_path: Path) -> None:
    item = publication(
        msg_type="Cancel",
        references=("alerts@example.org,x.AAAA-BBBB.1,2026-11-28T12:00:00+00:00",),
        sent=dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
    )
    with open_state_at(tmp_path / "state.db") as state:
        state.record_publication(item)
        back = state.latest_publication("AAAA-BBBB", "cap")
        raw = state._db.execute("SELECT sent FROM publications").fetchone()[0]
    assert back == item
    assert raw == "2026-11-28T09:00:00-03:00"
    assert item.reference == (
        "alerts@example.org,example.org.AAAA-BBBB.20261128T120000Z,2026-11-28T09:00:00-03:00"
    )
    with open_state_at(tmp_path / "other.db") as other, pytest.raises(ValueError, match="offset"):
        other.record_publication(publication(sent=dt.datetime(2026, 11, 28)))


def test_only_opaque_references_are_stored(tmp_path: Path) -> None:
    with open_state_at(tmp_path / "state.db") as state:
        columns = [row[1] for row in state._db.execute("PRAGMA table_info(publications)")]
    assert "case_ref" in columns
    assert not {"case_id", "name", "given_name", "family_name"} & set(columns)


def test_an_unusable_path_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="state database"):
        open_state_at(blocker / "state.db")
