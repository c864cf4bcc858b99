"""Webhook bodies we send and the check a partner runs on them (Standard Webhooks, HMAC-SHA256).

:func:`event_body` makes the canonical JSON body of one event; :func:`verify_webhook` is the
receiver's side. ``verify_webhook`` and :class:`WebhookVerificationError` use only the standard
library and nothing else from this package, so a partner may copy the two (with the imports
below) into their own code; the tests check them against the ``standardwebhooks`` package.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_EVENT_TYPE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class WebhookVerificationError(ValueError):
    """The request is not a genuine, fresh webhook: say 400/401 and do not act on it."""


def verify_webhook(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    tolerance_s: int = 300,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The parsed JSON object of a webhook, once its signature and timestamp check out.

    ``body`` is the raw request body (before any JSON parsing); ``headers`` the request headers
    (any case); ``secret`` the endpoint's ``whsec_…`` signing secret. At least one ``v1,…`` entry
    of the space-separated ``webhook-signature`` header must be the HMAC-SHA256, under the
    base64-decoded secret, of ``{webhook-id}.{webhook-timestamp}.{body}``, and the timestamp
    must be within ``tolerance_s`` seconds of ``now`` (default: the current time; a naive
    ``now`` is read as UTC), in the past or the future. De-duplicate on ``webhook-id``: a retry
    carries the same id and body with a new timestamp and signature.

    Raises :class:`WebhookVerificationError` otherwise. Copyable: needs only the standard
    library (``base64``, ``binascii``, ``hashlib``, ``hmac``, ``json``, ``re``, ``datetime``).
    """
    lower = {name.lower(): value for name, value in headers.items()}
    msg_id = lower.get("webhook-id", "")
    stamp = lower.get("webhook-timestamp", "").strip()
    signatures = lower.get("webhook-signature", "")
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or signature")
    if not _TIMESTAMP.fullmatch(stamp):
        raise WebhookVerificationError("webhook-timestamp is not a whole number of seconds")
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    age = moment.timestamp() - int(stamp)
    if age > tolerance_s:
        raise WebhookVerificationError("webhook-timestamp is too old")
    if age < -tolerance_s:
        raise WebhookVerificationError("webhook-timestamp is too far in the future")
    key = secret[len("whsec_") :] if secret.startswith("whsec_") else secret
    try:
        key_bytes = base64.b64decode(key + "=" * (-len(key) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("the secret is not base64 (whsec_…)") from None
    if not key_bytes:
        raise WebhookVerificationError("the secret is empty")
    signed = msg_id.encode() + b"." + stamp.encode() + b"." + body
    expected = hmac.new(key_bytes, signed, hashlib.sha256).digest()
    if not any(hmac.compare_digest(expected, given) for given in _v1_signatures(signatures)):
        raise WebhookVerificationError("no matching signature")
    try:
        payload = json.loads(body.decode("utf-8"))
    except ValueError:
        raise WebhookVerificationError("the body is not UTF-8 JSON") from None
    if not isinstance(payload, dict):
        raise WebhookVerificationError("the body is not a JSON object")
    return payload


def _v1_signatures(header: str) -> list[bytes]:
    """The decoded ``v1,<base64>`` entries of a signature header; other entries are skipped."""
    found = []
    for entry in header.split():
        version, _, value = entry.partition(",")
        if version != "v1":
            continue
        try:
            found.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


def event_body(event_type: str, timestamp: datetime, data: Mapping[str, Any]) -> bytes:
    """The canonical JSON body ``{"data", "timestamp", "type"}`` of one event: sorted keys, no
    spaces, UTF-8, the (timezone-aware) event time as ISO 8601 UTC with a ``Z``. The same
    arguments always give the same bytes, so a retry sends exactly what was first signed."""
    if not _EVENT_TYPE.fullmatch(event_type):
        raise ValueError(
            f"event type {event_type!r} is not dot-separated words, e.g. case.withdrawn"
        )
    if timestamp.tzinfo is None:
        raise ValueError("the event timestamp must be timezone-aware")
    moment = timestamp.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    stamp = moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
    document = {"type": event_type, "timestamp": stamp, "data": dict(data)}
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")
