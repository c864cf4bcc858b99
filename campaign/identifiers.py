"""The public, opaque ``case_ref``: derived from ``case_id`` with the campaign's secret."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

# Crockford's base32: no I, L, O or U, so a reference read aloud or copied by hand survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CASE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
CASE_REF_PATTERN = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
SECRET_FILE = "case-ref.key"  # noqa: S105 (a file name)


def case_ref(case_id: str, secret: bytes) -> str:
    """``K7Q2-9MXD``: 40 bits of HMAC-SHA256(secret, case_id) in Crockford base32."""
    digest = hmac.new(secret, case_id.encode("utf-8"), hashlib.sha256).digest()
    number = int.from_bytes(digest[:5], "big")
    chars = [_ALPHABET[(number >> shift) & 31] for shift in range(35, -1, -5)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def ref_secret(env_name: str, state_dir: Path, create: bool, file_name: str = SECRET_FILE) -> bytes:
    """A campaign secret: from the named environment variable, else the state folder's key file
    (``file_name``: the case_ref key by default; the unsubscribe-token key is another).

    With ``create`` a missing key file is made (random, mode 0600); without it a throwaway secret
    is returned (for commands such as ``validate`` that print no references).
    """
    from_env = os.environ.get(env_name, "")
    if from_env:
        return from_env.encode("utf-8")
    key_file = state_dir / file_name
    if key_file.is_file():
        return key_file.read_bytes().strip()
    if not create:
        return secrets.token_hex(32).encode("ascii")
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_hex(32).encode("ascii")
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(value + b"\n")
    return value
