"""A build folder as the send stage sees it: its manifest indexed by (case_ref, locale,
format), the cases with where they were last seen, and the gate every rendition passes before
it goes anywhere — approved exactly as it is, in a reviewed language (or one the campaign
allows)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign.approval import approved
from campaign.config import Config
from campaign.errors import InputError
from campaign.i18n import review
from campaign.ledger import Item, Ledger
from campaign.manifest import read_manifest
from campaign.targeting import CaseInfo


@dataclass(frozen=True)
class Build:
    """A build folder's manifest, indexed for planning."""

    root: Path
    cases: tuple[CaseInfo, ...]
    renditions: Mapping[tuple[str, str, str], Mapping[str, Any]]  # (case_ref, locale, format)
    restricted: frozenset[str] = frozenset()  # case_refs not for the public (no e-mail)
    names: Mapping[str, str] = field(default_factory=dict)  # case_ref → the name as printed

    @classmethod
    def read(cls, root: Path) -> Build:
        manifest = read_manifest(root)
        if "cases" not in manifest:
            raise InputError(
                "this build's manifest has no 'cases' list (it was made by an older version): "
                "build again before sending",
                str(root),
            )
        index = {(r["case_ref"], r["locale"], r["format"]): r for r in manifest["renditions"]}
        cases = tuple(CaseInfo.from_manifest(entry) for entry in manifest["cases"])
        restricted = frozenset(
            entry["case_ref"] for entry in manifest["cases"] if entry.get("publicity") != "public"
        )
        names = {entry["case_ref"]: str(entry.get("name", "")) for entry in manifest["cases"]}
        return cls(root.resolve(), cases, index, restricted, names)


class Gate:
    """Whether a rendition may go out: approved as it is, in a reviewed language."""

    def __init__(self, config: Config, ledger: Ledger) -> None:
        self.allow_unreviewed = config.allow_unreviewed_locales
        self.state = ledger.state
        self._cache: dict[tuple[str, str, str, str], str | None] = {}

    def hold(self, rendition: Mapping[str, Any]) -> str | None:
        """Why ``rendition`` is held back, or None when it may be sent."""
        key = (rendition["case_ref"], rendition["locale"], rendition["format"],
               rendition["sha256"])  # fmt: skip
        if key not in self._cache:
            self._cache[key] = self._reason(rendition)
        return self._cache[key]

    def _reason(self, rendition: Mapping[str, Any]) -> str | None:
        if not approved(self.state, rendition):
            return "not approved (campaign approve BUILD --by NAME)"
        if not self.allow_unreviewed and not review(rendition["locale"]).reviewed:
            return "translation not reviewed (campaign.allow_unreviewed_locales)"
        return None


def item_of(rendition: Mapping[str, Any]) -> Item:
    return Item(
        rendition["case_ref"],
        rendition["locale"],
        rendition["format"],
        rendition["path"],
        rendition["sha256"],
    )
