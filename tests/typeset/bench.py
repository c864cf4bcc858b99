"""Time the text layer on a 12-line poster text block (run: ``python -m tests.typeset.bench``).

Each poster gets a different name and case number, as in a batch; the other lines repeat.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable

from reportlab.pdfgen.canvas import Canvas

from campaign.typeset import TextStyle, base_font, draw_block, fit, lines, shape

LATIN = (
    "MISSING CHILD",
    "Ana Ejemplo {n}",
    "Age 9 · Missing since 1 March 2026",
    "Last seen in Ciudad de México wearing a red jacket, blue jeans and white trainers.",
    "Height 1.32 m, brown eyes, long dark hair usually tied back.",
    "If you have seen her, call 800 555 0100 (free, 24 hours) or your local police.",
    "Case number FIC-2026-{n:04d}",
    "Example Missing Children Network (fictional)",
    "https://example.org/c/AB12CD{n}",
    "Do not approach; call immediately.",
    "Desaparecida desde el 1 de marzo de 2026 en Ciudad de México.",
    "Every tip helps bring a child home.",
)
MIXED = (
    *LATIN[:3],
    "लापता बच्ची: क्षमा श्रीवास्तव {n}, उम्र 9 वर्ष, आखिरी बार देखी गई",
    "失踪儿童：王小明{n}，九岁，于二〇二六年三月一日在北京走失。",
    *LATIN[5:9],
    "कृपया तुरंत पुलिस को सूचित करें।",
    *LATIN[10:],
)


def locale_of(text: str) -> str:
    if any("\u0900" <= c <= "\u097f" for c in text):
        return "hi"
    return "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "es"


def draw_texts(texts: tuple[str, ...], n: int) -> tuple[float, float]:
    """Fit and draw every line into a fresh A4 canvas: (text layer ms, canvas save ms)."""
    canvas = Canvas(
        io.BytesIO(), initialFontName=base_font(), enforceColorSpace="cmyk", invariant=1
    )
    start = time.perf_counter()
    y = 800.0
    for i, template in enumerate(texts):
        text = template.format(n=n)
        style = TextStyle(40, "bold") if i == 0 else TextStyle(16)
        result = fit(text, locale_of(text), style, 480, 60, 9)
        draw_block(canvas, result, 50, y, 480)
        y -= result.block.height + 4
    laid_out = time.perf_counter()
    canvas.showPage()
    canvas.save()
    return (laid_out - start) * 1000, (time.perf_counter() - laid_out) * 1000


def report(name: str, texts: tuple[str, ...], clear: Callable[[], None]) -> None:
    draw_texts(texts, 0)  # fonts loaded, Thai/CJK tables warm
    warm = [draw_texts(texts, n) for n in range(1, 51)]
    clear()
    cold = draw_texts(texts, 999)
    print(
        f"{name}: text layer median {statistics.median(w[0] for w in warm):.2f} ms "
        f"(max {max(w[0] for w in warm):.2f}); with empty shaping caches {cold[0]:.2f} ms; "
        f"canvas save {statistics.median(w[1] for w in warm):.2f} ms"
    )


def clear_caches() -> None:
    lines._prepare.cache_clear()
    shape.shape.cache_clear()


if __name__ == "__main__":
    report("latin", LATIN, clear_caches)
    report("devanagari+chinese", MIXED, clear_caches)
