"""The review gallery: ``DIR/index.html``, a contact sheet of a build that staff open from the
folder itself (offline: relative links only, inline CSS, no scripts, nothing fetched).

Per case it shows the case id and case_ref, its problems (errors, gated reasons, preflight
warnings), and per language a thumbnail of each rendition linking to the file: raster images
as themselves, a few PDFs (``THUMB_FORMATS``) as small PNGs that ``pdftoppm`` makes into
``DIR/_thumbs/<sha256>.png`` (kept while the PDF is unchanged), other files as links.
Languages whose translations nobody has reviewed are flagged on every rendition."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from campaign.i18n import review

GALLERY = "index.html"
THUMBS = "_thumbs"
THUMB_FORMATS = frozenset({"poster-a4", "flyer-a5", "poster-letter"})
THUMB_DPI = 20
THUMB_TIMEOUT_S = 60
MULTILINGUAL = "mul"
_RASTER = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_SEVERITY_ORDER = {"error": 0, "gated": 1, "warning": 2}
_KIND_ORDER = {"thumb": 0, "image": 1, "link": 2}


@dataclass(frozen=True)
class Tile:
    """One rendition in the gallery."""

    label: str
    href: str
    kind: str  # "image" (the file itself), "thumb" (a PDF's first page) or "link"
    src: str
    alt: str
    detail: str
    file_type: str  # "PDF", "PNG", "XML", …
    embed: str | None
    unreviewed: bool


@dataclass(frozen=True)
class Issue:
    """A problem as the gallery shows it."""

    severity: str
    code: str
    where: str  # "line 8 status", or ""
    message: str

    @classmethod
    def of(cls, problem: Mapping[str, Any]) -> Issue:
        where = " ".join(
            part
            for part in (
                f"line {problem['line']}" if problem.get("line") else "",
                str(problem.get("field") or ""),
            )
            if part
        )
        severity = str(problem.get("severity", ""))
        code = str(problem.get("code", ""))
        return cls(severity, code, where, str(problem.get("message", "")))

    @property
    def rank(self) -> tuple[int, str]:
        return (_SEVERITY_ORDER.get(self.severity, 3), self.code)


@dataclass
class LocaleGroup:
    tag: str
    reviewed: bool
    tiles: list[Tile] = field(default_factory=list)

    @property
    def title(self) -> str:
        return "Alert files (every language)" if self.tag == MULTILINGUAL else self.tag


@dataclass
class CaseView:
    case_id: str
    case_ref: str = ""
    problems: list[Issue] = field(default_factory=list)
    locales: dict[str, LocaleGroup] = field(default_factory=dict)

    @property
    def status(self) -> str:
        severities = {problem.severity for problem in self.problems}
        for status in ("error", "gated", "warning"):
            if status in severities:
                return status
        return "ok"


def find_pdftoppm() -> str | None:
    """The ``pdftoppm`` program (poppler-utils), if installed."""
    return shutil.which("pdftoppm")


def write_gallery(out_dir: Path, manifest: Mapping[str, Any]) -> Path:
    """Write ``out_dir/index.html`` (atomically) for the build that ``manifest`` describes."""
    root = out_dir.resolve()
    renditions = [item for item in manifest.get("renditions", []) if _safe(root, item)]
    tool = find_pdftoppm()
    thumbs = make_thumbnails(root, renditions, tool) if tool else set()
    cases = _cases(renditions, manifest.get("problems", []), thumbs)
    general = [Issue.of(p) for p in manifest.get("problems", []) if not p.get("case_id")]
    html = _template().render(
        as_of=manifest.get("as_of", ""),
        cases=cases,
        general=sorted(general, key=lambda issue: issue.rank),
        renditions=len(renditions),
        totals=_totals(manifest.get("problems", [])),
        pdftoppm=tool is not None,
    )
    return _write_atomic(root / GALLERY, html.encode("utf-8"))


def make_thumbnails(root: Path, renditions: Iterable[Mapping[str, Any]], tool: str) -> set[str]:
    """PNG thumbnails of the PDFs of ``THUMB_FORMATS`` in ``root/_thumbs/<sha256>.png``: an
    existing one is reused (same digest, same bytes), stale ones removed. Returns the digests
    that have a thumbnail."""
    wanted = {
        item["sha256"]: item["path"]
        for item in renditions
        if item.get("format") in THUMB_FORMATS and item.get("media_type") == "application/pdf"
    }
    folder = root / THUMBS
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        if old.stem not in wanted:
            old.unlink(missing_ok=True)
    missing = [(d, p) for d, p in wanted.items() if not (folder / f"{d}.png").is_file()]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        list(pool.map(lambda job: _thumbnail(tool, root / job[1], folder, job[0]), missing))
    return {digest for digest in wanted if (folder / f"{digest}.png").is_file()}


def _thumbnail(tool: str, pdf: Path, folder: Path, digest: str) -> None:
    """Render the first page of ``pdf`` to ``folder/<digest>.png``; on failure, no thumbnail."""
    with tempfile.TemporaryDirectory(dir=folder, prefix=".thumb-") as work:
        prefix = Path(work) / "page"
        command = [tool, "-r", str(THUMB_DPI), "-png", "-singlefile", "-f", "1", "-l", "1"]
        try:
            subprocess.run(
                [*command, str(pdf), str(prefix)],
                check=True,
                capture_output=True,
                timeout=THUMB_TIMEOUT_S,
            )
            os.replace(prefix.with_suffix(".png"), folder / f"{digest}.png")
        except (OSError, subprocess.SubprocessError):
            return


def _write_atomic(target: Path, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)
    return target


def _safe(root: Path, item: Mapping[str, Any]) -> bool:
    """A manifest entry the gallery can show: a digest, and a path inside the build folder."""
    path = item.get("path")
    if not isinstance(path, str) or not _DIGEST.match(str(item.get("sha256", ""))):
        return False
    return (root / path).resolve().is_relative_to(root)


def _cases(
    renditions: list[Mapping[str, Any]], problems: list[Mapping[str, Any]], thumbs: set[str]
) -> list[CaseView]:
    cases: dict[str, CaseView] = {}
    for problem in problems:
        if problem.get("case_id"):
            case_id = str(problem["case_id"])
            cases.setdefault(case_id, CaseView(case_id)).problems.append(Issue.of(problem))
    for item in sorted(renditions, key=lambda r: (r["locale"] == MULTILINGUAL, r["path"])):
        case = cases.setdefault(item["case_id"], CaseView(item["case_id"]))
        case.case_ref = item.get("case_ref", "")
        tag = item["locale"]
        if tag not in case.locales:
            reviewed = tag == MULTILINGUAL or review(tag).reviewed
            case.locales[tag] = LocaleGroup(tag, reviewed)
        group = case.locales[tag]
        group.tiles.append(_tile(item, thumbs, not group.reviewed))
    for case in cases.values():
        case.problems.sort(key=lambda issue: issue.rank)
        for group in case.locales.values():  # pictures first, bare links last
            group.tiles.sort(key=lambda tile: (_KIND_ORDER[tile.kind], tile.label))
    return [cases[key] for key in sorted(cases)]


def _tile(item: Mapping[str, Any], thumbs: set[str], unreviewed: bool) -> Tile:
    href = quote(item["path"])
    media = item.get("media_type", "")
    label = item["format"]
    if media in _RASTER:
        kind, src = "image", href
        alt = item.get("alt") or f"{label} image of case {item['case_id']}"
    elif item["sha256"] in thumbs:
        kind, src = "thumb", f"{THUMBS}/{item['sha256']}.png"
        alt = f"First page of the {label} PDF of case {item['case_id']} ({item['locale']})"
    else:
        kind, src, alt = "link", "", ""
    size = f"{item['width']}×{item['height']} px · " if item.get("width") else ""
    kind_name = Path(item["path"]).suffix.lstrip(".").upper()
    embed = quote(item["embed"]) if item.get("embed") else None
    detail = f"{size}{kind_name} · {_bytes(int(item.get('bytes', 0)))}"
    return Tile(label, href, kind, src, alt, detail, kind_name, embed, unreviewed)


def _bytes(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} kB"
    return f"{count / 1024 / 1024:.1f} MB"


def _totals(problems: list[Mapping[str, Any]]) -> dict[str, int]:
    totals = dict.fromkeys(_SEVERITY_ORDER, 0)
    for problem in problems:
        severity = str(problem.get("severity"))
        if severity in totals:
            totals[severity] += 1
    return totals


def _template() -> Any:
    env = Environment(
        loader=PackageLoader("campaign", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("gallery.html.j2")
