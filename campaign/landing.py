"""Case landing pages — the page a QR code opens — published when ``[landing]`` is configured:
per public case and language ``<ref>/<locale>/index.html`` with Open Graph tags (the social
image beside it) and ``<ref>/index.html`` in the case's own language. Like a partner pack, the
pages are one folder kept equal to the active cases; the withdrawal stage puts the neutral
"appeal closed" page in place of a withdrawn case's pages."""

from __future__ import annotations

import datetime as dt
import posixpath
from collections.abc import Sequence
from dataclasses import replace

from campaign.audience import Landing
from campaign.buildview import Build, Gate, item_of
from campaign.config import Config
from campaign.i18n import country, country_table
from campaign.ledger import Delivery, Item, Ledger, NewDelivery
from campaign.packs import planned
from campaign.targeting import CaseInfo

LANDING = "landing"  # the channel table name and the recipient of the pages
IMAGE = "social-1200x630"
CLOSED = "closed"  # the item format of a withdrawn case's "appeal closed" page


def plan_landing(
    build: Build,
    gate: Gate,
    landing: Landing,
    cases: Sequence[CaseInfo],
    closed: Sequence[Item] = (),
) -> NewDelivery | None:
    """The pages of every public case (its social image in each language it was rendered in),
    and the "appeal closed" pages of withdrawn cases, which stay."""
    items: list[Item] = list(closed)
    for case in cases:
        if case.case_ref in build.restricted:
            continue
        for locale in case.locales:
            rendition = build.renditions.get((case.case_ref, locale, IMAGE))
            if rendition is not None and gate.hold(rendition) is None:
                items.append(item_of(rendition))
    if not items:
        return None
    return NewDelivery(LANDING, "pack", LANDING, "en", str(build.root), tuple(items))


def landing_files(delivery: Delivery, build: Build, config: Config, landing: Landing
                  ) -> tuple[tuple[str, bytes], ...]:  # fmt: skip
    """Every file of the pages folder (the same bytes on every retry)."""
    from campaign.feeds import FeedEntry, closed_page, landing_page

    when = dt.datetime.fromtimestamp(delivery.created, dt.UTC).replace(microsecond=0)
    countries = country_table(config.countries)
    by_case = {case.case_ref: case for case in build.cases}
    files: dict[str, bytes] = {}
    for item in delivery.items:
        if item.format == CLOSED:  # a withdrawn case: the neutral page in place of its pages
            page = closed_page(item.case_ref, item.locale, config.organisation)
            files[f"{item.case_ref}/{item.locale}/index.html"] = page
            files.setdefault(f"{item.case_ref}/index.html", page)
    pages = (item for item in delivery.items if item.format != CLOSED)
    for item, rendition, data in planned(delivery, build, pages):
        name = f"{IMAGE}{posixpath.splitext(item.path)[1]}"
        image = f"{item.case_ref}/{item.locale}/{name}"
        files[image] = data
        entry = FeedEntry(
            case_ref=item.case_ref,
            locale=item.locale,
            title=build.names.get(item.case_ref) or item.case_ref,
            summary=str(rendition.get("alt") or ""),
            url=f"{landing.base_url}{item.case_ref}/{item.locale}/",
            image_url=name,  # the page shows the image beside it; og:image is absolute
            image_alt=str(rendition.get("alt") or ""),
            image_type=str(rendition["media_type"]),
            published=when,
            updated=when,
        )
        case = by_case.get(item.case_ref)
        hotline = country(case.country, countries).hotline if case else ""
        absolute = landing.base_url + image
        page = landing_page(entry, config.organisation, absolute, hotline or None)
        files[f"{item.case_ref}/{item.locale}/index.html"] = page
        if case is not None and case.locales and case.locales[0] == item.locale:
            top = replace(entry, image_url=f"{item.locale}/{name}")  # one folder up
            files[f"{item.case_ref}/index.html"] = landing_page(
                top, config.organisation, absolute, hotline or None
            )
    return tuple(sorted(files.items()))


def closed_pages(ledger: Ledger) -> list[Item]:
    """The closed-page items of every resolved case the landing pages ever carried."""
    from campaign.resolutions import resolved_refs

    resolved = resolved_refs(ledger.state)
    rows = ledger.state.query(
        "SELECT DISTINCT i.case_ref, i.locale FROM deliveries d JOIN delivery_items i "
        "ON i.delivery_id = d.id WHERE d.channel = ? AND i.format != ? ",
        (LANDING, CLOSED),
    )
    return [closed_item(str(ref), str(locale)) for ref, locale in rows if ref in resolved]


def closed_item(ref: str, locale: str) -> Item:
    """The item standing for a withdrawn case's closed page in ``locale``."""
    return Item(ref, locale, CLOSED, f"{ref}/{locale}/closed", "")
