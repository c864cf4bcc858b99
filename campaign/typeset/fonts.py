"""Font files: find them by family and weight, register them with ReportLab once, pick per script.

Search order: the project's ``assets/fonts/``, then the directories in ``CAMPAIGN_FONT_DIRS``
(``os.pathsep``-separated), then the system font directories. Every font is a TrueType file
(ReportLab refuses CFF outlines), so ReportLab subsets and embeds each one it draws with.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from campaign.errors import MissingDependency
from campaign.typeset.embed import SubsetCachingFont
from campaign.typeset.scripts import language

Weight = Literal["regular", "bold"]

ENV_FONT_DIRS = "CAMPAIGN_FONT_DIRS"
PROJECT_FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path("~/.local/share/fonts"),
)


@dataclass(frozen=True)
class Family:
    """A font family we know how to find: one file name per weight and the Debian package."""

    name: str
    regular: str
    bold: str
    package: str
    index: int = 0  # the face inside a TrueType collection


@dataclass(frozen=True)
class FontFace:
    """One resolved font: a file (and face index) plus the name it is registered under."""

    family: str
    weight: Weight
    path: Path
    index: int
    name: str
    emboldened: bool = False  # bold drawn from the regular face (fill plus a thin outline)


FAMILIES = {
    f.name: f
    for f in (
        Family("Noto Sans", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "fonts-noto-core"),
        Family(
            "Noto Sans Arabic",
            "NotoSansArabic-Regular.ttf",
            "NotoSansArabic-Bold.ttf",
            "fonts-noto-core",
        ),
        Family(
            "Noto Nastaliq Urdu",
            "NotoNastaliqUrdu-Regular.ttf",
            "NotoNastaliqUrdu-Bold.ttf",
            "fonts-noto-core",
        ),
        Family(
            "Noto Sans Hebrew",
            "NotoSansHebrew-Regular.ttf",
            "NotoSansHebrew-Bold.ttf",
            "fonts-noto-core",
        ),
        Family(
            "Noto Sans Devanagari",
            "NotoSansDevanagari-Regular.ttf",
            "NotoSansDevanagari-Bold.ttf",
            "fonts-noto-core",
        ),
        Family(
            "Noto Sans Tamil",
            "NotoSansTamil-Regular.ttf",
            "NotoSansTamil-Bold.ttf",
            "fonts-noto-core",
        ),
        Family(
            "Noto Sans Thai", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf", "fonts-noto-core"
        ),
        # One weight only: bold uses the same face (ReportLab then embeds it once), and PDFs
        # draw it emboldened.
        Family("WenQuanYi Micro Hei", "wqy-microhei.ttc", "wqy-microhei.ttc", "fonts-wqy-microhei"),
    )
}
LATIN = "Noto Sans"
CJK = "WenQuanYi Micro Hei"
SCRIPT_FAMILIES = {
    "Latn": LATIN,
    "Grek": LATIN,
    "Cyrl": LATIN,
    "Zyyy": LATIN,
    "Zinh": LATIN,
    "Arab": "Noto Sans Arabic",
    "Hebr": "Noto Sans Hebrew",
    "Deva": "Noto Sans Devanagari",
    "Taml": "Noto Sans Tamil",
    "Thai": "Noto Sans Thai",
    "Hani": CJK,
    "Hira": CJK,
    "Kana": CJK,
    "Bopo": CJK,
    "Hang": CJK,
}
# The fallback order after a script's own family: Latin first, then the rest of the table.
FALLBACK_ORDER = tuple(FAMILIES)


def font_dirs() -> tuple[Path, ...]:
    """The directories searched for fonts, in priority order."""
    environ = os.environ
    return _font_dirs(
        PROJECT_FONT_DIR, environ.get(ENV_FONT_DIRS, ""), SYSTEM_FONT_DIRS, environ.get("HOME")
    )


@lru_cache(maxsize=8)
def _font_dirs(
    project: Path, extra: str, system: tuple[Path, ...], home: str | None
) -> tuple[Path, ...]:
    del home  # part of the cache key: "~" expands to it
    more = [Path(p) for p in extra.split(os.pathsep) if p]
    return (project, *more, *(d.expanduser() for d in system))


@lru_cache(maxsize=8)
def _file_index(dirs: tuple[Path, ...]) -> dict[str, Path]:
    """File name → path; the first directory (in priority order) that holds a name wins."""
    index: dict[str, Path] = {}
    for top in dirs:
        for root, _subdirs, files in sorted(os.walk(top)):
            for name in sorted(files):
                index.setdefault(name, Path(root) / name)
    return index


def find_file(name: str) -> Path | None:
    """The first font file called ``name`` in the search directories (any format), or None."""
    return _file_index(font_dirs()).get(name)


def family_for(script: str, locale: str) -> str | None:
    """The family that writes ``script`` for ``locale`` (Urdu is written in Nastaliq)."""
    if script == "Arab" and language(locale) == "ur":
        return "Noto Nastaliq Urdu"
    return SCRIPT_FAMILIES.get(script)


def find_font(family: str, weight: Weight = "regular") -> FontFace:
    """Resolve a family and weight to a file; raise MissingDependency naming the package."""
    face = _lookup(family, weight, font_dirs())
    if face is None:
        spec = FAMILIES[family]
        raise MissingDependency(
            f"the font {family} ({getattr(spec, weight)})",
            command=f"apt-get install {spec.package}",
        )
    return face


def _lookup(family: str, weight: Weight, dirs: tuple[Path, ...]) -> FontFace | None:
    spec = FAMILIES[family]
    path = _file_index(dirs).get(getattr(spec, weight))
    if path is None:
        return None
    name = _unique_name(f"{family.replace(' ', '')}-{weight.title()}", path, spec.index)
    emboldened = weight == "bold" and spec.bold == spec.regular
    return FontFace(family, weight, path, spec.index, name, emboldened)


_names: dict[str, tuple[Path, int]] = {}


def _unique_name(name: str, path: Path, index: int) -> str:
    """A registration name that stays bound to one file for the whole process."""
    owner = _names.setdefault(name, (path, index))
    if owner == (path, index):
        return name
    return _unique_name(f"{name}-{_short_hash(str(path))}", path, index)


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def fallback_chain(script: str, locale: str, weight: Weight) -> Iterator[FontFace]:
    """The fonts to try for a character of ``script``: its own family first, then the others.

    The script's own family must be installed (MissingDependency otherwise); fallbacks that
    are not installed are skipped.
    """
    own = family_for(script, locale)
    if own is not None:
        yield find_font(own, weight)
    dirs = font_dirs()
    for family in FALLBACK_ORDER:
        if family != own:
            face = _lookup(family, weight, dirs)
            if face is not None:
                yield face


_by_file: dict[tuple[Path, int], TTFont] = {}
_by_face: dict[FontFace, TTFont] = {}


def ttfont(face: FontFace) -> TTFont:
    """The ReportLab font for ``face``, registered (once per process) under ``face.name``."""
    font = _by_face.get(face)
    if font is None:
        font = _by_face[face] = _register(face)
    return font


def _register(face: FontFace) -> TTFont:
    loaded = _by_file.get((face.path, face.index))
    if loaded is not None:
        # Same file under another weight's name: register an alias of the loaded font.
        alias = copy.copy(loaded)
        alias.fontName = face.name
        pdfmetrics.registerFont(alias)
        return loaded
    font = SubsetCachingFont(face.name, str(face.path), subfontIndex=face.index)
    _keep_face_name_distinct(font, face)
    pdfmetrics.registerFont(font)
    _by_file[(face.path, face.index)] = font
    return font


def _keep_face_name_distinct(font: TTFont, face: FontFace) -> None:
    """ReportLab shares fonts by PostScript name; another file of the same name gets a suffix."""
    shared: dict[bytes, TTFont] = vars(pdfmetrics)["_dynFaceNames"]
    other = shared.get(font.face.name)
    if other is not None and Path(other.face.filename) != face.path:
        font.face.name += b"-" + _short_hash(f"{face.path}:{face.index}").encode()


def covers(face: FontFace, char: str) -> bool:
    """True when the font maps ``char`` to a glyph."""
    return ord(char) in ttfont(face).face.charToGlyph


def base_font(weight: Weight = "regular") -> str:
    """Register Noto Sans and make it ReportLab's default canvas and graphics font.

    Pass the returned name as ``Canvas(initialFontName=...)`` so no base-14 Helvetica (which is
    never embedded) enters a PDF.
    """
    face = find_font(LATIN, weight)
    ttfont(face)
    rl_config.canvas_basefontname = face.name
    rl_config.defaultGraphicsFontName = face.name
    return face.name


_registered_in: set[tuple[Path, ...]] = set()


def register_fonts() -> None:
    """Register every installed family in both weights (once per set of font directories)."""
    dirs = font_dirs()
    if dirs not in _registered_in:
        for family in FAMILIES:
            for weight in ("regular", "bold"):
                face = _lookup(family, weight, dirs)
                if face is not None:
                    ttfont(face)
        _registered_in.add(dirs)
    base_font()


def font_digest() -> str:
    """A digest of every font file the resolver would use now (for build-cache keys)."""
    dirs = font_dirs()
    digest = hashlib.sha256()
    for family in sorted(FAMILIES):
        for weight in ("regular", "bold"):
            face = _lookup(family, weight, dirs)
            content = "missing" if face is None else _file_sha256(face.path)
            index = "-" if face is None else str(face.index)
            digest.update(f"{family}|{weight}|{index}|{content}\n".encode())
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256_of(path, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _sha256_of(path: Path, size: int, mtime_ns: int) -> str:
    del size, mtime_ns  # part of the cache key only: a changed file is hashed again
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
