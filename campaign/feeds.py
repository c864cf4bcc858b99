"""What partners republish, built purely from a list of active cases: a JSON Feed 1.1 and an
Atom 1.0 feed, the embeddable widget (a static script plus the snippet a partner pastes), and
the static landing page each QR code opens.

Withdrawal works by omission: a resolved case is simply not in the next :class:`Feed`, the
widget fetches the feed each time it shows something and shows nothing when the feed is empty
or unreachable, and the case's landing page is replaced by :func:`closed_page` (served with
HTTP 410 where the host allows). Every function here is pure: the same input gives the same
bytes, and no clock is read (the caller supplies every date)."""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import urljoin, urlsplit

from babel import Locale, UnknownLocaleError
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import escape

from campaign.i18n import localizer, to_gettext
from campaign.i18n.vocabulary import Label, Phrase, label, phrase

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
WIDGET_FILE = "widget.js"
# Not rendered: the script is read as it is (the suffix only makes it package data).
_WIDGET_SOURCE = "widget.js.j2"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class FeedEntry:
    """One active case in one language, as feeds, the widget and its landing page show it."""

    case_ref: str
    locale: str
    title: str
    summary: str  # the alt text sentence
    url: str  # the case's landing page
    image_url: str
    image_alt: str
    image_type: str  # "image/jpeg"
    published: datetime
    updated: datetime

    @property
    def id(self) -> str:
        return f"urn:campaign:case:{self.case_ref}"


@dataclass(frozen=True)
class Feed:
    """The active cases a partner feed lists (empty when none are active: still a valid feed).
    ``author`` names the publishing organisation in Atom (the title when not given)."""

    title: str
    home_url: str
    feed_url: str  # the JSON feed's URL
    atom_url: str
    language: str | None
    updated: datetime
    entries: tuple[FeedEntry, ...]
    author: str | None = None


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC as RFC 3339 (``2026-11-28T09:30:00Z``); naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"feed dates need a time zone: {moment!r}")
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def json_feed(feed: Feed) -> bytes:
    """The feed as JSON Feed 1.1 (UTF-8, keys sorted, one fixed layout)."""
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": feed.feed_url,
        "items": [_json_item(entry) for entry in feed.entries],
    }
    if feed.language:
        document["language"] = feed.language
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2)
    return (text + "\n").encode("utf-8")


def _json_item(entry: FeedEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "url": entry.url,
        "title": entry.title,
        "content_text": entry.summary,
        "image": entry.image_url,
        "date_published": rfc3339(entry.published),
        "date_modified": rfc3339(entry.updated),
        "language": entry.locale,
        "_campaign": {
            "case_ref": entry.case_ref,
            "image_alt": entry.image_alt,
            "more_info": phrase(localizer(entry.locale), Phrase.MORE_INFO),
        },
    }


def atom_feed(feed: Feed) -> bytes:
    """The feed as Atom 1.0 (RFC 4287) with each case's image as an enclosure and Media RSS."""
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xmlns:media": MEDIA_NS})
    if feed.language:
        root.set("xml:lang", _xml(feed.language))
    _text(root, "id", feed.atom_url)
    _text(root, "title", feed.title)
    _text(root, "updated", rfc3339(feed.updated))
    _text(ET.SubElement(root, "author"), "name", feed.author or feed.title)
    _link(root, "self", feed.atom_url, "application/atom+xml")
    _link(root, "alternate", feed.home_url, "text/html")
    for entry in feed.entries:
        _atom_entry(root, entry)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _atom_entry(parent: ET.Element, entry: FeedEntry) -> None:
    node = ET.SubElement(parent, "entry", {"xml:lang": _xml(entry.locale)})
    _text(node, "id", entry.id)
    _text(node, "title", entry.title).set("type", "text")
    _text(node, "updated", rfc3339(entry.updated))
    _text(node, "published", rfc3339(entry.published))
    _link(node, "alternate", entry.url, "text/html")
    _link(node, "enclosure", entry.image_url, entry.image_type)
    _text(node, "summary", entry.summary).set("type", "text")
    media = {"url": _xml(entry.image_url), "type": _xml(entry.image_type), "medium": "image"}
    content = ET.SubElement(node, "media:content", media)
    _text(content, "media:description", entry.image_alt).set("type", "plain")


def _xml(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (escaping is ElementTree's job)."""
    return _XML_ILLEGAL.sub("", value)


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    node = ET.SubElement(parent, tag)
    node.text = _xml(value)
    return node


def _link(parent: ET.Element, rel: str, href: str, media_type: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "type": _xml(media_type), "href": _xml(href)})


def widget_js() -> bytes:
    """The widget script partners load beside the feed (static, no dependencies)."""
    return (resources.files("campaign") / "templates" / _WIDGET_SOURCE).read_bytes()


def widget_snippet(feed_url: str, locale: str) -> str:
    """The HTML a partner pastes: a placeholder naming the JSON feed, and ``widget.js`` loaded
    from beside it. Raises ``ValueError`` for a feed URL that is not absolute http(s) or a
    malformed language tag."""
    parts = urlsplit(feed_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the widget needs an absolute http(s) feed URL: {feed_url!r}")
    localizer(locale)  # validates the tag
    script = urljoin(feed_url, WIDGET_FILE)
    return (
        f'<div class="campaign-appeal" data-feed="{escape(feed_url)}"'
        f' data-locale="{escape(locale)}"></div>\n'
        f'<script src="{escape(script)}" async></script>\n'
    )


def direction(tag: str) -> str:
    """``"rtl"`` or ``"ltr"`` for text written in the language ``tag`` (with or without a
    catalog of ours: Persian is right-to-left although its pages fall back to English)."""
    try:
        order = Locale.parse(to_gettext(tag)).character_order
    except (ValueError, UnknownLocaleError):
        return localizer(tag).direction
    return "rtl" if order == "right-to-left" else "ltr"


def landing_page(
    entry: FeedEntry, organisation: str, social_image_url: str, hotline: str | None
) -> bytes:
    """The static page ``entry.url`` serves (the QR target), with Open Graph and Twitter card
    tags for link previews; no scripts. The words around the case are in ``entry.locale``."""
    loc = localizer(entry.locale)
    context = {
        **_page(entry.locale, organisation),
        "entry": entry,
        "case_dir": direction(entry.locale),
        "og_locale": to_gettext(entry.locale),
        "social_image_url": social_image_url,
        "published": rfc3339(entry.published),
        "updated": rfc3339(entry.updated),
        "call": phrase(loc, Phrase.CALL_SHORT, phone=hotline) if hotline else None,
        "tel": _tel(hotline) if hotline else None,
        "ref_label": label(loc, Label.CASE_REF),
    }
    return _render("landing.html.j2", context)


def closed_page(case_ref: str, locale: str, organisation: str) -> bytes:
    """The neutral "appeal closed" page that replaces a withdrawn case's landing page: the
    opaque reference only (no name, no image), never saying why, and not to be indexed."""
    loc = localizer(locale)
    context = {
        **_page(locale, organisation),
        "subject": phrase(loc, Phrase.CLOSED_SUBJECT, ref=case_ref),
        "body": phrase(loc, Phrase.CLOSED_BODY, ref=case_ref),
    }
    return _render("closed.html.j2", context)


def _page(locale: str, organisation: str) -> dict[str, str]:
    """What every page's frame needs: the language of its words, its direction, who runs it."""
    loc = localizer(locale)
    return {"lang": loc.tag, "dir": loc.direction, "organisation": organisation}


def _tel(hotline: str) -> str:
    """A ``tel:`` URI for a number as printed (``116 000`` → ``tel:116000``)."""
    digits = "".join(c for c in hotline if c.isdigit())
    return f"tel:{'+' if hotline.strip().startswith('+') else ''}{digits}"


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("campaign", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(name: str, context: dict[str, Any]) -> bytes:
    return _environment().get_template(name).render(context).encode("utf-8")
