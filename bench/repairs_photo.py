"""Cost of one repair photo (part of `make bench-repairs`): no database or Redis needed.

A 12-megapixel (4000×3000) JPEG with EXIF and GPS, the size a phone sends, goes through the
whole pipeline BENCH_PHOTOS times in turn: checked, turned upright, stripped, resized, its
thumbnail made, and both stored with LocalStorage in a temporary directory.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path

from PIL import ExifTags, Image

from backend.core.images import process_photo
from backend.core.storage import LocalStorage

PHOTOS = int(os.environ.get("BENCH_PHOTOS", "20"))


def phone_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A width×height (by default 4000×3000) JPEG of smooth noise
    (compresses like a photo: about 6 MB at quality 92)."""
    channels = [Image.effect_noise((1000, 750), 60).point(lambda v, k=k: (v + 50 * k) % 256) for k in range(3)]
    picture = Image.merge("RGB", channels).resize((width, height), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Orientation] = 1
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 7.0)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


async def photo_timings_ms(n: int) -> list[float]:
    """Milliseconds for each of n photos, from upload bytes to both files stored."""
    data = phone_photo()
    timings = []
    with tempfile.TemporaryDirectory() as root:
        storage = LocalStorage(Path(root))
        for i in range(n):
            started = time.perf_counter()
            photo = await process_photo(data)
            await storage.put(f"repairs/{i}/{photo.sha256}.jpg", photo.image, photo.content_type)
            await storage.put(f"repairs/{i}/{photo.sha256}.thumb.jpg", photo.thumbnail, photo.content_type)
            timings.append((time.perf_counter() - started) * 1000)
    return timings
