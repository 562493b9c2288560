"""Repair photos in and out: an upload is made safe (core.images) and stored before it
is attached to a report; a photo is served only to the people allowed to see its report."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.core import images
from backend.core.errors import AppError
from backend.core.storage import ObjectNotFound, Storage
from backend.repairs.errors import RepairsError
from backend.repairs.models import RepairPhoto
from backend.repairs.service import reports as service


async def upload(storage: Storage, uploader_id: int, data: bytes, at: datetime) -> dict:
    """Process and store a photo for the cadre `uploader_id`; it waits, unattached, for their report."""
    processed = await images.process_photo(data)
    image_key, thumbnail_key = await images.store(storage, "repairs", processed, at)
    photo = await RepairPhoto.create(
        uploader_id=uploader_id,
        image_key=image_key,
        thumbnail_key=thumbnail_key,
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        sha256=processed.sha256,
    )
    return {"id": photo.id, "width": photo.width, "height": photo.height}


async def photo_for_cadre(photo_id: int, person_id: int) -> RepairPhoto:
    """The cadre's own upload, or a photo of a report they may see (service.visible_to_cadre);
    otherwise it does not exist for them."""
    photo = await RepairPhoto.get_or_none(id=photo_id)
    if photo is None or (photo.uploader_id != person_id and not await _sees_report(photo.report_id, person_id)):
        raise RepairsError.PHOTO_NOT_FOUND.error()
    return photo


async def _sees_report(report_id: int | None, person_id: int) -> bool:
    if report_id is None:
        return False
    try:
        await service.visible_to_cadre(report_id, person_id)
    except AppError as refusal:
        if refusal.code != RepairsError.REPORT_NOT_FOUND.code:
            raise
        return False
    return True


async def attached_photo(photo_id: int) -> RepairPhoto:
    """A photo of some report (what a dispatcher may see)."""
    photo = await RepairPhoto.get_or_none(id=photo_id, report_id__not_isnull=True)
    if photo is None:
        raise RepairsError.PHOTO_NOT_FOUND.error()
    return photo


async def content(storage: Storage, photo: RepairPhoto, thumbnail: bool) -> tuple[bytes, str]:
    try:
        return await storage.get(photo.thumbnail_key if thumbnail else photo.image_key), photo.content_type
    except ObjectNotFound:
        raise RepairsError.PHOTO_NOT_FOUND.error() from None


async def purge_unattached(storage: Storage, at: datetime, older_than: timedelta = timedelta(days=1)) -> int:
    """Photos uploaded for a report that was never filed: their files and rows go after a day
    (a cadre may take a while to finish the form, not a day)."""
    purged = 0
    for photo in await RepairPhoto.filter(report_id=None, created_at__lt=at - older_than).limit(1000):
        await storage.delete(photo.image_key)
        await storage.delete(photo.thumbnail_key)
        purged += await RepairPhoto.filter(id=photo.id, report_id=None).delete()
    return purged
