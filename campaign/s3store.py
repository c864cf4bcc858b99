"""The S3 store (``--out s3://bucket/prefix``, extra ``s3``): one object per file, each put with
a SHA-256 integrity checksum and its hex digest in the ``sha256`` metadata, keys never outside
the prefix. A put is atomic per object, so readers never see half a file; the build writes
``manifest.json`` last."""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import logging
import os
import posixpath
from collections.abc import Callable
from typing import Any

from campaign.errors import ConfigError, MissingDependency, RenderError
from campaign.store import StoreSpec

_MISSING = ("404", "NoSuchKey", "NotFound")


def boto_module(name: str, needed_for: str) -> Any:
    """``boto3`` or a ``botocore`` module, or MissingDependency naming the ``s3`` extra."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingDependency(f"boto3 (for {needed_for})", extra="s3") from None


def _boto3() -> Any:
    return boto_module("boto3", "--out s3://…")


def _secret(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"the environment variable {name} (named in [store]) is not set")
    return value


def botocore_config(service: str, attempts: int, path_style: bool, timeout_s: float | None = None
                    ) -> Any:  # fmt: skip
    """botocore's client settings, after refusing botocore's debug logging (it logs the wire,
    credentials included): ``attempts`` in all (1: the ledger retries, nothing is re-sent
    behind its back), path-style S3 keys for a custom endpoint, connect/read timeouts."""
    if logging.getLogger("botocore").isEnabledFor(logging.DEBUG):
        raise ConfigError(
            f"refusing to use {service} with botocore debug logging on (it logs the wire)"
        )
    try:
        module = importlib.import_module("botocore.config")
    except ImportError:
        raise MissingDependency("boto3", extra="s3") from None
    timeouts = {"connect_timeout": timeout_s, "read_timeout": timeout_s} if timeout_s else {}
    return module.Config(
        retries={"mode": "standard", "total_max_attempts": attempts},
        s3={"addressing_style": "path"} if path_style else {},
        **timeouts,
    )


def _client(spec: StoreSpec) -> Any:
    """An S3 client for ``spec``: standard retries, path-style keys on a custom endpoint."""
    boto3 = _boto3()
    config = botocore_config("S3", 6, bool(spec.endpoint_url))
    options: dict[str, Any] = {"config": config}
    if spec.endpoint_url:
        options["endpoint_url"] = spec.endpoint_url
    if spec.region:
        options["region_name"] = spec.region
    if spec.access_key_env and spec.secret_key_env:
        options["aws_access_key_id"] = _secret(spec.access_key_env)
        options["aws_secret_access_key"] = _secret(spec.secret_key_env)
    return boto3.session.Session().client("s3", **options)


def _code(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(err).__name__))


class S3Store:
    """Files of a build as objects under ``s3://bucket/prefix/``."""

    def __init__(self, spec: StoreSpec) -> None:
        assert spec.bucket is not None
        self.spec = spec
        self.bucket = spec.bucket
        self._client = _client(spec)
        self._errors: tuple[type[Exception], ...] = (
            importlib.import_module("botocore.exceptions").BotoCoreError,
            importlib.import_module("botocore.exceptions").ClientError,
        )

    def key(self, relative: str) -> str:
        """The object key of ``relative``; a RenderError when it would leave the prefix."""
        clean = posixpath.normpath(relative)
        bad = "\\" in relative or "\0" in relative or clean.startswith(("/", ".."))
        if bad or clean in ("", "."):
            raise RenderError(f"refusing to write outside the build prefix: {relative}")
        return f"{self.spec.prefix}/{clean}" if self.spec.prefix else clean

    def put(self, relative: str, data: bytes, media_type: str) -> None:
        digest = hashlib.sha256(data)
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=self.key(relative),
                Body=data,
                ContentType=media_type,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(digest.digest()).decode("ascii"),
                Metadata={"sha256": digest.hexdigest()},
            )
        except self._errors as err:
            raise RenderError(f"could not upload {relative} to {self.spec}: {_code(err)}") from None

    def get(self, relative: str) -> bytes | None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.key(relative))
            data: bytes = response["Body"].read()
            return data
        except self._errors as err:
            if _code(err) in _MISSING:
                return None
            raise RenderError(f"could not read {relative} from {self.spec}: {_code(err)}") from None

    def _head(self, relative: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self._client.head_object(
                Bucket=self.bucket, Key=self.key(relative), ChecksumMode="ENABLED"
            )
            return head
        except self._errors as err:
            if _code(err) in _MISSING:
                return None
            raise RenderError(f"could not check {relative} in {self.spec}: {_code(err)}") from None

    def exists(self, relative: str) -> bool:
        return self._head(relative) is not None

    def exists_with_sha256(self, relative: str, sha256: str) -> bool:
        """Whether the object is there with these bytes: its stored SHA-256 checksum, else the
        ``sha256`` metadata written with it."""
        head = self._head(relative)
        if head is None:
            return False
        checksum = head.get("ChecksumSHA256")
        if isinstance(checksum, str) and "-" not in checksum:
            try:
                return base64.b64decode(checksum, validate=True).hex() == sha256
            except (binascii.Error, ValueError):
                return False
        return bool(head.get("Metadata", {}).get("sha256") == sha256)


def named_credentials(
    url: str, access_key_env: str | None, secret: Callable[[], str | None]
) -> dict[str, str]:
    """boto3 client options for keys named by environment variable (none: boto3's chain);
    the key's variable is checked before the secret's."""
    if not access_key_env:
        return {}
    key = os.environ.get(access_key_env)
    if not key:
        raise ConfigError(f"channel {url}: the environment variable {access_key_env} is not set")
    return {"aws_access_key_id": key, "aws_secret_access_key": secret() or ""}
