"""Web banners and social images of the example campaign: sizes, weights, alt text, embed code,
clean bytes, right-to-left mirroring, the story safe zone and determinism."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from campaign import jpeg
from campaign.config import Config, load_config
from campaign.errors import MissingDependency
from campaign.i18n import country, country_table, formatting, localizer, vocabulary
from campaign.i18n.vocabulary import Phrase
from campaign.intake import take_photo
from campaign.layouts import Output, RenderContext, default_formats, layout_for, raster, rastertext
from campaign.layouts.banner import FORMATS as BANNERS
from campaign.layouts.content import compose_short
from campaign.layouts.social import FORMATS as SOCIAL
from campaign.models import Case, Publicity
from tests.conftest import AS_OF, DemoBuild

RASTERS = {**{f: s.size for f, s in BANNERS.items()}, **{f: s.size for f, s in SOCIAL.items()}}
CAPS = {**{f: s.cap for f, s in BANNERS.items()}, **{f: s.cap for f, s in SOCIAL.items()}}
IAB_CAPS = {
    "banner-300x250": 150_000,
    "banner-728x90": 150_000,
    "banner-160x600": 150_000,
    "banner-300x600": 150_000,
    "banner-320x50": 50_000,
    "banner-970x250": 250_000,
}
# JPEG segments an image may carry: JFIF header, tables, frame, scan, end.
ESSENTIAL = {jpeg.APP0, jpeg.DQT, jpeg.DHT, jpeg.DRI, jpeg.SOS, jpeg.EOI, *jpeg.SOF_KEPT}
LOCALIZED = [("DEMO-MX-001", "es"), ("DEMO-AE-001", "ar"), ("DEMO-MY-001", "zh-Hans")]


@dataclass(frozen=True)
class RasterBuild:
    root: Path
    manifest: dict[str, Any]
    cases: dict[str, Case]
    config: Config

    def renditions(self, fmt: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.manifest["renditions"]
            if r["format"] in RASTERS and (fmt is None or r["format"] == fmt)
        ]

    def one(self, case_id: str, locale: str, fmt: str) -> dict[str, Any]:
        (found,) = [
            r for r in self.renditions(fmt) if r["case_id"] == case_id and r["locale"] == locale
        ]
        return found

    def image(self, rendition: dict[str, Any]) -> Image.Image:
        with Image.open(self.root / rendition["path"]) as im:
            return im.convert("RGB")


@pytest.fixture(scope="session")
def rasters(demo_dir: Path, demo_build: DemoBuild) -> RasterBuild:
    """The example's default build (every print, screen, banner and social format), which the
    print tests share: banners and social images are part of every default build."""
    config = load_config(demo_dir / "campaign.toml")
    cases = {case.case_id: case for case in demo_build.loaded.publishable}
    return RasterBuild(demo_build.root, demo_build.manifest, cases, config)


def render(rasters: RasterBuild, case_id: str, locale: str, fmt: str) -> Output:
    case = rasters.cases[case_id]
    config = rasters.config
    assert isinstance(case.photo, Path)
    ctx = RenderContext(
        config=config,
        as_of=AS_OF,
        country=country(case.missing_country, country_table(config.countries)),
        photo=take_photo(case.photo, config, None),
    )
    return layout_for(fmt).render(case, locale, fmt, ctx)


def test_the_layouts_are_registered_and_built_by_default() -> None:
    assert set(RASTERS) <= set(default_formats())
    assert set(IAB_CAPS) == set(BANNERS)
    assert {
        f"social-{s}" for s in ("1200x630", "1200x675", "1080x1080", "1080x1350", "1080x1920")
    } == set(SOCIAL)


def test_every_public_case_and_locale_has_every_format(rasters: RasterBuild) -> None:
    made = {(r["case_id"], r["locale"], r["format"]) for r in rasters.renditions()}
    pairs = {(r["case_id"], r["locale"]) for r in rasters.renditions()}
    assert {case_id for case_id, _ in pairs} >= {"DEMO-AE-001", "DEMO-MY-001", "DEMO-MX-001"}
    assert made == {(c, loc, fmt) for c, loc in pairs for fmt in RASTERS}


def test_restricted_cases_get_no_web_or_social_images(rasters: RasterBuild) -> None:
    restricted = {
        p["case_id"] for p in rasters.manifest["renditions"] if p["case_id"] == "DEMO-AE-002"
    }
    assert rasters.cases["DEMO-AE-002"].publicity is Publicity.RESTRICTED
    assert not restricted & {r["case_id"] for r in rasters.renditions()}


@pytest.mark.parametrize("fmt", list(RASTERS))
def test_exact_size_and_under_the_weight_cap(rasters: RasterBuild, fmt: str) -> None:
    cap = IAB_CAPS.get(fmt, CAPS[fmt])
    assert CAPS[fmt] <= cap
    for rendition in rasters.renditions(fmt):
        path = rasters.root / rendition["path"]
        with Image.open(path) as im:
            assert im.format == "JPEG" and im.size == RASTERS[fmt], rendition["path"]
        assert (rendition["width"], rendition["height"]) == RASTERS[fmt]
        assert rendition["bytes"] == path.stat().st_size <= cap, rendition["path"]
        assert rendition["media_type"] == "image/jpeg"
    assert not [p for p in rasters.manifest["problems"] if p["code"] == "weight-over-cap"]


def test_bytes_carry_no_metadata(rasters: RasterBuild) -> None:
    for rendition in rasters.renditions():
        data = (rasters.root / rendition["path"]).read_bytes()
        segments = list(jpeg.segments(data))
        assert {s.marker for s in segments} <= ESSENTIAL, rendition["path"]
        (app0,) = [s for s in segments if s.marker == jpeg.APP0]
        assert app0.body.startswith(b"JFIF\x00")
        assert data.endswith(b"\xff\xd9")


def test_same_inputs_give_the_same_bytes(rasters: RasterBuild) -> None:
    for fmt in ("banner-300x250", "social-1080x1080"):
        first = render(rasters, "DEMO-AE-001", "ar", fmt)
        assert render(rasters, "DEMO-AE-001", "ar", fmt).data == first.data
        assert (
            first.data
            == (rasters.root / rasters.one("DEMO-AE-001", "ar", fmt)["path"]).read_bytes()
        )


def test_every_image_has_alt_text_with_name_and_date(rasters: RasterBuild) -> None:
    for rendition in rasters.renditions():
        case = rasters.cases[rendition["case_id"]]
        alt = rendition["alt"]
        tag = localizer(rendition["locale"]).tag
        assert case.display_name in alt
        assert formatting.date(case.missing_since, tag) in alt
        assert "\n" not in alt and "\u2068" not in alt


@pytest.mark.parametrize(("case_id", "locale"), LOCALIZED)
def test_alt_text_is_in_the_locale(rasters: RasterBuild, case_id: str, locale: str) -> None:
    rendition = rasters.one(case_id, locale, "banner-300x250")
    case = rasters.cases[case_id]
    info = country(case.missing_country, country_table(rasters.config.countries))
    english = compose_short(case, "en", info, AS_OF).alt
    assert rendition["alt"] == compose_short(case, locale, info, AS_OF).alt
    loc = localizer(locale)
    if vocabulary.phrase(loc, Phrase.ALT_TEXT) == vocabulary.PHRASES[Phrase.ALT_TEXT]:
        pytest.xfail(f"the {locale} catalog does not translate the alt text yet")
    assert rendition["alt"] != english
    assert not rendition["alt"].startswith("Appeal for a missing child")


def test_banner_embed_code_links_with_utm_and_escapes(rasters: RasterBuild) -> None:
    for rendition in rasters.renditions():
        fmt = rendition["format"]
        query = parse_qs(urlsplit(rendition["qr_url"]).query)
        channel = ("web", "banner") if fmt in BANNERS else ("social", "social")
        assert (query["utm_source"][0], query["utm_medium"][0]) == channel
        assert query["utm_content"] == [fmt]
        assert rendition["case_ref"] in rendition["qr_url"]
        if fmt not in BANNERS:
            assert "embed" not in rendition
            continue
        assert rendition["embed"] == rendition["path"].removesuffix(".jpg") + ".html"
        snippet = (rasters.root / rendition["embed"]).read_text(encoding="utf-8")
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', snippet))
        assert html.unescape(attributes["href"]) == rendition["qr_url"]
        assert "&amp;utm_medium=banner" in snippet
        assert attributes["src"] == Path(rendition["path"]).name
        assert (int(attributes["width"]), int(attributes["height"])) == RASTERS[fmt]
        assert html.unescape(attributes["alt"]) == rendition["alt"]
        assert attributes["lang"] == localizer(rendition["locale"]).tag


def test_embed_code_escapes_every_value() -> None:
    snippet = raster.embed_html(
        'https://x.org/c/A?a=1&b="2"', "b<1>.jpg", (300, 250), 'Ana "Ani" <b> & co', "he", True
    )
    assert 'href="https://x.org/c/A?a=1&amp;b=&quot;2&quot;"' in snippet
    assert 'src="b&lt;1&gt;.jpg"' in snippet
    assert 'alt="Ana &quot;Ani&quot; &lt;b&gt; &amp; co"' in snippet
    assert 'dir="rtl"' in snippet and "<b>" not in snippet


@pytest.mark.parametrize(
    ("fmt", "ltr_photo"),
    [("banner-728x90", (0, 0, 72, 90)), ("banner-300x250", (0, 32, 112, 212))],
)
def test_arabic_banners_put_the_photo_on_the_right(
    rasters: RasterBuild, fmt: str, ltr_photo: tuple[int, int, int, int]
) -> None:
    english = np.asarray(rasters.image(rasters.one("DEMO-AE-001", "en", fmt)), dtype=float)
    arabic = np.asarray(rasters.image(rasters.one("DEMO-AE-001", "ar", fmt)), dtype=float)
    width = english.shape[1]
    left, top, right, bottom = ltr_photo
    photo_en = english[top:bottom, left:right]
    mirrored = arabic[top:bottom, width - right : width - left]
    same_side = arabic[top:bottom, left:right]
    assert np.abs(photo_en - mirrored)[2:-2, 2:-2].mean() < 6  # the same picture, on the right
    assert np.abs(photo_en - same_side).mean() > 30  # and something else on the left


def test_story_keeps_text_out_of_the_top_and_bottom_15_percent(rasters: RasterBuild) -> None:
    band = np.array(raster.BAND, dtype=float)
    for rendition in rasters.renditions("social-1080x1920"):
        pixels = np.asarray(rasters.image(rendition), dtype=float)
        height = pixels.shape[0]
        margin = int(height * 0.15)
        for stripe in (pixels[1 : margin - 1], pixels[height - margin + 1 : -1]):
            assert np.abs(stripe - band).max() < 24, rendition["path"]  # plain red: no text
    for case_id, locale in LOCALIZED:
        figures = render(rasters, case_id, locale, "social-1080x1920").measurements
        assert figures["text_top_px"] >= 1920 * 0.15
        assert figures["text_bottom_px"] <= 1920 * 0.85


def test_the_long_name_is_never_cut(rasters: RasterBuild) -> None:
    name = rasters.cases["DEMO-MX-001"].display_name
    cut = [p for p in rasters.manifest["problems"] if p["code"] == "text-truncated"]
    assert not [p for p in cut if name in p["message"]]
    for fmt in RASTERS:
        figures = render(rasters, "DEMO-MX-001", "es", fmt).measurements
        assert figures["name_lines"] >= 1 and figures["name_size_px"] >= 8


def test_small_photo_is_reported_as_enlarged(rasters: RasterBuild) -> None:
    found = [
        p
        for p in rasters.manifest["problems"]
        if p["code"] == "photo-low-resolution" and p["case_id"] == "DEMO-IN-002"
    ]
    assert found and all(p["severity"] == "warning" for p in found)
    assert any("social-1080x1920" in p["message"] and "×" in p["message"] for p in found)
    assert not [
        p
        for p in rasters.manifest["problems"]
        if p["code"] == "photo-low-resolution" and p["case_id"] != "DEMO-IN-002"
    ]


def test_missing_raqm_names_the_packages(
    rasters: RasterBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rastertext.features, "check", lambda feature: False)
    with pytest.raises(MissingDependency, match="apt-get install libraqm0 libfribidi0"):
        render(rasters, "DEMO-AE-001", "ar", "banner-320x50")


def test_encoding_steps_down_to_fit_the_cap_and_reports_when_it_cannot() -> None:
    noise = Image.fromarray(np.random.default_rng(7).integers(0, 256, (250, 300, 3), np.uint8))
    best = raster.encode(noise, 10_000_000)
    assert (best.quality, best.over_cap) == (raster.LADDER[0][0], False)
    lighter = raster.encode(noise, len(best.data) // 2)
    assert lighter.quality < best.quality and len(lighter.data) <= len(best.data) // 2
    assert not lighter.over_cap
    hopeless = raster.encode(noise, 1_000)
    assert hopeless.over_cap and hopeless.quality == raster.LADDER[-1][0]


def test_cli_builds_one_banner_format(demo_dir: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from campaign.cli import main

    out = tmp_path / "out"
    args = ["build", str(demo_dir / "cases.csv"), "--out", str(out), "--quiet"]
    args += ["--config", str(demo_dir / "campaign.toml"), "--as-of", AS_OF.isoformat()]
    result = CliRunner().invoke(main, [*args, "--format", "banner-300x250"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    banners = [r for r in manifest["renditions"] if r["format"] == "banner-300x250"]
    assert banners and all((out / r["embed"]).is_file() for r in banners)
    assert (out / "DEMO-AE-001" / "ar" / "banner-300x250.jpg").is_file()


def test_chinese_is_drawn_with_the_simplified_face_of_noto_sans_cjk() -> None:
    from campaign.typeset.fonts import CJK, find_font

    assert [rastertext.cjk_face(tag) for tag in ("zh-Hans", "zh", "ja", "ko", "zh-TW")] == [
        2,
        2,
        0,
        1,
        3,
    ]
    path, index = rastertext.raster_file(find_font(CJK, "bold"), "zh-Hans")
    assert path.name == "NotoSansCJK-Bold.ttc" and index == 2
