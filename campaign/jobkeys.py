"""Job keys: a sha256 over everything that affects a rendition's bytes, so a rebuild can skip a
job whose inputs have not changed. Pure apart from reading the font files and catalogs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from campaign import __version__, i18n
from campaign.config import Config
from campaign.i18n import CountryInfo
from campaign.layouts import layout_for
from campaign.layouts.rastertext import CJK_FILES
from campaign.models import Case
from campaign.photos import NormalizedPhoto
from campaign.typeset import font_digest
from campaign.typeset.fonts import find_file

# Bump when the build engine changes what it writes for the same inputs.
ENGINE_VERSION = "2"
# Where a record came from is not rendered: moving a row in the cases file changes nothing.
UNRENDERED_FIELDS = frozenset({"origin"})


def digest(value: Any) -> str:
    """The sha256 of a stable JSON serialisation of ``value``."""
    text = json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """``value`` as JSON data: dataclasses as dicts, enums by value, dates in ISO form."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Path):
        return {"path": str(value)}
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"no stable form for {type(value).__name__}")


def case_fields(case: Case) -> dict[str, Any]:
    """The public fields of a case that renders read (its origin left out)."""
    return {
        f.name: _plain(getattr(case, f.name))
        for f in dataclasses.fields(case)
        if f.name not in UNRENDERED_FIELDS
    }


def config_values(config: Config) -> dict[str, Any]:
    """The settings renders read (country data is keyed per case, see :func:`case_digest`)."""
    return {
        "organisation": config.organisation,
        "organisation_url": config.organisation_url,
        "case_url": config.case_url,
        "utm_campaign": config.utm_campaign,
        "print": _plain(config.print),
        "print_date_of_birth": config.print_date_of_birth,
        "min_dpi": config.photos.min_dpi,
        "allow_unreviewed_locales": config.allow_unreviewed_locales,
        "cap_sender": config.cap_sender,
        "cap_radius_km": config.cap_radius_km,
        "photo_url": config.photo_url,
    }


def case_digest(
    case: Case,
    country: CountryInfo,
    photo: NormalizedPhoto | None = None,
    progressed: NormalizedPhoto | None = None,
) -> str:
    """A digest of one case's inputs: its fields, its country's data and its photos."""
    return digest(
        {
            "case": case_fields(case),
            "country": country,
            "photo": photo.sha256 if photo else None,
            "age_progressed": progressed.sha256 if progressed else None,
        }
    )


def cjk_font_digest() -> str:
    """A digest of the CJK font files the raster layouts draw with."""
    parts = []
    for weight, name in sorted(CJK_FILES.items()):
        path = find_file(name)
        parts.append(f"{weight}|{name}|{_file_digest(path) if path else 'missing'}")
    return digest(parts)


def fonts_digest() -> str:
    """The digest of every font file renders draw with (the shaped fonts and the CJK ones):
    a worker recomputes it to check it has the coordinator's fonts."""
    return digest([font_digest(), cjk_font_digest()])


def _file_digest(path: Path) -> str:
    stat = path.stat()
    return _hashed(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _hashed(path: Path, size: int, mtime_ns: int) -> str:
    del size, mtime_ns  # part of the cache key only: a changed file is hashed again
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def catalog_digest(tag: str) -> str:
    """The digest of the catalogs a locale is translated with (a seam for tests)."""
    return i18n.catalog_digest(tag)


def layout_version(fmt: str) -> str:
    """The engine and layout code behind a format: the package version, this module's engine
    version, the layout class, and its own ``version`` attribute when it declares one."""
    layout = layout_for(fmt)
    kind = type(layout)
    own = getattr(layout, "version", "")
    return f"{__version__}|{ENGINE_VERSION}|{kind.__module__}.{kind.__qualname__}|{own}"


class Keys:
    """The job keys of one build: the inputs shared by every job are computed once."""

    def __init__(self, config: Config, as_of: dt.date) -> None:
        fonts, cjk_fonts = font_digest(), cjk_font_digest()
        self.fonts = digest([fonts, cjk_fonts])  # as :func:`fonts_digest` computes it
        self._shared = digest(
            {
                "config": config_values(config),
                "as_of": as_of,
                "fonts": fonts,
                "cjk_fonts": cjk_fonts,
            }
        )
        self._catalogs: dict[str, str] = {}
        self._layouts: dict[str, str] = {}

    def job(self, case_digest: str, locale: str, fmt: str) -> str:
        """The key of one rendition of a case (``case_digest`` from :func:`case_digest`)."""
        if fmt not in self._layouts:
            self._layouts[fmt] = layout_version(fmt)
        return digest(
            {
                "shared": self._shared,
                "case": case_digest,
                "locale": locale,
                "catalog": self._catalog(locale),
                "format": fmt,
                "layout": self._layouts[fmt],
            }
        )

    def alerts(self, case_digest: str, locales: tuple[str, ...]) -> str:
        """The key of a case's alert files, written in ``locales``."""
        return digest(
            {
                "shared": self._shared,
                "case": case_digest,
                "locales": [[tag, self._catalog(tag)] for tag in locales],
                "format": "alerts",
                "engine": f"{__version__}|{ENGINE_VERSION}",
            }
        )

    def catalog(self, locale: str) -> str:
        """The digest of the catalogs ``locale`` is translated with in this build."""
        return self._catalog(locale)

    def _catalog(self, locale: str) -> str:
        if locale not in self._catalogs:
            self._catalogs[locale] = catalog_digest(locale)
        return self._catalogs[locale]
