"""Partner feeds, the widget and landing pages: valid for their readers, deterministic, escaped,
and what a browser shows — one active case, and nothing at all once every case is withdrawn."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import html5lib
import pytest

from campaign import feeds
from campaign.feeds import Feed, FeedEntry
from campaign.i18n import localizer
from campaign.i18n.vocabulary import Phrase, phrase
from tests.browser import chromium

HOSTILE = '<script>alert("x")</script> & "quoted" <img src=x onerror=alert(1)>'
UPDATED = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
BANNED_EN = Path(feeds.__file__).parent / "i18n" / "banned" / "en.txt"


def entry(ref: str = "K7Q2-9MXD", locale: str = "en", **changes: Any) -> FeedEntry:
    base = FeedEntry(
        case_ref=ref,
        locale=locale,
        title=f"MISSING: Ana Ejemplo ({ref})",
        summary=f"Appeal for a missing child: Ana Ejemplo, 12 years ({ref}).",
        url=f"https://appeals.example.org/c/{ref}/{locale}/",
        image_url=f"https://appeals.example.org/c/{ref}/{locale}/banner.jpg",
        image_alt=f"Photo of Ana Ejemplo ({ref})",
        image_type="image/jpeg",
        published=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        updated=datetime(2026, 11, 28, 10, 30, tzinfo=timezone(timedelta(hours=1))),
    )
    return dataclasses.replace(base, **changes)


def feed(*entries: FeedEntry, language: str | None = "en") -> Feed:
    return Feed(
        title="Appeals — Fundación Ejemplo",
        home_url="https://appeals.example.org/",
        feed_url="https://appeals.example.org/feeds/en/feed.json",
        atom_url="https://appeals.example.org/feeds/en/feed.atom",
        language=language,
        updated=UPDATED,
        entries=entries,
    )


TWO = feed(entry("K7Q2-9MXD"), entry("P3W8-4RTA"))


def test_json_feed_has_the_required_keys() -> None:
    document = check_json_feed(feeds.json_feed(TWO))
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] == TWO.title and document["language"] == "en"
    assert document["home_page_url"] == TWO.home_url and document["feed_url"] == TWO.feed_url
    first = document["items"][0]
    assert first["id"] == "urn:campaign:case:K7Q2-9MXD"
    assert first["url"] == "https://appeals.example.org/c/K7Q2-9MXD/en/"
    assert first["content_text"] == TWO.entries[0].summary
    assert first["image"].endswith("/banner.jpg")
    assert first["date_published"] == "2026-03-01T12:00:00Z"
    assert first["date_modified"] == "2026-11-28T09:30:00Z"
    assert first["language"] == "en"
    assert first["_campaign"]["case_ref"] == "K7Q2-9MXD"
    assert first["_campaign"]["image_alt"] == TWO.entries[0].image_alt
    assert [item["id"] for item in document["items"]] == [
        "urn:campaign:case:K7Q2-9MXD",
        "urn:campaign:case:P3W8-4RTA",
    ]


REQUIRED = {"version", "title", "items"}  # JSON Feed 1.1 top level; each item needs an "id"
STRINGS = {"title", "home_page_url", "feed_url", "language", "version"}


def check_json_feed(data: bytes) -> dict[str, Any]:
    """The document, after the checks JSON Feed 1.1 asks for (feedparser 6 cannot read it)."""
    document: dict[str, Any] = json.loads(data.decode("utf-8"))
    assert set(document) >= REQUIRED
    assert all(isinstance(document[key], str) for key in STRINGS & set(document))
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_text" in item or "content_html" in item
        assert all(key in SPEC_ITEM or key.startswith("_") for key in item)
    return document


SPEC_ITEM = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
    "banner_image", "date_published", "date_modified", "authors", "tags", "language",
    "attachments",
}  # fmt: skip


def test_json_feed_keeps_unicode_and_localises_its_link_text() -> None:
    arabic = entry("K7Q2-9MXD", "ar", title="مفقودة: آنا")
    data = feeds.json_feed(feed(arabic, language="ar"))
    assert "مفقودة".encode() in data  # not \u escapes
    document = check_json_feed(data)
    assert document["items"][0]["title"] == "مفقودة: آنا"
    more = document["items"][0]["_campaign"]["more_info"]
    assert more == phrase(localizer("ar"), Phrase.MORE_INFO) != "More information"


def test_atom_feed_parses_cleanly() -> None:
    parsed = feedparser.parse(feeds.atom_feed(TWO))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == TWO.title and parsed.feed.id == TWO.atom_url
    assert parsed.feed.language == "en"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"self": TWO.atom_url, "alternate": TWO.home_url}
    assert len(parsed.entries) == 2
    for got, want in zip(parsed.entries, TWO.entries, strict=True):
        assert got.id == want.id and got.title == want.title and got.link == want.url
        assert got.summary == want.summary
        assert got.published == "2026-03-01T12:00:00Z"
        assert got.updated == "2026-11-28T09:30:00Z"
        assert [(e.href, e.type) for e in got.enclosures] == [(want.image_url, "image/jpeg")]
        assert got.media_content[0]["url"] == want.image_url


def test_feeds_are_deterministic() -> None:
    rebuilt = feed(*(dataclasses.replace(e) for e in TWO.entries))
    assert feeds.atom_feed(TWO) == feeds.atom_feed(rebuilt)
    assert feeds.json_feed(TWO) == feeds.json_feed(rebuilt)
    page = feeds.landing_page(TWO.entries[0], "Fundación Ejemplo", "https://x.example/s.jpg", None)
    assert page == feeds.landing_page(
        TWO.entries[0], "Fundación Ejemplo", "https://x.example/s.jpg", None
    )


def test_an_empty_feed_is_valid() -> None:
    empty = feed()
    parsed = feedparser.parse(feeds.atom_feed(empty))
    assert parsed.bozo == 0 and parsed.version == "atom10" and parsed.entries == []
    document = json.loads(feeds.json_feed(empty))
    assert document["items"] == [] and document["version"].endswith("/1.1")
    check_json_feed(feeds.json_feed(empty))


def test_naive_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        feeds.json_feed(feed(entry(published=datetime(2026, 3, 1))))


def test_hostile_text_is_escaped_in_atom() -> None:
    hostile = entry(title=HOSTILE, summary=HOSTILE + "\x00\x0b", image_alt=HOSTILE)
    data = feeds.atom_feed(feed(hostile))
    assert b"<script>" not in data and b"<img" not in data
    assert b"&lt;script&gt;" in data and b"&amp;" in data
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0
    assert parsed.entries[0].title == HOSTILE and parsed.entries[0].summary == HOSTILE


def parse_html(data: bytes) -> Any:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(data.decode("utf-8"))


def meta(document: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in document.iter("meta"):
        key = tag.get("property") or tag.get("name")
        if key:
            found[key] = tag.get("content")
    return found


@pytest.mark.parametrize(("locale", "direction"), [("en", "ltr"), ("ar", "rtl")])
def test_landing_page_has_open_graph_tags(locale: str, direction: str) -> None:
    case = entry(locale=locale)
    social = f"https://appeals.example.org/c/K7Q2-9MXD/{locale}/social-1200x630.jpg"
    data = feeds.landing_page(case, "Fundación Ejemplo", social, "116 000")
    document = parse_html(data)
    html = document.getroot() if hasattr(document, "getroot") else document
    assert html.get("lang") == locale and html.get("dir") == direction
    tags = meta(document)
    assert tags["og:title"] == case.title and tags["og:description"] == case.summary
    assert tags["og:image"] == social and tags["og:url"] == case.url
    assert tags["og:type"] == "article" and tags["twitter:card"] == "summary_large_image"
    assert tags["og:image:alt"] == case.image_alt
    assert not document.findall(".//script")
    image = document.find(".//img")
    assert image.get("src") == case.image_url and image.get("alt") == case.image_alt
    assert document.find(".//a[@href='tel:116000']") is not None
    text = "".join(document.itertext())
    assert phrase(localizer(locale), Phrase.CALL_SHORT, phone="116 000") in text


def test_hostile_text_is_escaped_in_landing_pages() -> None:
    case = entry(title=HOSTILE, summary=HOSTILE, image_alt=HOSTILE)
    data = feeds.landing_page(case, HOSTILE, 'https://x.example/a.jpg?"><script>', None)
    assert b"<script>" not in data and b"<img src=x" not in data
    document = parse_html(data)
    assert len(document.findall(".//img")) == 1
    assert meta(document)["og:title"] == HOSTILE
    assert document.find(".//h1").text == HOSTILE


def banned_words() -> set[str]:
    lines = BANNED_EN.read_text(encoding="utf-8").splitlines()
    listed = {line.strip().lower() for line in lines if line.strip() and line[0] != "#"}
    return listed | {"found", "safe", "located", "deceased"}


@pytest.mark.parametrize("locale", ["en", "es", "ar"])
def test_closed_page_is_neutral(locale: str) -> None:
    data = feeds.closed_page("K7Q2-9MXD", locale, "Fundación Ejemplo")
    document = parse_html(data)
    loc = localizer(locale)
    body = document.find("body")
    text = " ".join("".join(body.itertext()).split()) + " " + document.find(".//title").text
    assert phrase(loc, Phrase.CLOSED_BODY, ref="K7Q2-9MXD") in text
    assert document.find(".//title").text == phrase(loc, Phrase.CLOSED_SUBJECT, ref="K7Q2-9MXD")
    assert meta(document)["robots"] == "noindex"
    assert not document.findall(".//img") and not document.findall(".//script")
    assert "og:image" not in meta(document)
    html = document.getroot() if hasattr(document, "getroot") else document
    assert html.get("dir") == ("rtl" if locale == "ar" else "ltr")
    if locale == "en":
        shown = [text, *(tag.get("content") or "" for tag in document.iter("meta"))]
        words = set(re.findall(r"[a-z]+", " ".join(shown).lower()))
        assert not words & banned_words()


def test_widget_snippet_points_beside_the_feed() -> None:
    snippet = feeds.widget_snippet("https://appeals.example.org/feeds/es/feed.json?a=1&b=2", "es")
    document = html5lib.parseFragment(snippet, namespaceHTMLElements=False)
    box, script = document.find("div"), document.find("script")
    assert box.get("class") == "campaign-appeal" and box.get("data-locale") == "es"
    assert box.get("data-feed") == "https://appeals.example.org/feeds/es/feed.json?a=1&b=2"
    assert script.get("src") == "https://appeals.example.org/feeds/es/widget.js"
    assert script.get("async") is not None
    for bad in ("javascript:alert(1)", "/feeds/feed.json"):
        with pytest.raises(ValueError):
            feeds.widget_snippet(bad, "es")


def test_widget_script_never_parses_feed_text_as_html() -> None:
    source = feeds.widget_js().decode("utf-8")
    for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "document.write"):
        assert banned not in source
    assert 'cache: "no-store"' in source


# The widget in a browser: a loopback server with feed.json, widget.js and a host page.


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "site"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def publish(root: Path, base: str, current: Feed, locale: str = "en", interval: str = "") -> str:
    (root / "feed.json").write_bytes(feeds.json_feed(current))
    (root / "widget.js").write_bytes(feeds.widget_js())
    snippet = feeds.widget_snippet(f"{base}/feed.json", locale)
    if interval:
        snippet = snippet.replace("<div ", f'<div data-interval="{interval}" ', 1)
    page = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Partner</title>'
    page += f'</head><body><p id="before">Partner news</p>{snippet}</body></html>'
    (root / "index.html").write_text(page, encoding="utf-8")
    return f"{base}/index.html"


def dump_dom(url: str, profile: Path) -> Any:
    done = chromium("--virtual-time-budget=3000", "--dump-dom", url, profile=profile)
    return html5lib.parse(done.stdout, namespaceHTMLElements=False)


def widget_box(document: Any) -> Any:
    boxes = [div for div in document.iter("div") if div.get("class") == "campaign-appeal"]
    assert len(boxes) == 1
    return boxes[0]


def test_widget_shows_one_case_then_nothing_once_withdrawn(
    site: tuple[Path, str], tmp_path: Path
) -> None:
    root, base = site
    first, second = entry("K7Q2-9MXD"), entry("P3W8-4RTA")
    url = publish(root, base, feed(first, second))
    box = widget_box(dump_dom(url, tmp_path / "p1"))
    cards = box.findall(".//article")
    assert len(cards) == 1
    text = "".join(box.itertext())
    assert first.title in text and first.summary in text and second.title not in text
    image = box.find(".//img")
    assert image.get("alt") == first.image_alt and image.get("src") == first.image_url
    link = box.find(".//a")
    assert link.get("href") == first.url and "".join(link.itertext()) == "More information"
    assert cards[0].get("dir") == "ltr" and cards[0].get("lang") == "en"

    publish(root, base, feed())  # every appeal withdrawn
    box = widget_box(dump_dom(url, tmp_path / "p2"))
    assert list(box) == [] and not "".join(box.itertext()).strip()


def test_widget_shows_nothing_when_the_feed_is_missing(
    site: tuple[Path, str], tmp_path: Path
) -> None:
    root, base = site
    url = publish(root, base, feed(entry()))
    (root / "feed.json").unlink()
    box = widget_box(dump_dom(url, tmp_path / "p"))
    assert list(box) == []


def test_widget_shows_hostile_text_as_text_and_rtl_cases_rtl(
    site: tuple[Path, str], tmp_path: Path
) -> None:
    root, base = site
    hostile = entry(locale="ar", title=HOSTILE, image_alt=HOSTILE)
    unsafe = entry("BAD1-0000", "ar", url="javascript:alert(1)")
    url = publish(root, base, feed(unsafe, hostile, language="ar"), "ar")
    document = dump_dom(url, tmp_path / "p")
    box = widget_box(document)
    assert "".join(box.find(".//article").itertext()).startswith(HOSTILE)
    images = box.findall(".//img")
    assert [img.get("src") for img in images] == [hostile.image_url]
    assert not document.findall(".//script[@id]") and len(document.findall(".//script")) == 1
    assert images[0].get("alt") == HOSTILE
    card = box.find(".//article")
    assert card.get("dir") == "rtl" and card.get("lang") == "ar"
    assert "javascript:" not in json.dumps([a.get("href") for a in box.iter("a")])


def test_widget_rotates_to_the_next_case(site: tuple[Path, str], tmp_path: Path) -> None:
    root, base = site
    first, second = entry("K7Q2-9MXD"), entry("P3W8-4RTA")
    url = publish(root, base, feed(first, second), interval="2")
    box = widget_box(dump_dom(url, tmp_path / "p"))  # 3 s of virtual time: one turn
    assert len(box.findall(".//article")) == 1
    text = "".join(box.itertext())
    assert second.title in text and first.title not in text
