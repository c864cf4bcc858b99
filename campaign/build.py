"""The render stage: run the planned jobs, write each rendition into the build folder, and write
``manifest.json`` last and atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from campaign.cases import LoadResult
from campaign.config import Config
from campaign.errors import FetchError, PhotoError, RenderError
from campaign.i18n import country, country_table, localizer, review
from campaign.intake import photo_cache, take_photo
from campaign.layouts import RenderContext, alerts, layout_for
from campaign.layouts.alert_text import alert_context
from campaign.models import Case, Rendition
from campaign.photos import NormalizedPhoto, PhotoCache
from campaign.plan import Job, plan
from campaign.problems import Problem, Severity

MANIFEST = "manifest.json"
Progress = Callable[[int, int, Job], None]


@dataclass
class BuildReport:
    renditions: list[Rendition] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    jobs: int = 0

    def has_errors(self) -> bool:
        return any(problem.severity is Severity.ERROR for problem in self.problems)


@dataclass(frozen=True)
class BuildRequest:
    out_dir: Path
    as_of: dt.date
    formats: Sequence[str]
    locales: Sequence[str] = ()


def build(
    loaded: LoadResult, config: Config, request: BuildRequest, progress: Progress | None = None
) -> BuildReport:
    """Render every job for the publishable cases of ``loaded`` into ``request.out_dir``."""
    countries = country_table(config.countries)
    cases = {case.case_id: case for case in loaded.publishable}
    jobs = list(plan(cases.values(), request.formats, countries, request.locales))
    report = BuildReport(problems=list(loaded.problems), jobs=len(jobs))
    photos = _PhotoSource(config, photo_cache(config))
    root = request.out_dir.resolve()
    for number, job in enumerate(jobs, start=1):
        case = cases[job.case_id]
        ctx = _context(case, config, request.as_of, countries, photos, report)
        if ctx is not None:
            _render_one(job, case, ctx, root, report)
        if progress is not None:
            progress(number, len(jobs), job)
    write_alerts(cases.values(), config, request, root, report)
    report.problems.extend(unreviewed_locales(jobs, config))
    write_manifest(root, request.as_of, report)
    return report


def unreviewed_locales(jobs: Sequence[Job], config: Config) -> list[Problem]:
    """One warning per language whose catalog nobody has reviewed (unless the campaign allows)."""
    if config.allow_unreviewed_locales:
        return []
    tags = dict.fromkeys(localizer(job.locale).tag for job in jobs)
    return [
        Problem(
            Severity.WARNING,
            "locale-unreviewed",
            f"the '{tag}' translations are a machine draft that no fluent speaker has reviewed: "
            "renditions in it are flagged for review and not sent (set "
            "campaign.allow_unreviewed_locales = true to send them anyway)",
        )
        for tag in tags
        if not review(tag).reviewed
    ]


class _PhotoSource:
    """Each case's photos normalised once per build, however many jobs use them."""

    def __init__(self, config: Config, cache: PhotoCache | None) -> None:
        self._config, self._cache = config, cache
        self._done: dict[str, NormalizedPhoto | PhotoError | FetchError] = {}

    def get(self, source: Path | str) -> NormalizedPhoto:
        key = str(source)
        if key not in self._done:
            try:
                self._done[key] = take_photo(source, self._config, self._cache)
            except (PhotoError, FetchError) as err:
                self._done[key] = err
        found = self._done[key]
        if isinstance(found, (PhotoError, FetchError)):
            raise found
        return found


def _context(
    case: Case,
    config: Config,
    as_of: dt.date,
    countries: Any,
    photos: _PhotoSource,
    report: BuildReport,
) -> RenderContext | None:
    try:
        photo = photos.get(case.photo)
        progressed = photos.get(case.age_progressed_photo) if case.age_progressed_photo else None
    except (PhotoError, FetchError) as err:
        report.problems.append(case.problem(Severity.ERROR, err.code, str(err), "photo"))
        return None
    return RenderContext(
        config=config,
        as_of=as_of,
        country=country(case.missing_country, countries),
        photo=photo,
        age_progressed=progressed,
        crop_marks=config.print.crop_marks,
    )


def _render_one(job: Job, case: Case, ctx: RenderContext, root: Path, report: BuildReport) -> None:
    try:
        output = layout_for(job.format).render(case, job.locale, job.format, ctx)
    except RenderError as err:
        report.problems.append(case.problem(Severity.ERROR, "render-failed", str(err), None))
        return
    relative = f"{case.case_id}/{job.locale}/{job.format}.{output.extension}"
    write_atomic(root, relative, output.data)
    embed = None
    if output.embed is not None:  # the banner's HTML embed code, beside it
        embed = f"{case.case_id}/{job.locale}/{job.format}.html"
        write_atomic(root, embed, output.embed.encode("utf-8"))
    report.problems.extend(output.problems)
    report.renditions.append(
        Rendition(
            case_id=case.case_id,
            case_ref=case.case_ref,
            locale=job.locale,
            format=job.format,
            path=relative,
            media_type=output.media_type,
            sha256=hashlib.sha256(output.data).hexdigest(),
            bytes=len(output.data),
            width=output.width,
            height=output.height,
            alt=output.alt,
            qr_url=output.qr_url,
            embed=embed,
        )
    )


def write_atomic(root: Path, relative: str, data: bytes) -> Path:
    """Write ``data`` to ``root/relative`` via a temporary file; refuse paths that leave root."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise RenderError(f"refusing to write outside the build folder: {relative}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)
    return target


def manifest_data(as_of: dt.date, report: BuildReport) -> dict[str, Any]:
    """The manifest as the contract describes it (absent optional keys left out)."""
    renditions = [
        {key: value for key, value in asdict(item).items() if value is not None}
        for item in sorted(report.renditions, key=lambda r: r.path)
    ]
    return {
        "version": 1,
        "as_of": as_of.isoformat(),
        "renditions": renditions,
        "problems": [problem.to_dict() for problem in report.problems],
    }


def write_manifest(root: Path, as_of: dt.date, report: BuildReport) -> Path:
    text = json.dumps(manifest_data(as_of, report), indent=2, ensure_ascii=False) + "\n"
    return write_atomic(root, MANIFEST, text.encode("utf-8"))


def write_alerts(
    cases: Iterable[Case], config: Config, request: BuildRequest, root: Path, report: BuildReport
) -> None:
    """Each case's alert files in ``DIR/<case_id>/alerts/`` (manifest locale ``mul``):
    ``cap.xml`` (``alert-cap``; sent at midnight UTC of the build date, so builds stay
    deterministic) and ``texts.json`` (``alert-texts``: WEA, SMS and social texts per language).
    Nothing is published or recorded in the state database: only ``campaign alert`` publishes."""
    for case in cases:
        ctx = alert_context(case, config, request.as_of, request.locales)
        try:
            files = alerts.build_files(case, ctx)
        except RenderError as err:
            report.problems.append(case.problem(Severity.ERROR, "render-failed", str(err), None))
            continue
        for item in files:
            relative = f"{case.case_id}/alerts/{item.name}"
            write_atomic(root, relative, item.data)
            report.renditions.append(
                Rendition(
                    case_id=case.case_id,
                    case_ref=case.case_ref,
                    locale="mul",
                    format=item.format,
                    path=relative,
                    media_type=item.media_type,
                    sha256=hashlib.sha256(item.data).hexdigest(),
                    bytes=len(item.data),
                )
            )
