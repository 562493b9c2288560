"""An uploaded photo (a repair report's 随手拍, a dish on the menu) made safe to keep and to show.

`process_photo(data)` takes the uploaded bytes and gives back a ProcessedPhoto: one JPEG of at
most 2048 px on the long edge and a 320 px thumbnail, both upright and without any metadata.

- What the bytes are is decided by decoding them with Pillow, never by a file name or a declared
  content type. JPEG, PNG, WebP and HEIC (iPhones; through pillow-heif) are accepted.
- Phone photos carry EXIF with the GPS position where they were taken, the device and the time;
  none of it (EXIF, XMP, ICC profile, comments) survives: the output is encoded from bare pixels.
- Refusals are ImageError codes: not an image, a format we do not take, a truncated
  or damaged file, or too large (bytes, or a pixel count that would be a decompression bomb: the
  size a file declares is checked before a single pixel is decoded).

Output is JPEG rather than WebP: every consumer here reads JPEG (the mini-program on old phones,
the console, Excel exports through openpyxl, printed label sheets), and it encodes faster.
Decoding and encoding are CPU work, so they run in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import pillow_heif
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from backend.core.errors import ErrorCode
from backend.core.storage import Storage


class ImageError(ErrorCode):
    """A refused photo is read by the person who took it, so the message says what to do instead."""

    NOT_IMAGE = ("image.not_image", 415, "上传的文件不是图片，请拍照或从相册选择照片")
    FORMAT_UNSUPPORTED = (
        "image.format_unsupported",
        415,
        "不支持 {format} 格式的图片，请上传 JPEG、PNG、WebP 或 HEIC 照片",
    )
    TRUNCATED = ("image.truncated", 422, "照片不完整或已损坏，请重新拍摄或重新选择")
    TOO_LARGE = ("image.too_large", 413, "照片过大，请上传不超过 {max_mb} MB、{max_megapixels} 百万像素的照片")


MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# Far above any phone camera (a 48 MP phone saves 12 MP by default), far below what would let
# one upload take gigabytes of memory: a 40 MP RGB image decodes to 120 MB.
MAX_PIXELS = 40_000_000
MAX_EDGE = 2048
THUMBNAIL_EDGE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "HEIF"})
CONTENT_TYPE = "image/jpeg"
# A 40-megapixel photo needs some 160 MB while it is processed: a burst of uploads queues here
# instead of taking the host's memory.
_processing = asyncio.Semaphore(2)


@dataclass(frozen=True)
class ProcessedPhoto:
    """The photo to store (`width` x `height` px) and its thumbnail, both `content_type`.
    `sha256` is the hex digest of `image`, to name the stored file and spot a repeated upload."""

    image: bytes
    thumbnail: bytes
    width: int
    height: int
    content_type: str
    sha256: str


async def process_photo(data: bytes) -> ProcessedPhoto:
    """Checks, rotates upright, strips and resizes an uploaded photo; raises ImageError."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_large_error()
    async with _processing:
        return await asyncio.to_thread(_process, data)


async def store(storage: Storage, folder: str, photo: ProcessedPhoto, at: datetime) -> tuple[str, str]:
    """Keep a processed photo and its thumbnail under `folder/<year>/<month>/`; their keys."""
    stem = f"{folder}/{at:%Y/%m}/{uuid.uuid4().hex}"
    await storage.put(f"{stem}.jpg", photo.image, photo.content_type)
    try:
        await storage.put(f"{stem}-thumb.jpg", photo.thumbnail, photo.content_type)
    except BaseException:
        # No photo without its thumbnail: nothing names the one already kept, so it would stay.
        await storage.delete(f"{stem}.jpg")
        raise
    return f"{stem}.jpg", f"{stem}-thumb.jpg"


@cache
def _enable_heif() -> None:
    pillow_heif.register_heif_opener()


def _too_large_error():
    return ImageError.TOO_LARGE.error(max_mb=MAX_UPLOAD_BYTES // (1024 * 1024), max_megapixels=MAX_PIXELS // 1_000_000)


def _process(data: bytes) -> ProcessedPhoto:
    _enable_heif()
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Set anywhere in the process, it would let a half-uploaded photo through with a grey
        # lower half instead of being refused.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay off for repair photos")
    with _decoded(data) as image:
        ImageOps.exif_transpose(image, in_place=True)
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            # Palette, bilevel, 16-bit, CMYK...: into a mode the rest handles. Pillow resizes
            # palette images with nearest-neighbour only, so they must not stay palette.
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        image.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
        photo = _bare_rgb(image)
    thumbnail = photo.copy()
    thumbnail.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
    encoded = _jpeg(photo, JPEG_QUALITY)
    return ProcessedPhoto(
        image=encoded,
        thumbnail=_jpeg(thumbnail, THUMBNAIL_QUALITY),
        width=photo.width,
        height=photo.height,
        content_type=CONTENT_TYPE,
        sha256=hashlib.sha256(encoded).hexdigest(),
    )


def _decoded(data: bytes) -> Image.Image:
    """The fully decoded image, or the refusal that says why not."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _too_large_error() from None
    except UnidentifiedImageError:
        raise ImageError.NOT_IMAGE.error() from None
    except (OSError, SyntaxError, ValueError):
        # Recognised by its header, but its decoder cannot even start on the rest.
        raise ImageError.TRUNCATED.error() from None
    if image.format not in ACCEPTED_FORMATS:
        image.close()
        raise ImageError.FORMAT_UNSUPPORTED.error(format=image.format)
    if image.width * image.height > MAX_PIXELS:
        image.close()
        raise _too_large_error()
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError):
        image.close()
        raise ImageError.TRUNCATED.error() from None
    return image


def _bare_rgb(image: Image.Image) -> Image.Image:
    """The pixels alone on a fresh canvas: transparency lies over white, and nothing of the
    source's metadata comes along (Pillow copies `info`, a JPEG comment included, on convert)."""
    canvas = Image.new("RGB", image.size, "white")
    if image.mode in ("RGBA", "LA"):
        canvas.paste(image.convert("RGB"), mask=image.getchannel("A"))
    else:
        canvas.paste(image.convert("RGB"))
    return canvas


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # Progressive: a phone on a weak signal shows the whole photo blurred first, then sharp.
    image.save(out, "JPEG", quality=quality, progressive=True)
    return out.getvalue()
