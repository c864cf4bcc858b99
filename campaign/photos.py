"""Photo intake: allowlisted formats, a pixel cap, upright, sRGB, no metadata, cached by content.

Every photo leaves here as a metadata-free JPEG. A plain upright JPEG (8-bit YCbCr or greyscale,
no orientation, no ICC profile other than sRGB) is cleaned by ``jpeg.rewrite`` without decoding,
so its pixels stay byte-identical; anything else is decoded, turned upright, flattened on white,
converted to sRGB and re-encoded. Either way the result passes the marker whitelist.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import struct
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import (
    Image,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    UnidentifiedImageError,
    WebPImagePlugin,
)

from campaign import jpeg, pixels
from campaign.errors import PhotoError
from campaign.problems import Problem, Severity
from campaign.store import replace_file

FORMATS = ("JPEG", "PNG", "WEBP")
DEFAULT_MAX_PIXELS = 40_000_000
JPEG_QUALITY = 92
JPEG_SUBSAMPLING = 2  # 4:2:0, what cameras and phones already deliver; 4:4:4 only adds bytes
POSTER_PHOTO_BOX_MM = (100.0, 125.0)  # the photo box on an A4 poster
MM_PER_INCH = 25.4

PathUsed = Literal["rewrite", "reencode", "cache"]

# What Pillow raises on hostile or damaged files, besides UnidentifiedImageError (an OSError).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_HEADER_CLASSES: dict[str, type[ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class NormalizedPhoto:
    """A photo as every output uses it: upright, sRGB or grey, metadata-free JPEG bytes."""

    data: bytes = field(repr=False)
    width: int
    height: int
    mode: str  # "RGB" or "L"
    sha256: str  # of data
    source_sha256: str  # of the input bytes
    path_used: PathUsed  # "cache" when read back from a PhotoCache directory


def inspect(data: bytes, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """The stored (width, height) after checking format and pixel cap from the header only."""
    with _opened(data, name, max_pixels) as im:
        return im.size


def normalize(data: bytes, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> NormalizedPhoto:
    """The photo made upright, sRGB and metadata-free; raises PhotoError naming ``name``."""
    return _normalize(data, name, max_pixels, _sha256(data))


def normalize_file(
    path: Path, max_pixels: int = DEFAULT_MAX_PIXELS, cache: PhotoCache | None = None
) -> NormalizedPhoto:
    """``normalize`` of a file's bytes, served from ``cache`` when it already holds them."""
    data = _read(path)
    source = _sha256(data)
    hit = cache.get(source, max_pixels) if cache is not None else None
    if hit is not None:
        return hit
    photo = _normalize(data, str(path), max_pixels, source)
    if cache is not None:
        cache.put(photo)
    return photo


@functools.lru_cache(maxsize=64)
def downscaled(
    photo: NormalizedPhoto, max_width: int, max_height: int, quality: int = 82
) -> NormalizedPhoto:
    """A smaller copy for screen artefacts (never enlarged); the same clean-bytes guarantee."""
    if photo.width <= max_width and photo.height <= max_height:
        return photo
    with Image.open(io.BytesIO(photo.data), formats=["JPEG"]) as im:
        small = im.convert(photo.mode)
        small.thumbnail((max_width, max_height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.save(out, "JPEG", quality=quality, optimize=True, subsampling=JPEG_SUBSAMPLING)
    return _photo(jpeg.rewrite(out.getvalue()), photo.source_sha256, "reencode")


def strip_jpeg(data: bytes) -> bytes | None:
    """The JPEG keeping only whitelisted segments; None when the fast path does not apply."""
    try:
        with _open_quietly(data, ("JPEG",)) as im:
            return _rewrite_if_plain(data, im)
    except (Image.DecompressionBombError, *_DECODE_ERRORS):
        return None


def effective_dpi(width_px: int, height_px: int, box_mm: tuple[float, float]) -> float:
    """The resolution of a picture scaled to cover the box (its limiting dimension)."""
    box_w, box_h = box_mm
    if min(width_px, height_px) <= 0 or min(box_w, box_h) <= 0:
        raise ValueError(f"sizes must be positive: {width_px}×{height_px} px, {box_mm} mm")
    return min(width_px / box_w, height_px / box_h) * MM_PER_INCH


def preflight(
    photo: NormalizedPhoto,
    box_mm: tuple[float, float],
    min_dpi: float = 300,
    *,
    label: str = "poster size",
) -> Problem | None:
    """A ``photo-low-dpi`` warning when the photo prints below ``min_dpi`` in that box."""
    dpi = effective_dpi(photo.width, photo.height, box_mm)
    if dpi >= min_dpi:
        return None
    box = f"{box_mm[0]:g}×{box_mm[1]:g} mm"
    message = (
        f"photo is {photo.width}×{photo.height} px: {math.floor(dpi)} dpi at {label} ({box}); "
        f"{min_dpi:g} dpi wanted, so it may print blurred: use a larger original if there is one"
    )
    return Problem(Severity.WARNING, "photo-low-dpi", message)


class PhotoCache:
    """Normalised photos by SHA-256 of their source bytes: ``<sha>.jpg`` files plus a memo."""

    def __init__(self, directory: Path | None, memo_size: int = 256) -> None:
        self.directory = directory
        self.memo_size = memo_size
        self._memo: OrderedDict[str, NormalizedPhoto] = OrderedDict()

    def get(
        self, source_sha256: str, max_pixels: int = DEFAULT_MAX_PIXELS
    ) -> NormalizedPhoto | None:
        """The cached photo, or None (also when it is over ``max_pixels``); never decodes."""
        photo = self._memo.get(source_sha256) or self._load(source_sha256)
        if photo is None or photo.width * photo.height > max_pixels:
            return None
        self._remember(photo)
        return photo

    def put(self, photo: NormalizedPhoto) -> None:
        """Keep the photo in memory and, atomically, on disk."""
        self._remember(photo)
        if self.directory is not None:
            replace_file(_entry(self.directory, photo.source_sha256), photo.data)

    def _load(self, source_sha256: str) -> NormalizedPhoto | None:
        if self.directory is None:
            return None
        try:
            data = _entry(self.directory, source_sha256).read_bytes()
            return _photo(data, source_sha256, "cache")
        except (FileNotFoundError, jpeg.JpegError):
            return None  # absent, or damaged (e.g. by a crash): made again and overwritten

    def _remember(self, photo: NormalizedPhoto) -> None:
        self._memo[photo.source_sha256] = photo
        self._memo.move_to_end(photo.source_sha256)
        while len(self._memo) > self.memo_size:
            self._memo.popitem(last=False)


def _entry(directory: Path, source_sha256: str) -> Path:
    """The cache file for a source hash (checked, so it cannot point outside ``directory``)."""
    if not _SHA256.fullmatch(source_sha256):
        raise ValueError(f"not a lowercase hex SHA-256: {source_sha256!r}")
    return directory / f"{source_sha256}.jpg"


def _normalize(data: bytes, name: str, max_pixels: int, source: str) -> NormalizedPhoto:
    with _opened(data, name, max_pixels) as im:
        cleaned = _rewrite_if_plain(data, im)
        if cleaned is not None:
            return _photo(cleaned, source, "rewrite")
        return _photo(_reencode(_decode(im, name)), source, "reencode")


def _photo(data: bytes, source: str, path_used: PathUsed) -> NormalizedPhoto:
    """The result record for clean JPEG bytes (sizes read from its frame header)."""
    frame = jpeg.frame(data)
    mode = "L" if len(frame.component_ids) == 1 else "RGB"
    return NormalizedPhoto(data, frame.width, frame.height, mode, _sha256(data), source, path_used)


# --- opening: format allowlist and pixel cap, header only ---------------------------------


@contextmanager
def _opened(data: bytes, name: str, max_pixels: int) -> Iterator[ImageFile.ImageFile]:
    """The image opened from its header, after the format and pixel checks."""
    try:
        im = _open_quietly(data, FORMATS)
    except Image.DecompressionBombError:  # over Pillow's hard limit, which may be below ours
        limit = min(max_pixels, 2 * (Image.MAX_IMAGE_PIXELS or max_pixels))
        raise _too_large(name, _header_size(data, name), limit) from None
    except UnidentifiedImageError:
        raise _unidentified(data, name) from None
    except _DECODE_ERRORS as err:
        raise _corrupt(name) from err
    with im:
        if im.width * im.height > max_pixels:
            raise _too_large(name, im.size, max_pixels)
        yield im


def _open_quietly(data: bytes, formats: tuple[str, ...]) -> ImageFile.ImageFile:
    """``Image.open`` without Pillow's bomb warning: our own, lower cap is checked next."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data), formats=list(formats))


def _header_size(data: bytes, name: str) -> tuple[int, int]:
    """The size from the header, bypassing Pillow's own bomb check (only to report it)."""
    header_class = _HEADER_CLASSES.get(_sniff(data) or "")
    if header_class is None:
        raise _corrupt(name)
    try:
        with header_class(io.BytesIO(data)) as im:
            return im.size
    except _DECODE_ERRORS as err:
        raise _corrupt(name) from err


def _sniff(data: bytes) -> str | None:
    """The format the first bytes announce, for messages: one of ours or a common other one."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":
        return "AVIF" if data[8:12] == b"avif" else "HEIC (iPhone)"
    for magic, kind in ((b"GIF8", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF")):
        if data.startswith(magic):
            return kind
    return "PDF" if data.startswith(b"%PDF") else None


def _too_large(name: str, size: tuple[int, int], max_pixels: int) -> PhotoError:
    width, height = size
    message = (
        f"{name}: {width}×{height} pixels ({width * height / 1e6:.1f} megapixels) is over the "
        f"limit of {max_pixels / 1e6:g} megapixels; save a smaller copy (for example 4000 pixels "
        "on the long side) and try again"
    )
    return PhotoError(message, code="photo-too-large")


def _unidentified(data: bytes, name: str) -> PhotoError:
    kind = _sniff(data)
    if kind in FORMATS:
        return _corrupt(name)
    what = f"a {kind} file, which cannot be used" if kind else "not a JPEG, PNG or WebP picture"
    message = f"{name} is {what}; open it and re-save it as JPEG or PNG"
    return PhotoError(message, code="photo-format")


def _corrupt(name: str) -> PhotoError:
    message = (
        f"{name} is damaged or incomplete (perhaps cut short while copying or downloading); "
        "get the photo again from where it came from, or open it and re-save it as JPEG"
    )
    return PhotoError(message, code="photo-corrupt")


# --- fast path: clean a plain JPEG without decoding ----------------------------------------


def _rewrite_if_plain(data: bytes, im: ImageFile.ImageFile) -> bytes | None:
    """The whitelist rewrite when pixels need no change, else None."""
    if im.format not in ("JPEG", "MPO") or im.mode not in ("RGB", "L"):
        return None
    if _orientation(im) != 1 or pixels.srgb_transform(im.info.get("icc_profile"), im.mode):
        return None
    try:
        return jpeg.rewrite(data)
    except jpeg.JpegError:
        return None


def _orientation(im: Image.Image) -> int:
    """The EXIF (or XMP) orientation as ``ImageOps.exif_transpose`` reads it; 1 when unusable."""
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # EXIF is untrusted: whatever fails to parse means "no orientation"
        return 1
    return value if value in _TRANSPOSE else 1


# --- slow path: decode, upright, flatten, sRGB, re-encode -----------------------------------


def _decode(im: ImageFile.ImageFile, name: str) -> Image.Image:
    """All pixels decoded (truncation is an error), upright, flattened, in sRGB or grey."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False for photo intake")
    try:
        im.load()
    except _DECODE_ERRORS as err:
        raise _corrupt(name) from err
    icc = im.info.get("icc_profile")
    method = _TRANSPOSE.get(_orientation(im))
    upright = im.transpose(method) if method is not None else im
    return pixels.to_srgb(pixels.flatten(upright), icc)


def _reencode(im: Image.Image) -> bytes:
    """Fresh JPEG bytes holding only pixels (no EXIF, ICC, comment: ``info`` is emptied)."""
    im.info.clear()  # Pillow would otherwise write im.info["comment"] back out
    out = io.BytesIO()
    im.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, subsampling=JPEG_SUBSAMPLING)
    return jpeg.rewrite(out.getvalue())  # the same whitelist as the fast path, as a guarantee


# --- files -----------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes:
    """The file's bytes; a missing or unreadable photo is a PhotoError, reported per case."""
    try:
        return path.read_bytes()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        message = f"{path}: the photo cannot be read ({reason}); check the file name and folder"
        raise PhotoError(message, code="photo-unreadable") from err
