"""DKIM: compose() signs, dkimpy verifies, the unsubscribe headers are covered."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import dkim  # type: ignore[import-untyped]
import pytest

from campaign.audience import DkimSettings
from campaign.errors import ConfigError
from campaign.mail.compose import compose
from campaign.mail.dkimsign import load_dkim_key, sign
from tests.dkimkeys import dkim_keys
from tests.mail.test_compose import SECRET, SETTINGS, digest, entry, parse, poster


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    """A PEM private key and the DNS TXT record of its public key."""
    return dkim_keys()


def dns(record: bytes) -> object:
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"mail2026._domainkey.example.org." else None

    return lookup


def signed(tmp_path: Path, pem: bytes) -> bytes:
    settings = replace(SETTINGS, dkim=DkimSettings("mail2026", "example.org", tmp_path / "k.pem"))
    return compose(digest((entry(poster=poster()),)), settings, "Red Ejemplo", SECRET, pem)


def test_signed_message_verifies(tmp_path: Path, keys: tuple[bytes, bytes]) -> None:
    pem, record = keys
    message = signed(tmp_path, pem)
    assert message.startswith(b"DKIM-Signature:")
    assert dkim.verify(message, dnsfunc=dns(record)) is True
    assert parse(message)["Message-ID"] == "<dg-0001@example.org>"
    assert signed(tmp_path, pem) == message  # RSA PKCS#1 v1.5 signatures are deterministic


def test_signature_covers_the_unsubscribe_headers(
    tmp_path: Path, keys: tuple[bytes, bytes]
) -> None:
    header = signed(tmp_path, keys[0]).split(b"\r\n\r\n", 1)[0].decode("ascii")
    signature = header.split("DKIM-Signature:", 1)[1].split("\r\nFrom:", 1)[0]
    found = re.search(r"\bh=([^;]+);", re.sub(r"\s+", "", signature))
    assert found is not None
    signed_headers = found.group(1).lower().split(":")
    for name in ("from", "to", "subject", "list-unsubscribe", "list-unsubscribe-post"):
        assert name in signed_headers
    assert "c=relaxed/simple" in re.sub(r"\s+", "", signature)


def test_a_changed_message_fails(tmp_path: Path, keys: tuple[bytes, bytes]) -> None:
    pem, record = keys
    message = signed(tmp_path, pem)
    tampered = message.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"X-A: b")
    assert tampered != message
    assert dkim.verify(tampered, dnsfunc=dns(record)) is False


def test_no_signature_without_key_or_settings(tmp_path: Path, keys: tuple[bytes, bytes]) -> None:
    assert not compose(digest(), SETTINGS, "Red", SECRET, keys[0]).startswith(b"DKIM")
    settings = replace(SETTINGS, dkim=DkimSettings("s", "example.org", tmp_path / "k.pem"))
    assert not compose(digest(), settings, "Red", SECRET).startswith(b"DKIM")


def test_load_dkim_key(tmp_path: Path, keys: tuple[bytes, bytes]) -> None:
    key_file = tmp_path / "dkim.pem"
    settings = DkimSettings("s", "example.org", key_file)
    with pytest.raises(ConfigError, match=re.escape(str(key_file))):
        load_dkim_key(settings)
    key_file.write_bytes(keys[0])
    assert load_dkim_key(settings) == keys[0]


def test_a_bad_key_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    settings = DkimSettings("s", "example.org", tmp_path / "dkim.pem")
    with pytest.raises(ConfigError, match="dkim.pem") as caught:
        sign(b"From: a@example.org\r\n\r\nbody\r\n", settings, b"not a key at all")
    assert "not a key" not in str(caught.value)
