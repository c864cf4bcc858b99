"""A sample sheet: one line per script, drawn by the text layer (run as a module to refresh
``docs/typeset-sample.png``: ``.venv/bin/python -m tests.typeset.sample_sheet``)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from campaign.typeset import TextStyle, base_font, draw_block, isolate, layout

NAME = "Ana Ejemplo"
SAMPLE: tuple[tuple[str, str], ...] = (
    ("en", "MISSING since 1 March 2026 — office hours, final call"),
    ("es", f"Desaparecida: {isolate('María de los Ángeles Fernández-Villaverde')}, 9 años"),
    ("ar", f"مفقود منذ \u200f{isolate('2026-03-01')}: {isolate(NAME)} (9 سنوات)"),
    ("he", f"נעדרת מאז {isolate('01/03/2026')}: {isolate(NAME)}"),
    ("ur", f"لاپتہ بچی: {isolate(NAME)}، عمر 9 سال"),
    ("fa", "کودک گمشده: لطفاً با ما تماس بگیرید"),
    ("hi", "लापता बच्ची: क्षमा श्रीवास्तव, उम्र 9 वर्ष"),
    ("ta", "காணாமல் போன குழந்தை: தமிழ்ச்செல்வி"),
    ("th", "เด็กหายตัวไปตั้งแต่วันที่ 1 มีนาคม โปรดติดต่อเรา"),
    ("zh", "失踪儿童：王小明，九岁，于二〇二六年三月一日走失。"),
    ("ja", "行方不明の子ども：「アナ」を探しています。"),
    ("ru", "Пропала девочка: Анна, 9 лет · Ελλάδα"),
)
PAGE = (600.0, 360.0)
GREY = (0.0, 0.0, 0.0, 0.45)
BLACK = (0.0, 0.0, 0.0, 1.0)


def write_pdf(path: Path, size: float = 17.0) -> Path:
    """Draw the sample lines, each with its locale as a grey label on the left."""
    canvas = Canvas(
        str(path), pagesize=PAGE, initialFontName=base_font(), enforceColorSpace="cmyk", invariant=1
    )
    y = PAGE[1] - 16
    for locale, text in SAMPLE:
        label = layout(locale, "en", TextStyle(9), 30)
        block = layout(text, locale, TextStyle(size), PAGE[0] - 76)
        draw_block(
            canvas, label, 14, y - (block.first_baseline - label.first_baseline), 30, fill=GREY
        )
        draw_block(canvas, block, 56, y, PAGE[0] - 76, fill=BLACK)
        y -= block.height + 6
    canvas.showPage()
    canvas.save()
    return path


def write_png(target: Path, dpi: int = 100) -> Path:
    """Render the sheet to a small greyscale PNG at ``target``."""
    with tempfile.TemporaryDirectory() as tmp:
        pdf = write_pdf(Path(tmp) / "sheet.pdf")
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                str(dpi),
                "-gray",
                "-png",
                "-singlefile",
                str(pdf),
                str(Path(tmp) / "sheet"),
            ],
            check=True,
        )
        image = Image.open(Path(tmp) / "sheet.png").convert("L")
        image.quantize(16).save(target, optimize=True)
    return target


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/typeset-sample.png")
    print(write_png(out))
