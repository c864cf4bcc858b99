"""Generate the demo campaign's synthetic portrait photos (stylised illustrations, no one real).

Every ``photo`` and ``age_progressed_photo`` named in ``cases.csv`` gets a JPEG drawn with
Pillow: a friendly illustrated child with the case's hair and eye colour on a soft background.
Drawing is seeded by the case id, so the same file comes out on every run.

Usage: python examples/demo/make_photos.py [--out DIR] [--force]
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases.csv"
SIZE = (1200, 1500)  # 300 dpi on a 100 x 125 mm photo box
SMALL = (480, 600)  # an old phone photo: the build's preflight warns about its dpi
SMALL_PHOTOS = {"DEMO-IN-002"}
SUPERSAMPLE = 2

RGB = tuple[int, int, int]
# fmt: off
HAIR: dict[str, RGB] = {
    "black": (38, 32, 32), "brown": (112, 70, 40), "blonde": (222, 184, 110),
    "red": (178, 82, 40), "grey": (150, 150, 150), "white": (232, 230, 226),
    "bald": (90, 64, 50), "other": (60, 70, 150),
}
EYES: dict[str, RGB] = {
    "brown": (110, 66, 36), "blue": (70, 130, 190), "green": (80, 140, 80),
    "hazel": (140, 110, 50), "grey": (128, 140, 148), "black": (40, 30, 28),
    "other": (90, 90, 110),
}
SKIN: tuple[RGB, ...] = (
    (255, 224, 196), (241, 194, 160), (224, 172, 128), (198, 140, 98), (160, 108, 72),
    (120, 80, 56), (96, 64, 46),
)
CLOTHES: tuple[RGB, ...] = (
    (220, 80, 80), (60, 120, 200), (250, 190, 60), (90, 170, 120), (150, 100, 190),
    (240, 130, 170), (40, 160, 170), (240, 140, 60), (90, 100, 120),
)
BACKDROPS: tuple[tuple[RGB, RGB], ...] = (
    ((214, 232, 246), (168, 200, 230)), ((246, 232, 210), (226, 196, 160)),
    ((222, 240, 222), (176, 212, 184)), ((240, 224, 240), (206, 186, 218)),
    ((250, 240, 205), (232, 206, 150)), ((226, 230, 236), (186, 194, 208)),
)
# fmt: on

# Per-case look: skin tone index, hair style, glasses, freckles (hair/eyes come from the CSV).
STYLE: dict[str, tuple[int, str, bool, bool]] = {
    "DEMO-US-001": (5, "short", False, False),
    "DEMO-US-002": (0, "long", True, True),
    "DEMO-US-003": (2, "curly", False, False),
    "DEMO-MX-001": (2, "ponytail", False, False),
    "DEMO-MX-002": (3, "short", False, False),
    "DEMO-ES-001": (1, "long", False, True),
    "DEMO-AR-001": (1, "short", False, False),
    "DEMO-AR-002": (2, "long", False, False),
    "DEMO-AE-001": (3, "buns", False, False),
    "DEMO-AE-002": (3, "short", False, False),
    "DEMO-IN-001": (4, "long", False, False),
    "DEMO-IN-002": (4, "short", True, False),
    "DEMO-MY-001": (1, "bob", False, False),
    "DEMO-GB-001": (0, "curly", False, True),
}


@dataclass(frozen=True)
class Look:
    """Everything that decides one portrait."""

    seed: int
    age: int
    skin: RGB
    hair: RGB
    eyes: RGB
    clothes: RGB
    backdrop: tuple[RGB, RGB]
    style: str
    glasses: bool
    freckles: bool
    stripes: bool


def shade(colour: RGB, factor: float) -> RGB:
    """Darker (factor < 1) or lighter (factor > 1) version of ``colour``."""
    if factor <= 1:
        r, g, b = (round(c * factor) for c in colour)
    else:
        r, g, b = (round(c + (255 - c) * (factor - 1)) for c in colour)
    return (r, g, b)


def backdrop(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    """A vertical gradient with a soft light behind the head."""
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        t = y / 255
        column.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    image = column.resize(size, Image.Resampling.BILINEAR)
    w, h = size
    glow = Image.new("L", size, 0)
    ImageDraw.Draw(glow).ellipse((w * 0.1, h * 0.12, w * 0.9, h * 0.72), fill=90)
    glow = glow.filter(ImageFilter.GaussianBlur(w * 0.12))
    return Image.composite(Image.new("RGB", size, shade(top, 1.35)), image, glow)


def ellipse_mask(size: tuple[int, int], box: Sequence[float]) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse(tuple(box), fill=255)
    return mask


def paint(image: Image.Image, mask: Image.Image, colour: RGB) -> None:
    image.paste(Image.new("RGB", image.size, colour), (0, 0), mask)


def soft_spot(
    image: Image.Image,
    box: Sequence[float],
    colour: RGB,
    blur: float,
    alpha: int,
    clip: Image.Image | None = None,
) -> None:
    """A blurred ellipse of ``colour`` (blush, shadow, hair shine), kept inside ``clip``."""
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).ellipse(tuple(box), fill=alpha)
    mask = mask.filter(ImageFilter.GaussianBlur(blur))
    paint(image, ImageChops.multiply(mask, clip) if clip is not None else mask, colour)


class Portrait:
    """Draws one portrait on a supersampled canvas; coordinates are fractions of the width."""

    def __init__(self, look: Look, size: tuple[int, int]) -> None:
        self.look = look
        self.size = (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE)
        self.u = float(self.size[0])
        self.rng = random.Random(look.seed)
        young = max(0.0, min(1.0, (look.age - 2) / 14))  # 0 toddler … 1 sixteen
        self.cx = self.u * 0.5
        self.cy = self.size[1] * (0.42 + 0.01 * young)
        self.head_w = self.u * (0.5 - 0.12 * young)
        self.head_h = self.head_w * (1.04 + 0.26 * young)
        self.eye_y = self.cy + self.head_h * (0.1 - 0.08 * young)
        self.eye_size = self.u * (0.056 - 0.018 * young)
        self.image = backdrop(self.size, *look.backdrop)

    @property
    def pen(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.image)

    def box(self, cx: float, cy: float, w: float, h: float) -> tuple[float, float, float, float]:
        return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    def head_box(self, grow: float = 0.0, lift: float = 0.0) -> tuple[float, float, float, float]:
        g = self.u * grow
        return self.box(self.cx, self.cy - self.u * lift, self.head_w + g, self.head_h + g)

    def draw(self) -> Image.Image:
        self.back_hair()
        self.body()
        self.neck()
        self.ears()
        self.face()
        self.front_hair()
        self.features()
        if self.look.glasses:
            self.spectacles()
        return self.image

    # --- body ---------------------------------------------------------------------------
    def body(self) -> None:
        w, h = self.size
        top = self.cy + self.head_h * 0.62
        body = ellipse_mask(self.size, (-w * 0.08, top, w * 1.08, h + (h - top) * 1.2))
        clothes = self.look.clothes
        paint(self.image, body, clothes)
        if self.look.stripes:
            stripes = Image.new("L", self.size, 0)
            draw = ImageDraw.Draw(stripes)
            step = self.u * 0.07
            y = top
            while y < h:
                draw.rectangle((0, y, w, y + step * 0.45), fill=255)
                y += step
            paint(self.image, ImageChops.multiply(stripes, body), shade(clothes, 1.45))
        dark = shade(clothes, 0.75)
        soft_spot(self.image, (-w * 0.1, top, w * 0.25, h * 1.1), dark, self.u * 0.05, 120, body)
        soft_spot(self.image, (w * 0.75, top, w * 1.1, h * 1.1), dark, self.u * 0.05, 120, body)
        collar = self.box(self.cx, top + self.u * 0.02, self.u * 0.30, self.u * 0.14)
        self.pen.chord(collar, 0, 180, fill=shade(clothes, 0.8))

    def neck(self) -> None:
        skin = self.look.skin
        w = self.head_w * 0.36
        top, bottom = self.cy + self.head_h * 0.3, self.cy + self.head_h * 0.72
        mask = Image.new("L", self.size, 0)
        draw = ImageDraw.Draw(mask)
        draw.rounded_rectangle((self.cx - w / 2, top, self.cx + w / 2, bottom), w * 0.3, fill=255)
        draw.ellipse(self.box(self.cx, bottom - self.u * 0.035, w * 1.05, self.u * 0.07), fill=255)
        paint(self.image, mask, skin)
        hw, hh = self.head_w, self.head_h
        chin = self.box(self.cx, self.cy + hh * 0.46, hw * 0.5, hh * 0.16)
        soft_spot(self.image, chin, shade(skin, 0.78), self.u * 0.012, 200, mask)

    def ears(self) -> None:
        skin = self.look.skin
        draw = self.pen
        for side in (-1, 1):
            ex = self.cx + side * self.head_w * 0.49
            ear = self.box(ex, self.eye_y + self.u * 0.02, self.head_w * 0.16, self.head_h * 0.2)
            draw.ellipse(ear, fill=skin)
            inner = self.box(ex, self.eye_y + self.u * 0.02, self.head_w * 0.07, self.head_h * 0.11)
            draw.ellipse(inner, fill=shade(skin, 0.85))

    def face(self) -> None:
        skin = self.look.skin
        self.pen.ellipse(self.head_box(), fill=skin)
        hw, hh = self.head_w, self.head_h
        for side in (-1, 1):
            cheek = self.box(self.cx + side * hw * 0.27, self.eye_y + hh * 0.17, hw * 0.2, hh * 0.1)
            soft_spot(self.image, cheek, (236, 120, 120), self.u * 0.02, 70)

    # --- hair ---------------------------------------------------------------------------
    def back_hair(self) -> None:
        style, colour = self.look.style, self.look.hair
        draw, hw, hh = self.pen, self.head_w, self.head_h
        if style in ("long", "bob"):
            length = hh * (1.05 if style == "long" else 0.55)
            w = hw * (1.22 if style == "long" else 1.18)
            top = self.cy - hh * 0.56
            draw.rounded_rectangle(
                (self.cx - w / 2, top, self.cx + w / 2, self.cy + length), w * 0.45, fill=colour
            )
        elif style == "curly":
            for angle in range(0, 360, 20):
                self.curl(angle, 0.56, 0.14, colour)
        elif style == "buns":
            for side in (-1, 1):
                x, y, r = self.cx + side * hw * 0.42, self.cy - hh * 0.42, hw * 0.36
                draw.ellipse(self.box(x, y, r, r), fill=colour)
        elif style == "ponytail":
            draw.ellipse(self.box(self.cx + hw * 0.5, self.cy, hw * 0.3, hh * 0.7), fill=colour)
        if style != "bald":
            draw.ellipse(self.head_box(grow=0.03, lift=0.02), fill=colour)

    def curl(self, angle: int, reach: float, radius: float, colour: RGB) -> None:
        rad = math.radians(angle)
        x = self.cx + math.cos(rad) * self.head_w * reach
        y = self.cy - self.u * 0.04 + math.sin(rad) * self.head_h * reach * 0.85
        if y > self.cy + self.head_h * 0.15:
            return
        r = self.u * radius * (0.8 + 0.4 * self.rng.random())
        self.pen.ellipse(self.box(x, y, r, r), fill=colour)

    def hairline(self) -> Image.Image:
        """Mask of the fringe: the hair ellipse above a parted, gently waving hairline."""
        w, h = self.size
        left, top, right, bottom = self.head_box(grow=0.03, lift=0.02)
        base = self.eye_y - self.head_h * (0.2 if self.look.style != "curly" else 0.17)
        part = self.cx + self.head_w * (0.12 if self.look.seed % 2 else -0.12)
        points: list[tuple[float, float]] = [(left, 0)]
        steps = 48
        for i in range(steps + 1):
            x = left + (right - left) * i / steps
            dip = abs(x - part) / (self.head_w * 0.5)
            wave = math.sin(i * 0.55 + self.look.seed % 7) * self.u * 0.004
            y = base - self.head_h * 0.12 * max(0.0, 1 - dip) + wave + self.head_h * 0.05 * dip
            points.append((x, y))
        points.append((right, 0))
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).polygon(points, fill=255)
        return ImageChops.multiply(mask, ellipse_mask(self.size, (left, top, right, bottom)))

    def front_hair(self) -> None:
        style, colour = self.look.style, self.look.hair
        if style == "bald":
            return
        paint(self.image, self.hairline(), colour)
        if style == "curly":
            for angle in range(190, 355, 15):
                self.curl(angle, 0.42, 0.1, colour)
        if style == "long":
            for side in (-1, 1):
                self.lock(side, colour)
        hw, hh = self.head_w, self.head_h
        shine = self.box(self.cx - hw * 0.15, self.cy - hh * 0.42, hw * 0.35, hh * 0.08)
        soft_spot(self.image, shine, shade(colour, 1.35), self.u * 0.012, 110)

    def lock(self, side: int, colour: RGB) -> None:
        """A lock of long hair falling in front of the shoulder, narrow at the temple."""
        inner, outer = [], []
        steps = 24
        for i in range(steps + 1):
            t = i / steps
            y = self.cy - self.head_h * 0.25 + t * self.head_h * 1.2
            bulge = math.sin(min(1.0, t * 1.6) * math.pi / 2)
            x = self.cx + side * self.head_w * (0.46 + 0.06 * bulge)
            half = self.head_w * (0.05 + 0.08 * math.sin(t * math.pi * 0.9))
            inner.append((x - side * half, y))
            outer.append((x + side * half * 1.2, y))
        draw = self.pen
        draw.polygon(inner + outer[::-1], fill=colour)
        (x1, y), (x2, _) = inner[-1], outer[-1]
        tip = abs(x2 - x1)
        draw.ellipse(self.box((x1 + x2) / 2, y, tip, tip * 0.8), fill=colour)

    # --- features -----------------------------------------------------------------------
    def features(self) -> None:
        draw = self.pen
        e = self.eye_size
        bald = self.look.style == "bald"
        brow = shade(self.look.skin, 0.6) if bald else shade(self.look.hair, 0.7)
        for side in (-1, 1):
            ex = self.cx + side * self.head_w * 0.21
            draw.ellipse(self.box(ex, self.eye_y, e * 1.5, e * 1.05), fill=(250, 250, 248))
            draw.ellipse(self.box(ex, self.eye_y, e * 0.9, e * 0.9), fill=self.look.eyes)
            draw.ellipse(self.box(ex, self.eye_y, e * 0.45, e * 0.45), fill=(20, 18, 20))
            glint = self.box(ex + e * 0.16, self.eye_y - e * 0.16, e * 0.2, e * 0.2)
            draw.ellipse(glint, fill=(255, 255, 255))
            lid = self.box(ex, self.eye_y, e * 1.6, e * 1.15)
            draw.arc(lid, 195, 345, fill=shade(self.look.skin, 0.45), width=int(e * 0.12))
            brow_box = self.box(ex, self.eye_y - e * 0.95, e * 1.8, e * 0.8)
            draw.arc(brow_box, 205 + side * 5, 335 + side * 5, fill=brow, width=int(e * 0.28))
        hw, hh = self.head_w, self.head_h
        nose_y = self.eye_y + hh * 0.14
        nose = self.box(self.cx, nose_y, hw * 0.11, hh * 0.06)
        draw.arc(nose, 20, 160, fill=shade(self.look.skin, 0.7), width=int(e * 0.12))
        mouth_y = nose_y + hh * 0.12
        draw.chord(
            self.box(self.cx, mouth_y - hh * 0.03, hw * 0.26, hh * 0.1), 15, 165, fill=(150, 60, 60)
        )
        draw.chord(
            self.box(self.cx, mouth_y + hh * 0.015, hw * 0.12, hh * 0.04),
            180,
            360,
            fill=(214, 110, 110),
        )
        if self.look.freckles:
            self.freckle_dots(nose_y)

    def freckle_dots(self, nose_y: float) -> None:
        draw = self.pen
        dot = self.u * 0.006
        for side in (-1, 1):
            for _ in range(7):
                x = self.cx + side * self.head_w * (0.12 + 0.14 * self.rng.random())
                y = nose_y - self.head_h * 0.04 + self.head_h * 0.06 * self.rng.random()
                draw.ellipse(self.box(x, y, dot, dot), fill=shade(self.look.skin, 0.72))

    def spectacles(self) -> None:
        draw = self.pen
        e = self.eye_size
        frame = (40, 70, 150)
        width = int(e * 0.14)
        for side in (-1, 1):
            ex = self.cx + side * self.head_w * 0.21
            lens = self.box(ex, self.eye_y, e * 2.2, e * 1.7)
            draw.rounded_rectangle(lens, e * 0.5, outline=frame, width=width)
            temple = (ex + side * e * 1.1, self.eye_y - e * 0.2)
            ear = (self.cx + side * self.head_w * 0.5, self.eye_y - e * 0.3)
            draw.line((temple, ear), fill=frame, width=width)
        draw.arc(self.box(self.cx, self.eye_y, e * 1.0, e * 0.7), 200, 340, fill=frame, width=width)


def grain(image: Image.Image, rng: random.Random, strength: float = 0.05) -> Image.Image:
    """Light, seeded sensor-like noise so the JPEG compresses like a real photo."""
    noise = Image.frombytes("L", image.size, rng.randbytes(image.size[0] * image.size[1]))
    noise = noise.filter(ImageFilter.GaussianBlur(0.6)).convert("RGB")
    return Image.blend(image, ImageChops.overlay(image, noise), strength * 4)


def look_for(row: dict[str, str], progressed: bool) -> Look:
    case_id = row["case_id"]
    seed = zlib.crc32(case_id.encode("utf-8")) + (1 if progressed else 0)
    rng = random.Random(seed)
    default = (rng.randrange(len(SKIN)), "short", False, False)
    skin, style, glasses, freckles = STYLE.get(case_id, default)
    age = age_of(row, progressed)
    return Look(
        seed=seed,
        age=age,
        skin=SKIN[skin],
        hair=HAIR.get(row.get("hair", ""), HAIR["brown"]),
        eyes=EYES.get(row.get("eyes", ""), EYES["brown"]),
        clothes=CLOTHES[rng.randrange(len(CLOTHES))],
        backdrop=BACKDROPS[rng.randrange(len(BACKDROPS))],
        style="bald" if row.get("hair") == "bald" else style,
        glasses=glasses,
        freckles=freckles,
        stripes=rng.random() < 0.4,
    )


def age_of(row: dict[str, str], progressed: bool) -> int:
    if progressed and row.get("age_progressed_to"):
        return int(row["age_progressed_to"])
    if row.get("age_at_missing"):
        return int(row["age_at_missing"])
    born, since = row.get("date_of_birth", ""), row.get("missing_since", "")
    if born[:4].isdigit() and since[:4].isdigit():
        return max(1, int(since[:4]) - int(born[:4]))
    return 10


def render(look: Look, size: tuple[int, int]) -> Image.Image:
    big = Portrait(look, size).draw()
    image = big.resize(size, Image.Resampling.LANCZOS)
    return grain(image, random.Random(look.seed))


def targets(cases: Path) -> list[tuple[str, dict[str, str], bool]]:
    """(file name, case row, age-progressed?) for every photo the cases file names."""
    with cases.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    found: list[tuple[str, dict[str, str], bool]] = []
    for row in rows:
        if row.get("photo"):
            found.append((Path(row["photo"]).name, row, False))
        if row.get("age_progressed_photo"):
            found.append((Path(row["age_progressed_photo"]).name, row, True))
    return found


def make_photos(out_dir: Path, force: bool = False, cases: Path = CASES) -> list[Path]:
    """Write the photos that are missing from ``out_dir`` (all of them with ``force``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, row, progressed in targets(cases):
        path = out_dir / name
        if path.exists() and not force:
            continue
        small = row["case_id"] in SMALL_PHOTOS and not progressed
        image = render(look_for(row, progressed), SMALL if small else SIZE)
        image.save(path, "JPEG", quality=88, dpi=(72, 72) if small else (300, 300))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "photos", help="output folder")
    parser.add_argument("--force", action="store_true", help="rewrite existing photos")
    args = parser.parse_args(argv)
    written = make_photos(args.out, force=args.force)
    print(f"{len(written)} photo(s) written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
