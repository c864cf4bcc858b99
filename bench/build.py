"""Benchmark: whole builds of fictional cases.

N fictional cases x 1 locale (en) x 7 formats (poster-a4 + 6 banners). Measures, each in a
fresh child process and a fresh temp folder (times cover ``build()`` only, not start-up):

- cold build, jobs=1 (in-process);
- no-op rebuild into the same folder (target: at most 3 % of cold);
- cold build with 2 local worker processes (target: at least 1.7x faster than jobs=1);
- cold build on a Dask LocalCluster with 2 workers (target: at least 1.3x faster than jobs=1);
- peak RSS of the coordinating process for ``--rss-cases`` cases, jobs=2 (target: at most
  300 MB); the workers are separate processes and are not counted.

Every case shares one synthetic 1200x1500 photo (the photo cache normalises it once).

    .venv/bin/python bench/build.py [--cases N] [--rss-cases N] [--skip-rss]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fictional import fictional_cases

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 28)
FORMATS = (
    "poster-a4",
    "banner-300x250",
    "banner-728x90",
    "banner-160x600",
    "banner-320x50",
    "banner-970x250",
    "banner-300x600",
)
LOCALES = ("en",)


@dataclass(frozen=True)
class Figure:
    seconds: float
    rendered: int
    skipped: int
    errors: int
    maxrss_mb: float
    cpu_seconds: float  # CPU time of the coordinating process (workers excluded)


def child(args: argparse.Namespace) -> None:
    """Run one build in this process and print its figures as JSON."""
    from campaign.build import BuildRequest, build
    from campaign.cases import LoadResult
    from campaign.config import Config
    from campaign.problems import Severity

    loaded = LoadResult(cases=list(fictional_cases(args.cases, Path(args.photo))))
    loaded.records = len(loaded.cases)
    config = Config(state_dir=Path(args.state), allow_unreviewed_locales=True)
    request = BuildRequest(
        out_dir=Path(args.out),
        as_of=AS_OF,
        formats=FORMATS,
        locales=LOCALES,
        jobs=args.jobs,
        scheduler=args.scheduler or None,
    )
    start = time.perf_counter()
    report = build(loaded, config, request)
    seconds = time.perf_counter() - start
    errors = sum(problem.severity is Severity.ERROR for problem in report.problems)
    usage = resource.getrusage(resource.RUSAGE_SELF)  # ru_maxrss is in kilobytes on Linux
    cpu = usage.ru_utime + usage.ru_stime
    figure = Figure(seconds, report.rendered, report.skipped, errors, usage.ru_maxrss / 1024, cpu)
    print(json.dumps(figure.__dict__))


def measure(
    cases: int, photo: Path, out: Path, state: Path, jobs: int, scheduler: str = ""
) -> Figure:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--cases",
            str(cases),
            "--photo",
            str(photo),
            "--out",
            str(out),
            "--state",
            str(state),
            "--jobs",
            str(jobs),
            "--scheduler",
            scheduler,
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    figure = Figure(**json.loads(done.stdout.strip().splitlines()[-1]))
    if figure.errors:
        print(f"  warning: the build reported {figure.errors} errors", flush=True)
    return figure


def fresh(root: Path, name: str) -> tuple[Path, Path]:
    """A fresh build folder and state folder for one measurement."""
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    return folder / "out", folder / "state"


def has_distributed() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def faster(
    labels: tuple[str, str], figure: Figure, cold: Figure, target: float, note: str = ""
) -> tuple[str, str, str, str]:
    """Print how many times faster than the cold jobs=1 build ``figure`` was; the table row."""
    speedup = cold.seconds / figure.seconds
    ok = speedup >= target
    print(
        f"{labels[0]}: {figure.seconds:.1f} s = {speedup:.2f}x faster than jobs=1 "
        f"— target ≥ {target}x: {verdict(ok)}{note}",
        flush=True,
    )
    return labels[1], f"{figure.seconds:.1f} s ({speedup:.2f}x)", f"≥ {target}x", verdict(ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--rss-cases", type=int, default=5000)
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--photo", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--scheduler", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    from PIL import Image

    root = Path(tempfile.mkdtemp(prefix="bench-build-"))
    photo = root / "photo.jpg"
    Image.new("RGB", (1200, 1500), (190, 160, 130)).save(photo, quality=88)
    n = args.cases
    files = n * len(LOCALES) * len(FORMATS)
    print(
        f"{n} fictional cases x {len(LOCALES)} locale (en) x {len(FORMATS)} formats "
        f"(poster-a4 + 6 banners) = {files} renditions (each build also writes the case alerts); "
        "one 1200x1500 photo shared by every case"
    )
    rows: list[tuple[str, str, str, str]] = []

    out, state = fresh(root, "cold1")
    cold = measure(n, photo, out, state, jobs=1)
    print(f"cold, jobs=1: {cold.seconds:.1f} s ({cold.rendered} rendered)", flush=True)
    rows.append(("cold, jobs=1", f"{cold.seconds:.1f} s", "(baseline)", ""))

    noop = measure(n, photo, out, state, jobs=1)
    share = noop.seconds / cold.seconds
    ok = share <= 0.03
    print(
        f"no-op rebuild: {noop.seconds:.2f} s = {share:.1%} of cold "
        f"({noop.rendered} rendered, {noop.skipped} kept) — target ≤ 3 %: {verdict(ok)}",
        flush=True,
    )
    rows.append(
        ("no-op rebuild", f"{noop.seconds:.2f} s ({share:.1%})", "≤ 3 % of cold", verdict(ok))
    )

    out, state = fresh(root, "cold2")
    two = measure(n, photo, out, state, jobs=2)
    note = f" (coordinator CPU {two.cpu_seconds:.1f} s)"
    rows.append(faster(("cold, jobs=2", "cold, jobs=2"), two, cold, 1.7, note))

    if has_distributed():
        out, state = fresh(root, "dask")
        dask = measure(n, photo, out, state, jobs=1, scheduler="local-dask")
        labels = ("cold, Dask LocalCluster (2 workers)", "cold, local-dask x2")
        rows.append(faster(labels, dask, cold, 1.3))
    else:
        print("cold, Dask LocalCluster: skipped (distributed is not installed)", flush=True)
        rows.append(("cold, local-dask x2", "skipped", "≥ 1.3x", "n/a"))

    if args.skip_rss:
        rows.append(("coordinator peak RSS", "skipped", "≤ 300 MB", "n/a"))
    else:
        out, state = fresh(root, "rss")
        big = measure(args.rss_cases, photo, out, state, jobs=2)
        ok = big.maxrss_mb <= 300
        print(
            f"coordinator peak RSS, {args.rss_cases} cases, jobs=2: {big.maxrss_mb:.0f} MB "
            f"(build {big.seconds:.1f} s) — target ≤ 300 MB: {verdict(ok)}",
            flush=True,
        )
        label = f"peak RSS, {args.rss_cases} cases"
        rows.append((label, f"{big.maxrss_mb:.0f} MB", "≤ 300 MB", verdict(ok)))

    print()
    width = max(len(row[0]) for row in rows)
    for name, value, target, result in rows:
        print(f"{name:<{width}}  {value:<22}  {target:<14}  {result}")


if __name__ == "__main__":
    main()
