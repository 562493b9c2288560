"""The 公物仓: idle assets moved in with photos and their condition, the catalogue units' asset
officers browse in the mini-program, their requests to keep (调剂领用) or borrow (临时借用) an
item through the approval chain (kind `assets.warehouse_request`), loans and their return, and
the value reused (savings).

Of two units asking for the same item at once exactly one gets it: a request holds its item by
one conditional UPDATE (`held_by_request_id IS NULL`) in the transaction that files it, so the
second finds it held and is told `assets.item_taken`. The hold is released when the request is
refused or withdrawn, kept through a loan until the item comes back, and the entry closed when an
allocation is approved, or when the staff take an item no request holds back to its giver (出仓).
An approval or a loan's return that finds the item no longer where the request left it is
refused, never applied to whatever the asset has become.

An item moved in keeps its unit (the giver's) until it is allocated: the card shows where it
came from, and the unit's books do not change until another unit takes it over."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.approvals import service as approvals
from backend.approvals.service import ApprovalOutcome, Subject
from backend.assets.errors import AssetsError
from backend.assets.models import (
    Asset,
    AssetCategory,
    AssetStatus,
    ItemCondition,
    MoveReason,
    RequestKind,
    RequestState,
    Warehouse,
    WarehouseEntry,
    WarehouseRequest,
)
from backend.assets.service import depreciation, moves, notices, officers, standards, withdrawals
from backend.core import idempotency, images
from backend.core.audit import Actor, record
from backend.core.errors import AppError
from backend.core.pagination import paginate
from backend.core.storage import ObjectNotFound, Storage
from backend.core.timeutil import BUSINESS_TZ, today
from backend.places import service as places

KIND = "assets.warehouse_request"
MOST_PHOTOS = 6
LONGEST_LOAN = timedelta(days=180)
MOVABLE_IN = (AssetStatus.IN_USE, AssetStatus.IDLE)
PHOTO_FOLDER = "assets/warehouse"
# How long a loan reminder is remembered as sent: past the day after its return date.
REMINDED_KEY_SECONDS = 40 * 24 * 3600


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


def thumbnail_key(photo_key: str) -> str:
    """The thumbnail stored beside a photo (backend.core.images.store names it so)."""
    return photo_key.removesuffix(".jpg") + "-thumb.jpg"


# ---- moving in ---------------------------------------------------------------------------------


async def warehouses() -> list[dict]:
    """The active warehouses, by name, with the place they are at."""
    found = await Warehouse.filter(is_active=True).order_by("name")
    names = await places.full_names(w.place_id for w in found)
    return [{"id": w.id, "name": w.name, "place_id": w.place_id, "place": names.get(w.place_id, "")} for w in found]


async def create_warehouse(actor: Actor, name: str, place_id: int) -> dict:
    """A new 公物仓 at an active building or room of the tree (audited); names are unique."""
    name = name.strip()
    if not 2 <= len(name) <= 60:
        raise AssetsError.WAREHOUSE_NAME_INVALID.error()
    async with in_transaction() as conn:
        place = await places.active_place(place_id, conn)
        if place["kind"] == "floor":
            raise AssetsError.WAREHOUSE_PLACE_INVALID.error()
        if await Warehouse.filter(name=name).using_db(conn).exists():
            raise AssetsError.WAREHOUSE_NAME_TAKEN.error(name=name)
        created = await Warehouse.create(name=name, place_id=place_id, using_db=conn)
        view = {"id": created.id, "name": name, "place_id": place_id, "place": place["full_name"]}
        await record(conn, actor, "assets.create_warehouse", "assets_warehouse", created.id, after=view)
    return view


async def move_in(
    actor: Actor,
    storage: Storage,
    asset_id: int,
    warehouse_id: int,
    condition: ItemCondition,
    description: str,
    photos: list[bytes],
    at: datetime,
) -> dict:
    """Move an asset in use or idle into the warehouse (入仓): it goes to the warehouse's room
    with no custodian, status 在仓, and keeps its unit until another unit is allocated it. The
    photos are checked and stored first, so a refused photo leaves nothing half-done."""
    if len(photos) > MOST_PHOTOS:
        raise AssetsError.WAREHOUSE_PHOTOS_TOO_MANY.error(most=MOST_PHOTOS)
    processed = [await images.process_photo(data) for data in photos]
    keys = [(await images.store(storage, PHOTO_FOLDER, photo, at))[0] for photo in processed]
    try:
        async with in_transaction() as conn:
            warehouse = await Warehouse.get_or_none(id=warehouse_id, is_active=True).using_db(conn)
            if warehouse is None:
                raise AssetsError.WAREHOUSE_NOT_FOUND.error()
            asset = await Asset.filter(id=asset_id).using_db(conn).select_for_update().first()
            if asset is None:
                raise AssetsError.ASSET_NOT_FOUND.error()
            if asset.status not in MOVABLE_IN:
                raise AssetsError.NOT_MOVABLE_IN.error(status=asset.status.label)
            await moves.refuse_if_on_loan(conn, asset)
            before = {"status": asset.status.value}
            entry = await WarehouseEntry.create(
                asset_id=asset.id,
                warehouse_id=warehouse.id,
                from_unit_id=asset.unit_id,
                condition=condition,
                photo_keys=keys,
                description=description.strip()[:500],
                entered_at=at,
                entered_by=actor.name[:100],
                open_asset_id=asset.id,
                using_db=conn,
            )
            await moves.move(
                conn,
                asset,
                MoveReason.WAREHOUSE_IN,
                actor.name,
                at,
                place_id=warehouse.place_id,
                custodian_id=None,
                status=AssetStatus.IN_WAREHOUSE,
                note=f"入{warehouse.name}",
            )
            await record(
                conn,
                actor,
                "assets.warehouse_in",
                "asset",
                asset.id,
                before,
                {
                    "status": asset.status.value,
                    "warehouse": warehouse.name,
                    "condition": condition.value,
                    "photos": len(keys),
                },
            )
    except BaseException:
        for key in keys:
            await _delete_photo(storage, key)
        raise
    return await item(entry.id, include_held=True)


async def take_out(actor: Actor, entry_id: int, note: str, at: datetime) -> dict:
    """出仓 (console): an item nobody may use (beyond repair, entered by mistake) leaves the
    warehouse back to the unit that gave it, 闲置 with no room or custodian, so that unit may
    dispose of it or use it again; its stay closes (audited). Refused while a request holds it
    (in approval or out on loan): that request is refused, withdrawn or returned first."""
    note = note.strip()
    if len(note) > 200:
        raise AssetsError.TAKE_OUT_NOTE_TOO_LONG.error(most=200)
    async with in_transaction() as conn:
        entry = (
            await WarehouseEntry.filter(id=entry_id, open_asset_id__isnull=False)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        if entry is None:
            raise AssetsError.ITEM_NOT_FOUND.error()
        if entry.held_by_request_id is not None:
            held = await WarehouseRequest.get(id=entry.held_by_request_id).using_db(conn)
            raise AssetsError.ITEM_HELD_BY_REQUEST.error(request_no=held.request_no)
        asset = await Asset.filter(id=entry.asset_id).using_db(conn).select_for_update().get()
        if asset.status is not AssetStatus.IN_WAREHOUSE:
            raise AssetsError.ITEM_NOT_HELD.error(reason=f"资产{asset.status.label}")
        warehouse = await Warehouse.get(id=entry.warehouse_id).using_db(conn)
        before = {"status": asset.status.value, "warehouse": warehouse.name, "unit_id": asset.unit_id}
        await moves.move(
            conn,
            asset,
            MoveReason.WAREHOUSE_OUT,
            actor.name,
            at,
            unit_id=entry.from_unit_id,
            place_id=None,
            custodian_id=None,
            status=AssetStatus.IDLE,
            note=(f"出{warehouse.name}，退回原单位" + (f"：{note}" if note else ""))[:300],
        )
        entry.open_asset_id, entry.left_at = None, at
        await entry.save(using_db=conn, update_fields=["open_asset_id", "left_at"])
        await record(
            conn,
            actor,
            "assets.warehouse_out",
            "asset",
            asset.id,
            before,
            {"status": asset.status.value, "unit_id": asset.unit_id, "note": note},
        )
    return {"entry_id": entry.id, "asset_id": asset.id, "asset_no": asset.asset_no or "", "unit_id": asset.unit_id}


async def _delete_photo(storage: Storage, key: str) -> None:
    for stored in (key, thumbnail_key(key)):
        await storage.delete(stored)


# ---- the catalogue -----------------------------------------------------------------------------


async def _entry_views(entries: list[WarehouseEntry]) -> list[dict]:
    assets = {a.id: a for a in await Asset.filter(id__in=[e.asset_id for e in entries])}
    categories = dict(
        await AssetCategory.filter(id__in={a.category_id for a in assets.values()}).values_list("id", "name")
    )
    units = await standards.unit_names({e.from_unit_id for e in entries})
    warehouse_names = dict(await Warehouse.filter(id__in={e.warehouse_id for e in entries}).values_list("id", "name"))
    on = today()
    views = []
    for entry in entries:
        asset = assets[entry.asset_id]
        value = depreciation.of(asset.original_value_fen, asset.useful_life_months, asset.purchase_date, on)
        views.append(
            {
                "id": entry.id,
                "asset_id": asset.id,
                "asset_no": asset.asset_no or "",
                "name": asset.name,
                "spec": asset.spec,
                "category": categories.get(asset.category_id, ""),
                "condition": entry.condition.value,
                "condition_label": entry.condition.label,
                "description": entry.description,
                "original_value_fen": asset.original_value_fen,
                "net_value_fen": value.net_fen,
                "purchase_date": _iso(asset.purchase_date),
                "from_unit": units.get(entry.from_unit_id, ""),
                "warehouse": warehouse_names.get(entry.warehouse_id, ""),
                "photos": len(entry.photo_keys),
                "entered_at": _iso(entry.entered_at),
                "available": entry.open_asset_id is not None and entry.held_by_request_id is None,
                "held_by_request_id": entry.held_by_request_id,
            }
        )
    return views


async def catalogue(page: int, page_size: int, category_id: int | None = None, q: str = "") -> dict:
    """What units may ask for: the items in the warehouse no request holds, latest in first,
    optionally of a class (and those below it) or matching a name or spec."""
    query = WarehouseEntry.filter(open_asset_id__isnull=False, held_by_request_id__isnull=True)
    if category_id is not None:
        path = await AssetCategory.filter(id=category_id).values_list("path", flat=True)
        query = query.filter(asset__category__path__startswith=path[0] if path else "/none/")
    if q.strip():
        words = q.strip()[:50]
        query = query.filter(Q(asset__name__icontains=words) | Q(asset__spec__icontains=words))
    found = await paginate(query, page, page_size, order_by=("-entered_at", "-id"))
    return {**found.as_dict(), "items": await _entry_views(found.items)}


async def stock(page: int, page_size: int) -> dict:
    """The warehouse's stock for the console: every item in it, held by a request or not."""
    query = WarehouseEntry.filter(open_asset_id__isnull=False)
    found = await paginate(query, page, page_size, order_by=("-entered_at", "-id"))
    return {**found.as_dict(), "items": await _entry_views(found.items)}


async def item(entry_id: int, include_held: bool = False) -> dict:
    """One item of the catalogue (a held one only with `include_held`, for the console)."""
    query = WarehouseEntry.filter(id=entry_id, open_asset_id__isnull=False)
    if not include_held:
        query = query.filter(held_by_request_id__isnull=True)
    entry = await query.first()
    if entry is None:
        raise AssetsError.ITEM_NOT_FOUND.error()
    return (await _entry_views([entry]))[0]


async def photo(storage: Storage, entry_id: int, index: int, thumbnail: bool) -> bytes:
    """A photo of an item in the warehouse (JPEG), by its position among the item's photos."""
    entry = await WarehouseEntry.get_or_none(id=entry_id, open_asset_id__isnull=False)
    if entry is None or not 0 <= index < len(entry.photo_keys):
        raise AssetsError.ITEM_NOT_FOUND.error()
    key = entry.photo_keys[index]
    try:
        return await storage.get(thumbnail_key(key) if thumbnail else key)
    except ObjectNotFound:
        raise AssetsError.ITEM_NOT_FOUND.error() from None


# ---- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestForm:
    entry_id: int
    unit_id: int
    kind: RequestKind
    purpose: str
    place_id: int | None = None
    custodian_id: int | None = None
    return_due: date | None = None


async def _within(unit_id: int | None, unit_path: str) -> bool:
    """Whether `unit_id` is the unit at `unit_path` or one below it."""
    units = await people.units_by_id([unit_id]) if unit_id else {}
    return unit_id in units and units[unit_id].path.startswith(unit_path)


async def _check(form: RequestForm, on: date) -> None:
    """The form on its own: a purpose, a loan's return date, and where the item would go: a room
    the requesting unit (or one below it) holds, or a vacant one, and a custodian of the unit or
    one below it, so an approved item never lands in another unit's room or hands."""
    if not 2 <= len(form.purpose.strip()) <= 300:
        raise AssetsError.PURPOSE_REQUIRED.error()
    if form.kind is RequestKind.LOAN:
        if form.return_due is None or not on < form.return_due <= on + LONGEST_LOAN:
            raise AssetsError.RETURN_DUE_INVALID.error(days=LONGEST_LOAN.days)
    elif form.return_due is not None:
        raise AssetsError.RETURN_DUE_FOR_LOAN_ONLY.error()
    if form.place_id is not None:
        try:
            place = await places.active_place(form.place_id)
        except AppError as missing:
            raise AssetsError.REQUEST_PLACE_INVALID.error() from missing
        if place["kind"] != "room":
            raise AssetsError.REQUEST_PLACE_INVALID.error()
    if form.place_id is None and form.custodian_id is None:
        return
    unit = (await people.units_by_id([form.unit_id])).get(form.unit_id)
    unit_path = unit.path if unit else "/none/"
    if form.place_id is not None:
        holder = (await places.room_facts([form.place_id])).get(form.place_id, {}).get("unit_id")
        if holder is not None and not await _within(holder, unit_path):
            raise AssetsError.REQUEST_PLACE_NOT_UNITS.error()
    if form.custodian_id is not None:
        found = await people.people_summaries([form.custodian_id])
        if not found or not found[0].is_active:
            raise AssetsError.REQUEST_CUSTODIAN_INVALID.error()
        if not await _within(found[0].unit_id, unit_path):
            raise AssetsError.REQUEST_CUSTODIAN_NOT_UNITS.error()


async def request_item(person_id: int, client_ref: str, form: RequestForm, at: datetime) -> tuple[dict, bool]:
    """An asset officer asks, for a unit they act for, to keep or borrow an item. The item is
    held for the request in the same transaction that files it and starts its approval; if
    another request holds it, `assets.item_taken` and nothing is written. The same client_ref
    from the same person files once: a retry gets the first request back, and the client_ref
    reused for another item, unit or kind is refused (`assets.client_ref_reused`). Returns
    (request, created)."""
    await officers.require(person_id, form.unit_id)
    await _check(form, at.astimezone(BUSINESS_TZ).date())

    async def filed(conn: Any, _unlocked: None) -> tuple[dict, bool]:
        entry = await WarehouseEntry.get_or_none(id=form.entry_id, open_asset_id__isnull=False).using_db(conn)
        if entry is None:
            raise AssetsError.ITEM_NOT_FOUND.error()
        request = await WarehouseRequest.create(
            request_no=f"tmp-{secrets.token_hex(8)}",
            entry_id=entry.id,
            asset_id=entry.asset_id,
            unit_id=form.unit_id,
            requester_id=person_id,
            kind=form.kind,
            purpose=form.purpose.strip(),
            place_id=form.place_id,
            custodian_id=form.custodian_id,
            return_due=form.return_due,
            client_ref=client_ref,
            created_at=at,
            using_db=conn,
        )
        held = (
            await WarehouseEntry.filter(id=entry.id, open_asset_id__isnull=False, held_by_request_id__isnull=True)
            .using_db(conn)
            .update(held_by_request_id=request.id)
        )
        if not held:
            raise AssetsError.ITEM_TAKEN.error()
        request.request_no = f"GC{request.id:08d}"
        await request.save(using_db=conn, update_fields=["request_no"])
        asset = await Asset.get(id=entry.asset_id).using_db(conn)
        title = f"{form.kind.label} {asset.name}（{asset.asset_no}）"
        await approvals.start(
            conn, Subject(KIND, request.id, form.unit_id, person_id, title), frozenset({form.kind.value}), at
        )
        return await _view(conn, request.id), True

    async def replayed(existing: WarehouseRequest) -> tuple[dict, bool]:
        return await _view(None, existing.id), False

    def same(existing: WarehouseRequest) -> bool:
        nonlocal reused
        reused = existing.request_no
        return (existing.entry_id, existing.unit_id, existing.kind) == (form.entry_id, form.unit_id, form.kind)

    reused = ""
    return await idempotency.run_once(
        filed,
        find=lambda conn: WarehouseRequest.get_or_none(requester_id=person_id, client_ref=client_ref).using_db(conn),
        replay=replayed,
        matches=same,
        refusal=lambda: AssetsError.CLIENT_REF_REUSED.error(number=reused),
    )


async def _release(conn: Any, request: WarehouseRequest) -> None:
    await (
        WarehouseEntry.filter(id=request.entry_id, held_by_request_id=request.id)
        .using_db(conn)
        .update(held_by_request_id=None)
    )


async def decided(conn: Any, request_id: int, outcome: ApprovalOutcome, at: datetime) -> None:
    """The approval chain's end (called by backend.approvals in its transaction). Approved: the
    item goes to the requesting unit (room, custodian, 在用); an allocation closes its stay in the
    warehouse and counts its original value as saved, a loan keeps it open and held until it
    comes back. Refused: the hold is released and the item is back in the catalogue."""
    request = await WarehouseRequest.filter(id=request_id).using_db(conn).select_for_update().get()
    if request.state != RequestState.PENDING:
        return
    request.decided_at = at
    if outcome == ApprovalOutcome.REFUSED:
        request.state = RequestState.REFUSED
        await request.save(using_db=conn, update_fields=["state", "decided_at"])
        await _release(conn, request)
        await notices.tell_requester(conn, request.id, request.requester_id, at)
        return
    entry = await WarehouseEntry.filter(id=request.entry_id).using_db(conn).select_for_update().get()
    asset = await Asset.filter(id=request.asset_id).using_db(conn).select_for_update().get()
    # Only the item this request holds, still in the warehouse, goes out: anything else is
    # refused (the approver may refuse the request instead), never moved silently.
    if entry.held_by_request_id != request.id:
        raise AssetsError.ITEM_NOT_HELD.error(reason="已不由该申请占用")
    if entry.open_asset_id != asset.id:
        raise AssetsError.ITEM_NOT_HELD.error(reason="已出仓")
    if asset.status is not AssetStatus.IN_WAREHOUSE:
        raise AssetsError.ITEM_NOT_HELD.error(reason=f"资产{asset.status.label}")
    loan = request.kind is RequestKind.LOAN
    await moves.move(
        conn,
        asset,
        MoveReason.LOAN_OUT if loan else MoveReason.WAREHOUSE_OUT,
        f"审批通过（{request.request_no}）",
        at,
        unit_id=request.unit_id,
        place_id=request.place_id,
        custodian_id=request.custodian_id,
        status=AssetStatus.IN_USE,
        note=f"借用至 {request.return_due}" if loan else "调剂领用",
    )
    if not loan:
        entry.open_asset_id, entry.left_at = None, at
        await entry.save(using_db=conn, update_fields=["open_asset_id", "left_at"])
        # A unit taking back what it (or a unit above or below it) gave saves nothing.
        request.saved_fen = 0 if await _same_books(request.unit_id, entry.from_unit_id) else asset.original_value_fen
    request.state = RequestState.APPROVED
    await request.save(using_db=conn, update_fields=["state", "decided_at", "saved_fen"])
    await notices.tell_requester(conn, request.id, request.requester_id, at)


async def _same_books(unit_id: int, giver_id: int) -> bool:
    """Whether the receiving unit is the giver, or one of the two is above the other."""
    units = await people.units_by_id([unit_id, giver_id])
    if unit_id not in units or giver_id not in units:
        return unit_id == giver_id
    one, other = units[unit_id].path, units[giver_id].path
    return one.startswith(other) or other.startswith(one)


async def cancel(person_id: int, request_id: int, at: datetime) -> dict:
    """The requester withdraws a request still in approval: the approval is cancelled, so no
    approver can decide it afterwards, and the item is released."""
    async with in_transaction() as conn:
        request, withdrawn = await withdrawals.withdraw(
            conn,
            WarehouseRequest,
            RequestState,
            KIND,
            request_id,
            person_id,
            at,
            AssetsError.WAREHOUSE_REQUEST_NOT_FOUND,
            AssetsError.WAREHOUSE_REQUEST_STATE,
        )
        if withdrawn:
            await _release(conn, request)
        return await _view(conn, request.id)


async def return_loan(actor: Actor, request_id: int, condition: ItemCondition, at: datetime) -> dict:
    """A loan comes back (console): the asset returns to the warehouse's room, 在仓, under the
    giver's unit again, with the condition it came back in, and the item is back in the
    catalogue. Recording the same return again changes nothing."""
    async with in_transaction() as conn:
        request = await WarehouseRequest.filter(id=request_id).using_db(conn).select_for_update().first()
        if request is None:
            raise AssetsError.WAREHOUSE_REQUEST_NOT_FOUND.error()
        if request.state == RequestState.RETURNED:
            return await _view(conn, request.id)
        if request.kind is not RequestKind.LOAN or request.state != RequestState.APPROVED:
            raise AssetsError.WAREHOUSE_REQUEST_STATE.error(state=request.state.label, action="登记归还")
        entry = await WarehouseEntry.filter(id=request.entry_id).using_db(conn).select_for_update().get()
        warehouse = await Warehouse.get(id=entry.warehouse_id).using_db(conn)
        asset = await Asset.filter(id=request.asset_id).using_db(conn).select_for_update().get()
        if entry.held_by_request_id != request.id or entry.open_asset_id != asset.id:
            raise AssetsError.LOAN_NOT_OUT.error(reason="公物仓记录已不属于这次借用")
        if asset.status is not AssetStatus.IN_USE:
            raise AssetsError.LOAN_NOT_OUT.error(reason=f"资产{asset.status.label}")
        if asset.unit_id != request.unit_id:
            raise AssetsError.LOAN_NOT_OUT.error(reason="资产已不在借用单位名下")
        await moves.move(
            conn,
            asset,
            MoveReason.LOAN_RETURN,
            actor.name,
            at,
            unit_id=entry.from_unit_id,
            place_id=warehouse.place_id,
            custodian_id=None,
            status=AssetStatus.IN_WAREHOUSE,
            note=f"{request.request_no} 归还",
        )
        before = {"state_label": request.state.label, "condition": entry.condition.value}
        entry.condition, entry.held_by_request_id = condition, None
        await entry.save(using_db=conn, update_fields=["condition", "held_by_request_id"])
        request.state, request.returned_at = RequestState.RETURNED, at
        await request.save(using_db=conn, update_fields=["state", "returned_at"])
        await record(
            conn,
            actor,
            "assets.return_loan",
            "assets_warehouse_request",
            request.id,
            before,
            {"state_label": request.state.label, "condition": condition.value},
        )
        return await _view(conn, request.id)


# ---- views -------------------------------------------------------------------------------------


async def _views(conn: Any, requests: list[WarehouseRequest]) -> list[dict]:
    assets = {
        a["id"]: a
        for a in await Asset.filter(id__in={r.asset_id for r in requests})
        .using_db(conn)
        .values("id", "asset_no", "name", "spec")
    }
    units = await standards.unit_names({r.unit_id for r in requests})
    names = {p.id: p.name for p in await people.people_summaries({r.requester_id for r in requests})}
    custodians = {
        p.id: p.name for p in await people.people_summaries({r.custodian_id for r in requests if r.custodian_id})
    }
    rooms = await places.full_names({r.place_id for r in requests if r.place_id})
    of_requests = await approvals.of_subjects(KIND, [r.id for r in requests], conn)
    views = []
    for r in requests:
        approval = of_requests.get(r.id)
        views.append(
            {
                "id": r.id,
                "request_no": r.request_no,
                "entry_id": r.entry_id,
                "asset_no": assets[r.asset_id]["asset_no"] or "",
                "asset_name": assets[r.asset_id]["name"],
                "spec": assets[r.asset_id]["spec"],
                "unit": units.get(r.unit_id, ""),
                "requester": names.get(r.requester_id, ""),
                "kind": r.kind.value,
                "kind_label": r.kind.label,
                "purpose": r.purpose,
                "place": rooms.get(r.place_id, "") if r.place_id else "",
                "custodian": custodians.get(r.custodian_id, "") if r.custodian_id else "",
                "return_due": _iso(r.return_due),
                "state": r.state.value,
                "state_label": r.state.label,
                "saved_fen": r.saved_fen,
                "created_at": _iso(r.created_at),
                "decided_at": _iso(r.decided_at),
                "returned_at": _iso(r.returned_at),
                "approval": approval.json() if approval else None,
            }
        )
    return views


async def _view(conn: Any, request_id: int) -> dict:
    request = await WarehouseRequest.get(id=request_id).using_db(conn)
    return (await _views(conn, [request]))[0]


async def mine(person_id: int, page: int, page_size: int) -> dict:
    """A person's own requests, latest first."""
    found = await paginate(WarehouseRequest.filter(requester_id=person_id), page, page_size, order_by=("-id",))
    return {**found.as_dict(), "items": await _views(None, found.items)}


async def detail(person_id: int, request_id: int) -> dict:
    request = await WarehouseRequest.get_or_none(id=request_id, requester_id=person_id)
    if request is None:
        raise AssetsError.WAREHOUSE_REQUEST_NOT_FOUND.error()
    return await _view(None, request_id)


async def requests(page: int, page_size: int, state: RequestState | None = None) -> dict:
    """Every request (or those in `state`), for the console, latest first."""
    query = WarehouseRequest.all() if state is None else WarehouseRequest.filter(state=state)
    found = await paginate(query, page, page_size, order_by=("-id",))
    return {**found.as_dict(), "items": await _views(None, found.items)}


async def loans_out(on: date, overdue_only: bool = False) -> list[dict]:
    """Loans not yet returned, soonest due first, each marked overdue once its date has passed."""
    query = WarehouseRequest.filter(kind=RequestKind.LOAN, state=RequestState.APPROVED)
    if overdue_only:
        query = query.filter(return_due__lt=on)
    found = await query.order_by("return_due", "id")
    return [{**view, "overdue": date.fromisoformat(view["return_due"]) < on} for view in await _views(None, found)]


async def remind_loans(redis: aioredis.Redis, at: datetime, remind_days: int) -> int:
    """Queue a reminder to the borrower of every loan not yet returned that falls due in
    `remind_days` days, and of every one that fell due yesterday (overdue). Each loan is told
    once of each: a key per loan, kind and return date, set only if absent, lets a job run twice
    (a retry, a second worker) queue nothing twice; it is dropped again if queueing fails, so a
    failed run loses no reminder. Returns how many were queued."""
    on = at.astimezone(BUSINESS_TZ).date()
    which = {on + timedelta(days=remind_days): "due", on - timedelta(days=1): "overdue"}
    due = await WarehouseRequest.filter(
        kind=RequestKind.LOAN, state=RequestState.APPROVED, return_due__in=list(which)
    ).order_by("id")
    queued = 0
    for request in due:
        key = f"assets:loan_reminded:{request.id}:{which[request.return_due]}:{request.return_due}"
        if not await redis.set(key, "1", nx=True, ex=REMINDED_KEY_SECONDS):
            continue
        try:
            async with in_transaction() as conn:
                await notices.tell_requester(conn, request.id, request.requester_id, at)
        except BaseException:
            # Not queued: forget it was, so the next run reminds again rather than never.
            await redis.delete(key)
            raise
        queued += 1
    return queued


async def savings(since: date, until: date) -> dict:
    """The value reused through approved allocations decided between `since` and `until` (both
    days included): the total, how many items, and by receiving unit, largest first."""
    query = WarehouseRequest.filter(
        kind=RequestKind.ALLOCATE,
        state=RequestState.APPROVED,
        decided_at__gte=datetime.combine(since, datetime.min.time(), tzinfo=BUSINESS_TZ),
        decided_at__lt=datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=BUSINESS_TZ),
    )
    rows = (
        await query.annotate(saved=Sum("saved_fen"), items=Count("id"))
        .group_by("unit_id")
        .values("unit_id", "saved", "items")
    )
    units = await standards.unit_names(r["unit_id"] for r in rows)
    by_unit = sorted(
        (
            {
                "unit": units.get(r["unit_id"], ""),
                "saved_fen": int(r["saved"] or 0),
                "items": r["items"],
            }
            for r in rows
        ),
        key=lambda r: (-r["saved_fen"], r["unit"]),
    )
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "saved_fen": sum(r["saved_fen"] for r in by_unit),
        "items": sum(r["items"] for r in by_unit),
        "units": len(by_unit),
        "by_unit": by_unit,
    }


async def pending_count() -> int:
    """Requests waiting for their approval (the dashboard's card)."""
    return await WarehouseRequest.filter(state=RequestState.PENDING).count()


async def describe_requests(ids: list[int]) -> dict[int, str]:
    """How the audit log names a request: "GC00000012 调剂领用 会议桌"."""
    rows = await WarehouseRequest.filter(id__in=ids).values("id", "request_no", "kind", "asset__name")
    return {r["id"]: f"{r['request_no']} {RequestKind(r['kind']).label} {r['asset__name']}" for r in rows}
