"""The layout registry: format name → the layout that renders it. Built-ins are listed here;
other packages add theirs through the ``campaign.layouts`` entry-point group. Imports are lazy."""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points

from campaign.errors import UsageError
from campaign.layouts.base import Layout, Output, RenderContext

__all__ = [
    "Layout",
    "Output",
    "RenderContext",
    "all_formats",
    "chosen_formats",
    "default_formats",
    "layout_for",
]

BUILTIN: dict[str, str] = {
    "poster": "campaign.layouts.poster:PosterLayout",
    "flyer": "campaign.layouts.flyer:FlyerLayout",
    "banner": "campaign.layouts.banner:BannerLayout",
    "social": "campaign.layouts.social:SocialLayout",
}


@functools.cache
def _layouts() -> dict[str, Layout]:
    found: dict[str, Layout] = {}
    targets = dict(BUILTIN)
    for point in entry_points(group="campaign.layouts"):
        targets.setdefault(point.name, point.value)
    for key, target in targets.items():
        module, _, name = target.partition(":")
        found[key] = getattr(importlib.import_module(module), name)()
    return found


@functools.cache
def _by_format() -> dict[str, Layout]:
    return {fmt: layout for layout in _layouts().values() for fmt in layout.formats}


def all_formats() -> tuple[str, ...]:
    """Every format some layout renders."""
    return tuple(_by_format())


def default_formats() -> tuple[str, ...]:
    """What ``campaign build`` renders without ``--format``: every print and screen format."""
    return all_formats()


def chosen_formats(formats: tuple[str, ...]) -> tuple[str, ...]:
    """The formats ``--format`` asks for (each checked), or the default ones for none."""
    for fmt in formats:
        layout_for(fmt)
    return formats or default_formats()


def layout_for(fmt: str) -> Layout:
    """The layout that renders ``fmt``; a usage error lists the known formats."""
    try:
        return _by_format()[fmt]
    except KeyError:
        known = ", ".join(all_formats())
        raise UsageError(f"unknown format '{fmt}' (known: {known})") from None
