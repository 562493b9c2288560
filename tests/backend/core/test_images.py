"""The repair photo pipeline, on photos made here with Pillow (no binary fixtures)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import zlib
from datetime import UTC, datetime

import pillow_heif
import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile

from backend.core.errors import AppError, CommonError
from backend.core.images import MAX_UPLOAD_BYTES, process_photo, store
from backend.core.storage import LocalStorage

RED, WHITE = (255, 0, 0), (255, 255, 255)
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description photoshop:City="Hangzhou"/></rdf:RDF></x:xmpmeta>'
)


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def scene(size: tuple[int, int]) -> Image.Image:
    """A photo-like picture: smooth noise compresses like a real photo, unlike a flat colour.
    (Made at a quarter of the size and enlarged: Pillow's noise is slow at 12 megapixels.)"""
    small = (max(1, size[0] // 4), max(1, size[1] // 4))
    channels = [Image.effect_noise(small, 60).point(lambda v, k=k: (v + 40 * k) % 256) for k in range(3)]
    return Image.merge("RGB", channels).resize(size, Image.Resampling.BICUBIC)


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 7.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (120.0, 9.0, 3.0)
    return exif


def segments_before_image_data(jpeg: bytes) -> list[int]:
    """The markers of a JPEG's header segments (APP1 = 0xE1 holds EXIF and XMP, APP2 = 0xE2 ICC,
    COM = 0xFE comments), read up to the start of the compressed data."""
    assert jpeg[:2] == b"\xff\xd8"
    markers, at = [], 2
    while jpeg[at + 1] != 0xDA:
        markers.append(jpeg[at + 1])
        at += 2 + struct.unpack(">H", jpeg[at + 2 : at + 4])[0]
    return markers


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def refusal(data: bytes) -> AppError:
    with pytest.raises(AppError) as refused:
        await process_photo(data)
    assert 400 <= refused.value.status < 500
    return refused.value


async def test_gps_exif_xmp_icc_and_comment_do_not_survive():
    # given a phone photo that tells where it was taken
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = encode(scene((640, 480)), "JPEG", exif=exif_with_gps(), xmp=XMP, icc_profile=icc, comment=b"Room 301")
    assert {0xE1, 0xE2, 0xFE} <= set(segments_before_image_data(original))
    # when
    photo = await process_photo(original)
    # then
    for data in (photo.image, photo.thumbnail):
        out = opened(data)
        assert out.format == "JPEG" and len(out.getexif()) == 0
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(out.info)
        assert not {0xE1, 0xE2, 0xFE} & set(segments_before_image_data(data))
        assert b"GPS" not in data[:2000] and b"PhoneCo" not in data and b"Hangzhou" not in data


async def test_photo_taken_sideways_comes_out_upright():
    """EXIF Orientation 6: the camera stored the picture turned; viewers rotate it 90° clockwise."""
    stored = Image.new("RGB", (400, 300), WHITE)
    ImageDraw.Draw(stored).rectangle((0, 0, 59, 59), fill=RED)  # marker in the stored top-left
    photo = await process_photo(encode(stored, "JPEG", exif=exif_with_gps(orientation=6), quality=95))
    out = opened(photo.image)
    assert (photo.width, photo.height) == out.size == (300, 400)
    assert out.getpixel((out.width - 15, 15)) == pytest.approx(RED, abs=30)  # now top-right
    assert out.getpixel((15, 15)) == pytest.approx(WHITE, abs=30)


async def test_large_photo_is_capped_at_2048_on_the_long_edge_with_a_small_thumbnail():
    photo = await process_photo(encode(scene((4000, 3000)), "JPEG", exif=exif_with_gps()))
    assert (photo.width, photo.height) == opened(photo.image).size == (2048, 1536)
    assert opened(photo.thumbnail).size == (320, 240)
    assert photo.content_type == "image/jpeg"
    assert photo.sha256 == hashlib.sha256(photo.image).hexdigest()


async def test_small_photo_is_not_enlarged():
    photo = await process_photo(encode(scene((800, 600)), "WEBP"))
    assert (photo.width, photo.height) == (800, 600)


async def test_png_with_transparency_lies_over_white():
    picture = Image.new("RGBA", (200, 100), (0, 0, 255, 0))
    ImageDraw.Draw(picture).rectangle((100, 0, 199, 99), fill=(*RED, 255))
    out = opened((await process_photo(encode(picture, "PNG"))).image)
    assert out.mode == "RGB"
    assert out.getpixel((20, 50)) == pytest.approx(WHITE, abs=8)
    assert out.getpixel((180, 50)) == pytest.approx(RED, abs=30)


async def test_palette_png_is_accepted():
    picture = scene((300, 200)).convert("P", palette=Image.Palette.ADAPTIVE)
    assert (await process_photo(encode(picture, "PNG"))).width == 300


async def test_heic_from_an_iphone_is_accepted():
    pillow_heif.register_heif_opener()  # for the encoding here; the pipeline registers its own
    photo = await process_photo(encode(scene((600, 400)), "HEIF", exif=exif_with_gps()))
    out = opened(photo.image)
    assert out.format == "JPEG" and out.size == (600, 400) and len(out.getexif()) == 0


async def test_text_file_is_not_an_image_whatever_it_is_called():
    error = await refusal("报修：三楼卫生间漏水\n".encode())
    assert error.code == "image.not_image" and "不是图片" in error.message


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF", b"\xff\xd8\xff" + b"\x00" * 64],
    ids=["empty", "pdf", "jpeg-magic-then-garbage"],
)
async def test_other_files_are_not_images(data):
    assert (await refusal(data)).code in {"image.not_image", "image.truncated"}


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
async def test_images_in_other_formats_are_refused_by_name(fmt):
    error = await refusal(encode(scene((64, 64)), fmt))
    assert error.code == "image.format_unsupported" and fmt in error.message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
async def test_photo_cut_in_half_is_refused(fmt):
    data = encode(scene((800, 600)), fmt)
    error = await refusal(data[: len(data) // 2])
    assert error.code == "image.truncated" and "不完整" in error.message


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims the given size: what a decompression bomb looks like
    before it is decoded."""
    data = bytearray(encode(Image.new("L", (1, 1)), "PNG"))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13])))
    return bytes(data)


@pytest.mark.parametrize("size", [(30000, 30000), (8000, 6000)], ids=["900MP", "48MP"])
async def test_decompression_bomb_is_refused_before_decoding(size):
    data = png_declaring(*size)
    assert len(data) < 100 and struct.unpack(">II", data[16:24]) == size
    error = await refusal(data)
    assert error.code == "image.too_large" and error.status == 413


async def test_upload_over_the_byte_limit_is_refused_unread():
    error = await refusal(b"\xff\xd8" + b"\x00" * MAX_UPLOAD_BYTES)
    assert error.code == "image.too_large" and "15 MB" in error.message


async def test_lenient_truncated_loading_set_elsewhere_stops_the_pipeline(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        await process_photo(encode(scene((64, 64)), "JPEG"))


async def test_photos_are_processed_off_the_event_loop():
    photos = [encode(scene((2400, 1800)), "JPEG") for _ in range(3)]
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    beat = asyncio.create_task(ticker())
    results = await asyncio.gather(*(process_photo(p) for p in photos))
    beat.cancel()
    assert [r.width for r in results] == [2048] * 3
    assert ticks >= 5  # the loop kept running while the photos were decoded and encoded


async def test_a_photo_whose_thumbnail_cannot_be_kept_is_not_kept_either(tmp_path):
    class FullAfterOne(LocalStorage):
        async def put(self, key: str, data: bytes, content_type: str) -> None:
            if key.endswith("-thumb.jpg"):
                raise CommonError.STORAGE_FULL.error()
            await super().put(key, data, content_type)

    photo = await process_photo(encode(scene((800, 600)), "JPEG"))
    with pytest.raises(AppError) as full:
        await store(FullAfterOne(tmp_path), "repairs", photo, datetime(2026, 12, 7, tzinfo=UTC))

    assert full.value.code == "common.storage_full"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
