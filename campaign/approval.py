"""Approval: a person records, in the state database, which rendition digests of a build they
reviewed and approved. The send stage asks :func:`approved` before sending a rendition; a
rendition whose bytes changed since (another sha256) is not approved."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign.errors import InputError
from campaign.i18n import review
from campaign.manifest import read_manifest
from campaign.models import Rendition
from campaign.state import Approval, State

MULTILINGUAL = "mul"  # the locale of a case's alert files (their texts are in every language)


@dataclass(frozen=True)
class ApprovalSummary:
    """What one ``approve`` did: renditions approved now, those already approved before."""

    out_dir: Path
    approved_by: str
    new: int = 0
    already: int = 0
    cases: tuple[str, ...] = ()
    unreviewed: tuple[str, ...] = field(default=())  # locale tags whose catalogs are drafts

    def text(self) -> str:
        total = self.new + self.already
        lines = [
            f"{self.approved_by} approved {total} renditions of {len(self.cases)} cases in "
            f"{self.out_dir}: {self.new} newly approved, {self.already} already approved"
        ]
        if self.unreviewed:
            lines.append(
                "note: the translations of " + ", ".join(self.unreviewed) + " are not reviewed "
                "by a fluent speaker; renditions in them are still held back from sending"
            )
        return "\n".join(lines)


def approve_build(
    state: State,
    out_dir: Path,
    approved_by: str,
    now: dt.datetime,
    case_ids: Collection[str] = (),
    allow_unreviewed: bool = False,
) -> ApprovalSummary:
    """Approve the renditions listed in ``out_dir/manifest.json`` (only those of ``case_ids``
    when given) as ``approved_by`` at ``now``; approving a digest again changes nothing.

    Refuses (``InputError``, nothing recorded) an unknown case id, and a file whose bytes no
    longer match the manifest: what was reviewed must be what is approved."""
    name = approved_by.strip()
    if not name:
        raise InputError("--by needs the name of the person approving")
    renditions = _chosen(read_manifest(out_dir)["renditions"], case_ids)
    _check_files(out_dir, renditions)
    approvals = [
        Approval(item["case_ref"], item["locale"], item["format"], item["sha256"], name, now)
        for item in renditions
    ]
    new = state.record_approvals(approvals)
    locales = sorted({item["locale"] for item in renditions} - {MULTILINGUAL})
    return ApprovalSummary(
        out_dir=out_dir,
        approved_by=name,
        new=new,
        already=len(approvals) - new,
        cases=tuple(dict.fromkeys(item["case_id"] for item in renditions)),
        unreviewed=()
        if allow_unreviewed
        else tuple(tag for tag in locales if not review(tag).reviewed),
    )


def approved(state: State, rendition: Rendition | Mapping[str, Any]) -> bool:
    """Whether a person approved exactly this rendition: its case_ref, locale, format and
    sha256 all match an approval (a rendition rendered differently since is not approved)."""
    if isinstance(rendition, Rendition):
        keys = (rendition.case_ref, rendition.locale, rendition.format, rendition.sha256)
    else:
        keys = (
            rendition["case_ref"],
            rendition["locale"],
            rendition["format"],
            rendition["sha256"],
        )
    return state.approval(*keys) is not None


def _chosen(renditions: list[dict[str, Any]], case_ids: Collection[str]) -> list[dict[str, Any]]:
    if not case_ids:
        return renditions
    present = {item["case_id"] for item in renditions}
    unknown = [case_id for case_id in case_ids if case_id not in present]
    if unknown:
        raise InputError(
            "no renditions of case " + ", ".join(unknown) + " in this build (a gated case "
            "or one that failed is not rendered, so it cannot be approved)"
        )
    return [item for item in renditions if item["case_id"] in case_ids]


def _check_files(out_dir: Path, renditions: list[dict[str, Any]]) -> None:
    root = out_dir.resolve()
    changed: list[str] = []
    for item in renditions:
        path = (root / item["path"]).resolve()
        try:
            if not path.is_relative_to(root):
                raise OSError("outside the build folder")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = ""
        if digest != item["sha256"]:
            changed.append(item["path"])
    if changed:
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        shown = ", ".join(changed[:5]) + more
        raise InputError(
            f"files missing or changed since the manifest was written: {shown}; build again "
            "and review the new files",
            str(out_dir),
        )
