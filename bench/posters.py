"""Benchmark: poster-a4 with this engine vs WeasyPrint from equivalent HTML/CSS, one core each.

Per-poster cost excludes start-up: each engine renders one warm-up poster, then 10 (and, in
another fresh process, 100) posters of distinct cases pinned to one core; each timing is the
best of ``--repeat`` processes and the cost is (t100 - t10) / 90. Also times a full print set
(4 posters + 3 flyers) per case in one Latin-script locale.

    .venv/bin/python bench/posters.py            # prints the figures and the ratio
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fictional import COUNTRY, LOCALE, fictional_cases

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 28)
WARM_UP = 10_000  # the number of the warm-up case, apart from the timed ones


def print_set() -> list[str]:
    """The full print set: 4 posters and 3 flyers."""
    from campaign.layouts.flyer import FlyerLayout
    from campaign.layouts.poster import FORMATS

    return [f for f, v in FORMATS.items() if not v.screen] + list(FlyerLayout.formats)


def ours(count: int, formats: list[str], photo: Path) -> float:
    from campaign.config import Config
    from campaign.i18n import country
    from campaign.layouts import RenderContext, layout_for
    from campaign.photos import normalize_file

    ctx = RenderContext(
        config=Config(), as_of=AS_OF, country=country(COUNTRY), photo=normalize_file(photo)
    )

    def render(case) -> None:  # type: ignore[no-untyped-def]
        for fmt in formats:
            layout_for(fmt).render(case, LOCALE, fmt, ctx)

    return timed_loop(render, count, photo)


def timed_loop(render, count: int, photo: Path) -> float:  # type: ignore[no-untyped-def]
    """Seconds to render ``count`` cases, after one warm-up case (fonts loaded, caches made)."""
    for case in fictional_cases(1, photo, first=WARM_UP):
        render(case)
    start = time.perf_counter()
    for case in fictional_cases(count, photo):
        render(case)
    return time.perf_counter() - start


HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><style>
@page {{ size: 216mm 303mm; margin: 0; bleed: 3mm; }}
body {{ margin: 0; font-family: 'Noto Sans'; }}
.band {{ background: #d91220; color: white; height: 34mm; font: bold 54pt 'Noto Sans';
        text-align: center; line-height: 34mm; }}
.name {{ font: bold 44pt 'Noto Sans'; text-align: center; margin: 4mm 6mm; }}
.mid {{ display: flex; margin: 0 6mm; gap: 5mm; }}
.mid img {{ width: 124mm; height: 155mm; object-fit: cover; object-position: top; }}
table {{ font-size: 10pt; }} td.v {{ font-weight: bold; font-size: 12pt; }}
.panel {{ position: absolute; bottom: 0; left: 0; right: 0; height: 48mm; background: #eee;
         padding: 5mm 6mm; }}
.phones {{ font: bold 26pt 'Noto Sans'; }} .qr {{ position: absolute; right: 6mm; bottom: 8mm;
         width: 36mm; height: 36mm; }}
</style></head><body><div class="band">{headline}</div><div class="name">{name}</div>
<div class="mid"><img src="{photo}"><div><table>{rows}</table><p>{details}</p></div></div>
<div class="panel"><div>{call}</div><div class="phones">{phones}</div><small>{ref}</small>
<img class="qr" src="{qr}"></div></body></html>"""


def weasy(count: int, photo: Path) -> float:
    import qrcode
    import weasyprint
    from qrcode.image.svg import SvgPathImage

    from campaign.config import Config
    from campaign.i18n import country
    from campaign.layouts.content import compose
    from campaign.qr import Tracking, qr_url

    folder = Path(tempfile.mkdtemp())

    def render(case) -> None:  # type: ignore[no-untyped-def]
        text = compose(case, LOCALE, country(COUNTRY), AS_OF)
        url = qr_url(
            Config().case_url, case.case_ref, Tracking("print", "qr", "appeal", "poster-a4")
        )
        qr_path = folder / f"{case.case_id}.svg"
        qrcode.make(url, image_factory=SvgPathImage).save(qr_path)
        rows = "".join(
            f"<tr><td>{html.escape(f.label)}</td><td class=v>{html.escape(f.value)}</td></tr>"
            for f in text.facts
        )
        page = HTML.format(
            headline=html.escape(text.headline),
            name=html.escape(text.name),
            photo=photo.as_uri(),
            rows=rows,
            details=html.escape(" ".join(d.value for d in text.details)),
            call=html.escape(text.call_label),
            phones="<br>".join(html.escape(c.number) for c in text.contacts),
            ref=html.escape(text.case_ref),
            qr=qr_path.as_uri(),
        )
        weasyprint.HTML(string=page).write_pdf()

    return timed_loop(render, count, photo)


def child(engine: str, count: int, formats: list[str], photo: Path) -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    seconds = ours(count, formats, photo) if engine == "ours" else weasy(count, photo)
    print(json.dumps({"seconds": seconds}))


def timed(engine: str, count: int, formats: list[str], photo: Path) -> float:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            engine,
            "--count",
            str(count),
            "--formats",
            ",".join(formats),
            "--photo",
            str(photo),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def per_item(
    engine: str, formats: list[str], photo: Path, small: int, large: int, repeat: int
) -> float:
    """(t_large - t_small) / (large - small), each time the best of ``repeat`` fresh processes."""

    def best(count: int) -> float:
        return min(timed(engine, count, formats, photo) for _ in range(repeat))

    return (best(large) - best(small)) / (large - small)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--formats", default="poster-a4")
    parser.add_argument("--photo")
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per timing")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.count, args.formats.split(","), Path(args.photo))
        return
    photo = Path(tempfile.mkdtemp()) / "photo.jpg"
    from PIL import Image

    Image.new("RGB", (1200, 1500), (190, 160, 130)).save(photo, quality=88)
    sizes = (args.small, args.large, args.repeat)
    ours_cost = per_item("ours", ["poster-a4"], photo, *sizes)
    weasy_cost = per_item("weasy", ["poster-a4"], photo, *sizes)
    set_cost = per_item("ours", print_set(), photo, args.small // 2, args.large // 4, args.repeat)
    print(f"poster-a4, this engine: {ours_cost * 1000:.1f} ms per poster (one core)")
    print(f"poster-a4, WeasyPrint:  {weasy_cost * 1000:.1f} ms per poster (one core)")
    print(f"ratio: {weasy_cost / ours_cost:.1f}x faster (target: at least 25x)")
    print(
        f"full print set (4 posters + 3 flyers), {LOCALE}: {set_cost * 1000:.1f} ms per case "
        "(target: at most 150 ms)"
    )


if __name__ == "__main__":
    main()
