"""Partner buckets (``s3://BUCKET/PREFIX``, extra ``s3``): packs kept in sync, print jobs dropped
into folders, and every version of withdrawn files deleted.

Key layout (``PREFIX`` may be empty: then the whole bucket is the recipient's)::

    PREFIX/<name>             kind "pack": the files of the pack, exactly; nothing else stays
    PREFIX/<job key>/<name>   kind "print": one folder per print job (never deleted here)

Every key is built from the relative names the pack gives (opaque ids, never a person's name)
and checked to stay under ``PREFIX/``: no ``..``, no leading ``/``, no empty part, no ``\\``
or NUL.

Each put carries a SHA-256 integrity checksum (``ChecksumSHA256``, so S3 refuses bytes that
changed on the way) and the hex digest in the ``sha256`` metadata; Content-Type and
Cache-Control come from the name (``s3support.py``).

Versioning (partner buckets usually have it on): a re-send of identical bytes is a HEAD that
finds the same ``sha256`` and puts nothing, so no new version appears. After a key is replaced,
its older versions (and any delete markers) are deleted, so an old photo cannot be read by
version id. A key under the prefix that the pack no longer lists loses EVERY version and delete
marker (a plain delete on a versioned bucket would only add a marker and keep the bytes).
``withdraw_keys`` does the same for named files (on an unversioned bucket too).

One client per run; botocore's own retries are off (one attempt) so a lost response is never
silently re-sent: the send loop's schedule retries, and a timeout after a PUT was sent is an
``unknown_outcome``. ``open`` also sets the bucket's CORS rule (GET/HEAD from
``cors_origins``) so partner pages can read the feeds and the widget; it replaces the whole
CORS configuration of the bucket, which belongs to this channel. ``withdraw_keys`` does not need
that rule: a withdrawal never waits on a CORS permission."""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from campaign.channels.base import (
    BaseChannel,
    ChannelError,
    Outcome,
    Outgoing,
    Receipt,
    plain_relative,
)
from campaign.channels.s3support import (
    HALT,
    MANIFEST,
    ObjectVersion,
    cache_control,
    classify,
    comparable_rule,
    content_type,
    same_bytes,
    version_entries,
)
from campaign.channels.settings import ChannelSettings
from campaign.clock import Clock
from campaign.errors import ConfigError
from campaign.s3store import _MISSING, _code, boto_module, botocore_config, named_credentials

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys


class S3Channel(BaseChannel):
    """Puts packs and print jobs into ``s3://BUCKET/PREFIX`` (see the module docstring)."""

    scheme = "s3"

    def __init__(self, settings: ChannelSettings, clock: Clock) -> None:
        super().__init__(settings, clock)
        parts = urlsplit(settings.url)
        self.bucket = parts.netloc
        if not _BUCKET.fullmatch(self.bucket) or parts.query or parts.fragment:
            raise ConfigError(
                f"channel {settings.url}: expected s3://BUCKET/PREFIX with a valid bucket name"
            )
        self.prefix = parts.path.strip("/")
        if self.prefix and any(p in ("", ".", "..") for p in self.prefix.split("/")):
            raise ConfigError(f"channel {settings.url}: the prefix has an empty, '.' or '..' part")
        self.region: str | None = settings.options.get("region")
        self.access_key_env: str | None = settings.options.get("access_key_env")
        if bool(self.access_key_env) != bool(settings.secret_env):
            raise ConfigError(
                f"channel {settings.url}: access_key_env and secret_env go together "
                "(or leave both out for boto3's own credentials)"
            )
        origins = settings.options.get("cors_origins", ["*"])
        if not origins or not all(isinstance(o, str) and o for o in origins):
            raise ConfigError(f"channel {settings.url}: cors_origins must be a list of origins")
        self.cors_origins: list[str] = list(origins)
        self._boto3 = boto_module("boto3", "s3:// channels")
        self._exceptions = boto_module("botocore.exceptions", "s3:// channels")
        self._client: Any = None
        self._cors_done = False

    def describe(self) -> str:
        where = f" via {self.settings.endpoint_url}" if self.settings.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/") + where

    def __repr__(self) -> str:
        return f"S3Channel({self.describe()})"

    # -- connection -----------------------------------------------------------------------

    def _connect(self) -> Any:
        """The run's S3 client (made once); a ChannelError(halt) when it cannot be made."""
        if self._client is not None:
            return self._client
        try:
            self._client = self._make_client()
        except ConfigError as err:
            raise ChannelError(
                f"s3: cannot use {self.describe()}: {err}", retryable=True, halt=True
            ) from err
        return self._client

    def _make_client(self) -> Any:
        config = botocore_config("S3", 1, bool(self.settings.endpoint_url), self.settings.timeout_s)
        options: dict[str, Any] = {"config": config}
        if self.settings.endpoint_url:
            options["endpoint_url"] = self.settings.endpoint_url
        if self.region:
            options["region_name"] = self.region
        if self.access_key_env:
            secret = self.settings.secret
            options |= named_credentials(self.settings.url, self.access_key_env, secret)
        return self._boto3.session.Session().client("s3", **options)

    def open(self) -> None:
        """Make the client and ensure the bucket's CORS rule; ChannelError(halt) when either
        fails (a missing bucket, refused credentials or permission)."""
        client = self._connect()
        if self._cors_done:
            return
        wanted = {
            "AllowedMethods": ["GET", "HEAD"],
            "AllowedOrigins": list(self.cors_origins),
            "AllowedHeaders": ["*"],
            "MaxAgeSeconds": 3600,
        }
        try:
            try:
                rules = client.get_bucket_cors(Bucket=self.bucket).get("CORSRules", [])
            except self._exceptions.ClientError as err:
                if _code(err) != "NoSuchCORSConfiguration":
                    raise
                rules = []
            if [comparable_rule(rule) for rule in rules] != [comparable_rule(wanted)]:
                client.put_bucket_cors(
                    Bucket=self.bucket, CORSConfiguration={"CORSRules": [wanted]}
                )
        except (self._exceptions.BotoCoreError, self._exceptions.ClientError) as err:
            cause = self._classify(err, "set the CORS rule of")
            raise ChannelError(
                f"s3: cannot read or set the CORS rule of {self.describe()} (partner pages "
                "need GET/HEAD on the feeds and the widget; allow s3:GetBucketCORS and "
                f"s3:PutBucketCORS, or check the bucket): {cause.response or cause}",
                retryable=True,
                halt=True,
                retry_after=cause.retry_after,
                response=cause.response,
            ) from err
        self._cors_done = True

    def _classify(self, err: Exception, doing: str, sent: bool = False) -> ChannelError:
        where = f"s3: could not {doing} {self.describe()}"
        return classify(err, self._exceptions, where, self.clock.now(), sent)

    def close(self) -> None:
        client, self._client = self._client, None
        self._cors_done = False
        if client is not None:
            client.close()

    # -- keys -----------------------------------------------------------------------------

    def key(self, relative: str) -> str:
        """The object key of ``relative`` under the prefix; ChannelError (permanent) when it
        would leave it."""
        if not plain_relative(relative):
            raise ChannelError(
                f"s3: refusing a name outside {self.describe()}: {relative!r}", retryable=False
            )
        return f"{self.prefix}/{relative}" if self.prefix else relative

    @property
    def _root(self) -> str:
        return f"{self.prefix}/" if self.prefix else ""

    # -- the pipeline ---------------------------------------------------------------------

    def build_payload(self, item: Outgoing) -> list[tuple[str, str, bytes]]:
        """(name, key, bytes) per file, keys checked and unique; ``manifest.json`` last so a
        reader never finds a manifest naming files not there yet."""
        if item.kind not in ("pack", "print"):
            raise ChannelError(f"s3: cannot send a '{item.kind}' delivery", retryable=False)
        if not item.files:
            raise ChannelError("s3: the delivery has no files", retryable=False)
        if item.kind == "print":
            if "/" in item.key:
                raise ChannelError(f"s3: bad print job key {item.key!r}", retryable=False)
            self.key(item.key)
        files: list[tuple[str, str, bytes]] = []
        for name, data in item.files:
            relative = f"{item.key}/{name}" if item.kind == "print" else name
            files.append((name, self.key(relative), data))
        keys = [key for _, key, _ in files]
        if len(set(keys)) != len(keys):
            raise ChannelError("s3: the delivery names a file twice", retryable=False)
        files.sort(key=lambda file: posixpath.basename(file[0]) == MANIFEST)
        return files

    def transmit(self, item: Outgoing, payload: list[tuple[str, str, bytes]]) -> Receipt:
        self.open()
        if item.kind == "print":
            return self._print(item, payload)
        return self._pack(payload)

    def _pack(self, files: list[tuple[str, str, bytes]]) -> Receipt:
        existing = self._versions(self._root)
        uploaded: list[str] = []
        unchanged: list[str] = []
        current: dict[str, str | None] = {}
        deleted: list[dict[str, str]] = []
        for name, key, data in files:
            before = existing.pop(key, [])
            version = self._upload_if_changed(key, name, data)
            if version is _UNCHANGED:
                unchanged.append(key)
                kept = next((v for v in before if v.latest and not v.marker), None)
                current[key] = kept.version_id if kept else None
                # older versions left by an interrupted run go too; when the listing predates
                # a concurrent put (no current version in it), the key is left alone
                old = [v for v in before if v is not kept] if kept else []
            else:
                uploaded.append(key)
                new_id = version if isinstance(version, str) else None
                current[key] = new_id
                # after a put that made a real version every older one goes; when the bucket
                # is not versioned the put replaced "null", which must stay
                keep = new_id if new_id and new_id != "null" else "null"
                old = [v for v in before if v.version_id != keep]
            if old:  # right away: the old photo must not stay readable by version id
                deleted += self._delete(old)
        stale = [v for versions in existing.values() for v in versions]  # keys not listed
        deleted += self._delete(stale)
        manifest = next((key for name, key, _ in files if name == MANIFEST), None)
        remote_id = current.get(manifest) if manifest else None
        detail = (
            f"{self.describe()}: {len(uploaded)} uploaded, {len(unchanged)} unchanged, "
            f"{len(deleted)} versions deleted"
        )
        evidence = {
            "uploaded": uploaded,
            "unchanged": unchanged,
            "deleted": deleted,
            "versions": current,
        }
        return Receipt(Outcome.ACCEPTED, remote_id, detail, evidence)

    def _print(self, item: Outgoing, files: list[tuple[str, str, bytes]]) -> Receipt:
        uploaded: list[str] = []
        unchanged: list[str] = []
        current: dict[str, str | None] = {}
        for name, key, data in files:
            version = self._upload_if_changed(key, name, data)
            (unchanged if version is _UNCHANGED else uploaded).append(key)
            current[key] = version if isinstance(version, str) else None
        folder = self.key(item.key) + "/"
        detail = (
            f"{self.describe()}: print job {folder} ({len(uploaded)} uploaded, "
            f"{len(unchanged)} unchanged)"
        )
        evidence = {
            "uploaded": uploaded,
            "unchanged": unchanged,
            "deleted": [],
            "versions": current,
        }
        return Receipt(Outcome.ACCEPTED, folder, detail, evidence)

    def withdraw_keys(self, names: Sequence[str]) -> Receipt:
        """Delete every version and delete marker of ``PREFIX/name`` for each name (the
        withdrawal stage); a name with nothing stored is listed as ``absent``. Does not need
        the CORS rule, only the client."""
        keys = [self.key(name) for name in names]
        try:
            self._connect()
            stale: list[ObjectVersion] = []
            absent: list[str] = []
            for key in keys:
                versions = self._versions(key).get(key, [])
                stale += versions
                if not versions:
                    absent.append(key)
            deleted = self._delete(stale)
        except ChannelError:
            raise
        except Exception as err:  # as BaseChannel.send: library errors become ours
            raise ChannelError(f"s3: {type(err).__name__}: {err}", retryable=True) from err
        detail = f"{self.describe()}: {len(deleted)} versions of {len(keys) - len(absent)} keys"
        detail += " deleted"
        return Receipt(
            Outcome.ACCEPTED, None, detail, {"deleted": deleted, "absent": absent, "keys": keys}
        )

    # -- S3 calls -------------------------------------------------------------------------

    def _upload_if_changed(self, key: str, name: str, data: bytes) -> str | None | object:
        """``_UNCHANGED`` when ``key`` already holds these bytes, else put them and return the
        new version id (None when the bucket gives none)."""
        digest = hashlib.sha256(data)
        hexdigest = digest.hexdigest()
        try:
            head: dict[str, Any] | None = self._client.head_object(
                Bucket=self.bucket, Key=key, ChecksumMode="ENABLED"
            )
        except self._exceptions.ClientError as err:
            if _code(err) not in _MISSING:
                raise self._classify(err, f"check {key} in") from err
            head = None
        except self._exceptions.BotoCoreError as err:
            raise self._classify(err, f"check {key} in") from err
        if head is not None and same_bytes(head, hexdigest):
            return _UNCHANGED
        try:
            response = self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type(name),
                CacheControl=cache_control(name),
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(digest.digest()).decode("ascii"),
                Metadata={"sha256": hexdigest},
            )
        except (self._exceptions.BotoCoreError, self._exceptions.ClientError) as err:
            raise self._classify(err, f"upload {key} to", sent=True) from err
        version = response.get("VersionId")
        return str(version) if version else None

    def _versions(self, prefix: str) -> dict[str, list[ObjectVersion]]:
        """Every version and delete marker under ``prefix``, by key."""
        found: dict[str, list[ObjectVersion]] = {}
        try:
            pages = self._client.get_paginator("list_object_versions").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                for entry, marker in version_entries(page):
                    key = str(entry["Key"])
                    if not key.startswith(self._root):
                        continue  # never touch anything outside the prefix
                    found.setdefault(key, []).append(
                        ObjectVersion(
                            key,
                            str(entry.get("VersionId") or "null"),
                            bool(entry.get("IsLatest")),
                            marker,
                        )
                    )
        except (self._exceptions.BotoCoreError, self._exceptions.ClientError) as err:
            raise self._classify(err, "list") from err
        return found

    def _delete(self, versions: Iterable[ObjectVersion]) -> list[dict[str, str]]:
        """Delete these exact versions; the ones S3 confirmed, as ``{key, version_id}``."""
        todo = [{"Key": v.key, "VersionId": v.version_id} for v in versions]
        deleted: list[dict[str, str]] = []
        failed: list[str] = []
        for start in range(0, len(todo), _DELETE_BATCH):
            batch = todo[start : start + _DELETE_BATCH]
            try:
                response = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": False}
                )
            except (self._exceptions.BotoCoreError, self._exceptions.ClientError) as err:
                raise self._classify(err, "delete old versions in") from err
            for done in response.get("Deleted", []):
                version = done.get("VersionId") or "null"
                deleted.append({"key": str(done["Key"]), "version_id": str(version)})
            for error in response.get("Errors", []):
                failed.append(f"{error.get('Key')} ({error.get('Code')})")
        if failed:
            codes = {f.rsplit("(", 1)[1].rstrip(")") for f in failed}
            raise ChannelError(
                f"s3: could not delete {len(failed)} versions in {self.describe()}: "
                + ", ".join(failed[:5]),
                retryable=True,
                halt=bool(codes & HALT),
            )
        return deleted


_UNCHANGED = object()
