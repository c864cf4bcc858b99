"""Face-aware crops of a photo for any aspect ratio.

With the optional ``face`` extra (OpenCV), the frontal-face cascade finds the face once per
photo and process (cached by the photo's digest); every crop then puts the eye line on the
upper third with headroom above the head. Without OpenCV, or when no face is found, the crop is
the largest one of the wanted shape, centred across and placed in the upper part of the photo
(where the face of a portrait usually is). A crop is never chosen smaller than the area it
fills when the photo allows it, so pictures are not enlarged; when they must be, the caller
reports it (:func:`low_resolution`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from PIL import Image

from campaign.photos import NormalizedPhoto
from campaign.problems import Problem, Severity

CASCADE = "haarcascade_frontalface_alt2.xml"
DETECT_LONG_SIDE = 640  # detection runs on a copy this size: faster, and enough for a portrait
MIN_FACE_SHARE = 0.08  # faces smaller than this share of the short side are ignored
FACE_SHARE = 0.4  # the face box's height as a share of the crop's height (default)
EYE_LINE = 0.4  # where the eyes sit in a detected face box, from its top
UPPER_THIRD = 1 / 3  # where the eye line goes in the crop
HEADROOM = 0.45  # room kept above a face box (hair, then some air), in face heights
FALLBACK_TOP = 0.3  # without a face: share of the spare height left above the crop
FALLBACK_ZOOM = 0.85  # without a face: the crop's size relative to the largest possible one
SIDE_MARGIN = 1.3  # the crop is at least this many face widths wide
ENLARGE_TOLERANCE = 1.0  # any enlargement beyond this factor is reported


@dataclass(frozen=True)
class Box:
    """A rectangle in photo pixels (floats; ``right``/``bottom`` exclusive)."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def contains(self, other: Box) -> bool:
        """True when ``other`` lies wholly inside this box."""
        return (
            self.left <= other.left
            and self.top <= other.top
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def as_tuple(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom), as Pillow's ``resize(box=…)`` wants it."""
        return (self.left, self.top, self.right, self.bottom)


@dataclass(frozen=True)
class Crop:
    """The part of a photo that fills an area, and by how much it is scaled to fill it."""

    box: Box
    face: Box | None
    scale: float  # area pixels per photo pixel: above 1 the photo is enlarged


_faces: dict[str, Box | None] = {}  # photo sha256 → face box, one detection per process


def face_box(photo: NormalizedPhoto) -> Box | None:
    """The largest frontal face in ``photo`` (photo pixels), or None (no face, or no OpenCV)."""
    if photo.sha256 in _faces:
        return _faces[photo.sha256]
    cv2 = _opencv()
    if cv2 is None:
        return None  # not cached: OpenCV may be installed later in the process (tests)
    found = _detect(cv2, photo)
    _faces[photo.sha256] = found
    return found


def _opencv() -> ModuleType | None:
    try:
        import cv2  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    return cv2


_classifiers: dict[str, Any] = {}


def _classifier(cv2: ModuleType) -> Any:
    path = str(cv2.data.haarcascades) + CASCADE
    if path not in _classifiers:
        _classifiers[path] = cv2.CascadeClassifier(path)
    return _classifiers[path]


def _detect(cv2: ModuleType, photo: NormalizedPhoto) -> Box | None:
    """Run the cascade on a small greyscale copy; the largest face, in photo pixels."""
    import numpy as np

    with Image.open(io.BytesIO(photo.data), formats=["JPEG"]) as im:
        grey = im.convert("L")
    scale = min(1.0, DETECT_LONG_SIDE / max(grey.size))
    if scale < 1.0:
        size = (round(grey.width * scale), round(grey.height * scale))
        grey = grey.resize(size, Image.Resampling.BILINEAR)
    smallest = max(1, int(min(grey.size) * MIN_FACE_SHARE))
    found = _classifier(cv2).detectMultiScale(
        np.asarray(grey), scaleFactor=1.1, minNeighbors=4, minSize=(smallest, smallest)
    )
    if len(found) == 0:
        return None
    x, y, w, h = max((tuple(int(v) for v in box) for box in found), key=lambda b: b[2] * b[3])
    return Box(x / scale, y / scale, w / scale, h / scale)


def crop_for(photo: NormalizedPhoto, area: tuple[int, int], face_share: float = FACE_SHARE) -> Crop:
    """The crop of ``photo`` that fills an ``area`` of (width, height) pixels."""
    face = face_box(photo)
    size = (photo.width, photo.height)
    box = fallback_box(size, area) if face is None else face_crop_box(size, face, area, face_share)
    return Crop(box, face, area[0] / box.width)


def face_crop_box(
    size: tuple[int, int], face: Box, area: tuple[int, int], face_share: float = FACE_SHARE
) -> Box:
    """Around ``face``: eyes on the upper third (lower when a tight crop needs the room for the
    hair above), the face ``face_share`` of the height (less when the area needs more pixels
    than that), inside the photo."""
    width, height = size
    aspect = area[0] / area[1]
    crop_h = max(face.height / face_share, face.width * SIDE_MARGIN / aspect, float(area[1]))
    crop_w, crop_h = _within(crop_h * aspect, crop_h, width, height, aspect)
    centre_x = face.left + face.width / 2
    eyes = face.top + face.height * EYE_LINE
    left = _clamp(centre_x - crop_w / 2, 0, width - crop_w)
    top = min(eyes - crop_h * UPPER_THIRD, face.top - face.height * HEADROOM)
    top = _clamp(top, 0, height - crop_h)
    return Box(left, top, crop_w, crop_h)


def fallback_box(size: tuple[int, int], area: tuple[int, int]) -> Box:
    """Nearly the largest crop of the area's shape (not smaller than the area), centred across,
    in the upper part of the photo."""
    width, height = size
    aspect = area[0] / area[1]
    crop_w, crop_h = _within(float(width), width / aspect, width, height, aspect)
    zoom = min(1.0, max(FALLBACK_ZOOM, area[0] / crop_w))
    crop_w, crop_h = crop_w * zoom, crop_h * zoom
    left = (width - crop_w) / 2
    top = (height - crop_h) * FALLBACK_TOP
    return Box(left, top, crop_w, crop_h)


def _within(
    crop_w: float, crop_h: float, width: int, height: int, aspect: float
) -> tuple[float, float]:
    """(crop_w, crop_h) shrunk, keeping ``aspect``, until the crop fits in the photo."""
    if crop_w > width:
        crop_w, crop_h = float(width), width / aspect
    if crop_h > height:
        crop_w, crop_h = height * aspect, float(height)
    return crop_w, crop_h


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(value, high))


def low_resolution(crop: Crop, fmt: str, area: tuple[int, int]) -> Problem | None:
    """A ``photo-low-resolution`` warning when filling ``area`` enlarges the photo."""
    if crop.scale <= ENLARGE_TOLERANCE + 1e-9:
        return None
    width, height = round(crop.box.width), round(crop.box.height)
    message = (
        f"{fmt}: the photo is enlarged {crop.scale:.2f}× ({width}×{height} photo pixels fill "
        f"{area[0]}×{area[1]}), so it may look blurred: use a larger original if there is one"
    )
    return Problem(Severity.WARNING, "photo-low-resolution", message, field="photo")
