"""DKIM signatures (RFC 6376) with dkimpy: relaxed header, simple body canonicalization, over
the headers a receiver and a one-click unsubscriber rely on (RFC 8058 asks that
``List-Unsubscribe`` and ``List-Unsubscribe-Post`` be signed)."""

from __future__ import annotations

import dkim  # type: ignore[import-untyped]

from campaign.audience import DkimSettings
from campaign.errors import ConfigError

SIGNED_HEADERS = (
    b"from",
    b"to",
    b"reply-to",
    b"subject",
    b"date",
    b"message-id",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
)


def load_dkim_key(settings: DkimSettings) -> bytes:
    """The PEM private key of ``settings.key_file``; ConfigError naming the file otherwise."""
    try:
        return settings.key_file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{settings.key_file}: DKIM key file not found") from None
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ConfigError(f"{settings.key_file}: cannot read the DKIM key: {reason}") from None


def sign(message: bytes, settings: DkimSettings, key: bytes) -> bytes:
    """``message`` with a ``DKIM-Signature`` header prepended."""
    try:
        header = dkim.sign(
            message,
            settings.selector.encode("ascii"),
            settings.domain.encode("ascii"),
            key,
            include_headers=list(SIGNED_HEADERS),
            canonicalize=(b"relaxed", b"simple"),
            linesep=b"\r\n",
        )
    except (dkim.DKIMException, UnicodeEncodeError) as err:
        # The message names the key file, never the key.
        kind = type(err).__name__
        raise ConfigError(f"{settings.key_file}: cannot sign with this DKIM key ({kind})") from None
    if not isinstance(header, bytes) or not header.startswith(b"DKIM-Signature:"):
        raise ConfigError(f"{settings.key_file}: DKIM signing produced no signature")
    return header + message
