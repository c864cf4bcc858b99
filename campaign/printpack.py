"""Print packs: per vendor, the print PDFs of the cases in its area that it has not printed in
this version yet, with a job ticket (``ticket.json`` and ``ticket.csv``: job id, case
reference, language, format, paper size, quantity, sha256, and whether the job replaces an
earlier version of the case). Each pack is a new job folder named by the delivery key; an
updated case (new photo, corrected phone) comes back as a ``replacement`` line."""

from __future__ import annotations

import csv
import io
import json
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from campaign.audience import Vendor
from campaign.buildview import Build, Gate
from campaign.layouts.flyer import SINGLE, TWO_UP
from campaign.layouts.page import PAPER
from campaign.layouts.poster import FORMATS as POSTERS
from campaign.ledger import Delivery, Item, Ledger, NewDelivery
from campaign.packs import planned
from campaign.targeting import CaseInfo, cases_for

PRINT = "print"
POINTS_PER_MM = 72 / 25.4
TICKET_COLUMNS = ("job_id", "case_ref", "locale", "format", "file", "paper", "width_mm",
                  "height_mm", "quantity", "sha256", "action")  # fmt: skip


def plan_vendor(
    build: Build,
    gate: Gate,
    vendor: Vendor,
    cases: Sequence[CaseInfo],
    taken: set[tuple[str, str, str]],
) -> NewDelivery | None:
    """The print files of the vendor's cases not yet sent to it in this version."""
    items: list[Item] = []
    for case in cases_for(vendor.area, cases):
        found = [
            rendition
            for locale in case.locales
            for fmt in vendor.formats
            if (rendition := build.renditions.get((case.case_ref, locale, fmt))) is not None
            and gate.hold(rendition) is None
        ]
        if found and not all((vendor.name, case.case_ref, r["sha256"]) in taken for r in found):
            items += [Item(r["case_ref"], r["locale"], r["format"], r["path"], r["sha256"])
                      for r in found]  # fmt: skip
    if not items:
        return None
    return NewDelivery(f"vendors.{vendor.name}", PRINT, vendor.name, "en", str(build.root),
                       tuple(items))  # fmt: skip


def paper(fmt: str) -> tuple[str, float, float]:
    """The sheet a print format is printed on: name and trim size in millimetres."""
    if fmt == TWO_UP:
        name = "a4"
    elif fmt in SINGLE:
        name = SINGLE[fmt].paper
    elif fmt in POSTERS:
        name = POSTERS[fmt].paper
    else:
        raise ValueError(f"'{fmt}' is not a print format")
    size = PAPER[name]
    return name, round(size.width / POINTS_PER_MM, 1), round(size.height / POINTS_PER_MM, 1)


def print_files(delivery: Delivery, build: Build, vendor: Vendor, ledger: Ledger
                ) -> tuple[tuple[str, bytes], ...]:  # fmt: skip
    """The PDFs of a recorded print delivery and its ticket (the same bytes on every retry)."""
    earlier = _earlier_cases(ledger, delivery)
    files: dict[str, bytes] = {}
    rows: list[dict[str, Any]] = []
    for item, _, data in planned(delivery, build):
        name = f"{item.case_ref}/{item.locale}/{item.format}{posixpath.splitext(item.path)[1]}"
        files[name] = data
        size, width, height = paper(item.format)
        rows.append({
            "job_id": delivery.key, "case_ref": item.case_ref, "locale": item.locale,
            "format": item.format, "file": name, "paper": size, "width_mm": width,
            "height_mm": height, "quantity": _quantity(vendor, item.format),
            "sha256": item.sha256,
            "action": "replacement" if item.case_ref in earlier else "new",
        })  # fmt: skip
    files["ticket.json"] = _ticket_json(delivery, vendor, rows)
    files["ticket.csv"] = _ticket_csv(rows)
    return tuple(sorted(files.items()))


def _quantity(vendor: Vendor, fmt: str) -> int:
    return int(vendor.quantity.get(fmt, vendor.default_quantity))


def _earlier_cases(ledger: Ledger, delivery: Delivery) -> set[str]:
    """Cases an earlier print job to the same vendor already carried (so this one replaces)."""
    rows = ledger.state.query(
        "SELECT DISTINCT i.case_ref FROM deliveries d JOIN delivery_items i "
        "ON i.delivery_id = d.id WHERE d.channel = ? AND d.recipient = ? AND d.kind = ? "
        "AND d.id < ? AND d.status IN ('sent', 'possible_duplicate', 'sending', 'deferred', "
        "'pending')",
        (delivery.channel, delivery.recipient, delivery.kind, delivery.id),
    )
    return {str(row[0]) for row in rows}


def _ticket_json(delivery: Delivery, vendor: Vendor, rows: list[dict[str, Any]]) -> bytes:
    data: Mapping[str, Any] = {
        "version": 1,
        "job_id": delivery.key,
        "vendor": vendor.name,
        "lines": rows,
        "total_copies": sum(int(row["quantity"]) for row in rows),
    }
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _ticket_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=TICKET_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
