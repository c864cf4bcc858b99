"""The previous build as a cache: the renditions ``manifest.json`` lists, reusable when their job
key is unchanged and their file is still in the store (folder or S3) with the recorded sha256."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from campaign.errors import RenderError
from campaign.models import Rendition
from campaign.problems import Problem
from campaign.store import Store

Entries = Mapping[tuple[str, str, str], Mapping[str, Any]]
_FIELDS = {f.name for f in dataclasses.fields(Rendition)}


def previous_entries(store: Store, manifest: str = "manifest.json") -> Entries:
    """The previous manifest's renditions by (case_id, locale, format); empty when there is no
    readable manifest (a damaged one only means everything is rendered again)."""
    try:
        raw = store.get(manifest)
        if raw is None:
            return {}
        data = json.loads(raw.decode("utf-8"))
        items = data["renditions"]
        return {(i["case_id"], i["locale"], i["format"]): i for i in items if i.get("key")}
    except (RenderError, OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def reusable(
    entries: Entries, case_id: str, locale: str, fmt: str, key: str, store: Store
) -> Rendition | None:
    """The previous rendition of this job when its key matches and its files are intact."""
    entry = entries.get((case_id, locale, fmt))
    if entry is None or entry.get("key") != key:
        return None
    try:
        rendition = _rendition(entry)
        intact = store.exists_with_sha256(rendition.path, rendition.sha256)
        embed_ok = rendition.embed is None or store.exists(rendition.embed)
    except (RenderError, ValueError, KeyError, TypeError):
        return None
    return rendition if intact and embed_ok else None


def _rendition(entry: Mapping[str, Any]) -> Rendition:
    values = {name: value for name, value in entry.items() if name in _FIELDS}
    values["problems"] = tuple(Problem.from_dict(item) for item in entry.get("problems", ()))
    return Rendition(**values)


def manifest_entry(rendition: Rendition) -> dict[str, Any]:
    """A rendition as the manifest lists it (absent optional keys left out)."""
    out = {
        name: value
        for name, value in dataclasses.asdict(rendition).items()
        if value is not None and name != "problems"
    }
    if rendition.problems:
        out["problems"] = [problem.to_dict() for problem in rendition.problems]
    return out
