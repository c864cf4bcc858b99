"""Photo intake against hostile and awkward photos, all built here (no binary fixtures)."""

from __future__ import annotations

import io
import random
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from campaign import jpeg, photos
from campaign.errors import PhotoError
from campaign.photos import NormalizedPhoto, PhotoCache
from campaign.problems import Severity

# --- builders --------------------------------------------------------------------------------

WHITELIST = {0xD8, 0xE0, 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD, 0xDA, 0xD9}
METADATA_TRACES = (
    b"Exif",
    b"http://ns.adobe.com",
    b"ICC_PROFILE",
    b"Photoshop 3.0",
    b"MPF",
    b"SECRET",
    b"WGS-84",
)


def picture(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """Deterministic noise: plenty of 0xFF bytes (stuffing) in the entropy-coded data."""
    bands = len(mode)
    data = random.Random(7).randbytes(size[0] * size[1] * bands)
    return Image.frombytes(mode, size, data)


def encode(im: Image.Image, fmt: str = "JPEG", **options: Any) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def splice(data: bytes, *segments: bytes) -> bytes:
    """The JPEG with extra marker segments right after SOI."""
    return data[:2] + b"".join(segments) + data[2:]


XMP = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>SECRET-XMP</x:xmpmeta>")
COMMENT = segment(0xFE, b"SECRET-COMMENT taken at 12 Elm Street")
IPTC = segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0cSECRET-IPTC!")


def exif_with_gps(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x013B] = "SECRET-ARTIST"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 30.0), 3: "E", 4: (4.0, 53.0, 0.0), 0x12: "WGS-84"}
    return exif.tobytes()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares the size but whose IDAT holds almost nothing."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def linear_rgb_profile() -> bytes:
    """A minimal ICC v2 RGB profile: sRGB primaries but gamma 1.0 (so not sRGB)."""

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(v * 65536)) for v in (x, y, z))

    text = b"linear RGB\0"
    # textDescriptionType: ASCII, then empty Unicode and ScriptCode parts
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * (8 + 3 + 67)
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\0\0\0\0none\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, blobs = b"", b""
    for name, blob in tags:
        blob += b"\0" * (-len(blob) % 4)
        table += name + struct.pack(">II", offset + len(blobs), len(blob))
        blobs += blob
    body = struct.pack(">I", len(tags)) + table + blobs
    header = (
        struct.pack(">I", 128 + len(body))
        + b"\0\0\0\0"
        + b"\x02\x10\x00\x00mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + b"\0\0\0\0"
        + xyz(0.9642, 1.0, 0.8249)[8:]
        + b"\0" * 48
    )
    return header + body


def markers(data: bytes) -> list[int]:
    """An independent walk of a JPEG's markers; asserts nothing follows EOI."""
    assert data[:2] == b"\xff\xd8"
    found, pos = [0xD8], 2
    while True:
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker = data[pos + 1]
        found.append(marker)
        if marker == 0xD9:
            assert pos + 2 == len(data), "bytes after EOI"
            return found
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            while not (data[pos] == 0xFF and data[pos + 1] not in (0, *range(0xD0, 0xD8))):
                pos += 1


def assert_clean(data: bytes) -> None:
    """Only whitelisted markers, one plain JFIF APP0, no metadata text anywhere."""
    found = markers(data)
    assert set(found) <= WHITELIST, [hex(m) for m in set(found) - WHITELIST]
    assert found.count(0xE0) == 1 and data[2:20].startswith(b"\xff\xe0\x00\x10JFIF\x00")
    for trace in METADATA_TRACES:
        assert trace not in data, trace


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as im:
        return im.mode, im.size, im.tobytes()


def refused(data: bytes, name: str = "photo.jpg", **kwargs: int) -> PhotoError:
    with pytest.raises(PhotoError) as caught:
        photos.normalize(data, name, **kwargs)
    return caught.value


# --- format, pixel cap, damage ---------------------------------------------------------------


@pytest.mark.parametrize("size", [(20000, 20000), (10000, 10000), (8000, 6000)])
def test_decompression_bomb_refused_from_header(
    size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded"))
    data = png_declaring(*size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's own bomb warning must not leak out
        error = refused(data, "big.png")
        with pytest.raises(PhotoError):
            photos.inspect(data, "big.png")
    w, h = size
    assert error.code == "photo-too-large"
    assert f"big.png: {w}×{h} pixels ({w * h / 1e6:.1f} megapixels)" in str(error)
    assert "over the limit of 40 megapixels" in str(error)


def test_pixel_cap_is_a_parameter() -> None:
    data = encode(picture((100, 60)))
    assert photos.inspect(data, "x.jpg", max_pixels=6000) == (100, 60)
    error = refused(data, max_pixels=5999)
    assert error.code == "photo-too-large" and "100×60 pixels" in str(error)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Dear family,\nthe photo is attached.\n", "not a JPEG, PNG or WebP picture"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "HEIC (iPhone) file"),
        (encode(picture((8, 8)), "GIF"), "GIF file"),
        (encode(picture((8, 8)), "TIFF"), "TIFF file"),
    ],
)
def test_wrong_format_refused_by_name(data: bytes, expected: str) -> None:
    error = refused(data, "cases/ana.jpg")
    assert error.code == "photo-format"
    assert str(error).startswith("cases/ana.jpg is ") and expected in str(error)
    assert "re-save it as JPEG or PNG" in str(error)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_file_refused(fmt: str) -> None:
    data = encode(picture((64, 64)), fmt)
    error = refused(data[: len(data) // 2], "half.img")
    assert error.code == "photo-corrupt" and "half.img is damaged or incomplete" in str(error)


def test_header_cut_short_is_corrupt_not_wrong_format() -> None:
    assert refused(encode(picture())[:40]).code == "photo-corrupt"


def test_truncated_images_are_never_accepted_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode(picture((64, 64)))
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        photos.normalize(data[: len(data) // 2], "half.jpg")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PhotoError) as caught:
        photos.normalize_file(tmp_path / "missing.jpg")
    assert caught.value.code == "photo-unreadable" and "missing.jpg" in str(caught.value)


# --- orientation, colour, transparency, metadata (re-encode path) ---------------------------


def test_orientation_applied_and_all_metadata_removed() -> None:
    upright = Image.new("RGB", (48, 80), (40, 60, 200))
    upright.paste((255, 0, 0), (0, 0, 16, 16))  # red block at the top-left of the real picture
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a sideways camera stores
    data = splice(encode(stored, exif=exif_with_gps(6)), XMP, IPTC, COMMENT)
    assert b"WGS-84" in data and b"SECRET-COMMENT" in data

    photo = photos.normalize(data, "sideways.jpg")

    assert photo.path_used == "reencode" and (photo.width, photo.height) == (48, 80)
    assert_clean(photo.data)
    with Image.open(io.BytesIO(photo.data)) as out:
        assert out.size == (48, 80)
        red, rest = out.getpixel((6, 6)), out.getpixel((40, 70))
    assert isinstance(red, tuple) and red[0] > 200 and red[1] < 60 and red[2] < 60
    assert isinstance(rest, tuple) and rest[2] > 150 and rest[0] < 100


def test_cmyk_jpeg_becomes_rgb() -> None:
    data = encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)))  # red in CMYK
    photo = photos.normalize(data, "cmyk.jpg")
    mode, _, raw = pixels(photo.data)
    assert photo.mode == mode == "RGB" and photo.path_used == "reencode"
    r, g, b = raw[:3]
    assert r > 230 and g < 30 and b < 30
    assert photos.strip_jpeg(data) is None


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_transparency_composited_on_white(fmt: str) -> None:
    im = Image.new("RGBA", (32, 32), (0, 0, 0, 0))  # fully transparent black
    im.paste((0, 0, 255, 255), (0, 0, 16, 32))  # opaque blue on the left
    photo = photos.normalize(encode(im, fmt, lossless=True), f"x.{fmt.lower()}")
    with Image.open(io.BytesIO(photo.data)) as out:
        left, right = out.getpixel((4, 16)), out.getpixel((28, 16))
    assert photo.mode == "RGB"
    assert isinstance(left, tuple) and left[2] > 230 and left[0] < 30
    assert isinstance(right, tuple) and min(right) > 245


@pytest.mark.parametrize(
    ("im", "mode"),
    [
        (Image.new("LA", (16, 16), (0, 0)), "L"),
        (Image.new("P", (16, 16), 0), "RGB"),
        (Image.new("1", (16, 16), 1), "L"),
        (Image.new("I;16", (16, 16), 65535), "L"),
    ],
)
def test_other_modes(im: Image.Image, mode: str) -> None:
    if im.mode == "P":
        im.putpalette([0, 0, 0, 255, 0, 0])
        im.info["transparency"] = 0
    photo = photos.normalize(encode(im, "PNG"), "x.png")
    out_mode, _, raw = pixels(photo.data)
    assert photo.mode == out_mode == mode
    assert min(raw) > 245  # transparent → white; 16-bit white stays white


def test_png_text_chunks_removed() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "SECRET-TEXT")
    info.add_text("Location", "SECRET-ZTXT " * 20, zip=True)
    info.add_itxt("Description", "SECRET-ITXT", lang="en", tkey="Beschreibung")
    data = encode(picture((24, 24)), "PNG", pnginfo=info, exif=exif_with_gps(1))
    assert b"SECRET-TEXT" in data and b"zTXt" in data and b"iTXt" in data
    photo = photos.normalize(data, "x.png")
    assert_clean(photo.data)
    assert b"zTXt" not in photo.data and b"iTXt" not in photo.data


# --- fast path: rewrite without decoding ----------------------------------------------------


def test_plain_jpeg_rewritten_with_identical_pixels() -> None:
    original = encode(picture(), quality=85, exif=exif_with_gps(1))
    data = splice(original, COMMENT, XMP)
    photo = photos.normalize(data, "plain.jpg")
    assert photo.path_used == "rewrite" and photo.mode == "RGB"
    assert (photo.width, photo.height) == (64, 48)
    assert pixels(photo.data) == pixels(data)
    assert_clean(photo.data)


@pytest.mark.parametrize(
    "options",
    [
        {"progressive": True},
        {"restart_marker_blocks": 2},
        {"restart_marker_rows": 1, "progressive": True},
        {"subsampling": 0, "quality": 95},
    ],
)
def test_rewrite_variants_keep_pixels(options: dict[str, Any]) -> None:
    data = splice(encode(picture((80, 56)), **options), COMMENT)
    photo = photos.normalize(data, "x.jpg")
    assert photo.path_used == "rewrite"
    assert pixels(photo.data) == pixels(data)
    assert_clean(photo.data)
    found = markers(photo.data)
    if options.get("progressive"):
        assert found.count(0xDA) > 1
    if "restart_marker_blocks" in options or "restart_marker_rows" in options:
        assert 0xDD in found and b"\xff\xd0" in photo.data


def test_greyscale_jpeg_stays_greyscale() -> None:
    data = splice(encode(picture(mode="L")), COMMENT)
    photo = photos.normalize(data, "grey.jpg")
    assert photo.path_used == "rewrite" and photo.mode == "L"
    assert pixels(photo.data) == pixels(data)


def test_fill_bytes_before_markers_are_handled() -> None:
    data = encode(picture())
    padded = data.replace(b"\xff\xda", b"\xff\xff\xff\xda", 1)
    assert photos.strip_jpeg(padded) == photos.strip_jpeg(data)


def test_trailer_after_eoi_dropped() -> None:
    data = encode(picture()) + b"\xff\xd8 second image or garbage SECRET" + encode(picture((8, 8)))
    photo = photos.normalize(data, "x.jpg")
    assert photo.path_used == "rewrite" and photo.data.endswith(b"\xff\xd9")
    assert_clean(photo.data)


def test_mpo_keeps_only_the_first_picture() -> None:
    first, second = picture(), Image.new("RGB", (64, 48), "green")
    data = encode(first, "MPO", save_all=True, append_images=[second])
    photo = photos.normalize(data, "stereo.jpg")
    assert photo.path_used == "rewrite" and data.count(b"\xff\xd8") >= 2
    assert photo.data.count(b"\xff\xd8") == 1
    assert pixels(photo.data) == pixels(encode(first))
    assert_clean(photo.data)


def test_bytes_hidden_in_a_table_segment_are_not_passed_through() -> None:
    data = encode(picture())
    at = data.index(b"\xff\xc4")
    length = int.from_bytes(data[at + 2 : at + 4], "big")
    hidden = b"SECRET-HIDDEN"
    dht = b"\xff\xc4" + struct.pack(">H", length + len(hidden)) + data[at + 4 : at + 2 + length]
    doctored = data[:at] + dht + hidden + data[at + 2 + length :]
    assert photos.strip_jpeg(doctored) is None
    assert refused(doctored).code == "photo-corrupt"  # libjpeg reads the junk as a table


def test_xmp_orientation_is_honoured_like_exif_transpose() -> None:
    xmp = segment(0xE1, b'http://ns.adobe.com/xap/1.0/\x00<x tiff:Orientation="6"/>')
    photo = photos.normalize(splice(encode(picture((64, 48))), xmp), "x.jpg")
    assert photo.path_used == "reencode" and (photo.width, photo.height) == (48, 64)
    assert_clean(photo.data)


def test_jpeg_stored_as_rgb_is_decoded_not_rewritten() -> None:
    data = encode(Image.new("RGB", (32, 32), (200, 30, 90)), keep_rgb=True)
    assert photos.strip_jpeg(data) is None  # dropping its Adobe marker would change colours
    photo = photos.normalize(data, "rgb.jpg")
    assert photo.path_used == "reencode"
    _, _, raw = pixels(photo.data)
    assert all(abs(a - b) <= 3 for a, b in zip(raw[:3], (200, 30, 90), strict=True))


def test_strip_jpeg_refuses_what_it_cannot_keep_identical() -> None:
    assert photos.strip_jpeg(encode(picture(), "PNG")) is None
    assert photos.strip_jpeg(encode(picture(), exif=exif_with_gps(6))) is None
    assert photos.strip_jpeg(b"\xff\xd8\xff\xe0 not really") is None
    with pytest.raises(jpeg.JpegError):
        jpeg.rewrite(encode(picture())[:-2])  # no EOI


def test_jfif_synthesised_when_missing_and_density_kept() -> None:
    data = encode(picture(), dpi=(300, 300))
    no_jfif = data[:2] + data[2 + 2 + int.from_bytes(data[4:6], "big") :]
    assert no_jfif[2:4] != b"\xff\xe0"
    assert photos.strip_jpeg(no_jfif)[2:20] == jpeg.jfif_segment()  # type: ignore[index]
    kept = photos.strip_jpeg(data)
    assert kept is not None and kept[2:20] == data[2:20]  # JFIF 1.01, 300×300 dpi
    with Image.open(io.BytesIO(kept)) as im:
        assert im.info["dpi"] == (300, 300)


# --- ICC profiles ----------------------------------------------------------------------------


def test_srgb_profile_simply_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(picture(), icc_profile=srgb)
    photo = photos.normalize(data, "x.jpg")
    assert photo.path_used == "rewrite" and pixels(photo.data) == pixels(data)
    assert_clean(photo.data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_other_profile_converted_to_srgb_then_dropped(fmt: str) -> None:
    im = Image.new("RGB", (32, 32), (128, 128, 128))
    data = encode(im, fmt, icc_profile=linear_rgb_profile(), quality=95)
    photo = photos.normalize(data, "x.img")
    assert photo.path_used == "reencode"
    assert_clean(photo.data)
    _, _, raw = pixels(photo.data)
    assert all(180 <= v <= 196 for v in raw[:3])  # linear 0.5 is about 188 in sRGB


def test_unreadable_profile_is_ignored() -> None:
    data = encode(picture(), icc_profile=b"not a profile at all" * 10)
    photo = photos.normalize(data, "x.jpg")
    assert photo.path_used == "rewrite"
    assert_clean(photo.data)


# --- determinism and cache --------------------------------------------------------------------


@pytest.mark.parametrize("orientation", [1, 6])
def test_deterministic_and_idempotent(orientation: int) -> None:
    data = splice(encode(picture(), exif=exif_with_gps(orientation)), COMMENT)
    first = photos.normalize(data, "x.jpg")
    assert photos.normalize(data, "x.jpg") == first
    again = photos.normalize(first.data, "x.jpg")
    assert again.data == first.data and again.path_used == "rewrite"


def test_cache_serves_without_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "ana.jpg"
    source.write_bytes(encode(picture(), exif=exif_with_gps(6)))
    cache = PhotoCache(tmp_path / "cache")
    first = photos.normalize_file(source, cache=cache)
    assert first.path_used == "reencode"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [f"{first.source_sha256}.jpg"]

    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("decoded again"))
    assert photos.normalize_file(source, cache=cache) is first  # in-process memo
    from_disk = photos.normalize_file(source, cache=PhotoCache(tmp_path / "cache"))
    assert from_disk.path_used == "cache"
    assert (from_disk.data, from_disk.width, from_disk.height) == (first.data, 48, 64)
    assert from_disk.sha256 == first.sha256 and from_disk.mode == first.mode


def test_damaged_cache_entry_is_made_again(tmp_path: Path) -> None:
    source = tmp_path / "ana.jpg"
    source.write_bytes(encode(picture()))
    first = photos.normalize_file(source, cache=PhotoCache(tmp_path))
    entry = tmp_path / f"{first.source_sha256}.jpg"
    entry.write_bytes(first.data[:100])
    again = photos.normalize_file(source, cache=PhotoCache(tmp_path))
    assert again.path_used == "rewrite" and entry.read_bytes() == first.data


def test_cache_respects_the_pixel_cap(tmp_path: Path) -> None:
    source = tmp_path / "ana.jpg"
    source.write_bytes(encode(picture()))
    cache = PhotoCache(tmp_path)
    photos.normalize_file(source, cache=cache)
    with pytest.raises(PhotoError, match="64×48 pixels"):
        photos.normalize_file(source, max_pixels=1000, cache=cache)


def test_cache_memo_is_bounded_and_keys_checked() -> None:
    cache = PhotoCache(None, memo_size=1)
    a, b = (photos.normalize(encode(picture(size)), "x.jpg") for size in ((8, 8), (16, 8)))
    cache.put(a)
    cache.put(b)
    assert cache.get(a.source_sha256) is None and cache.get(b.source_sha256) is b
    with pytest.raises(ValueError):
        PhotoCache(Path(".")).get("../../etc/passwd")


# --- print preflight ------------------------------------------------------------------------


def fake_photo(width: int, height: int) -> NormalizedPhoto:
    return NormalizedPhoto(b"", width, height, "RGB", "0" * 64, "0" * 64, "rewrite")


def test_effective_dpi_uses_the_limiting_dimension() -> None:
    assert photos.effective_dpi(600, 750, (100.0, 125.0)) == pytest.approx(152.4)
    assert photos.effective_dpi(2000, 1000, (100.0, 125.0)) == pytest.approx(203.2)
    assert photos.effective_dpi(1181, 5000, (100.0, 125.0)) == pytest.approx(299.97, abs=0.01)
    with pytest.raises(ValueError):
        photos.effective_dpi(0, 100, (100.0, 125.0))


def test_preflight_warns_below_300_dpi() -> None:
    problem = photos.preflight(fake_photo(600, 750), photos.POSTER_PHOTO_BOX_MM)
    assert problem is not None
    assert problem.severity is Severity.WARNING and problem.code == "photo-low-dpi"
    assert problem.message.startswith(
        "photo is 600×750 px: 152 dpi at poster size (100×125 mm); 300 dpi wanted"
    )
    assert photos.preflight(fake_photo(1200, 1500), photos.POSTER_PHOTO_BOX_MM) is None
    nearly = photos.preflight(fake_photo(1181, 1500), (100.0, 125.0))
    assert nearly is not None and "299 dpi" in nearly.message
    assert photos.preflight(fake_photo(600, 750), (50.0, 62.5), min_dpi=300) is None
