"""Localization: gettext catalogs per BCP 47 tag, and per-country defaults.

Tags are BCP 47 (``pt-BR``, ``zh-Hans``) everywhere in the engine; the gettext form
(``pt_BR``) exists only inside this package. Catalogs ship as ``locales/<tag>.po`` and are
compiled in memory on first use (no ``.mo`` files are kept).

A request for a tag without a catalog falls back along :func:`fallback_chain` — the tag, the
tag with its likely script (``zh-TW`` → ``zh-Hant-TW``), shorter tags, then ``en`` — and the
:class:`Localizer` says which catalog was used so callers can report the fallback.
"""

from __future__ import annotations

import functools
import gettext
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from campaign.i18n.countries import CountryInfo, country, country_table

__all__ = [
    "DEFAULT_TAG",
    "Review",
    "CountryInfo",
    "Localizer",
    "available_locales",
    "catalog_digest",
    "country",
    "country_table",
    "fallback_chain",
    "is_valid_tag",
    "localizer",
    "review",
    "to_gettext",
    "translations",
]

DEFAULT_TAG = "en"
_TAG_SYNTAX = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def to_gettext(tag: str) -> str:
    """The gettext/Babel form of a BCP 47 tag: ``pt-BR`` → ``pt_BR``, ``zh-Hans`` → ``zh_Hans``."""
    return tag.replace("-", "_")


def is_valid_tag(tag: str) -> bool:
    """Whether ``tag`` is a BCP 47 tag that CLDR (through Babel) knows."""
    if not _TAG_SYNTAX.match(tag):
        return False
    try:
        Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return False
    return True


@functools.cache
def available_locales() -> tuple[str, ...]:
    """The BCP 47 tags of the shipped catalogs, sorted."""
    folder = resources.files(__name__) / "locales"
    names = (entry.name for entry in folder.iterdir() if entry.name.endswith(".po"))
    return tuple(sorted(name.removesuffix(".po") for name in names))


def _truncations(tag: str) -> list[str]:
    parts = tag.split("-")
    return ["-".join(parts[:end]) for end in range(len(parts), 0, -1)]


def _is_region(subtag: str) -> bool:
    return (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit())


@functools.cache
def _scripts_by_language() -> dict[str, str | set[str]]:
    """CLDR's likely scripts: language → its default script, and language+region → script."""
    likely: Mapping[str, str] = get_global("likely_subtags")
    found: dict[str, str | set[str]] = {}
    for key, value in likely.items():
        key_parts, value_parts = key.split("_"), value.split("_")
        if key_parts[0] == "und" or len(value_parts) < 2 or len(value_parts[1]) != 4:
            continue
        if len(key_parts) == 1 or (len(key_parts) == 2 and _is_region(key_parts[1])):
            found[key] = value_parts[1]
    return found


def _with_likely_script(tag: str) -> str | None:
    """``zh-TW`` → ``zh-Hant-TW``, ``zh`` → ``zh-Hans``, ``sr-ME`` → ``sr-Latn-ME``.

    Only for languages CLDR writes in more than one script by region, and only when the tag
    names no script itself; None otherwise.
    """
    parts = tag.split("-")
    language = parts[0].lower()
    if len(parts) > 1 and len(parts[1]) == 4 and parts[1].isalpha():
        return None
    scripts = _scripts_by_language()
    variants = {script for key, script in scripts.items() if key.split("_")[0] == language}
    if len(variants) < 2:
        return None
    region = parts[1].upper() if len(parts) > 1 and _is_region(parts[1]) else ""
    script = scripts.get(f"{language}_{region}") or scripts.get(language)
    return "-".join([parts[0], str(script), *parts[1:]]) if script else None


def fallback_chain(tag: str) -> tuple[str, ...]:
    """Tags to try for ``tag``, best first, ending with ``en`` (``pt-BR`` → pt-BR, pt, en)."""
    candidates = [tag]
    scripted = _with_likely_script(tag)
    if scripted:
        candidates += _truncations(scripted)[:-1]
    candidates += _truncations(tag)[1:]
    candidates.append(DEFAULT_TAG)
    chain: list[str] = []
    for candidate in candidates:
        if candidate.lower() not in (known.lower() for known in chain):
            chain.append(candidate)
    return tuple(chain)


def _shipped(tag: str) -> str | None:
    """The shipped catalog's own spelling of ``tag`` (tags compare case-insensitively)."""
    by_lower = {known.lower(): known for known in available_locales()}
    return by_lower.get(tag.lower())


@functools.cache
def _compiled(tag: str) -> bytes:
    """The compiled catalog of ``tag``: the ``.mo`` the package build made beside the ``.po``,
    or, in a source tree, the ``.po`` compiled in memory (fuzzy entries left out)."""
    folder = resources.files(__name__) / "locales"
    built = folder / f"{tag}.mo"
    if built.is_file():
        return built.read_bytes()
    return compile_po((folder / f"{tag}.po").read_bytes(), tag)


def catalog_digest(tag: str) -> str:
    """A sha256 over the compiled catalogs ``tag`` is translated with (its fallback chain), for
    build-cache keys: a changed translation changes the digest of every tag that uses it."""
    digest = hashlib.sha256()
    for shipped in dict.fromkeys(s for t in fallback_chain(tag) if (s := _shipped(t))):
        digest.update(f"{shipped}|{hashlib.sha256(_compiled(shipped)).hexdigest()}\n".encode())
    return digest.hexdigest()


def compile_po(source: bytes, tag: str) -> bytes:
    """A ``.po`` file's bytes as ``.mo`` bytes (fuzzy entries left out)."""
    catalog = read_po(io.BytesIO(source), locale=to_gettext(tag))
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


@dataclass(frozen=True)
class Review:
    """Who checked a catalog: ``Review-Status`` and ``Reviewer`` from its header comment."""

    status: str
    reviewer: str

    @property
    def reviewed(self) -> bool:
        return self.status == "reviewed" and bool(self.reviewer)


_REVIEW_LINE = re.compile(r"^#\s*(Review-Status|Reviewer):[ \t]*(.*?)\s*$", re.M)


@functools.cache
def review(tag: str) -> Review:
    """The review record of the catalog used for ``tag`` (unknown tags: not reviewed)."""
    shipped = _shipped(tag)
    if shipped is None:
        return Review("missing", "")
    text = (resources.files(__name__) / "locales" / f"{shipped}.po").read_text("utf-8")
    header = text.split('msgid ""', 1)[0]
    found: dict[str, str] = {}
    for key, value in _REVIEW_LINE.findall(header):
        found.setdefault(key, value)  # the record, not the explanation that may follow it
    return Review(found.get("Review-Status", "unknown"), found.get("Reviewer", ""))


@dataclass(frozen=True)
class Localizer:
    """The catalog chosen for a requested tag, with gettext's lookups.

    ``tag`` is the catalog actually used; ``requested`` the tag asked for. Missing messages
    fall through the rest of the chain to English.
    """

    requested: str
    tag: str
    translations: gettext.NullTranslations = field(repr=False, compare=False)

    @property
    def fell_back(self) -> bool:
        """True when no catalog exists for the requested tag itself."""
        return self.tag.lower() != self.requested.lower()

    @property
    def direction(self) -> str:
        """``"rtl"`` or ``"ltr"``: the base direction of text in this locale."""
        order = Locale.parse(to_gettext(self.tag)).character_order
        return "rtl" if order == "right-to-left" else "ltr"

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self.translations.npgettext(context, singular, plural, n)


@functools.cache
def localizer(tag: str) -> Localizer:
    """The :class:`Localizer` for a BCP 47 tag; raises ``ValueError`` for a malformed tag."""
    if not _TAG_SYNTAX.match(tag):
        raise ValueError(f"not a BCP 47 language tag: {tag!r}")
    found = [shipped for t in fallback_chain(tag) if (shipped := _shipped(t))]
    if not found:
        return Localizer(tag, DEFAULT_TAG, gettext.NullTranslations())
    first = Translations(io.BytesIO(_compiled(found[0])))
    for later in found[1:]:
        first.add_fallback(Translations(io.BytesIO(_compiled(later))))
    return Localizer(tag, found[0], first)


def translations(tag: str) -> gettext.NullTranslations:
    """The gettext translations for ``tag`` after fallback (see :func:`localizer`)."""
    return localizer(tag).translations
