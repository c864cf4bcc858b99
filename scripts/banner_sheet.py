"""Render the example campaign's banners and social images for a few cases and lay them out on
one contact sheet (a PNG), to look at them side by side.

    .venv/bin/python scripts/banner_sheet.py [--out docs/previews/banners.png] [--scale 0.5]
        [--social-scale 0.2] [--colours 96] [--pick DEMO-AE-001:ar ...] [--formats FMT ...]

The default writes the documentation's preview (quantized to stay small); ``--scale 1
--colours 0`` gives a full-size sheet to inspect.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo"
AS_OF = dt.date(2026, 11, 28)
PICKS = ("DEMO-AE-001:ar", "DEMO-MY-001:zh-Hans", "DEMO-MX-001:es")
GAP = 12


def render(picks: list[tuple[str, str]], formats: list[str], out: Path) -> None:
    """Build only ``formats`` for the picked cases and languages of the example into ``out``."""
    from campaign.build import BuildRequest, build
    from campaign.config import load_config
    from campaign.intake import IntakeOptions, intake

    config = load_config(DEMO / "campaign.toml")
    loaded = intake(DEMO / "cases.csv", config, IntakeOptions(AS_OF, {}, check_photos=False))
    wanted = {case_id for case_id, _ in picks}
    loaded.cases[:] = [c for c in loaded.cases if c.case_id in wanted]
    locales = sorted({locale for _, locale in picks})
    build(loaded, config, BuildRequest(out, AS_OF, formats, locales))


def sheet(
    picks: list[tuple[str, str]], formats: list[str], root: Path, scales: dict[str, float]
) -> Image.Image:
    """For each pick, one row per family (banners, social images), each scaled by its family's
    factor in ``scales``, on a grey sheet."""
    rows = []
    for case_id, locale in picks:
        for family, scale in scales.items():
            names = [fmt for fmt in formats if fmt.startswith(family)]
            if names:
                rows.append(
                    [_scaled(root / case_id / locale / f"{fmt}.jpg", scale) for fmt in names]
                )
    width = max(sum(im.width for im in row) + GAP * (len(row) + 1) for row in rows)
    height = sum(max(im.height for im in row) + GAP for row in rows) + GAP
    page = Image.new("RGB", (width, height), (200, 200, 200))
    y = GAP
    for row in rows:
        x = GAP
        for im in row:
            page.paste(im, (x, y))
            x += im.width + GAP
        y += max(im.height for im in row) + GAP
    return page


def _scaled(path: Path, scale: float) -> Image.Image:
    with Image.open(path) as im:
        size = (round(im.width * scale), round(im.height * scale))
        return im.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "previews" / "banners.png")
    parser.add_argument("--scale", type=float, default=0.5, help="for banners")
    parser.add_argument("--social-scale", type=float, default=0.2)
    parser.add_argument("--pick", action="append", default=[])
    parser.add_argument("--formats", nargs="*", default=[])
    parser.add_argument("--colours", type=int, default=96, help="quantize to N colours; 0: no")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from campaign.layouts.banner import FORMATS as BANNERS
    from campaign.layouts.social import FORMATS as SOCIAL

    formats = args.formats or [*BANNERS, *SOCIAL]
    picks = [tuple(p.split(":", 1)) for p in (args.pick or PICKS)]
    subprocess.run([sys.executable, str(DEMO / "make_photos.py")], check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        render(picks, formats, Path(tmp))  # type: ignore[arg-type]
        scales = {"banner": args.scale, "social": args.social_scale}
        page = sheet(picks, formats, Path(tmp), scales)  # type: ignore[arg-type]
    if args.colours:
        page = page.quantize(args.colours, dither=Image.Dither.NONE)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    page.save(args.out, optimize=True)
    print(args.out, page.size, args.out.stat().st_size)


if __name__ == "__main__":
    main()
