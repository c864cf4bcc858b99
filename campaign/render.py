"""The work of one case, as an executor runs it: render each of its jobs, write each file into
the build's store (a folder or an S3 prefix, rebuilt in the worker from its picklable
description), and hand back only the records (never the bytes)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from campaign import jobkeys
from campaign.errors import RenderError
from campaign.layouts import RenderContext, layout_for
from campaign.models import Case, Rendition
from campaign.plan import Job
from campaign.problems import Problem, Severity
from campaign.store import Store, StoreSpec, open_store


@dataclass(frozen=True)
class Digests:
    """The font digest and the catalog digest of each locale that went into the job keys."""

    fonts: str
    catalogs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CaseTask:
    """The jobs of one case to render, with their keys, the context and the build folder, and
    the digests the coordinator keyed them with (a worker checks it has the same inputs).
    ``store`` describes where to write (a worker opens it from this picklable description)."""

    case: Case
    jobs: tuple[tuple[Job, str], ...]
    ctx: RenderContext
    store: StoreSpec
    digests: Digests | None = None


@dataclass(frozen=True)
class JobResult:
    """What one job made: its rendition (None when the render failed) and its problems."""

    job: Job
    rendition: Rendition | None
    problems: tuple[Problem, ...] = ()


def render_case(task: CaseTask) -> tuple[JobResult, ...]:
    """Render every job of ``task`` in order (the photo is prepared once for all of them), after
    checking that this process has the fonts and catalogs the jobs were keyed with."""
    if task.digests is not None:
        check_digests(task.digests)
    store = open_store(task.store)
    return tuple(render_job(job, key, task.case, task.ctx, store) for job, key in task.jobs)


def worker_digests(locales: Iterable[str]) -> Digests:
    """The digests of the fonts and of the catalogs of ``locales`` in this process (a seam for
    tests: the coordinator computes its own through :class:`campaign.jobkeys.Keys`)."""
    catalogs = tuple((tag, jobkeys.catalog_digest(tag)) for tag in locales)
    return Digests(jobkeys.fonts_digest(), catalogs)


def check_digests(expected: Digests) -> None:
    """A RenderError when this process would render with other fonts or catalogs than those the
    coordinator keyed the jobs with (its files would differ from what the keys promise)."""
    found = worker_digests(tag for tag, _ in expected.catalogs)
    if found.fonts != expected.fonts:
        raise RenderError(
            "worker fonts differ from the coordinator's: install the same fonts on every worker "
            f"(font digest {found.fonts[:12]} here, {expected.fonts[:12]} on the coordinator)"
        )
    for (tag, want), (_, got) in zip(expected.catalogs, found.catalogs, strict=True):
        if got != want:
            raise RenderError(
                f"worker catalogs for '{tag}' differ from the coordinator's: install the same "
                f"campaign version and compiled catalogs on every worker (catalog digest "
                f"{got[:12]} here, {want[:12]} on the coordinator)"
            )


def render_job(job: Job, key: str, case: Case, ctx: RenderContext, store: Store) -> JobResult:
    """Render one job and write its file (and a banner's HTML embed code beside it)."""
    try:
        output = layout_for(job.format).render(case, job.locale, job.format, ctx)
    except RenderError as err:
        problem = case.problem(Severity.ERROR, "render-failed", str(err), None)
        return JobResult(job, None, (problem,))
    relative = f"{case.case_id}/{job.locale}/{job.format}.{output.extension}"
    embed = None
    try:
        store.put(relative, output.data, output.media_type)
        if output.embed is not None:
            embed = f"{case.case_id}/{job.locale}/{job.format}.html"
            store.put(embed, output.embed.encode("utf-8"), "text/html; charset=utf-8")
    except RenderError as err:
        problem = case.problem(Severity.ERROR, "write-failed", str(err), None)
        return JobResult(job, None, (problem,))
    rendition = Rendition(
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
        key=key,
        problems=tuple(output.problems),
    )
    return JobResult(job, rendition, tuple(output.problems))
