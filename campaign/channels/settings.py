"""A channel's settings table (``{url, endpoint_url, host_key, secret_env, ca_file, rate, retry,
…}``) and its retry schedule. Secrets are only ever named by environment variable: the values
are read when a channel opens, never stored here, so ``repr`` cannot show them."""

from __future__ import annotations

import difflib
import os
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from campaign.errors import ConfigError

MAX_RETRY_AFTER_S = 86400.0
SCHEMES = ("outbox", "smtp", "smtps", "ses", "s3", "sftp", "https", "http")


@dataclass(frozen=True)
class RetrySettings:
    """When to try again: exponential backoff with full jitter (``base_s`` doubling up to
    ``cap_s``), or an explicit ``schedule_s``; a delivery not done within ``lifetime_s`` of its
    first attempt is ``expired``."""

    base_s: float = 300.0
    cap_s: float = 4000.0
    lifetime_s: float = 5 * 86400.0
    schedule_s: tuple[float, ...] = ()
    jitter: bool = True

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1 = the first try)."""
        if self.schedule_s:
            index = min(attempt, len(self.schedule_s) - 1)
            ceiling = self.schedule_s[index]
        else:
            ceiling = min(self.cap_s, self.base_s * 2 ** max(0, attempt - 1))
        wait = rng.uniform(0, ceiling) if self.jitter else ceiling
        # a receiver's Retry-After is honoured, up to a day (a hostile one cannot park us)
        return max(wait, min(retry_after or 0.0, MAX_RETRY_AFTER_S))


# Per scheme: Postfix-like for mail (RFC 5321 asks for days), Standard Webhooks' schedule for
# https, boto3-like for S3; every one overridable with a [*.channel.retry] table.
DEFAULT_RETRY: Mapping[str, RetrySettings] = {
    "smtp": RetrySettings(),
    "smtps": RetrySettings(),
    "ses": RetrySettings(),
    "outbox": RetrySettings(base_s=1, cap_s=60, lifetime_s=3600),
    "s3": RetrySettings(base_s=1, cap_s=20, lifetime_s=86400),
    "sftp": RetrySettings(base_s=60, cap_s=3600, lifetime_s=3 * 86400),
    "https": RetrySettings(
        schedule_s=(0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400),
        lifetime_s=3 * 86400,
    ),
}
DEFAULT_RETRY = {**DEFAULT_RETRY, "http": DEFAULT_RETRY["https"]}


@dataclass(frozen=True)
class ChannelSettings:
    """One channel table. ``url``'s scheme picks the channel; ``options`` keeps the
    channel-specific keys (checked by the channel's own ``from_config``)."""

    url: str
    endpoint_url: str | None = None
    host_key: str | None = None
    secret_env: str | None = None
    username: str | None = None
    ca_file: Path | None = None
    rate: float | None = None  # messages (or uploads) per second at most
    timeout_s: float = 30.0
    retry: RetrySettings = field(default_factory=RetrySettings)
    options: Mapping[str, Any] = field(default_factory=dict)
    base_dir: Path | None = None  # the config file's folder (outbox:DIR is relative to it)

    @property
    def scheme(self) -> str:
        return self.url.split(":", 1)[0].lower()

    def secret(self) -> str | None:
        """The secret from the environment variable ``secret_env`` names (None when unset)."""
        if not self.secret_env:
            return None
        value = os.environ.get(self.secret_env)
        if value is None:
            raise ConfigError(
                f"channel {self.url}: the environment variable {self.secret_env} is not set"
            )
        return value


_KEYS: dict[str, type | tuple[type, ...]] = {
    "url": str,
    "endpoint_url": str,
    "host_key": str,
    "secret_env": str,
    "username": str,
    "ca_file": str,
    "rate": (int, float),
    "timeout_s": (int, float),
    "retry": dict,
}
_RETRY_KEYS: dict[str, type | tuple[type, ...]] = {
    "base_s": (int, float),
    "cap_s": (int, float),
    "lifetime_s": (int, float),
    "schedule_s": list,
    "jitter": bool,
}
# The keys each kind of channel adds to the common ones (checked like them; kept in ``options``).
OPTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "outbox": {},
    "smtp": {"tls": str, "helo": str},  # tls: "starttls" (default, required) or "none"
    "smtps": {"helo": str},
    "ses": {"access_key_env": str, "configuration_set": str},
    # s3://BUCKET/PREFIX: region; keys by env-var name (else boto3's chain); CORS origins that
    # may read the feeds and the widget (default: any)
    "s3": {"region": str, "access_key_env": str, "cors_origins": list},
    # sftp://HOST:PORT/PATH: host_key (pinned, required); username; key_file or secret_env
    "sftp": {"key_file": str},
    # https://…: a webhook endpoint; allow_private only for tests on loopback
    "https": {"allow_private": bool},
    "http": {"allow_private": bool},  # only with allow_private (a test receiver on loopback)
}

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def channel_settings(where: str, table: Any, base_dir: Path) -> ChannelSettings:
    """Check a channel table found at ``where`` (e.g. ``campaign.toml: lists.weekly.channel``)."""
    if isinstance(table, str):
        table = {"url": table}
    if not isinstance(table, dict):
        raise ConfigError(f'{where} must be a table with at least url = "…"')
    if not isinstance(table.get("url"), str):
        raise ConfigError(f"{where}: url is required (e.g. outbox:DIR or smtp://HOST:PORT)")
    url = _url(where, table["url"])
    scheme = url.split(":", 1)[0].lower()
    extra = OPTIONS.get(scheme, {})
    _check(where, table, {**_KEYS, **extra})
    if scheme == "http" and not table.get("allow_private"):
        raise ConfigError(f"{where}.url: webhooks use https:// (http:// only for loopback tests)")
    for key in ("secret_env", "access_key_env"):
        if key in table and not _ENV_NAME.fullmatch(table[key]):
            raise ConfigError(f"{where}.{key} must be the NAME of an environment variable")
    if "rate" in table and not table["rate"] > 0:
        raise ConfigError(f"{where}.rate must be more than 0 (messages per second)")
    retry = dict(table.get("retry", {}))
    _check(f"{where}.retry", retry, _RETRY_KEYS)
    defaults = DEFAULT_RETRY.get(scheme, RetrySettings())
    schedule = tuple(float(x) for x in retry.pop("schedule_s", defaults.schedule_s))
    return ChannelSettings(
        url=url,
        endpoint_url=table.get("endpoint_url"),
        host_key=table.get("host_key"),
        secret_env=table.get("secret_env"),
        username=table.get("username"),
        ca_file=base_dir / table["ca_file"] if "ca_file" in table else None,
        rate=float(table["rate"]) if "rate" in table else None,
        timeout_s=float(table.get("timeout_s", 30.0)),
        retry=RetrySettings(
            base_s=float(retry.get("base_s", defaults.base_s)),
            cap_s=float(retry.get("cap_s", defaults.cap_s)),
            lifetime_s=float(retry.get("lifetime_s", defaults.lifetime_s)),
            schedule_s=schedule,
            jitter=retry.get("jitter", defaults.jitter),
        ),
        options={key: table[key] for key in extra if key in table},
        base_dir=base_dir,
    )


def _check(where: str, table: Mapping[str, Any], keys: Mapping[str, Any]) -> None:
    for key, value in table.items():
        if key not in keys:
            hint = difflib.get_close_matches(key, list(keys), n=1)
            maybe = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ConfigError(f"{where}: unknown setting '{key}'{maybe}")
        kind = keys[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ConfigError(f"{where}.{key} has the wrong type: {value!r}")


def _url(where: str, url: str) -> str:
    scheme = url.split(":", 1)[0].lower()
    if scheme not in SCHEMES:
        raise ConfigError(
            f"{where}.url: unknown channel '{scheme}:' (expected one of "
            + ", ".join(f"{name}:" for name in SCHEMES)
            + ")"
        )
    if scheme != "outbox" and urlsplit(url).password is not None:
        raise ConfigError(
            f"{where}.url must not hold a password; name the environment variable that holds "
            "it with secret_env"
        )
    return url
