"""Pixel conversions for photo intake: transparency flattened on white, colours to sRGB."""

from __future__ import annotations

import io
import struct
from functools import cache

from PIL import Image, ImageChops, ImageCms

SRGB_TOLERANCE = 2  # max 8-bit difference for an embedded profile to count as sRGB
_PROFILE_SPACE = {"RGB": "RGB", "L": "GRAY", "CMYK": "CMYK"}
# What a hostile profile can make ImageCms raise besides PyCMSError.
_PROFILE_ERRORS = (ImageCms.PyCMSError, OSError, ValueError, TypeError, struct.error)


def flatten(im: Image.Image) -> Image.Image:
    """The image as 8-bit L, RGB or CMYK, any transparency composited on white."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return im.convert("I").point(lambda v: v / 257).convert("L")
    if "transparency" in im.info and im.mode in ("L", "RGB", "P"):
        im = im.convert("LA" if im.mode == "L" else "RGBA")
    if im.mode in ("P", "PA"):
        im = im.convert("RGBA" if im.mode == "PA" else "RGB")
    if im.mode in ("LA", "RGBA"):
        return on_white(im)
    if im.mode in ("L", "RGB", "CMYK"):
        return im
    return im.convert("L" if im.mode == "1" else "RGB")


def on_white(im: Image.Image) -> Image.Image:
    """The colour channels composited over an opaque white background."""
    mode = "L" if im.mode == "LA" else "RGB"
    out = Image.new(mode, im.size, "white")
    out.paste(im.convert(mode), mask=im.getchannel("A"))
    return out


def to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """The pixels converted to sRGB by their profile when it is not sRGB already."""
    transform = srgb_transform(icc, im.mode)
    if transform is not None:
        return ImageCms.applyTransform(im, transform) or im
    return im.convert("RGB") if im.mode == "CMYK" else im  # no profile: Pillow's plain formula


def srgb_transform(icc: bytes | None, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A transform to sRGB for a profile that describes ``mode`` pixels and differs from sRGB.

    An unreadable profile, or one for another colour space, is ignored (and dropped).
    """
    if not icc or mode not in _PROFILE_SPACE:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if profile.profile.xcolor_space.strip() != _PROFILE_SPACE[mode]:
            return None
        transform = ImageCms.buildTransform(profile, _srgb(), mode, "RGB")
    except _PROFILE_ERRORS:
        return None
    return None if mode != "CMYK" and _is_identity(transform, mode) else transform


def _is_identity(transform: ImageCms.ImageCmsTransform, mode: str) -> bool:
    """True when the transform leaves sample colours within SRGB_TOLERANCE (an sRGB profile)."""
    sample = _sample(mode)
    converted = ImageCms.applyTransform(sample, transform) or sample
    extrema = ImageChops.difference(converted, sample.convert("RGB")).getextrema()
    return max(high for _, high in extrema) <= SRGB_TOLERANCE  # type: ignore[misc]


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@cache
def _sample(mode: str) -> Image.Image:
    """Test colours: a 5-level RGB cube, or 18 greys."""
    if mode == "L":
        return Image.frombytes("L", (18, 1), bytes(range(0, 256, 15)))
    levels = (0, 64, 128, 192, 255)
    cube = bytes(v for r in levels for g in levels for b in levels for v in (r, g, b))
    return Image.frombytes("RGB", (125, 1), cube)
