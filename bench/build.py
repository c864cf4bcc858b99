"""Benchmark: whole builds of fictional cases (issue 6, item 8).

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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
GIVEN = ("Lucy", "Tom", "Ana", "Sam", "Maya", "Leo", "Nora", "Eli")
FAMILY = ("Example", "Sample", "Fictional", "Placeholder", "Testcase")


def fictional_cases(count: int, photo: Path) -> Iterator[Any]:
    """``count`` fictional cases that all point at the same photo file."""
    from campaign.models import Case, Eyes, Hair, Origin, PartialDate, Sex

    for number in range(count):
        yield Case(
            case_id=f"B-{number}",
            case_ref=f"BNCH-{number:05d}",
            origin=Origin("bench", number + 2),
            missing_since=dt.date(2026, 3, 1) + dt.timedelta(days=number % 200),
            missing_country="US",
            photo=photo,
            authority_ref="FIC",
            consent=True,
            given_name=GIVEN[number % len(GIVEN)],
            family_name=f"{FAMILY[number % len(FAMILY)]} {number}",
            sex=Sex.FEMALE if number % 2 else Sex.MALE,
            date_of_birth=PartialDate(2010 + number % 8, 1 + number % 12, 1 + number % 28),
            height_cm=120 + number % 50,
            weight_kg=30 + number % 30,
            hair=Hair.BROWN,
            eyes=Eyes.BLUE,
            missing_city="Springfield",
            clothing="Yellow jacket, blue jeans, white sneakers",
            description="Last seen leaving school in the afternoon.",
            source_locale="en",
            contact_agency="Police department (fictional)",
            contact_phone="+1 555 0100",
        )


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
    speedup = cold.seconds / two.seconds
    ok = speedup >= 1.7
    print(
        f"cold, jobs=2: {two.seconds:.1f} s = {speedup:.2f}x faster than jobs=1 "
        f"— target ≥ 1.7x: {verdict(ok)} (coordinator CPU {two.cpu_seconds:.1f} s)",
        flush=True,
    )
    rows.append(("cold, jobs=2", f"{two.seconds:.1f} s ({speedup:.2f}x)", "≥ 1.7x", verdict(ok)))

    if has_distributed():
        out, state = fresh(root, "dask")
        dask = measure(n, photo, out, state, jobs=1, scheduler="local-dask")
        speedup = cold.seconds / dask.seconds
        ok = speedup >= 1.3
        print(
            f"cold, Dask LocalCluster (2 workers): {dask.seconds:.1f} s = {speedup:.2f}x "
            f"faster than jobs=1 — target ≥ 1.3x: {verdict(ok)}",
            flush=True,
        )
        rows.append(
            ("cold, local-dask x2", f"{dask.seconds:.1f} s ({speedup:.2f}x)", "≥ 1.3x", verdict(ok))
        )
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
