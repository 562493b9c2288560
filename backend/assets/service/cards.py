"""Asset cards (资产卡片): registering a card, editing it, the card with its depreciation, history
and repairs, and the list with its filters, search and Excel export.

A card's number is made from the id the database's sequence gives the row, in the transaction
that saves it, so two people saving cards at once never share a number. After registration a
card's unit, room, custodian and status change only through `moves.move` (the card's history);
an asset being disposed of, disposed of or in the 公物仓 is moved only by those flows, never by
editing the card. Unit-reaching permissions are enforced by `scope` on the card's unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.assets.models import Asset, AssetCategory, AssetMove, AssetStatus, MoveReason
from backend.assets.service import categories, depreciation, moves
from backend.assets.service.asset_repairs import repairs_of
from backend.assets.service.qr import ASSET_NO, asset_number
from backend.assets.service.reports import unit_labels
from backend.core.audit import Actor, record
from backend.core.errors import AppError
from backend.core.money import yuan
from backend.core.pagination import Page, paginate
from backend.core.permissions import Scope
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import now, today
from backend.places import service as places

MOST_VALUE_FEN = 10_000_000_000_00  # 100 亿元: a typo, not an asset
MOST_LIFE_MONTHS = categories.MOST_LIFE_MONTHS
EARLIEST_PURCHASE = date(1950, 1, 1)
# Statuses a card's own form may set; the others belong to the 公物仓 and disposal flows.
EDITABLE_STATUSES = (AssetStatus.IN_USE, AssetStatus.IDLE, AssetStatus.REPAIRING)
# Statuses in which only those flows move an asset.
LOCKED_STATUSES = (AssetStatus.PENDING_DISPOSAL, AssetStatus.DISPOSED, AssetStatus.IN_WAREHOUSE)


@dataclass(frozen=True)
class CardDetails:
    """What the card form sets. `useful_life_months` None takes the class's default life."""

    name: str
    category_id: int
    unit_id: int
    original_value_fen: int
    purchase_date: date
    spec: str = ""
    place_id: int | None = None
    custodian_id: int | None = None
    useful_life_months: int | None = None
    status: AssetStatus = AssetStatus.IN_USE
    note: str = ""


@dataclass(frozen=True)
class CardFilters:
    """The list's filters: a unit, class or place means it and everything below it; `query`
    matches the asset number exactly or the name or spec in part."""

    unit_id: int | None = None
    category_id: int | None = None
    status: AssetStatus | None = None
    place_id: int | None = None
    custodian_id: int | None = None
    bought_from: date | None = None
    bought_until: date | None = None
    query: str = ""


def check_value(value_fen: int, note: str) -> None:
    """A purchase has a value above 0; a card of value 0 (received as a gift, found in a
    stock-take) must say so in its note."""
    if not 0 <= value_fen <= MOST_VALUE_FEN or (value_fen == 0 and not note.strip()):
        raise AssetsError.VALUE_INVALID.error()


def check_purchase_date(day: date) -> None:
    if not EARLIEST_PURCHASE <= day <= today():
        raise AssetsError.PURCHASE_DATE_INVALID.error()


def check_life(months: int) -> None:
    if not 0 <= months <= MOST_LIFE_MONTHS:
        raise AssetsError.LIFE_INVALID.error()


def _texts(details: CardDetails) -> tuple[str, str, str]:
    name, spec, note = details.name.strip(), details.spec.strip(), details.note.strip()
    if not 1 <= len(name) <= 100 or len(spec) > 100:
        raise AssetsError.ASSET_NAME_INVALID.error()
    if len(note) > 500:
        raise AssetsError.ASSET_NAME_INVALID.error()
    return name, spec, note


async def _unit_in_scope(scope: Scope, unit_id: int) -> people.UnitSummary:
    unit = (await people.units_by_id([unit_id])).get(unit_id)
    if unit is None or not unit.is_enabled or not scope.reaches_unit(unit.path):
        raise AssetsError.UNIT_INVALID.error()
    return unit


async def _room(place_id: int | None, conn: Any) -> None:
    if place_id is None:
        return
    try:
        place = await places.active_place(place_id, conn)
    except AppError:
        raise AssetsError.PLACE_NOT_ROOM.error() from None
    if place["kind"] != "room":
        raise AssetsError.PLACE_NOT_ROOM.error()


async def _custodian(custodian_id: int | None) -> None:
    if custodian_id is None:
        return
    found = await people.people_summaries([custodian_id])
    if not found or not found[0].is_active:
        raise AssetsError.CUSTODIAN_INVALID.error()


def _facts(asset: Asset) -> dict:
    """The card's own fields as the audit log keeps them."""
    return {
        "asset_no": asset.asset_no,
        "name": asset.name,
        "spec": asset.spec,
        "category_id": asset.category_id,
        "unit_id": asset.unit_id,
        "place_id": asset.place_id,
        "custodian_id": asset.custodian_id,
        "original_value_fen": asset.original_value_fen,
        "purchase_date": asset.purchase_date.isoformat(),
        "useful_life_months": asset.useful_life_months,
        "status": asset.status.value,
        "status_label": asset.status.label,
        "note": asset.note,
    }


async def register(actor: Actor, scope: Scope, details: CardDetails) -> dict:
    """Save a new card in a unit the scope reaches; it gets its number from its id in the same
    transaction, and its history starts with the registration."""
    name, spec, note = _texts(details)
    check_value(details.original_value_fen, note)
    check_purchase_date(details.purchase_date)
    if details.status not in EDITABLE_STATUSES:
        raise AssetsError.STATUS_NOT_EDITABLE.error()
    await _unit_in_scope(scope, details.unit_id)
    await _custodian(details.custodian_id)
    async with in_transaction() as conn:
        category = await categories.active_category(details.category_id, conn)
        life = category.useful_life_months if details.useful_life_months is None else details.useful_life_months
        check_life(life)
        await _room(details.place_id, conn)
        asset = await Asset.create(
            category_id=category.id,
            name=name,
            spec=spec,
            unit_id=details.unit_id,
            place_id=details.place_id,
            custodian_id=details.custodian_id,
            original_value_fen=details.original_value_fen,
            purchase_date=details.purchase_date,
            useful_life_months=life,
            status=details.status,
            note=note,
            using_db=conn,
        )
        asset.asset_no = asset_number(asset.id)
        await asset.save(using_db=conn, update_fields=["asset_no"])
        await AssetMove.create(
            asset_id=asset.id,
            reason=MoveReason.REGISTERED,
            to_unit_id=asset.unit_id,
            to_place_id=asset.place_id,
            to_custodian_id=asset.custodian_id,
            to_status=asset.status.value,
            actor=actor.name,
            at=now(),
            using_db=conn,
        )
        after = _facts(asset)
        await record(conn, actor, "assets.register_asset", "asset", asset.id, after=after)
    return {"id": asset.id, **after}


async def update(actor: Actor, scope: Scope, asset_id: int, details: CardDetails) -> dict:
    """Correct a card the scope reaches (into a unit it reaches). Its unit, room, custodian and
    status change through `moves.move`, refused while the asset is being disposed of, disposed
    of or in the 公物仓 (assets.asset_locked); the rest is corrected in place."""
    name, spec, note = _texts(details)
    check_value(details.original_value_fen, note)
    check_purchase_date(details.purchase_date)
    life = details.useful_life_months
    async with in_transaction() as conn:
        asset = await Asset.filter(id=asset_id).using_db(conn).select_for_update().first()
        if asset is None:
            raise AssetsError.ASSET_NOT_FOUND.error()
        await _unit_in_scope(scope, asset.unit_id)
        where = (asset.unit_id, asset.place_id, asset.custodian_id, asset.status)
        wanted = (details.unit_id, details.place_id, details.custodian_id, details.status)
        if where != wanted:
            if asset.status in LOCKED_STATUSES:
                raise AssetsError.ASSET_LOCKED.error(status=asset.status.label)
            await moves.refuse_if_on_loan(conn, asset)
            if details.status not in EDITABLE_STATUSES:
                raise AssetsError.STATUS_NOT_EDITABLE.error()
            if details.unit_id != asset.unit_id:
                await _unit_in_scope(scope, details.unit_id)
            if details.place_id != asset.place_id:
                await _room(details.place_id, conn)
            if details.custodian_id != asset.custodian_id:
                await _custodian(details.custodian_id)
        if life is None:
            life = asset.useful_life_months
        if asset.status in LOCKED_STATUSES:
            # The 公物仓's savings and the disposal's book value are the card's value as it
            # stands: while those flows hold the asset, only its description may be corrected.
            book = (asset.original_value_fen, asset.purchase_date, asset.useful_life_months, asset.category_id)
            if book != (details.original_value_fen, details.purchase_date, life, details.category_id):
                raise AssetsError.ASSET_VALUE_LOCKED.error(status=asset.status.label)
        if details.category_id != asset.category_id:
            await categories.active_category(details.category_id, conn)
        check_life(life)
        before = _facts(asset)
        asset.name, asset.spec, asset.note, asset.category_id = name, spec, note, details.category_id
        asset.original_value_fen, asset.purchase_date = details.original_value_fen, details.purchase_date
        asset.useful_life_months = life
        await asset.save(
            using_db=conn,
            update_fields=[
                "name",
                "spec",
                "note",
                "category_id",
                "original_value_fen",
                "purchase_date",
                "useful_life_months",
                "updated_at",
            ],
        )
        await moves.move(
            conn,
            asset,
            MoveReason.EDITED,
            actor.name,
            now(),
            unit_id=details.unit_id,
            place_id=details.place_id,
            custodian_id=details.custodian_id,
            status=details.status,
        )
        after = _facts(asset)
        await record(conn, actor, "assets.update_asset", "asset", asset.id, before, after)
    return {"id": asset.id, **after}


async def _names(assets: list[Asset]) -> tuple[dict, dict, dict, dict]:
    """Units, classes, places and custodians named on these cards, by id."""
    units = await unit_labels({a.unit_id for a in assets})
    classes = dict(await AssetCategory.filter(id__in={a.category_id for a in assets}).values_list("id", "name"))
    rooms = await places.full_names({a.place_id for a in assets if a.place_id})
    persons = {p.id: p for p in await people.people_summaries({a.custodian_id for a in assets if a.custodian_id})}
    return units, classes, rooms, persons


def _row(asset: Asset, units: dict, classes: dict, rooms: dict, persons: dict, on: date) -> dict:
    worn = depreciation.of(asset.original_value_fen, asset.useful_life_months, asset.purchase_date, on)
    custodian = persons.get(asset.custodian_id)
    return {
        "id": asset.id,
        "asset_no": asset.asset_no,
        "name": asset.name,
        "spec": asset.spec,
        "category_id": asset.category_id,
        "category_name": classes.get(asset.category_id, ""),
        "unit_id": asset.unit_id,
        "unit_name": units.get(asset.unit_id, ""),
        "place_id": asset.place_id,
        "place_name": rooms.get(asset.place_id, "") if asset.place_id else "",
        "custodian_id": asset.custodian_id,
        "custodian_name": custodian.name if custodian else "",
        "original_value_fen": asset.original_value_fen,
        "net_value_fen": worn.net_fen,
        "purchase_date": asset.purchase_date,
        "useful_life_months": asset.useful_life_months,
        "status": asset.status.value,
        "status_label": asset.status.label,
        "note": asset.note,
    }


async def card(scope: Scope, asset_id: int) -> dict:
    """The card of an asset the scope reaches: its fields, depreciation to this month, its
    history (names of units, rooms and custodians as they are now) and its repairs."""
    asset = await Asset.get_or_none(id=asset_id)
    if asset is None:
        raise AssetsError.ASSET_NOT_FOUND.error()
    unit = (await people.units_by_id([asset.unit_id]))[asset.unit_id]
    if not scope.reaches_unit(unit.path):
        raise AssetsError.ASSET_NOT_FOUND.error()
    on = today()
    view = _row(asset, *await _names([asset]), on)
    worn = depreciation.of(asset.original_value_fen, asset.useful_life_months, asset.purchase_date, on)
    history = await AssetMove.filter(asset_id=asset.id).order_by("at", "id")
    unit_ids = {i for m in history for i in (m.from_unit_id, m.to_unit_id) if i}
    place_ids = {i for m in history for i in (m.from_place_id, m.to_place_id) if i}
    person_ids = {i for m in history for i in (m.from_custodian_id, m.to_custodian_id) if i}
    unit_names = await unit_labels(unit_ids)
    place_names = await places.full_names(place_ids)
    person_names = {p.id: p.name for p in await people.people_summaries(person_ids)}
    statuses = {s.value: s.label for s in AssetStatus}
    view["depreciation"] = {
        "months": worn.months,
        "accumulated_fen": worn.accumulated_fen,
        "net_fen": worn.net_fen,
        "monthly_fen": worn.monthly_fen,
    }
    view["moves"] = [
        {
            "at": m.at,
            "reason": m.reason.value,
            "reason_label": m.reason.label,
            "from_unit": unit_names.get(m.from_unit_id, ""),
            "to_unit": unit_names.get(m.to_unit_id, ""),
            "from_place": place_names.get(m.from_place_id, ""),
            "to_place": place_names.get(m.to_place_id, ""),
            "from_custodian": person_names.get(m.from_custodian_id, ""),
            "to_custodian": person_names.get(m.to_custodian_id, ""),
            "from_status": statuses.get(m.from_status, ""),
            "to_status": statuses.get(m.to_status, ""),
            "actor": m.actor,
            "note": m.note,
        }
        for m in history
    ]
    view["repairs"] = await repairs_of(asset.id)
    return view


async def cards_query(scope: Scope, filters: CardFilters) -> QuerySet:
    """The cards the scope reaches that pass `filters` (the labels page selects with it too)."""
    query = Asset.all()
    unit_ids = await people.units_within(scope)
    if filters.unit_id is not None:
        unit = (await people.units_by_id([filters.unit_id])).get(filters.unit_id)
        below = await people.units_within(Scope.units([unit.path])) if unit else []
        unit_ids = below if unit_ids is None else sorted(set(unit_ids) & set(below or []))
    if unit_ids is not None:
        query = query.filter(unit_id__in=unit_ids)
    if filters.category_id is not None:
        query = query.filter(category_id__in=await categories.ids_within(filters.category_id))
    if filters.status is not None:
        query = query.filter(status=filters.status)
    if filters.place_id is not None:
        query = query.filter(place_id__in=await places.ids_within(filters.place_id))
    if filters.custodian_id is not None:
        query = query.filter(custodian_id=filters.custodian_id)
    if filters.bought_from is not None:
        query = query.filter(purchase_date__gte=filters.bought_from)
    if filters.bought_until is not None:
        query = query.filter(purchase_date__lte=filters.bought_until)
    text = filters.query.strip()[:100]
    if text:
        if text.upper() == text.lower():
            # Nothing to fold (Chinese, digits): a plain LIKE. Most Chinese words are two
            # characters, too short for the trigram index, and a scan without UPPER() on every
            # row takes half the time.
            match = Q(name__contains=text) | Q(spec__contains=text)
        else:
            match = Q(name__icontains=text) | Q(spec__icontains=text)
        if ASSET_NO.fullmatch(text.upper()):
            match |= Q(asset_no=text.upper())
        query = query.filter(match)
    return query


async def list_cards(scope: Scope, filters: CardFilters, page: int = 1, page_size: int = 20) -> Page:
    """A page of the cards the scope reaches that pass `filters`, newest first."""
    query = await cards_query(scope, filters)
    found = await paginate(query, page, page_size, order_by=("-id",))
    names = await _names(found.items)
    on = today()
    return Page([_row(a, *names, on) for a in found.items], found.total, page, page_size)


EXPORT_HEADER = (
    "资产编号",
    "资产名称",
    "分类",
    "规格型号",
    "使用单位",
    "存放地点",
    "使用人",
    "原值（元）",
    "净值（元）",
    "购置日期",
    "使用年限（月）",
    "状态",
    "备注",
)
_EXPORT_BATCH = 5000


async def export(scope: Scope, filters: CardFilters) -> bytes:
    """The cards the scope reaches that pass `filters`, as an .xlsx workbook, by number."""
    query = await cards_query(scope, filters)
    rows: list[list[Any]] = []
    on, last_id = today(), 0
    while True:
        batch = await query.filter(id__gt=last_id).order_by("id").limit(_EXPORT_BATCH)
        if not batch:
            break
        names = await _names(batch)
        for asset in batch:
            row = _row(asset, *names, on)
            rows.append(
                [
                    row["asset_no"],
                    row["name"],
                    row["category_name"],
                    row["spec"],
                    row["unit_name"],
                    row["place_name"],
                    row["custodian_name"],
                    yuan(row["original_value_fen"]),
                    yuan(row["net_value_fen"]),
                    row["purchase_date"].isoformat(),
                    row["useful_life_months"],
                    row["status_label"],
                    row["note"],
                ]
            )
        last_id = batch[-1].id
    return await table_workbook("资产卡片", EXPORT_HEADER, rows)
