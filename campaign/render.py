"""The work of one case, as an executor runs it: render each of its jobs, write each file into
the build folder atomically, and hand back only the records (never the bytes)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from campaign.errors import RenderError
from campaign.layouts import RenderContext, layout_for
from campaign.models import Case, Rendition
from campaign.plan import Job
from campaign.problems import Problem, Severity
from campaign.store import write_atomic


@dataclass(frozen=True)
class CaseTask:
    """The jobs of one case to render, with their keys, the context and the build folder."""

    case: Case
    jobs: tuple[tuple[Job, str], ...]
    ctx: RenderContext
    root: Path


@dataclass(frozen=True)
class JobResult:
    """What one job made: its rendition (None when the render failed) and its problems."""

    job: Job
    rendition: Rendition | None
    problems: tuple[Problem, ...] = ()


def render_case(task: CaseTask) -> tuple[JobResult, ...]:
    """Render every job of ``task`` in order (the photo is prepared once for all of them)."""
    return tuple(render_job(job, key, task.case, task.ctx, task.root) for job, key in task.jobs)


def render_job(job: Job, key: str, case: Case, ctx: RenderContext, root: Path) -> JobResult:
    """Render one job and write its file (and a banner's HTML embed code beside it)."""
    try:
        output = layout_for(job.format).render(case, job.locale, job.format, ctx)
    except RenderError as err:
        problem = case.problem(Severity.ERROR, "render-failed", str(err), None)
        return JobResult(job, None, (problem,))
    relative = f"{case.case_id}/{job.locale}/{job.format}.{output.extension}"
    write_atomic(root, relative, output.data)
    embed = None
    if output.embed is not None:
        embed = f"{case.case_id}/{job.locale}/{job.format}.html"
        write_atomic(root, embed, output.embed.encode("utf-8"))
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
