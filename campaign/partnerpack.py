"""Partner poster packs: per partner, the approved renditions of the cases in its area, in its
languages and formats, with ``manifest.json`` (sha256 of every file), a README in the partner's
language saying the material may not be altered, and — when the partner has a ``public_url`` —
``feed.json`` (JSON Feed 1.1), ``feed.atom`` and the embeddable widget. A pack is the partner's
whole folder: each send replaces it, so an updated case replaces its old files and a case that
left the pack is deleted there. Paths and names use ``case_ref`` only.
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from campaign.audience import Partner
from campaign.buildview import Build, Gate
from campaign.config import Config
from campaign.i18n import localizer
from campaign.i18n.vocabulary import Phrase, phrase
from campaign.ledger import Delivery, Item, NewDelivery
from campaign.packs import planned
from campaign.targeting import CaseInfo, cases_for, ranked_locales

PACK = "pack"
ALERT_FORMAT = "alert-cap"
FEED_IMAGES = ("social-1200x630", "banner-300x250")  # the picture a feed entry shows, in order


def plan_partner(
    config: Config, build: Build, gate: Gate, partner: Partner, cases: Sequence[CaseInfo]
) -> NewDelivery | None:
    """The partner's pack as it should be now (None when nothing of this build is for it)."""
    items: list[Item] = []
    for case in cases_for(partner.area, cases):
        items += _case_items(build, gate, partner, case)
    if not items:
        return None
    return NewDelivery(
        channel=f"partners.{partner.name}",
        kind=PACK,
        recipient=partner.name,
        locale=(partner.locales or ("en",))[0],
        build_dir=str(build.root),
        items=tuple(items),
    )


def _case_items(build: Build, gate: Gate, partner: Partner, case: CaseInfo) -> list[Item]:
    found: dict[str, Item] = {}
    for wanted in partner.locales or case.locales:
        for fmt in partner.formats:
            for locale in ranked_locales(wanted, case.locales):
                rendition = build.renditions.get((case.case_ref, locale, fmt))
                if rendition is not None and gate.hold(rendition) is None:
                    found.setdefault(rendition["path"], _item(rendition))
                    break
    alert = build.renditions.get((case.case_ref, "mul", ALERT_FORMAT))
    if found and alert is not None and gate.hold(alert) is None:
        found.setdefault(alert["path"], _item(alert))
    return list(found.values())


def _item(rendition: Mapping[str, Any]) -> Item:
    return Item(rendition["case_ref"], rendition["locale"], rendition["format"],
                rendition["path"], rendition["sha256"])  # fmt: skip


def pack_path(item: Item, build_path: str) -> str:
    """Where a rendition goes in the pack: ``<case_ref>/<locale>/<format>.<ext>``."""
    extension = posixpath.splitext(build_path)[1]
    return f"{item.case_ref}/{item.locale}/{item.format}{extension}"


def pack_files(delivery: Delivery, build: Build, config: Config, partner: Partner
               ) -> tuple[tuple[str, bytes], ...]:  # fmt: skip
    """Every file of the pack a recorded delivery carries (the same bytes on every retry)."""
    files: dict[str, bytes] = {}
    entries: list[dict[str, Any]] = []
    for item, rendition, data in planned(delivery, build):
        path = pack_path(item, item.path)
        files[path] = data
        entry = _manifest_entry(item, rendition, path)
        embed_file = build.root / str(rendition.get("embed") or "")
        if rendition.get("embed") and embed_file.is_file():
            embed = posixpath.splitext(path)[0] + ".html"
            files[embed] = embed_file.read_bytes()
            entry["embed"] = embed
        entries.append(entry)
    files["manifest.json"] = _manifest(partner, config, entries)
    files["README.txt"] = _readme(partner, config)
    if partner.public_url:
        files.update(_feeds(delivery, build, config, partner, entries))
    return tuple(sorted(files.items()))


def _manifest_entry(item: Item, rendition: Mapping[str, Any], path: str) -> dict[str, Any]:
    entry = {
        "case_ref": item.case_ref,
        "locale": item.locale,
        "format": item.format,
        "path": path,
        "media_type": rendition["media_type"],
        "sha256": item.sha256,
        "bytes": rendition["bytes"],
    }
    for key in ("width", "height", "alt"):
        if rendition.get(key) is not None:
            entry[key] = rendition[key]
    return entry


def _manifest(partner: Partner, config: Config, entries: list[dict[str, Any]]) -> bytes:
    data = {
        "version": 1,
        "organisation": config.organisation,
        "partner": partner.name,
        "cases": sorted({entry["case_ref"] for entry in entries}),
        "files": sorted(entries, key=lambda entry: str(entry["path"])),
    }
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _readme(partner: Partner, config: Config) -> bytes:
    lines = []
    for tag in partner.locales or ("en",):
        loc = localizer(tag)
        lines.append(phrase(loc, Phrase.PACK_TERMS, organisation=config.organisation))
    lines.append("manifest.json: case_ref, locale, format, path, sha256, bytes, alt, embed.")
    return ("\n\n".join(lines) + "\n").encode("utf-8")


def _feeds(
    delivery: Delivery,
    build: Build,
    config: Config,
    partner: Partner,
    entries: list[dict[str, Any]],
) -> dict[str, bytes]:
    from campaign.feeds import Feed, FeedEntry, atom_feed, json_feed, widget_js, widget_snippet

    base = str(partner.public_url)
    when = dt.datetime.fromtimestamp(delivery.created, dt.UTC).replace(microsecond=0)
    feed_entries = []
    for (ref, locale), files in _first_locale(_by_case_locale(entries), partner).items():
        image = next((files[fmt] for fmt in FEED_IMAGES if fmt in files), None)
        if image is None or ref in build.restricted:
            continue  # restricted cases are never shown on public pages
        feed_entries.append(
            FeedEntry(
                case_ref=ref,
                locale=locale,
                title=build.names.get(ref) or ref,
                summary=str(image.get("alt", "")),
                url=config.case_url.replace("{ref}", ref),
                image_url=base + str(image["path"]),
                image_alt=str(image.get("alt", "")),
                image_type=str(image["media_type"]),
                published=when,
                updated=when,
            )
        )
    feed = Feed(
        title=f"{config.organisation}: {partner.name}",
        home_url=config.organisation_url,
        feed_url=base + "feed.json",
        atom_url=base + "feed.atom",
        language=(partner.locales or (None,))[0],
        updated=when,
        entries=tuple(feed_entries),
    )
    snippet = widget_snippet(base + "feed.json", (partner.locales or ("en",))[0])
    return {
        "feed.json": json_feed(feed),
        "feed.atom": atom_feed(feed),
        "widget.js": widget_js(),
        "widget.html": (snippet + "\n").encode("utf-8"),
    }


def _by_case_locale(entries: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        found.setdefault((entry["case_ref"], entry["locale"]), {})[entry["format"]] = entry
    return found


def _first_locale(
    found: dict[tuple[str, str], dict[str, Any]], partner: Partner
) -> dict[tuple[str, str], dict[str, Any]]:
    """One feed entry per case: in the partner's first language it has, else the first."""
    order = {tag: n for n, tag in enumerate(partner.locales)}
    best: dict[str, tuple[str, str]] = {}
    for ref, locale in found:
        if ref not in best or order.get(locale, 99) < order.get(best[ref][1], 99):
            best[ref] = (ref, locale)
    return {key: found[key] for key in sorted(best.values())}
