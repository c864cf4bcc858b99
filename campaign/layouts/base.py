"""The layout extension point: what a layout is given, and what it gives back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from campaign.config import Config
from campaign.i18n import CountryInfo
from campaign.models import Case
from campaign.photos import NormalizedPhoto
from campaign.problems import Problem


@dataclass(frozen=True)
class RenderContext:
    """Everything outside the case that a render may use; the same context gives the same bytes."""

    config: Config
    as_of: dt.date
    country: CountryInfo
    photo: NormalizedPhoto
    age_progressed: NormalizedPhoto | None = None
    crop_marks: bool = False


@dataclass(frozen=True)
class Output:
    """A rendered artefact and what the manifest says of it."""

    data: bytes
    media_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    alt: str | None = None
    qr_url: str | None = None
    problems: tuple[Problem, ...] = ()
    measurements: Mapping[str, float] = field(default_factory=dict)  # preflight figures
    embed: str | None = None  # HTML that links the image to the case page (web banners)


class Layout(Protocol):
    """A family of formats drawn the same way (poster, flyer, banner …)."""

    name: str
    formats: tuple[str, ...]

    def render(self, case: Case, locale: str, fmt: str, ctx: RenderContext) -> Output:
        """Render ``case`` in ``locale`` as ``fmt``; raises RenderError when it cannot."""
        ...
