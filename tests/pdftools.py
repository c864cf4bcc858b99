"""Independent readers for the PDFs we make: poppler (pdftoppm, pdftotext), qpdf, pikepdf."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pikepdf
from PIL import Image


def raster(pdf: Path, dpi: int = 150) -> Image.Image:
    """The first page as an RGB image, drawn by poppler (the media box, marks included)."""
    with tempfile.TemporaryDirectory() as folder:
        stem = Path(folder) / "page"
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(stem)],
            check=True,
            capture_output=True,
        )
        with Image.open(stem.with_suffix(".png")) as image:
            return image.convert("RGB")


def text(pdf: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True
    )
    return done.stdout.decode("utf-8")


def qpdf_check(pdf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["qpdf", "--check", str(pdf)], capture_output=True, text=True, check=False
    )


def fonts(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every font dictionary the pages use (descendants of Type0 fonts included)."""
    for page in pdf.pages:
        resources = page.obj.get("/Resources", pikepdf.Dictionary())
        for font in resources.get("/Font", pikepdf.Dictionary()).values():
            yield font
            yield from font.get("/DescendantFonts", pikepdf.Array())


def images(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Stream]:
    for page in pdf.pages:
        yield from _images(page.obj.get("/Resources", pikepdf.Dictionary()))


def _images(resources: pikepdf.Dictionary) -> Iterator[pikepdf.Stream]:
    for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
        if xobject.get("/Subtype") == "/Image":
            yield xobject
        elif xobject.get("/Subtype") == "/Form":
            yield from _images(xobject.get("/Resources", pikepdf.Dictionary()))


def operators(pdf: pikepdf.Pdf) -> set[str]:
    found: set[str] = set()
    for page in pdf.pages:
        for _operands, operator in pikepdf.parse_content_stream(page):
            found.add(str(operator))
    return found
