"""The review gallery (DIR/index.html): offline, valid, escaped, and what a person sees in a
browser (headless Chromium, from scripts/debian-packages.txt)."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
from PIL import Image

from campaign import preview
from campaign.i18n import review
from campaign.manifest import read_manifest
from tests.browser import CHROMIUM, chromium
from tests.conftest import DemoBuild

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (scripts/system-deps.sh installs it)"
)


@pytest.fixture(scope="module")
def gallery(demo_build: DemoBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo build with its gallery written."""
    root = tmp_path_factory.mktemp("gallery") / "build"
    shutil.copytree(demo_build.root, root)
    return preview.write_gallery(root, read_manifest(root))


def parse(text: str) -> Any:
    """The document as html5lib parses it in strict mode (raises on any parse error)."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(text)


def test_gallery_is_valid_html_with_local_targets_only(gallery: Path) -> None:
    text = gallery.read_text(encoding="utf-8")
    document = parse(text)
    root = gallery.parent
    ids = {element.get("id") for element in document.iter() if element.get("id")}
    images = document.findall(".//img")
    assert images and all(img.get("alt") for img in images)
    assert all(img.get("loading") == "lazy" for img in images)
    assert not document.findall(".//script") and not document.findall(".//link")
    targets = [a.get("href") for a in document.findall(".//a")] + [i.get("src") for i in images]
    for target in targets:
        parts = urlsplit(target)
        assert not parts.scheme and not parts.netloc, target
        if parts.path:
            found = (root / unquote(parts.path)).resolve()
            assert found.is_file() and found.is_relative_to(root.resolve()), target
        else:
            assert parts.fragment in ids, target
    assert not re.search(r"url\(|@import|https?://", text.split("</style>")[0])


def test_every_case_with_its_problems_and_renditions(gallery: Path, demo_build: DemoBuild) -> None:
    document = parse(gallery.read_text(encoding="utf-8"))
    sections = {s.get("id"): s for s in document.iter("section")}
    manifest = demo_build.manifest
    case_ids = {r["case_id"] for r in manifest["renditions"]}
    case_ids |= {p["case_id"] for p in manifest["problems"] if p.get("case_id")}
    assert {f"case-{case_id}" for case_id in case_ids} == set(sections)
    for rendition in manifest["renditions"]:
        section = sections[f"case-{rendition['case_id']}"]
        text = "".join(section.itertext())
        assert rendition["case_ref"] in text
        hrefs = {a.get("href") for a in section.iter("a")}
        assert rendition["path"] in {unquote(href) for href in hrefs}
    for problem in manifest["problems"]:
        if problem.get("case_id"):
            text = " ".join("".join(sections[f"case-{problem['case_id']}"].itertext()).split())
            assert " ".join(problem["message"].split()) in text
    gated = {p["case_id"] for p in manifest["problems"] if p["severity"] == "gated"}
    assert gated and gated.isdisjoint(r["case_id"] for r in manifest["renditions"])
    for case_id in gated:
        assert "Nothing rendered" in "".join(sections[f"case-{case_id}"].itertext())


def test_pdf_thumbnails_only_for_a_few_formats_named_by_digest(
    gallery: Path, demo_build: DemoBuild
) -> None:
    thumbs = {path.stem for path in (gallery.parent / "_thumbs").glob("*.png")}
    wanted = {
        r["sha256"]
        for r in demo_build.manifest["renditions"]
        if r["format"] in preview.THUMB_FORMATS
    }
    assert thumbs == wanted
    one = next(iter(thumbs))
    with Image.open(gallery.parent / "_thumbs" / f"{one}.png") as image:
        assert max(image.size) < 400
    text = gallery.read_text(encoding="utf-8")
    assert all(f'src="_thumbs/{digest}.png"' in text for digest in thumbs)


def test_thumbnails_are_reused_when_the_pdf_is_unchanged(
    gallery: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = gallery.parent
    before = {p.name: p.stat().st_mtime_ns for p in (root / "_thumbs").glob("*.png")}
    stale = root / "_thumbs" / f"{'0' * 64}.png"
    stale.write_bytes(b"old")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pdftoppm ran although every thumbnail is there")

    monkeypatch.setattr(preview.subprocess, "run", refuse)
    preview.write_gallery(root, read_manifest(root))
    after = {p.name: p.stat().st_mtime_ns for p in (root / "_thumbs").glob("*.png")}
    assert after == before  # the stale one removed, the others untouched


def test_unreviewed_translations_are_flagged(gallery: Path) -> None:
    document = parse(gallery.read_text(encoding="utf-8"))
    seen: set[str] = set()
    for heading in document.iter("h3"):
        tag = heading.get("lang")
        flagged = "translation not reviewed" in "".join(heading.itertext())
        assert flagged == (tag != "mul" and not review(tag).reviewed), tag
        seen.add(tag)
    assert "en" in seen and any(not review(tag).reviewed for tag in seen - {"mul"})
    for figure in document.iter("figure"):
        caption = "".join(figure.itertext())
        assert ("unreviewed" in figure.get("class", "")) == ("not reviewed" in caption)


def test_without_pdftoppm_pdfs_are_links(
    demo_build: DemoBuild, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preview, "find_pdftoppm", lambda: None)
    out = preview.write_gallery(tmp_path, demo_build.manifest)
    text = out.read_text(encoding="utf-8")
    assert "pdftoppm (Debian package poppler-utils) is not installed" in text
    assert "_thumbs/" not in text


def test_manifest_text_is_escaped(tmp_path: Path, demo_build: DemoBuild) -> None:
    manifest = copy.deepcopy(demo_build.manifest)
    item = next(r for r in manifest["renditions"] if r["format"] == "banner-300x250")
    item["alt"] = '"><script>alert(1)</script>'
    manifest["problems"] = [
        {"severity": "warning", "code": "x", "case_id": "<b>X</b>", "message": "<i>hi</i> & co"}
    ]
    manifest["renditions"] = [item]
    text = preview.write_gallery(tmp_path, manifest).read_text(encoding="utf-8")
    assert "<script>" not in text and "<b>X</b>" not in text and "<i>hi</i>" not in text
    assert "&lt;i&gt;hi&lt;/i&gt; &amp; co" in text
    parse(text)


@needs_chromium
def test_chromium_shows_the_gallery(gallery: Path, tmp_path: Path) -> None:
    shot = tmp_path / "gallery.png"
    url = gallery.as_uri()
    chromium(f"--screenshot={shot}", "--window-size=1280,2000", url, profile=tmp_path / "p1")
    with Image.open(shot) as image:
        assert image.size == (1280, 2000)
        colours = image.convert("RGB").resize((320, 500)).getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 200  # pictures and text, not a blank page
    dom = chromium("--dump-dom", url, profile=tmp_path / "p2").stdout
    document = html5lib.parse(dom, namespaceHTMLElements=False)
    text = "".join(document.itertext())
    manifest = read_manifest(gallery.parent)
    for case_id in {r["case_id"] for r in manifest["renditions"]}:
        assert case_id in text
    images = document.findall(".//img")
    thumbs = [img for img in images if img.get("src", "").startswith("_thumbs/")]
    assert thumbs and len(images) > len(thumbs)
    assert all((gallery.parent / unquote(img.get("src"))).is_file() for img in images)
    assert text.count("translation not reviewed") > 0
