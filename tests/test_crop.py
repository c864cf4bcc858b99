"""Face-aware crops: detection on a real face photo, the crop around it for every shape, the
upper-centre fallback without OpenCV, the per-photo cache, and low-resolution reports."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from campaign import crop, photos
from campaign.photos import NormalizedPhoto
from campaign.problems import Severity

# Width / height of every photo area the banners and social images fill, and a few more.
SHAPES = [(72, 90), (40, 50), (112, 180), (160, 200), (300, 292), (200, 250), (470, 530)]
SHAPES += [(520, 640), (660, 680), (1200, 630), (300, 900)]
# Where the astronaut's face is in skimage's 512×512 picture (left, top, right, bottom).
ASTRONAUT_FACE = (165, 50, 290, 185)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    crop._faces.clear()
    yield
    crop._faces.clear()


def _normalized(image: Image.Image, name: str) -> NormalizedPhoto:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return photos.normalize(buffer.getvalue(), name)


@pytest.fixture(scope="module")
def astronaut() -> NormalizedPhoto:
    """Eileen Collins' NASA portrait (public domain), as shipped in scikit-image's wheel."""
    data = pytest.importorskip("skimage.data")
    return _normalized(Image.fromarray(data.astronaut()), "astronaut.png")


@pytest.fixture(scope="module")
def portrait(tmp_path_factory: pytest.TempPathFactory) -> NormalizedPhoto:
    """A 1200×1500 photo with nothing face-like in it."""
    path: Path = tmp_path_factory.mktemp("crop") / "plain.png"
    Image.new("RGB", (1200, 1500), (120, 160, 200)).save(path)
    return photos.normalize(path.read_bytes(), path.name)


def test_detection_finds_the_astronauts_face(astronaut: NormalizedPhoto) -> None:
    pytest.importorskip("cv2")
    face = crop.face_box(astronaut)
    assert face is not None
    left, top, right, bottom = ASTRONAUT_FACE
    centre = (face.left + face.width / 2, face.top + face.height / 2)
    assert left < centre[0] < right and top < centre[1] < bottom
    assert 60 < face.width < 160


@pytest.mark.parametrize("area", SHAPES)
def test_every_crop_holds_the_face_in_its_upper_part(
    astronaut: NormalizedPhoto, area: tuple[int, int]
) -> None:
    pytest.importorskip("cv2")
    found = crop.crop_for(astronaut, area)
    face = found.face
    assert face is not None
    box = found.box
    assert box.contains(face)
    assert box.left >= 0 and box.top >= 0
    assert box.right <= astronaut.width + 1e-6 and box.bottom <= astronaut.height + 1e-6
    assert box.width / box.height == pytest.approx(area[0] / area[1], rel=1e-6)
    eyes = face.top + face.height * crop.EYE_LINE
    assert (eyes - box.top) / box.height < 0.5  # eyes in the upper half, near the upper third
    assert face.top - box.top > 0 or box.top == 0  # some headroom, unless the photo ends there


def test_detection_runs_once_per_photo(
    astronaut: NormalizedPhoto, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("cv2")
    calls = []
    real = crop._detect
    monkeypatch.setattr(crop, "_detect", lambda cv2, p: calls.append(p.sha256) or real(cv2, p))
    for area in SHAPES:
        crop.crop_for(astronaut, area)
    assert calls == [astronaut.sha256]


def test_without_opencv_the_crop_is_upper_centre(
    astronaut: NormalizedPhoto, portrait: NormalizedPhoto, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 now raises ImportError
    assert crop.face_box(astronaut) is None
    found = crop.crop_for(portrait, (1200, 630))
    assert found.face is None
    box = found.box
    assert box.left + box.width / 2 == pytest.approx(portrait.width / 2)
    spare = portrait.height - box.height
    assert box.top == pytest.approx(spare * crop.FALLBACK_TOP)
    assert box.width == pytest.approx(portrait.width)  # as wide as the photo: nothing enlarged
    tall = crop.crop_for(portrait, (160, 200)).box
    assert tall.top < portrait.height * 0.1 and tall.height > portrait.height * 0.8
    assert crop._faces == {}  # nothing cached: OpenCV may come back


def test_no_face_found_falls_back(portrait: NormalizedPhoto) -> None:
    pytest.importorskip("cv2")
    assert crop.face_box(portrait) is None
    assert crop._faces == {portrait.sha256: None}
    assert crop.crop_for(portrait, (300, 250)).box == crop.fallback_box((1200, 1500), (300, 250))


def test_a_crop_is_not_smaller_than_its_area_when_the_photo_allows(
    astronaut: NormalizedPhoto,
) -> None:
    pytest.importorskip("cv2")
    found = crop.crop_for(astronaut, (400, 400), face_share=0.6)
    assert found.box.width >= 400 - 1e-6
    assert found.scale <= 1 and crop.low_resolution(found, "social-x", (400, 400)) is None


def test_low_resolution_is_reported_with_format_and_scale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)
    small = _normalized(Image.new("RGB", (240, 300), (90, 90, 90)), "small.png")
    area = (520, 640)
    found = crop.crop_for(small, area)
    assert found.scale == pytest.approx(520 / 240)
    problem = crop.low_resolution(found, "social-1080x1080", area)
    assert problem is not None
    assert problem.severity is Severity.WARNING and problem.code == "photo-low-resolution"
    assert "social-1080x1080" in problem.message and "2.17×" in problem.message
    assert crop.low_resolution(crop.crop_for(small, (120, 150)), "banner-x", (120, 150)) is None
