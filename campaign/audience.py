"""Who receives what: e-mail lists, partners and print vendors from ``campaign.toml``, each
with its channel table and the area it covers, plus the ``[email]`` and ``[delivery]`` tables.

An :class:`Area` is countries (ISO 3166-1 alpha-2), regions (ISO 3166-2) and an optional circle
(``lat, lon, radius_km``); a case is in it when any of them matches. An empty area covers every
case of the campaign."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from campaign.channels.settings import ChannelSettings, channel_settings
from campaign.errors import ConfigError

EARTH_RADIUS_KM = 6371.0088
_COUNTRY = re.compile(r"[A-Z]{2}")
_REGION = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Area:
    """Where a recipient wants appeals from."""

    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None

    @property
    def everywhere(self) -> bool:
        return not self.countries and not self.regions and self.radius_km is None

    def covers(
        self, country: str, region: str | None, lat: float | None, lon: float | None
    ) -> bool:
        """Whether a case last seen in ``country``/``region`` at ``lat, lon`` is in this area."""
        if self.everywhere or country.upper() in self.countries:
            return True
        if region and region.upper() in self.regions:
            return True
        if self.radius_km is None or self.lat is None or self.lon is None:
            return False
        if lat is None or lon is None:
            return False
        return distance_km(self.lat, self.lon, lat, lon) <= self.radius_km


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def area(where: str, countries: Any, regions: Any, lat: Any, lon: Any, radius: Any) -> Area:
    """Check an area's parts (from a config table or a subscriber row); ConfigError-free callers
    catch ``ValueError`` and report it where the values came from."""
    codes = tuple(str(c).strip().upper() for c in _items(countries))
    for code in codes:
        if not _COUNTRY.fullmatch(code):
            raise ValueError(f"{where}: '{code}' is not an ISO 3166-1 country code such as MX")
    subdivisions = tuple(str(r).strip().upper() for r in _items(regions))
    for code in subdivisions:
        if not _REGION.fullmatch(code):
            raise ValueError(f"{where}: '{code}' is not an ISO 3166-2 region code such as MX-CMX")
    given = [value not in (None, "") for value in (lat, lon, radius)]
    if any(given) and not all(given):
        raise ValueError(f"{where}: give lat, lon and radius_km together")
    if not any(given):
        return Area(codes, subdivisions)
    la, lo, rad = float(lat), float(lon), float(radius)
    if not (-90 <= la <= 90 and -180 <= lo <= 180):
        raise ValueError(f"{where}: lat must be within ±90 and lon within ±180")
    if not 0 < rad <= 20_000:
        raise ValueError(f"{where}: radius_km must be between 0 and 20000")
    return Area(codes, subdivisions, la, lo, rad)


def _items(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if isinstance(value, list):
        return value
    raise ValueError(f"expected a list, got {value!r}")


@dataclass(frozen=True)
class Subscriber:
    """One row of a subscribers CSV: a checked, normalised address and what it wants."""

    address: str  # normalised by email-validator
    name: str | None
    locale: str  # BCP 47
    area: Area
    consent_date: dt.date
    list_name: str
    line: int  # where in the CSV file (for messages)


@dataclass(frozen=True)
class EmailList:
    """A subscriber list: a CSV file (see docs/configuration.md) and the channel it goes by."""

    name: str
    subscribers: Path
    channel: ChannelSettings


@dataclass(frozen=True)
class Partner:
    """A partner organisation: the area and languages it wants, the formats of its pack, where
    the pack goes (``channel``), where it can be read publicly (``public_url``, for feed links
    and the widget) and an optional ``webhook`` told of every new pack version."""

    name: str
    area: Area
    locales: tuple[str, ...]
    formats: tuple[str, ...]
    channel: ChannelSettings
    public_url: str | None = None  # https base URL of the pack's files (feed/widget links)
    webhook: ChannelSettings | None = None


@dataclass(frozen=True)
class Vendor:
    """A print vendor: the area it prints for, the print formats it takes and how many copies
    of each (``quantity``; formats not listed: ``default_quantity``)."""

    name: str
    area: Area
    formats: tuple[str, ...]
    channel: ChannelSettings
    quantity: Mapping[str, int] = field(default_factory=dict)
    default_quantity: int = 1


@dataclass(frozen=True)
class Landing:
    """Case landing pages (the QR target): published under ``base_url`` (``<ref>/`` per case)
    through ``channel``, usually a public S3 bucket."""

    base_url: str
    channel: ChannelSettings


@dataclass(frozen=True)
class DkimSettings:
    selector: str
    domain: str
    key_file: Path  # a PEM private key, readable only by the sender


@dataclass(frozen=True)
class EmailSettings:
    """The ``[email]`` table: who mail comes from and what a digest holds."""

    sender: str = "Example Missing Children Network (fictional) <appeals@example.org>"
    reply_to: str | None = None
    banner: str = "banner-300x250"  # the format shown inline for each case (JPEG or PNG)
    poster: str = "attach"  # attach | link | none: the screen poster
    poster_format: str = "poster-a4-screen"
    poster_url: str | None = None  # with poster = "link": https template with {ref}, {locale}
    templates: Path | None = None  # staff overrides (run in Jinja's SandboxedEnvironment)
    unsubscribe_url: str = "https://example.org/unsubscribe?token={token}"
    unsubscribe_mailto: str | None = None
    unsubscribe_secret_env: str = "CAMPAIGN_UNSUBSCRIBE_SECRET"  # noqa: S105 (a variable name)
    dkim: DkimSettings | None = None

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]

    @property
    def sender_domain(self) -> str:
        return self.sender_address.rpartition("@")[2]


@dataclass(frozen=True)
class DeliverySettings:
    """The ``[delivery]`` table: leases and reminders."""

    lease_s: float = 300.0  # a claimed delivery not finished by then is tried again
    resend_after_days: int | None = None  # remind a recipient of an appeal after this many days
    seed: int | None = None  # fixes the retry jitter (tests)


@dataclass(frozen=True)
class Audience:
    lists: tuple[EmailList, ...] = ()
    partners: tuple[Partner, ...] = ()
    vendors: tuple[Vendor, ...] = ()
    email: EmailSettings = field(default_factory=EmailSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    landing: Landing | None = None


def audience(path: Path, data: Mapping[str, Any], base: Path) -> Audience:
    """The recipients and delivery tables of a config file's ``data``."""
    try:
        return Audience(
            lists=tuple(
                _email_list(path, name, t, base) for name, t in _named(path, data, "lists")
            ),
            partners=tuple(
                _partner(path, name, t, base) for name, t in _named(path, data, "partners")
            ),
            vendors=tuple(
                _vendor(path, name, t, base) for name, t in _named(path, data, "vendors")
            ),
            email=_email(path, data.get("email", {}), base),
            delivery=_delivery(path, data.get("delivery", {})),
            landing=_landing(path, data["landing"], base) if "landing" in data else None,
        )
    except ValueError as err:
        raise ConfigError(f"{path}: {err}") from None


def _named(path: Path, data: Mapping[str, Any], table: str) -> list[tuple[str, dict[str, Any]]]:
    found = data.get(table, {})
    if not isinstance(found, dict) or not all(isinstance(v, dict) for v in found.values()):
        raise ConfigError(f"{path}: [{table}] must hold one table per name ([{table}.NAME])")
    for name in found:
        if not _NAME.fullmatch(name):
            raise ConfigError(f"{path}: [{table}.{name}]: names use letters, digits, - and _")
    return list(found.items())


def _keys(where: str, table: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(
            f"{where}: unknown setting '{unknown[0]}' (known: {', '.join(sorted(known))})"
        )


def _channel(path: Path, where: str, table: Mapping[str, Any], base: Path) -> ChannelSettings:
    if "channel" not in table:
        raise ValueError(f'{where}: a channel table is needed (channel = {{ url = "…" }})')
    return channel_settings(f"{path}: {where}.channel", table["channel"], base)


def _email_list(path: Path, name: str, t: Mapping[str, Any], base: Path) -> EmailList:
    where = f"lists.{name}"
    _keys(where, t, {"subscribers", "channel"})
    if not isinstance(t.get("subscribers"), str):
        raise ValueError(f"{where}.subscribers must name the subscribers CSV file")
    return EmailList(name, base / t["subscribers"], _channel(path, where, t, base))


def _area(where: str, t: Mapping[str, Any]) -> Area:
    return area(
        where, t.get("countries"), t.get("regions"), t.get("lat"), t.get("lon"), t.get("radius_km")
    )


_AREA_KEYS = {"countries", "regions", "lat", "lon", "radius_km", "channel", "formats"}


DEFAULT_PARTNER_FORMATS = ("poster-a4", "poster-letter", "banner-300x250", "social-1200x630")


def _partner(path: Path, name: str, t: Mapping[str, Any], base: Path) -> Partner:
    where = f"partners.{name}"
    _keys(where, t, _AREA_KEYS | {"locales", "public_url", "webhook"})
    public = t.get("public_url")
    if public is not None and not (isinstance(public, str) and public.startswith("https://")):
        raise ValueError(f"{where}.public_url must start with https://")
    webhook = t.get("webhook")
    return Partner(
        name,
        _area(where, t),
        tuple(_items(t.get("locales"))),
        tuple(_items(t.get("formats"))) or DEFAULT_PARTNER_FORMATS,
        _channel(path, where, t, base),
        public.rstrip("/") + "/" if public else None,
        channel_settings(f"{path}: {where}.webhook", webhook, base) if webhook else None,
    )


def _vendor(path: Path, name: str, t: Mapping[str, Any], base: Path) -> Vendor:
    where = f"vendors.{name}"
    _keys(where, t, _AREA_KEYS | {"quantity"})
    formats = tuple(_items(t.get("formats"))) or ("poster-a4",)
    quantity = t.get("quantity", 1)
    per_format = quantity if isinstance(quantity, dict) else {}
    default = quantity if isinstance(quantity, int) else 1
    for fmt, n in {**per_format, "*": default}.items():
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100_000:
            raise ValueError(f"{where}.quantity: {fmt} needs a whole number of copies, 1 or more")
    return Vendor(name, _area(where, t), formats, _channel(path, where, t, base), per_format,
                  default)  # fmt: skip


def _address(where: str, value: Any) -> str:
    if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
        raise ValueError(f"{where} must be one line of text such as 'Name <you@example.org>'")
    address = parseaddr(value)[1]
    if "@" not in address:
        raise ValueError(f"{where} must hold an e-mail address, got {value!r}")
    return value


def _email(path: Path, t: Any, base: Path) -> EmailSettings:
    if not isinstance(t, dict):
        raise ValueError("[email] must be a table")
    known = {
        "from", "reply_to", "banner", "poster", "poster_format", "poster_url", "templates",
        "unsubscribe_url", "unsubscribe_mailto", "unsubscribe_secret_env", "dkim",
    }  # fmt: skip
    _keys("email", t, known)
    defaults = EmailSettings()
    poster = t.get("poster", defaults.poster)
    if poster not in ("attach", "link", "none"):
        raise ValueError(f"email.poster must be attach, link or none, got {poster!r}")
    poster_url = t.get("poster_url")
    if poster == "link" and not (
        isinstance(poster_url, str) and poster_url.startswith("https://") and "{ref}" in poster_url
    ):
        raise ValueError(
            'email.poster = "link" needs email.poster_url, an https:// address with {ref} '
            "(and optionally {locale}) where the screen posters are published"
        )
    url = t.get("unsubscribe_url", defaults.unsubscribe_url)
    if not (isinstance(url, str) and url.startswith("https://") and "{token}" in url):
        raise ValueError("email.unsubscribe_url must start with https:// and contain {token}")
    return EmailSettings(
        sender=_address("email.from", t.get("from", defaults.sender)),
        reply_to=_address("email.reply_to", t["reply_to"]) if "reply_to" in t else None,
        banner=str(t.get("banner", defaults.banner)),
        poster=poster,
        poster_format=str(t.get("poster_format", defaults.poster_format)),
        poster_url=poster_url,
        templates=base / t["templates"] if "templates" in t else None,
        unsubscribe_url=url,
        unsubscribe_mailto=(
            _address("email.unsubscribe_mailto", t["unsubscribe_mailto"])
            if "unsubscribe_mailto" in t
            else None
        ),
        unsubscribe_secret_env=str(
            t.get("unsubscribe_secret_env", defaults.unsubscribe_secret_env)
        ),
        dkim=_dkim(t["dkim"], base) if "dkim" in t else None,
    )


def _dkim(t: Any, base: Path) -> DkimSettings:
    if not isinstance(t, dict):
        raise ValueError("[email.dkim] must be a table")
    _keys("email.dkim", t, {"selector", "domain", "key_file"})
    if not all(isinstance(t.get(key), str) for key in ("selector", "domain", "key_file")):
        raise ValueError("email.dkim needs selector, domain and key_file")
    return DkimSettings(t["selector"], t["domain"].lower(), base / t["key_file"])


def _landing(path: Path, t: Any, base: Path) -> Landing:
    if not isinstance(t, dict):
        raise ValueError("[landing] must be a table")
    _keys("landing", t, {"base_url", "channel"})
    url = t.get("base_url")
    if not (isinstance(url, str) and url.startswith("https://")):
        raise ValueError("landing.base_url must start with https:// (pages go to BASE/<ref>/)")
    return Landing(url.rstrip("/") + "/", _channel(path, "landing", t, base))


def _delivery(path: Path, t: Any) -> DeliverySettings:
    if not isinstance(t, dict):
        raise ValueError("[delivery] must be a table")
    _keys("delivery", t, {"lease_s", "resend_after_days", "seed"})
    lease = float(t.get("lease_s", 300.0))
    if lease <= 0:
        raise ValueError("delivery.lease_s must be more than 0")
    resend = t.get("resend_after_days")
    if resend is not None and (not isinstance(resend, int) or resend < 1):
        raise ValueError("delivery.resend_after_days must be a whole number of days, 1 or more")
    seed = t.get("seed")
    return DeliverySettings(lease, resend, int(seed) if seed is not None else None)
