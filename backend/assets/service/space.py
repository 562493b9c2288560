"""The office-space register's files (一房一档, "图-表-文件"): a building's title and permits,
drawings, plans, photos, tables and documents filed with a building or a room, safety
inspections, and the whole file of a room as the console shows it (facts, occupants with their
grade and the standard's check, assets in the room, its repairs, documents, inspections and
reallocations)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath

from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.assets.models import (
    Asset,
    AssetStatus,
    BuildingFile,
    DocumentKind,
    InspectionResult,
    SafetyInspection,
    SpaceDocument,
    Tenure,
)
from backend.assets.service import standards, transfers
from backend.core.audit import Actor, record
from backend.core.errors import AppError
from backend.core.permissions import Scope
from backend.core.storage import Storage
from backend.core.timeutil import BUSINESS_TZ
from backend.places import service as places
from backend.repairs.service import reports as repairs

DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".dwg": "image/vnd.dwg",
}
MOST_DOCUMENT_MB = 20
FIRST_BUILT_YEAR = 1900


@dataclass(frozen=True)
class BuildingForm:
    tenure: Tenure
    title_no: str = ""
    land_no: str = ""
    permits: str = ""
    built_year: int | None = None
    address: str = ""
    note: str = ""


TEXT_LIMITS = (
    ("title_no", "产权证号", 60),
    ("land_no", "土地证号", 60),
    ("permits", "许可证件", 500),
    ("address", "地址", 200),
    ("note", "备注", 500),
)


async def _building(place_id: int) -> dict:
    try:
        place = await places.active_place(place_id)
    except AppError:
        raise AssetsError.BUILDING_NOT_FOUND.error() from None
    if place["kind"] != "building":
        raise AssetsError.BUILDING_NOT_FOUND.error()
    return place


def _building_view(row: BuildingFile | None) -> dict | None:
    if row is None:
        return None
    return {
        "tenure": row.tenure.value,
        "tenure_label": row.tenure.label,
        "title_no": row.title_no,
        "land_no": row.land_no,
        "permits": row.permits,
        "built_year": row.built_year,
        "address": row.address,
        "note": row.note,
    }


async def set_building_file(actor: Actor, building_id: int, form: BuildingForm, today: date) -> dict:
    """Write a building's file: how the bureau holds it (权属), its titles, permits and year."""
    await _building(building_id)
    values = {name: getattr(form, name).strip() for name, _, _ in TEXT_LIMITS}
    for name, label, most in TEXT_LIMITS:
        if len(values[name]) > most:
            raise AssetsError.FILE_TEXT_TOO_LONG.error(field=label, most=most)
    if form.built_year is not None and not FIRST_BUILT_YEAR <= form.built_year <= today.year:
        raise AssetsError.BUILT_YEAR_INVALID.error()
    async with in_transaction() as conn:
        row = await BuildingFile.filter(place_id=building_id).using_db(conn).select_for_update().first()
        before = _building_view(row)
        row = row or BuildingFile(place_id=building_id)
        row.tenure, row.built_year = form.tenure, form.built_year
        for name, value in values.items():
            setattr(row, name, value)
        await row.save(using_db=conn)
        after = _building_view(row)
        drop = ("tenure_label",)
        await record(
            conn,
            actor,
            "assets.set_building_file",
            "place",
            building_id,
            {k: v for k, v in before.items() if k not in drop} if before else None,
            {k: v for k, v in after.items() if k not in drop} if after else None,
        )
    return after or {}


def _document_type(filename: str) -> str:
    content_type = DOCUMENT_TYPES.get(PurePath(filename).suffix.lower())
    if content_type is None:
        raise AssetsError.DOCUMENT_TYPE.error()
    return content_type


async def add_document(
    actor: Actor,
    storage: Storage,
    place_id: int,
    kind: DocumentKind,
    title: str,
    filename: str,
    data: bytes,
    at: datetime,
) -> dict:
    """File a drawing, plan, photo, table or document with a building or a room (PDF, JPG, PNG,
    XLSX, DOCX or DWG, at most 20 MB). The file is stored first: a failure after it leaves an
    unreferenced object, never a record without its file."""
    title = title.strip()
    if not 0 < len(title) <= 100:
        raise AssetsError.DOCUMENT_TITLE.error()
    content_type = _document_type(filename)
    if not data:
        raise AssetsError.DOCUMENT_EMPTY.error()
    if len(data) > MOST_DOCUMENT_MB * 1024 * 1024:
        raise AssetsError.DOCUMENT_TOO_LARGE.error(most_mb=MOST_DOCUMENT_MB)
    place = await places.active_place(place_id)
    key = f"assets/space/{place['id']}/{secrets.token_hex(12)}{PurePath(filename).suffix.lower()}"
    await storage.put(key, data, content_type)
    async with in_transaction() as conn:
        document = await SpaceDocument.create(
            place_id=place["id"],
            kind=kind,
            title=title,
            file_key=key,
            content_type=content_type,
            size_bytes=len(data),
            uploaded_by=actor.name,
            uploaded_at=at,
            using_db=conn,
        )
        after = {"document_kind": kind.value, "title": title, "size_bytes": len(data)}
        await record(conn, actor, "assets.add_space_document", "place", place["id"], None, after)
    return _document_view(document)


def _document_view(document: SpaceDocument) -> dict:
    return {
        "id": document.id,
        "kind": document.kind.value,
        "kind_label": document.kind.label,
        "title": document.title,
        "content_type": document.content_type,
        "size_bytes": document.size_bytes,
        "uploaded_by": document.uploaded_by,
        "uploaded_at": document.uploaded_at,
    }


async def document_file(scope: Scope, document_id: int) -> tuple[SpaceDocument, str]:
    """A document to download, if its place is one `scope` reaches: (document, storage key)."""
    document = await SpaceDocument.get_or_none(id=document_id)
    if document is None:
        raise AssetsError.ROOM_NOT_FOUND.error()
    await _require_place(scope, document.place_id)
    return document, document.file_key


async def add_inspection(
    actor: Actor,
    place_id: int,
    inspected_on: date,
    inspector: str,
    result: InspectionResult,
    findings: str,
    at: datetime,
) -> dict:
    """Record a safety inspection of a building or a room; a date after today is refused."""
    inspector, findings = inspector.strip(), findings.strip()
    if inspected_on > at.astimezone(BUSINESS_TZ).date():
        raise AssetsError.DATE_IN_FUTURE.error()
    if not 0 < len(inspector) <= 60:
        raise AssetsError.INSPECTOR_REQUIRED.error()
    if len(findings) > 500:
        raise AssetsError.FILE_TEXT_TOO_LONG.error(field="发现问题", most=500)
    place = await places.active_place(place_id)
    async with in_transaction() as conn:
        inspection = await SafetyInspection.create(
            place_id=place["id"],
            inspected_on=inspected_on,
            inspector=inspector,
            result=result,
            findings=findings,
            recorded_by=actor.name,
            recorded_at=at,
            using_db=conn,
        )
        after = {
            "inspected_on": inspected_on.isoformat(),
            "inspector": inspector,
            "result": result.value,
            "findings": findings,
        }
        await record(conn, actor, "assets.add_inspection", "place", place["id"], None, after)
    return _inspection_view(inspection)


def _inspection_view(inspection: SafetyInspection) -> dict:
    return {
        "id": inspection.id,
        "inspected_on": inspection.inspected_on,
        "inspector": inspection.inspector,
        "result": inspection.result.value,
        "result_label": inspection.result.label,
        "findings": inspection.findings,
        "recorded_by": inspection.recorded_by,
    }


async def _require_place(scope: Scope, place_id: int) -> None:
    """A building's file is everyone's who sees the register; a room's, only the bureau's and
    its holding unit's."""
    if scope.is_everything:
        return
    room = (await places.room_facts([place_id])).get(place_id)
    if room is None:
        return
    units = await people.units_by_id([room["unit_id"]] if room["unit_id"] else [])
    if room["unit_id"] not in units or not scope.reaches_unit(units[room["unit_id"]].path):
        raise AssetsError.ROOM_NOT_FOUND.error()


async def _papers(place_id: int) -> dict:
    documents = await SpaceDocument.filter(place_id=place_id).order_by("-id")
    inspections = await SafetyInspection.filter(place_id=place_id).order_by("-inspected_on", "-id")
    return {
        "documents": [_document_view(d) for d in documents],
        "inspections": [_inspection_view(i) for i in inspections],
    }


async def room_file(scope: Scope, place_id: int, at: datetime) -> dict:
    """A room's whole file (一房一档): facts, occupants with grade, the standard's check, the
    assets in the room, its repairs, documents, inspections and reallocations. The assets listed
    are those of the units `scope` reaches; of the others (another unit's item in the room) only
    their number is given (`other_assets`), not what they are nor what they are worth."""
    await _require_place(scope, place_id)
    room = (await places.room_facts([place_id])).get(place_id)
    if room is None or not room["is_active"]:
        raise AssetsError.ROOM_NOT_FOUND.error()
    checked = standards.check(room, await standards.per_person()) if room["registered"] else None
    units = await standards.unit_names([room["unit_id"]] if room["unit_id"] else [])
    in_room = Asset.filter(place_id=place_id).exclude(status=AssetStatus.DISPOSED)
    reached = await people.units_within(scope)
    other_assets = 0
    if reached is not None:
        other_assets = await in_room.exclude(unit_id__in=reached).count()
        in_room = in_room.filter(unit_id__in=reached)
    assets = await in_room.order_by("asset_no").values("id", "asset_no", "name", "spec", "status", "original_value_fen")
    for asset in assets:
        asset["status_label"] = AssetStatus(asset["status"]).label
    return {
        **room,
        "unit_name": units.get(room["unit_id"], ""),
        "check": checked,
        "assets": assets,
        "other_assets": other_assets,
        "repairs": await repairs.reports_at_places([place_id], at, limit=50),
        "transfers": await transfers.history(place_id),
        **await _papers(place_id),
    }


async def building_file(building_id: int) -> dict:
    """A building's file: its title and permits, documents, inspections, and its registered
    rooms' totals (use and building area, rooms over standard)."""
    building = await _building(building_id)
    rooms = [r for r in await places.rooms(None, building_id) if r["registered"]]
    standard = await standards.per_person()
    checks = [standards.check(r, standard) for r in rooms]
    return {
        **building,
        "file": _building_view(await BuildingFile.get_or_none(place_id=building_id)),
        "rooms": len(rooms),
        "use_area": sum(r["use_area"] for r in rooms),
        "building_area": sum(r["building_area"] or 0 for r in rooms),
        "rooms_over": sum(c["flag"] == standards.OVER for c in checks),
        "rooms_vacant": sum(c["flag"] == standards.VACANT for c in checks),
        **await _papers(building_id),
    }
