"""What the S3 channel needs besides the transfers: each object's Content-Type and
Cache-Control, and the sorting of botocore's errors into retry, halt, unknown outcome and
refusal."""

from __future__ import annotations

import base64
import datetime as dt
import mimetypes
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from campaign.channels.base import ChannelError, retry_after_seconds
from campaign.s3store import _code

MANIFEST = "manifest.json"
# Names whose content changes in place: caches must ask every time.
MUTABLE = frozenset({"feed.json", "feed.atom", MANIFEST, "widget.js"})
NO_CACHE = "no-cache"
# Content-addressed files (a digest in the name): a changed picture gets a new name.
IMMUTABLE = "public, max-age=31536000, immutable"
_DIGEST_NAME = re.compile(r"(?<![0-9a-f])[0-9a-f]{16,}(?![0-9a-f])")
_TYPES = {
    ".json": "application/json",
    ".atom": "application/atom+xml",
    ".js": "text/javascript",
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".zip": "application/zip",
}
_TEXT = {"application/json", "application/atom+xml", "application/xml", "image/svg+xml"}
_THROTTLED = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequests",
    "RequestThrottled",
    "ServiceUnavailable",
    "InternalError",
    "RequestTimeout",
    "OperationAborted",
}
# The receiver refused these bytes as damaged: the retry sends the right bytes again.
_DIGEST = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"}
# Every call would fail the same way until a person fixes the bucket, region or credentials.
HALT = {
    "NoSuchBucket",
    "AccessDenied",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "AccountProblem",
    "InvalidBucketName",
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
}


def content_type(name: str) -> str:
    """The Content-Type of a file called ``name`` (utf-8 for text)."""
    ext = posixpath.splitext(name)[1].lower()
    media = _TYPES.get(ext)
    if media is None:
        media = mimetypes.guess_type(name, strict=True)[0] or "application/octet-stream"
    if media.startswith("text/") or media in _TEXT:
        return f"{media}; charset=utf-8"
    return media


def cache_control(name: str) -> str:
    """A long max-age only for content-addressed names (a hex digest of 16+ digits in the file
    name): those never change. Anything else may change in place or be withdrawn — feeds,
    ``manifest.json``, ``widget.js``, ``*.html``, and the pack's ``<case>/<locale>/<format>``
    renditions — and gets ``no-cache``, so a cache asks S3 each time and an updated photo or a
    withdrawn one is not served from a cache for a year."""
    base = posixpath.basename(name).lower()
    if base in MUTABLE or base.endswith((".html", ".htm")):
        return NO_CACHE
    return IMMUTABLE if _DIGEST_NAME.search(base) else NO_CACHE


def classify(
    err: Exception, errors: Any, where: str, now: dt.datetime, sent: bool = False
) -> ChannelError:
    """The ChannelError for one botocore error (``errors``: botocore.exceptions) at ``where``
    (``sent``: a PUT whose request may have reached S3)."""
    if isinstance(err, errors.ReadTimeoutError | errors.ConnectionClosedError):
        return ChannelError(
            f"{where}: the response was lost"
            + (", the object may have been stored" if sent else "")
            + f": {type(err).__name__}",
            retryable=True,
            unknown_outcome=sent,
            halt=isinstance(err, errors.ReadTimeoutError),
        )
    if isinstance(err, errors.ConnectionError | errors.NoCredentialsError):
        return ChannelError(f"{where}: {err}", retryable=True, halt=True)
    if isinstance(err, errors.FlexibleChecksumError):
        return ChannelError(f"{where}: checksum mismatch: {err}", retryable=True)
    if not isinstance(err, errors.ClientError):
        return ChannelError(f"{where}: {type(err).__name__}: {err}", retryable=True)
    error = err.response.get("Error", {})
    meta = err.response.get("ResponseMetadata", {})
    code = _code(err)
    status = int(meta.get("HTTPStatusCode", 0) or 0)
    message = str(error.get("Message") or "")
    response = f"{status} {code}" + (f": {message}" if message else "")
    retry_after = retry_after_seconds(meta.get("HTTPHeaders", {}).get("retry-after"), now)
    if code in HALT or (code in ("403", "Forbidden") and status == 403):
        return ChannelError(
            f"{where}: {response}",
            retryable=True,
            halt=True,
            response=response,
            retry_after=retry_after,
        )
    if code in _DIGEST:
        return ChannelError(
            f"{where}: the bytes arrived damaged (checksum mismatch), will send them "
            f"again: {response}",
            retryable=True,
            response=response,
        )
    if code in _THROTTLED or status >= 500 or status in (408, 429):
        return ChannelError(
            f"{where}: deferred: {response}",
            retryable=True,
            retry_after=retry_after,
            response=response,
        )
    return ChannelError(f"{where}: refused: {response}", retryable=False, response=response)


def same_bytes(head: dict[str, Any], hexdigest: str) -> bool:
    """Whether a HEAD shows these bytes: the ``sha256`` metadata equal, and the stored SHA-256
    checksum (when S3 has a whole-object one) agreeing."""
    if head.get("Metadata", {}).get("sha256") != hexdigest:
        return False
    checksum = head.get("ChecksumSHA256")
    if isinstance(checksum, str) and "-" not in checksum:
        try:
            return base64.b64decode(checksum, validate=True).hex() == hexdigest
        except ValueError:
            return False
    return True


def version_entries(page: dict[str, Any]) -> Iterable[tuple[dict[str, Any], bool]]:
    for entry in page.get("Versions", []) or []:
        yield entry, False
    for entry in page.get("DeleteMarkers", []) or []:
        yield entry, True


def comparable_rule(rule: dict[str, Any]) -> tuple[Any, ...]:
    """A CORS rule without its ID, in an order-free form."""
    return (
        sorted(rule.get("AllowedMethods", [])),
        sorted(rule.get("AllowedOrigins", [])),
        sorted(rule.get("AllowedHeaders", [])),
        sorted(rule.get("ExposeHeaders", [])),
        rule.get("MaxAgeSeconds"),
    )


@dataclass(frozen=True)
class ObjectVersion:
    """One version (or delete marker) of an object."""

    key: str
    version_id: str
    latest: bool
    marker: bool
