"""Unsubscribe tokens: round trips, forgeries, and where the secret comes from."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from campaign.audience import EmailSettings
from campaign.mail.tokens import (
    make_unsubscribe_token,
    unsubscribe_secret,
    verify_unsubscribe_token,
)

SECRET = b"0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("list_name", "address"),
    [("appeals-mx", "ana@example.com"), ("l", "josé.núñez@exämple.org"), ("a_b", "a+b@x.io")],
)
def test_round_trip_and_url_safe(list_name: str, address: str) -> None:
    token = make_unsubscribe_token(SECRET, list_name, address)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    assert verify_unsubscribe_token(token, SECRET) == (list_name, address)


def test_same_inputs_same_token() -> None:
    assert make_unsubscribe_token(SECRET, "l", "a@b.c") == make_unsubscribe_token(
        SECRET, "l", "a@b.c"
    )


def test_another_secret_does_not_verify() -> None:
    token = make_unsubscribe_token(SECRET, "appeals-mx", "ana@example.com")
    assert verify_unsubscribe_token(token, b"another secret") is None
    assert verify_unsubscribe_token(token, b"") is None


def test_a_token_for_another_address_cannot_be_made_from_one() -> None:
    token = make_unsubscribe_token(SECRET, "appeals-mx", "ana@example.com")
    other = make_unsubscribe_token(SECRET, "appeals-mx", "bob@example.com")
    spliced = other.split(".")[0] + "." + token.split(".")[1]
    assert verify_unsubscribe_token(spliced, SECRET) is None


@pytest.mark.parametrize(
    "garbled",
    ["", ".", "abc", "abc.", ".abc", "a.b.c", "YQ.===", "YQ.!!", "é.é", "x" * 5000, "YQ\n.YQ"],
)
def test_garbled_tokens_are_refused(garbled: str) -> None:
    assert verify_unsubscribe_token(garbled, SECRET) is None


def test_changing_one_character_breaks_it() -> None:
    token = make_unsubscribe_token(SECRET, "appeals-mx", "ana@example.com")
    for index in (0, len(token) // 2, len(token) - 1):
        flipped = "A" if token[index] != "A" else "B"
        assert (
            verify_unsubscribe_token(token[:index] + flipped + token[index + 1 :], SECRET) is None
        )


def test_line_breaks_are_refused() -> None:
    with pytest.raises(ValueError):
        make_unsubscribe_token(SECRET, "l", "a@b.c\r\nBcc: x@y.z")
    with pytest.raises(ValueError):
        make_unsubscribe_token(b"", "l", "a@b.c")


def test_secret_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_UNSUB_SECRET", "from-env")
    settings = EmailSettings(unsubscribe_secret_env="MY_UNSUB_SECRET")
    assert unsubscribe_secret(settings, tmp_path, create=True) == b"from-env"
    assert not (tmp_path / "unsubscribe.key").exists()


def test_secret_file_is_created_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAMPAIGN_UNSUBSCRIBE_SECRET", raising=False)
    state = tmp_path / "state"
    first = unsubscribe_secret(EmailSettings(), state, create=True)
    key_file = state / "unsubscribe.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert unsubscribe_secret(EmailSettings(), state, create=True) == first
    assert unsubscribe_secret(EmailSettings(), state, create=False) == first
