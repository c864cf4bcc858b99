"""Unsubscribe tokens: ``base64url(list name + LF + address) . base64url(HMAC-SHA256)``.

The token carries what it unsubscribes, so the endpoint needs no lookup; the HMAC, keyed with
the campaign's unsubscribe secret, makes it unforgeable. Both halves use the URL-safe base64
alphabet without padding, so a token sits in a URL or a mailto subject unchanged."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from pathlib import Path

from campaign.audience import EmailSettings
from campaign.identifiers import ref_secret

SECRET_FILE = "unsubscribe.key"  # noqa: S105 (a file name)
MAX_TOKEN_CHARS = 1024
_DOMAIN = b"campaign-unsubscribe-v1\0"  # binds the MAC to this use of the secret
_PART = re.compile(r"[A-Za-z0-9_-]+")
_FORBIDDEN = ("\n", "\r", "\0")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not _PART.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN + payload, hashlib.sha256).digest()


def make_unsubscribe_token(secret: bytes, list_name: str, address: str) -> str:
    """A URL-safe token that unsubscribes ``address`` from ``list_name``."""
    if not secret:
        raise ValueError("the unsubscribe secret is empty")
    if any(c in value for value in (list_name, address) for c in _FORBIDDEN):
        raise ValueError("a list name or address holds a line break or NUL")
    payload = list_name.encode("utf-8") + b"\n" + address.encode("utf-8")
    token = _b64(payload) + "." + _b64(_mac(secret, payload))
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError("the address is too long for an unsubscribe token")
    return token


def verify_unsubscribe_token(token: str, secret: bytes) -> tuple[str, str] | None:
    """``(list name, address)`` of a genuine token; None for anything forged or garbled."""
    if not secret or not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    body, dot, signature = token.partition(".")
    if not dot:
        return None
    try:
        payload, mac = _unb64(body), _unb64(signature)
    except (ValueError, binascii.Error):
        return None
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    try:
        list_name, _, address = payload.decode("utf-8").partition("\n")
    except UnicodeDecodeError:
        return None
    if not list_name or "@" not in address or any(c in address for c in _FORBIDDEN):
        return None
    return list_name, address


def unsubscribe_secret(settings: EmailSettings, state_dir: Path, create: bool) -> bytes:
    """The unsubscribe-token secret: ``settings.unsubscribe_secret_env`` or the key file."""
    return ref_secret(settings.unsubscribe_secret_env, state_dir, create, file_name=SECRET_FILE)
