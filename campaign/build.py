"""The render stage: run the planned jobs, write each rendition into the build's store (a folder
or an S3 prefix), and write ``manifest.json`` last (atomically: a renamed file, or one S3 put)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from campaign import executors
from campaign.buildcache import Entries, manifest_entry, previous_entries, reusable
from campaign.cases import LoadResult
from campaign.config import Config
from campaign.errors import FetchError, PhotoError, RenderError
from campaign.i18n import country, country_table, localizer, review
from campaign.intake import photo_cache, take_photo
from campaign.jobkeys import Keys, case_digest
from campaign.layouts import RenderContext, alerts
from campaign.layouts.alert_text import alert_context
from campaign.models import Case, Rendition
from campaign.plan import Job, plan
from campaign.problems import Problem, Severity
from campaign.render import CaseTask, Digests, JobResult, render_case
from campaign.store import Store, StoreSpec, locate, open_store

MANIFEST = "manifest.json"
ALERT_FORMATS = ("alert-cap", "alert-texts")
Progress = Callable[[int, int, Job], None]


@dataclass
class BuildReport:
    renditions: list[Rendition] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    jobs: int = 0
    rendered: int = 0  # files rendered by this build
    skipped: int = 0  # files kept from the previous build (unchanged key, intact file)
    cases: list[dict[str, Any]] = field(default_factory=list)  # where each case was last seen

    def has_errors(self) -> bool:
        return any(problem.severity is Severity.ERROR for problem in self.problems)


@dataclass(frozen=True)
class BuildRequest:
    out_dir: Path | str  # a build folder, or s3://bucket/prefix (see campaign.store.locate)
    as_of: dt.date
    formats: Sequence[str]
    locales: Sequence[str] = ()
    force: bool = False  # render every job, whatever the previous build holds
    jobs: int | None = 1  # worker processes (None: every core; 1: in this process)
    scheduler: str | None = None  # a Dask scheduler (tcp://HOST:PORT, local-dask) for the renders


def build(
    loaded: LoadResult, config: Config, request: BuildRequest, progress: Progress | None = None
) -> BuildReport:
    """Render every job for the publishable cases of ``loaded`` into ``request.out_dir``,
    skipping the jobs the previous build in that folder already made from the same inputs."""
    countries = country_table(config.countries)
    cases = {case.case_id: case for case in loaded.publishable}
    jobs = list(plan(cases.values(), request.formats, countries, request.locales))
    report = BuildReport(problems=list(loaded.problems), jobs=len(jobs))
    locales: dict[str, dict[str, None]] = {}
    for job in jobs:
        locales.setdefault(job.case_id, {})[job.locale] = None
    report.cases = [case_entry(case, locales.get(case.case_id, {})) for case in cases.values()]
    spec = locate(request.out_dir, config.store)
    store = open_store(spec)
    planner = _CasePlanner(config, request, spec, countries)
    done = 0
    with executors.opened(request.jobs, request.scheduler) as (pool, window):
        works = (planner.work(cases[case_id], group) for case_id, group in _by_case(jobs))
        for work, results in executors.stream(pool, render_case, works, window):
            for job in _merge(work, results, report):
                done += 1
                if progress is not None:
                    progress(done, len(jobs), job)
    for entry in report.cases:
        entry["photo_keys"] = planner.photo_keys.get(entry["case_ref"], [])
    write_alerts(cases.values(), config, request, store, report, planner.cache)
    report.problems.extend(unreviewed_locales(jobs, config))
    write_manifest(store, request.as_of, report)  # last: it names only files already stored
    return report


def case_entry(case: Case, locales: Iterable[str]) -> dict[str, Any]:
    """The manifest's record of a built case, for targeting recipients: its country, region and
    last-seen point (to about 100 m), and the languages it was rendered in."""
    entry: dict[str, Any] = {
        "case_id": case.case_id,
        "case_ref": case.case_ref,
        "country": case.missing_country,
        "publicity": case.publicity.value,  # restricted: print and partners only, never e-mail
        "name": case.display_name,  # as printed on the posters (feeds and widgets show it)
    }
    if case.missing_region_code:
        entry["region"] = case.missing_region_code
    if case.lat is not None and case.lon is not None:
        entry["lat"], entry["lon"] = round(case.lat, 3), round(case.lon, 3)
    entry["locales"] = list(locales)
    return entry


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


def _by_case(jobs: Sequence[Job]) -> Iterator[tuple[str, list[Job]]]:
    """The jobs of each case together, in plan order."""
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault(job.case_id, []).append(job)
    yield from groups.items()


@dataclass(frozen=True)
class _CaseWork:
    """One case's jobs: those kept from the previous build, and problems found on the way."""

    jobs: tuple[Job, ...]
    reused: Mapping[Job, Rendition]
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class _Cache:
    """The job keys of this build and the previous build's renditions (none when forced)."""

    keys: Keys
    previous: Entries
    store: Store
    spec: StoreSpec


class _CasePlanner:
    """Decides per case what to render: loads its photos, keys its jobs, keeps the unchanged."""

    def __init__(
        self, config: Config, request: BuildRequest, spec: StoreSpec, countries: Any
    ) -> None:
        self._config, self._as_of, self._countries = config, request.as_of, countries
        store = open_store(spec)
        previous = {} if request.force else previous_entries(store, MANIFEST)
        self.cache = _Cache(Keys(config, request.as_of), previous, store, spec)
        self._photos = photo_cache(config)
        self.photo_keys: dict[str, list[str]] = {}  # case_ref → its photos' cache keys (purge)

    def work(self, case: Case, jobs: Sequence[Job]) -> tuple[_CaseWork, CaseTask | None]:
        """What is kept of a case's jobs, and the task that renders the rest (None: nothing)."""
        try:
            photo = take_photo(case.photo, self._config, self._photos)
            progressed = None
            if case.age_progressed_photo:
                progressed = take_photo(case.age_progressed_photo, self._config, self._photos)
        except (PhotoError, FetchError) as err:
            problem = case.problem(Severity.ERROR, err.code, str(err), "photo")
            return _CaseWork(tuple(jobs), {}, (problem,)), None
        self.photo_keys[case.case_ref] = [p.source_sha256 for p in (photo, progressed) if p]
        ctx = RenderContext(
            config=self._config,
            as_of=self._as_of,
            country=country(case.missing_country, self._countries),
            photo=photo,
            age_progressed=progressed,
            crop_marks=self._config.print.crop_marks,
        )
        digest = case_digest(case, ctx.country, photo, progressed)
        keyed = [(job, self.cache.keys.job(digest, job.locale, job.format)) for job in jobs]
        store, previous = self.cache.store, self.cache.previous
        reused = {
            job: _relocated(kept, case)
            for job, key in keyed
            if (kept := reusable(previous, job.case_id, job.locale, job.format, key, store))
        }
        todo = tuple((job, key) for job, key in keyed if job not in reused)
        task = CaseTask(case, todo, ctx, self.cache.spec, self._digests(todo)) if todo else None
        return _CaseWork(tuple(jobs), reused), task

    def _digests(self, todo: Sequence[tuple[Job, str]]) -> Digests:
        """The font and catalog digests the keys of ``todo`` were made with."""
        keys = self.cache.keys
        tags = dict.fromkeys(job.locale for job, _ in todo)
        return Digests(keys.fonts, tuple((tag, keys.catalog(tag)) for tag in tags))


def _relocated(rendition: Rendition, case: Case) -> Rendition:
    """A kept rendition whose problems point at where the case's record is now (a moved row
    keeps its renditions, but its warnings name the new line)."""
    problems = tuple(
        replace(problem, file=case.origin.file, line=case.origin.line)
        if problem.case_id == case.case_id
        else problem
        for problem in rendition.problems
    )
    return replace(rendition, problems=problems)


def _merge(
    work: _CaseWork, results: Sequence[JobResult] | None, report: BuildReport
) -> tuple[Job, ...]:
    """Add a case's renditions and problems to the report in plan order; return its jobs."""
    report.problems.extend(work.problems)
    made = {result.job: result for result in results or ()}
    for job in work.jobs:
        kept = work.reused.get(job)
        if kept is not None:
            report.skipped += 1
            report.renditions.append(kept)
            report.problems.extend(kept.problems)
        elif job in made:
            result = made[job]
            report.problems.extend(result.problems)
            if result.rendition is not None:
                report.rendered += 1
                report.renditions.append(result.rendition)
    return work.jobs


def manifest_data(as_of: dt.date, report: BuildReport) -> dict[str, Any]:
    """The manifest as the contract describes it (absent optional keys left out); each rendition
    also carries its job ``key`` and, when its render reported any, its own ``problems``."""
    renditions = [manifest_entry(item) for item in sorted(report.renditions, key=lambda r: r.path)]
    return {
        "version": 1,
        "as_of": as_of.isoformat(),
        "renditions": renditions,
        "cases": sorted(report.cases, key=lambda item: str(item["case_id"])),
        "problems": [problem.to_dict() for problem in report.problems],
    }


def write_manifest(store: Store, as_of: dt.date, report: BuildReport) -> None:
    text = json.dumps(manifest_data(as_of, report), indent=2, ensure_ascii=False) + "\n"
    store.put(MANIFEST, text.encode("utf-8"), "application/json")


def write_alerts(
    cases: Iterable[Case],
    config: Config,
    request: BuildRequest,
    store: Store,
    report: BuildReport,
    cache: _Cache | None = None,
) -> None:
    """Each case's alert files in ``DIR/<case_id>/alerts/`` (manifest locale ``mul``):
    ``cap.xml`` (``alert-cap``; sent at midnight UTC of the build date, so builds stay
    deterministic) and ``texts.json`` (``alert-texts``: WEA, SMS and social texts per language).
    Files of an unchanged case are kept from the previous build when ``cache`` has them.
    Nothing is published or recorded in the state database: only ``campaign alert`` publishes."""
    for case in cases:
        ctx = alert_context(case, config, request.as_of, request.locales)
        key = None
        if cache is not None:
            key = cache.keys.alerts(case_digest(case, ctx.country), ctx.locales)
            kept = _kept_alerts(case, key, cache)
            if kept:
                report.renditions.extend(kept)
                report.skipped += len(kept)
                continue
        try:
            files = alerts.build_files(case, ctx)
        except RenderError as err:
            report.problems.append(case.problem(Severity.ERROR, "render-failed", str(err), None))
            continue
        for item in files:
            report.renditions.append(_write_alert(case, item, store, key))
            report.rendered += 1


def _kept_alerts(case: Case, key: str, cache: _Cache) -> list[Rendition]:
    """The previous build's alert files of ``case`` when all of them can be kept, else []."""
    found = [
        (fmt, reusable(cache.previous, case.case_id, "mul", fmt, key, cache.store))
        for fmt in ALERT_FORMATS
        if (case.case_id, "mul", fmt) in cache.previous
    ]
    kept = [rendition for _, rendition in found if rendition is not None]
    return kept if found and len(kept) == len(found) else []


def _write_alert(case: Case, item: alerts.AlertFile, store: Store, key: str | None) -> Rendition:
    relative = f"{case.case_id}/alerts/{item.name}"
    store.put(relative, item.data, item.media_type)
    return Rendition(
        case_id=case.case_id,
        case_ref=case.case_ref,
        locale="mul",
        format=item.format,
        path=relative,
        media_type=item.media_type,
        sha256=hashlib.sha256(item.data).hexdigest(),
        bytes=len(item.data),
        key=key,
    )
