"""Text and files that report on a stage: problem lines, summaries, the validation report."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from campaign import preview
from campaign.build import BuildReport
from campaign.cases import LoadResult
from campaign.manifest import read_manifest
from campaign.models import Case
from campaign.problems import Problem, Severity, count
from campaign.store import is_remote


def problem_line(problem: Problem) -> str:
    """``FILE:LINE: FIELD: severity: message (case ID)`` — one line per problem."""
    owner = f" (case {problem.case_id})" if problem.case_id else ""
    return problem.text(with_severity=True) + owner


def summary(path: Path, result: LoadResult) -> str:
    """One line: how many records, accepted, gated, rejected, and warnings."""
    totals = count(result.problems)
    publishable = len(result.publishable)
    gated = len(result.cases) - publishable
    rejected = result.records - len(result.cases)
    return (
        f"{path}: {result.records} records: {publishable} ready to publish, {gated} gated, "
        f"{rejected} rejected; {totals[Severity.ERROR]} errors, "
        f"{totals[Severity.WARNING]} warnings"
    )


def problem_lines(problems: Iterable[Problem], per_code: int = 5) -> list[str]:
    """One line per problem, except that warnings of one kind beyond ``per_code`` are counted
    in a single line (they are all in ``manifest.json``), so errors stay visible."""
    lines: list[str] = []
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for problem in problems:
        if problem.severity is Severity.WARNING and shown.get(problem.code, 0) >= per_code:
            hidden[problem.code] = hidden.get(problem.code, 0) + 1
            continue
        shown[problem.code] = shown.get(problem.code, 0) + 1
        lines.append(problem_line(problem))
    lines += [
        f"warning: … and {count} more '{code}' warnings (all are in manifest.json)"
        for code, count in hidden.items()
    ]
    return lines


def build_summary(out_dir: Path | str, loaded: LoadResult, built: BuildReport) -> str:
    """One line after a build: what was rendered, what was held back, where to look."""
    totals = count(built.problems)
    cases = len({rendition.case_id for rendition in built.renditions})
    return (
        f"{len(built.renditions)} renditions of {cases} cases in {out_dir} "
        f"({built.rendered} rendered, {built.skipped} unchanged and skipped; see "
        f"manifest.json); {len(loaded.cases) - len(loaded.publishable)} gated, "
        f"{loaded.records - len(loaded.cases)} rejected; {totals[Severity.ERROR]} errors, "
        f"{totals[Severity.WARNING]} warnings"
    )


def build_json(built: BuildReport) -> str:
    """``{"rendered", "skipped", "renditions", "problems"}`` of a build, for ``build --json``."""
    data = {
        "rendered": built.rendered,
        "skipped": built.skipped,
        "renditions": len(built.renditions),
        "problems": [problem.to_dict() for problem in built.problems],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def problems_json(problems: Iterable[Problem]) -> str:
    """The problems as a JSON list (``validate --json``)."""
    return json.dumps([problem.to_dict() for problem in problems], indent=2, ensure_ascii=False)


def gallery_line(out_dir: Path | str) -> str:
    """Write the review gallery of a folder build (from its manifest) and say where it is; an
    S3 build has none (the gallery links to local files)."""
    if is_remote(out_dir):
        return "Review gallery: not written for an S3 build (build into a folder to review)"
    path = preview.write_gallery(Path(out_dir), read_manifest(Path(out_dir)))
    return f"Review gallery: {path}"


def examples(built: BuildReport, out_dir: Path, count: int = 3) -> list[Path]:
    """A few renditions worth opening first: A4 posters in different languages."""
    chosen: dict[str, Path] = {}
    for rendition in built.renditions:
        if rendition.format == "poster-a4" and rendition.locale not in chosen:
            chosen[rendition.locale] = out_dir / rendition.path
    return list(chosen.values())[:count]


def write_validation(out_dir: Path, path: Path, result: LoadResult) -> tuple[Path, Path]:
    """Write ``validation.txt`` and ``validation.json`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [summary(path, result), ""]
    lines += [problem_line(problem) for problem in result.problems] or ["No problems found."]
    lines += ["", "Cases ready to publish:"]
    lines += [f"  {case.case_ref}  {case.case_id}" for case in result.publishable]
    text_path, json_path = out_dir / "validation.txt", out_dir / "validation.json"
    _atomic_write(text_path, "\n".join(lines) + "\n")
    data = {
        "cases_file": str(path),
        "records": result.records,
        "ready": [{"case_id": c.case_id, "case_ref": c.case_ref} for c in result.publishable],
        "problems": [problem.to_dict() for problem in result.problems],
    }
    _atomic_write(json_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return text_path, json_path


def refs_csv(cases: Iterable[Case]) -> str:
    """``case_ref,case_id`` rows; cells that a spreadsheet would run as formulas are neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["case_ref", "case_id"])
    for case in cases:
        writer.writerow([safe_cell(case.case_ref), safe_cell(case.case_id)])
    return buffer.getvalue()


def safe_cell(value: str) -> str:
    """Prefix a quote to a cell starting with = + - @ tab CR or NUL (CSV formula injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r", "\0") else value


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
