"""Theme weeks (周一品一特色) as order cycles: a title, the region it presents with its story and
banner, when ordering opens and closes, the pickup days and place, and the SKUs sold in it
(featured or not, in order, a pre-sale batch with its own cut-off and pickup day).

Only one cycle takes orders at any moment: a cycle's ordering window may not overlap another's.
On PostgreSQL the check and the write run under a table lock that only cycle writers take
(orders and readers are not held up), so two staff saving overlapping weeks at once cannot both
pass. Next week is made by `clone_next`: every time and day moved by 7 days, the items copied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.core import images
from backend.core.audit import Actor, record
from backend.core.storage import Storage
from backend.core.timeutil import BUSINESS_TZ, now
from backend.shop.errors import ShopError
from backend.shop.models import Cycle, CycleItem, Product, Sku
from backend.shop.service.catalogue import delete_photo, read_photo

LONGEST_WINDOW = timedelta(days=31)
# Pickup days (of the cycle or of a pre-sale item) at most this long after ordering closes.
PICKUP_WITHIN_DAYS = 30
MOST_PICKUP_DAYS = 7
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class CycleDetails:
    title: str
    opens_at: datetime
    closes_at: datetime
    pickup_days: list[date]
    pickup_place: str
    region: str = ""
    story: str = ""


def _local_day(moment: datetime) -> date:
    return moment.astimezone(BUSINESS_TZ).date()


def cycle_view(cycle: Cycle) -> dict:
    return {
        "id": cycle.id,
        "title": cycle.title,
        "region": cycle.region,
        "story": cycle.story,
        "has_banner": cycle.banner_key is not None,
        "opens_at": cycle.opens_at.astimezone(BUSINESS_TZ).isoformat(),
        "closes_at": cycle.closes_at.astimezone(BUSINESS_TZ).isoformat(),
        "pickup_days": list(cycle.pickup_days),
        "pickup_place": cycle.pickup_place,
        "cloned_from_id": cycle.cloned_from_id,
    }


def status_label(cycle: Cycle, at: datetime) -> str:
    if at < cycle.opens_at:
        return "未开始"
    return "下单中" if at < cycle.closes_at else "已截单"


def _checked(details: CycleDetails) -> dict[str, Any]:
    """The cycle as stored: a window that closes after it opens and is at most a month long,
    one to seven pickup days, none before the opening day nor a month after closing."""
    if details.closes_at <= details.opens_at:
        raise ShopError.CYCLE_WINDOW_INVALID.error()
    if details.closes_at - details.opens_at > LONGEST_WINDOW:
        raise ShopError.CYCLE_TOO_LONG.error(days=LONGEST_WINDOW.days)
    days = sorted(set(details.pickup_days))
    if not 1 <= len(days) <= MOST_PICKUP_DAYS or days[0] < _local_day(details.opens_at):
        raise ShopError.PICKUP_DAYS_INVALID.error()
    latest = _local_day(details.closes_at) + timedelta(days=PICKUP_WITHIN_DAYS)
    if days[-1] > latest:
        raise ShopError.PICKUP_DAY_TOO_LATE.error(day=days[-1].isoformat(), days=PICKUP_WITHIN_DAYS)
    return {
        "title": details.title.strip(),
        "region": details.region.strip(),
        "story": details.story.strip(),
        "opens_at": details.opens_at,
        "closes_at": details.closes_at,
        "pickup_days": [d.isoformat() for d in days],
        "pickup_place": details.pickup_place.strip(),
    }


async def _serialise_writers(conn: Any) -> None:
    """Queue cycle writers behind each other on PostgreSQL (SQLite serialises writers anyway).
    SHARE ROW EXCLUSIVE conflicts with itself and with row writes on shop_cycle, not with plain
    reads nor with the key-share locks orders take on their cycle."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script("LOCK TABLE shop_cycle IN SHARE ROW EXCLUSIVE MODE")


async def _refuse_overlap(conn: Any, opens_at: datetime, closes_at: datetime, exclude_id: int | None = None) -> None:
    query = Cycle.filter(opens_at__lt=closes_at, closes_at__gt=opens_at).using_db(conn)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    other = await query.order_by("opens_at").first()
    if other is not None:
        raise ShopError.CYCLE_OVERLAP.error(title=other.title)


async def create_cycle(actor: Actor, details: CycleDetails) -> dict:
    """Set up a theme week; its ordering window must not overlap another week's."""
    values = _checked(details)
    async with in_transaction() as conn:
        await _serialise_writers(conn)
        await _refuse_overlap(conn, values["opens_at"], values["closes_at"])
        cycle = await Cycle.create(**values, using_db=conn)
        after = cycle_view(cycle)
        await record(conn, actor, "shop.create_cycle", "cycle", cycle.id, after=after)
    return after


async def _items_fit(conn: Any, cycle_id: int, values: dict[str, Any]) -> None:
    """Every item's pre-sale cut-off inside the new window and pickup day not before it opens."""
    opening_day = _local_day(values["opens_at"])
    for item in await CycleItem.filter(cycle_id=cycle_id).using_db(conn):
        cutoff_outside = item.presale_cutoff is not None and not (
            values["opens_at"] < item.presale_cutoff <= values["closes_at"]
        )
        if cutoff_outside or (item.pickup_day is not None and item.pickup_day < opening_day):
            raise ShopError.ITEM_OUTSIDE_CYCLE.error(name=await _sku_name(conn, item.sku_id))


async def update_cycle(actor: Actor, cycle_id: int, details: CycleDetails) -> dict:
    """Edit a theme week. Its items must still fit the new window; orders already placed keep
    their own pickup day and place."""
    values = _checked(details)
    async with in_transaction() as conn:
        await _serialise_writers(conn)
        cycle = await Cycle.filter(id=cycle_id).using_db(conn).select_for_update().first()
        if cycle is None:
            raise ShopError.CYCLE_NOT_FOUND.error()
        await _refuse_overlap(conn, values["opens_at"], values["closes_at"], exclude_id=cycle_id)
        await _items_fit(conn, cycle_id, values)
        before = cycle_view(cycle)
        for name, value in values.items():
            setattr(cycle, name, value)
        await cycle.save(using_db=conn, update_fields=list(values))
        after = cycle_view(cycle)
        await record(conn, actor, "shop.update_cycle", "cycle", cycle_id, before, after)
    return after


async def set_banner(actor: Actor, storage: Storage, cycle_id: int, data: bytes) -> dict:
    """The week's banner, made safe like every uploaded photo. The old file is removed unless a
    clone of this week (or the week it was cloned from) still shows it."""
    cycle = await Cycle.get_or_none(id=cycle_id)
    if cycle is None:
        raise ShopError.CYCLE_NOT_FOUND.error()
    processed = await images.process_photo(data)
    banner_key, _ = await images.store(storage, "shop/banners", processed, now())
    async with in_transaction() as conn:
        await Cycle.filter(id=cycle_id).using_db(conn).update(banner_key=banner_key)
        await record(
            conn,
            actor,
            "shop.set_cycle_banner",
            "cycle",
            cycle_id,
            {"banner_key": cycle.banner_key},
            {"banner_key": banner_key},
        )
    if cycle.banner_key and not await Cycle.filter(banner_key=cycle.banner_key).exists():
        await delete_photo(storage, cycle.banner_key)
    cycle.banner_key = banner_key
    return cycle_view(cycle)


async def banner(storage: Storage, cycle_id: int, thumbnail: bool) -> bytes:
    cycle = await Cycle.get_or_none(id=cycle_id)
    if cycle is None:
        raise ShopError.CYCLE_NOT_FOUND.error()
    return await read_photo(storage, cycle.banner_key, thumbnail)


async def get_cycle(cycle_id: int) -> Cycle:
    cycle = await Cycle.get_or_none(id=cycle_id)
    if cycle is None:
        raise ShopError.CYCLE_NOT_FOUND.error()
    return cycle


def cycles_query(filters: dict[str, str]) -> QuerySet[Cycle]:
    """Cycles by a word of the title or region (`q`)."""
    query = Cycle.all()
    if words := (filters.get("q") or "").strip():
        query = query.filter(Q(title__icontains=words) | Q(region__icontains=words))
    return query


async def current(at: datetime) -> Cycle | None:
    """The cycle taking orders at `at`, if any."""
    return await Cycle.filter(opens_at__lte=at, closes_at__gt=at).order_by("opens_at").first()


async def upcoming(at: datetime, limit: int = 5) -> list[Cycle]:
    """The cycles that open after `at`, soonest first."""
    return await Cycle.filter(opens_at__gt=at).order_by("opens_at").limit(limit)


# ---- items -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemDetails:
    featured: bool = False
    position: int = 0
    presale_cutoff: datetime | None = None
    pickup_day: date | None = None


async def _sku_name(conn: Any, sku_id: int) -> str:
    sku = await Sku.get(id=sku_id).using_db(conn)
    product = await Product.get(id=sku.product_id).using_db(conn)
    return f"{product.name} {sku.spec}"


def _check_item(cycle: Cycle, details: ItemDetails) -> None:
    """A pre-sale cut-off inside the ordering window and with its pickup day; a pickup day on or
    after the day ordering (or the pre-sale) closes for it, and within a month of closing."""
    cutoff = details.presale_cutoff
    if cutoff is not None:
        if not cycle.opens_at < cutoff <= cycle.closes_at:
            raise ShopError.PRESALE_CUTOFF_INVALID.error()
        if details.pickup_day is None:
            raise ShopError.PRESALE_NEEDS_PICKUP_DAY.error()
    if details.pickup_day is not None:
        earliest = _local_day(cutoff or cycle.opens_at)
        if details.pickup_day < earliest:
            raise ShopError.ITEM_PICKUP_DAY_INVALID.error()
        latest = _local_day(cycle.closes_at) + timedelta(days=PICKUP_WITHIN_DAYS)
        if details.pickup_day > latest:
            raise ShopError.PICKUP_DAY_TOO_LATE.error(day=details.pickup_day.isoformat(), days=PICKUP_WITHIN_DAYS)


def item_values(details: ItemDetails) -> dict[str, Any]:
    return {
        "featured": details.featured,
        "position": details.position,
        "presale_cutoff": details.presale_cutoff,
        "pickup_day": details.pickup_day,
    }


def _item_audit(item: CycleItem, name: str) -> dict:
    return {
        "sku_id": item.sku_id,
        "name": name,
        "featured": item.featured,
        "position": item.position,
        "presale_cutoff": item.presale_cutoff.astimezone(BUSINESS_TZ).isoformat() if item.presale_cutoff else None,
        "pickup_day": item.pickup_day.isoformat() if item.pickup_day else None,
    }


async def add_item(actor: Actor, cycle_id: int, sku_id: int, details: ItemDetails) -> dict:
    """Sell a SKU in the week (once per week)."""
    async with in_transaction() as conn:
        cycle = await Cycle.get_or_none(id=cycle_id).using_db(conn)
        if cycle is None:
            raise ShopError.CYCLE_NOT_FOUND.error()
        if not await Sku.exists(id=sku_id):
            raise ShopError.SKU_NOT_FOUND.error()
        _check_item(cycle, details)
        name = await _sku_name(conn, sku_id)
        if await CycleItem.filter(cycle_id=cycle_id, sku_id=sku_id).using_db(conn).exists():
            raise ShopError.ITEM_EXISTS.error(name=name)
        try:
            item = await CycleItem.create(cycle_id=cycle_id, sku_id=sku_id, **item_values(details), using_db=conn)
        except IntegrityError:  # the same SKU added at the same moment
            raise ShopError.ITEM_EXISTS.error(name=name) from None
        after = _item_audit(item, name)
        await record(conn, actor, "shop.add_cycle_item", "cycle", cycle_id, after=after)
    return {"id": item.id, **after}


async def _item(conn: Any, cycle_id: int, item_id: int) -> tuple[Cycle, CycleItem]:
    cycle = await Cycle.get_or_none(id=cycle_id).using_db(conn)
    if cycle is None:
        raise ShopError.CYCLE_NOT_FOUND.error()
    item = await CycleItem.filter(id=item_id, cycle_id=cycle_id).using_db(conn).select_for_update().first()
    if item is None:
        raise ShopError.ITEM_NOT_FOUND.error()
    return cycle, item


async def update_item(actor: Actor, cycle_id: int, item_id: int, details: ItemDetails) -> dict:
    """Feature an item or not, move it, change its pre-sale cut-off or pickup day."""
    async with in_transaction() as conn:
        cycle, item = await _item(conn, cycle_id, item_id)
        _check_item(cycle, details)
        name = await _sku_name(conn, item.sku_id)
        before = _item_audit(item, name)
        for field, value in item_values(details).items():
            setattr(item, field, value)
        await item.save(using_db=conn, update_fields=list(item_values(details)))
        after = _item_audit(item, name)
        await record(conn, actor, "shop.update_cycle_item", "cycle", cycle_id, before, after)
    return {"id": item.id, **after}


async def remove_item(actor: Actor, cycle_id: int, item_id: int) -> None:
    """Stop selling a SKU in the week; orders already placed for it stand."""
    async with in_transaction() as conn:
        _, item = await _item(conn, cycle_id, item_id)
        before = _item_audit(item, await _sku_name(conn, item.sku_id))
        await CycleItem.filter(id=item_id).using_db(conn).delete()
        await record(conn, actor, "shop.remove_cycle_item", "cycle", cycle_id, before=before)


async def items_of(cycle_id: int) -> list[dict]:
    """The week's items with their product and SKU, featured first, then by position."""
    items = (
        await CycleItem.filter(cycle_id=cycle_id)
        .select_related("sku", "sku__product")
        .order_by("-featured", "position", "id")
    )
    return [
        {
            "id": item.id,
            "sku_id": item.sku_id,
            "product_id": item.sku.product_id,
            "product_name": item.sku.product.name,
            "spec": item.sku.spec,
            "price_fen": item.sku.price_fen,
            "stock": item.sku.stock,
            "on_shelf": item.sku.on_shelf and item.sku.product.is_active,
            "featured": item.featured,
            "position": item.position,
            "presale_cutoff": item.presale_cutoff.astimezone(BUSINESS_TZ).isoformat() if item.presale_cutoff else None,
            "pickup_day": item.pickup_day.isoformat() if item.pickup_day else None,
        }
        for item in items
    ]


async def sku_choices(taken: set[int]) -> list[tuple[str, str]]:
    """(id, name) of the SKUs that can join a week: on the shelf, of a product on sale, not in it
    already (`taken`)."""
    skus = await Sku.filter(on_shelf=True, product__is_active=True).select_related("product")
    shown = sorted((s for s in skus if s.id not in taken), key=lambda s: (s.product.name, s.spec))
    return [(str(s.id), f"{s.product.name} · {s.spec}（库存 {s.stock}）") for s in shown]


# ---- next week ---------------------------------------------------------------------------------


async def clone_next(actor: Actor, cycle_id: int) -> dict:
    """Next week's cycle made from this one: the same title, region, story, banner and place,
    every time and day 7 days later, the same items (featured, order, pre-sale moved too).
    Refused when next week's window is taken already."""
    async with in_transaction() as conn:
        await _serialise_writers(conn)
        source = await Cycle.get_or_none(id=cycle_id).using_db(conn)
        if source is None:
            raise ShopError.CYCLE_NOT_FOUND.error()
        opens_at, closes_at = source.opens_at + WEEK, source.closes_at + WEEK
        await _refuse_overlap(conn, opens_at, closes_at)
        cycle = await Cycle.create(
            title=source.title,
            region=source.region,
            story=source.story,
            banner_key=source.banner_key,
            opens_at=opens_at,
            closes_at=closes_at,
            pickup_days=[(date.fromisoformat(d) + WEEK).isoformat() for d in source.pickup_days],
            pickup_place=source.pickup_place,
            cloned_from_id=source.id,
            using_db=conn,
        )
        items = await CycleItem.filter(cycle_id=source.id).using_db(conn).order_by("id")
        await CycleItem.bulk_create([_next_week_item(item, cycle.id) for item in items], using_db=conn)
        after = {**cycle_view(cycle), "items": len(items)}
        await record(conn, actor, "shop.clone_cycle", "cycle", cycle.id, {"cloned_from_id": source.id}, after)
    return cycle_view(cycle)


def _next_week_item(item: CycleItem, cycle_id: int) -> CycleItem:
    """An item of the cloned week: the same SKU and place, its dates a week later."""
    return CycleItem(
        cycle_id=cycle_id,
        sku_id=item.sku_id,
        featured=item.featured,
        position=item.position,
        presale_cutoff=item.presale_cutoff + WEEK if item.presale_cutoff else None,
        pickup_day=item.pickup_day + WEEK if item.pickup_day else None,
    )
