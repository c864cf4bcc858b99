"""``campaign.toml`` → a frozen :class:`Config`. Paths are relative to the file; secrets are only
ever named by environment variable, never stored here."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign.audience import Audience, audience
from campaign.errors import ConfigError

DEFAULT_NAME = "campaign.toml"


@dataclass(frozen=True)
class FetchSettings:
    """Safeguards for photos given as URLs (see docs/configuration.md)."""

    allowed_hosts: tuple[str, ...] = ()
    max_bytes: int = 20_000_000
    timeout_s: float = 15.0
    total_timeout_s: float = 60.0
    max_redirects: int = 3
    ca_file: Path | None = None


@dataclass(frozen=True)
class PhotoSettings:
    """Photo intake limits and the print preflight threshold."""

    max_megapixels: float = 40.0
    min_dpi: int = 300


@dataclass(frozen=True)
class PrintSettings:
    """Print PDF options."""

    crop_marks: bool = False


@dataclass(frozen=True)
class StoreSettings:
    """Where ``--out s3://bucket/prefix`` connects: secrets are only named by env var."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_env: str | None = None
    secret_key_env: str | None = None


@dataclass(frozen=True)
class Config:
    """The whole configuration; ``source`` is the file it came from (None for built-in defaults)."""

    source: Path | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    organisation: str = "Example Missing Children Network (fictional)"
    organisation_url: str = "https://example.org"
    case_url: str = "https://example.org/c/{ref}"
    cases: Path | None = None
    state_dir: Path = field(default_factory=lambda: Path.cwd() / ".campaign")
    case_ref_secret_env: str = "CAMPAIGN_REF_SECRET"  # noqa: S105 (a variable name)
    print_date_of_birth: bool = False
    ignore_fields: tuple[str, ...] = ()
    utm_campaign: str = "appeal"
    allow_unreviewed_locales: bool = False
    cap_sender: str = "alerts@example.org"
    photo_url: str | None = None
    cap_radius_km: float = 50.0
    fetch: FetchSettings = field(default_factory=FetchSettings)
    photos: PhotoSettings = field(default_factory=PhotoSettings)
    print: PrintSettings = field(default_factory=PrintSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    countries: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    audience: Audience = field(default_factory=Audience)  # lists, partners, vendors, [email]
    grace_days: float = 0.0  # [withdrawal] days before a resolved case's local copies are purged


# key → (type, converter target); the single schema that docs/configuration.md documents.
_CAMPAIGN_KEYS: dict[str, type] = {
    "organisation": str,
    "organisation_url": str,
    "case_url": str,
    "cases": str,
    "state_dir": str,
    "case_ref_secret_env": str,
    "print_date_of_birth": bool,
    "ignore_fields": list,
    "utm_campaign": str,
    "allow_unreviewed_locales": bool,
    "cap_sender": str,
    "photo_url": str,
    "cap_radius_km": float,
}
_FETCH_KEYS: dict[str, type] = {
    "allowed_hosts": list,
    "max_bytes": int,
    "timeout_s": float,
    "total_timeout_s": float,
    "max_redirects": int,
    "ca_file": str,
}
_PHOTO_KEYS: dict[str, type] = {"max_megapixels": float, "min_dpi": int}
_PRINT_KEYS: dict[str, type] = {"crop_marks": bool}
_STORE_KEYS: dict[str, type] = {
    "endpoint_url": str,
    "region": str,
    "access_key_env": str,
    "secret_key_env": str,
}
_TABLES = {
    "campaign": _CAMPAIGN_KEYS,
    "fetch": _FETCH_KEYS,
    "photos": _PHOTO_KEYS,
    "print": _PRINT_KEYS,
    "store": _STORE_KEYS,
    "countries": dict,
    "lists": dict,
    "partners": dict,
    "vendors": dict,
    "email": dict,
    "delivery": dict,
    "landing": dict,
    "withdrawal": {"grace_days": float},
}


def find_config(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """The config file to use: the explicit one, else ``./campaign.toml`` when present."""
    if explicit is not None:
        return explicit
    candidate = (cwd or Path.cwd()) / DEFAULT_NAME
    return candidate if candidate.is_file() else None


def load_config(path: Path | None) -> Config:
    """Read and check a config file; ``None`` gives the built-in defaults."""
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    return _build(path, data)


def _build(path: Path, data: Mapping[str, Any]) -> Config:
    _check_keys(path, "", data, _TABLES)
    base = path.resolve().parent
    top = _table(path, data, "campaign", _CAMPAIGN_KEYS)
    fetch = _table(path, data, "fetch", _FETCH_KEYS)
    photos = _table(path, data, "photos", _PHOTO_KEYS)
    printing = _table(path, data, "print", _PRINT_KEYS)
    store = _table(path, data, "store", _STORE_KEYS)
    if not store.get("endpoint_url", "https://").startswith(("https://", "http://")):
        raise ConfigError(f"{path}: store.endpoint_url must start with https:// or http://")
    if ("access_key_env" in store) != ("secret_key_env" in store):
        raise ConfigError(f"{path}: set both store.access_key_env and store.secret_key_env")
    countries = data.get("countries", {})
    if not isinstance(countries, dict):
        raise ConfigError(f"{path}: [countries] must be a table of country tables")
    _neutral_name(path, top.get("organisation", Config.organisation))
    return Config(
        source=path,
        base_dir=base,
        organisation=top.get("organisation", Config.organisation),
        organisation_url=top.get("organisation_url", Config.organisation_url),
        case_url=_case_url(path, top.get("case_url", Config.case_url)),
        cases=base / top["cases"] if "cases" in top else None,
        state_dir=base / top.get("state_dir", ".campaign"),
        case_ref_secret_env=top.get("case_ref_secret_env", Config.case_ref_secret_env),
        print_date_of_birth=top.get("print_date_of_birth", False),
        utm_campaign=top.get("utm_campaign", Config.utm_campaign),
        allow_unreviewed_locales=top.get("allow_unreviewed_locales", False),
        cap_sender=_cap_sender(path, top.get("cap_sender", Config.cap_sender)),
        photo_url=_photo_url(path, top["photo_url"]) if "photo_url" in top else None,
        cap_radius_km=_radius(path, top.get("cap_radius_km", Config.cap_radius_km)),
        ignore_fields=tuple(_strings(path, "campaign.ignore_fields", top.get("ignore_fields", []))),
        fetch=FetchSettings(
            allowed_hosts=tuple(
                _strings(path, "fetch.allowed_hosts", fetch.pop("allowed_hosts", []))
            ),
            ca_file=base / fetch.pop("ca_file") if "ca_file" in fetch else None,
            **fetch,
        ),
        photos=PhotoSettings(**photos),
        print=PrintSettings(**printing),
        store=StoreSettings(**store),
        countries={code.upper(): dict(table) for code, table in countries.items()},
        audience=audience(path, data, base),
        grace_days=_grace(path, _table(path, data, "withdrawal", {"grace_days": float})),
    )


def _check_keys(path: Path, prefix: str, data: Mapping[str, Any], known: Mapping[str, Any]) -> None:
    for key in data:
        if key not in known:
            hint = difflib.get_close_matches(key, list(known), n=1)
            maybe = f" (did you mean '{prefix}{hint[0]}'?)" if hint else ""
            raise ConfigError(f"{path}: unknown setting '{prefix}{key}'{maybe}")


def _table(
    path: Path, data: Mapping[str, Any], name: str, keys: Mapping[str, type]
) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    _check_keys(path, f"{name}.", table, keys)
    out: dict[str, Any] = {}
    for key, value in table.items():
        out[key] = _typed(path, f"{name}.{key}", value, keys[key])
    return out


_KIND_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def _typed(path: Path, name: str, value: Any, kind: type) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigError(f"{path}: {name} must be {_KIND_NAMES[kind]}, got {value!r}")
    return value


def _strings(path: Path, name: str, value: list[Any]) -> list[str]:
    if not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: {name} must be a list of strings")
    return value


def _case_url(path: Path, template: str) -> str:
    if "{ref}" not in template:
        raise ConfigError(
            f"{path}: campaign.case_url must contain {{ref}} (the opaque case reference)"
        )
    if not template.startswith("https://"):
        raise ConfigError(f"{path}: campaign.case_url must start with https://")
    return template


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_SENDER = re.compile(rf"(?:[A-Za-z0-9._%+-]+@)?{_LABEL}(?:\.{_LABEL})+")


def _cap_sender(path: Path, value: str) -> str:
    """A CAP sender: an e-mail address or a domain name (no spaces, commas, ``<`` or ``&``)."""
    if not _SENDER.fullmatch(value):
        raise ConfigError(
            f"{path}: campaign.cap_sender must be an address such as alerts@example.org "
            f"or a domain name, got {value!r}"
        )
    return value


def _photo_url(path: Path, template: str) -> str:
    if "{ref}" not in template or not template.startswith("https://"):
        raise ConfigError(
            f"{path}: campaign.photo_url must start with https:// and contain {{ref}} "
            "(the public photo of the case, never a local path)"
        )
    return template


def _neutral_name(path: Path, name: str) -> None:
    """Closure notices sign with the organisation's name: it must pass their neutral-word check
    (else no notice could ever be sent)."""
    from campaign.mail.neutral import NotNeutral, check_neutral

    try:
        check_neutral(name, "en")
    except NotNeutral as err:
        raise ConfigError(
            f"{path}: campaign.organisation contains '{err.word}', a word closure notices may "
            "not use (found/safe/located/deceased…): they are signed with this name"
        ) from None


def _grace(path: Path, table: Mapping[str, Any]) -> float:
    days = float(table.get("grace_days", 0.0))
    if not 0 <= days <= 365:
        raise ConfigError(f"{path}: withdrawal.grace_days must be between 0 and 365")
    return days


def _radius(path: Path, value: float) -> float:
    if not 0 < value <= 20_000:
        raise ConfigError(f"{path}: campaign.cap_radius_km must be between 0 and 20000 km")
    return value
