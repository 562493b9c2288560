"""The shop's catalogue: suppliers (供货方, the farms and cooperatives, their contact's phone kept
encrypted and shown masked), products with their origin, category and photo, the SKUs they are
sold by (规格: spec, price, per-person limit, on or off the shelf) and their stock.

Stock moves only by one guarded statement on the SKU plus its StockMove row in the same
transaction: a stock-in (入库) adds, an adjustment after a count (盘点调整) adds or takes away but
never below zero (`stock + delta >= 0` is the statement's own condition, not a read before it).
Every write is audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.core import images
from backend.core.audit import Actor, record
from backend.core.crypto import FieldCipher, mask_phone
from backend.core.storage import ObjectNotFound, Storage
from backend.core.timeutil import now
from backend.shop.errors import ShopError
from backend.shop.models import Category, OriginKind, Product, Sku, StockMove, StockReason, Supplier

PHONE_CONTEXT = "shop.supplier.phone"
# A mobile (11 digits from 1) or a landline with its area code (0571-88886666, 057188886666).
PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")
MOST_PRICE_FEN = 100_000_00  # 100,000 yuan: above any box of produce
MOST_LIMIT = 999
MOST_QUANTITY = 100_000  # one stock-in or adjustment


# ---- suppliers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplierDetails:
    """What the supplier form sets. `phone` None keeps the one on file (the form shows it masked,
    so it cannot be sent back), "" removes it."""

    name: str
    region: str
    origin_kind: OriginKind
    contact_name: str = ""
    phone: str | None = None
    note: str = ""


def supplier_view(supplier: Supplier, cipher: FieldCipher) -> dict:
    phone = cipher.decrypt(supplier.phone_encrypted, context=PHONE_CONTEXT) if supplier.phone_encrypted else None
    return {
        "id": supplier.id,
        "name": supplier.name,
        "region": supplier.region,
        "origin_kind": supplier.origin_kind.value,
        "origin_kind_label": supplier.origin_kind.label,
        "contact_name": supplier.contact_name,
        "phone": mask_phone(phone),
        "note": supplier.note,
        "is_active": supplier.is_active,
    }


def _supplier_values(cipher: FieldCipher, details: SupplierDetails) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": details.name.strip(),
        "region": details.region.strip(),
        "origin_kind": OriginKind(details.origin_kind),
        "contact_name": details.contact_name.strip(),
        "note": details.note.strip(),
    }
    if details.phone is not None:
        phone = details.phone.replace(" ", "").strip()
        if phone and not PHONE.match(phone):
            raise ShopError.PHONE_INVALID.error()
        values["phone_encrypted"] = cipher.encrypt(phone, context=PHONE_CONTEXT) if phone else ""
    return values


async def create_supplier(actor: Actor, cipher: FieldCipher, details: SupplierDetails) -> dict:
    """Register a supplier; a name already registered is refused."""
    values = _supplier_values(cipher, details)
    async with in_transaction() as conn:
        if await Supplier.filter(name=values["name"]).using_db(conn).exists():
            raise ShopError.SUPPLIER_NAME_TAKEN.error(name=values["name"])
        try:
            supplier = await Supplier.create(**values, using_db=conn)
        except IntegrityError:  # the same name registered at the same moment
            raise ShopError.SUPPLIER_NAME_TAKEN.error(name=values["name"]) from None
        after = supplier_view(supplier, cipher)
        await record(conn, actor, "shop.create_supplier", "supplier", supplier.id, after=after)
    return after


async def update_supplier(
    actor: Actor, cipher: FieldCipher, supplier_id: int, details: SupplierDetails, is_active: bool = True
) -> dict:
    """Change a supplier's details, or stop (停用) and restart it. A stopped supplier keeps its
    products and their sales; no new product can be registered for it."""
    values = _supplier_values(cipher, details)
    async with in_transaction() as conn:
        supplier = await Supplier.filter(id=supplier_id).using_db(conn).select_for_update().first()
        if supplier is None:
            raise ShopError.SUPPLIER_NOT_FOUND.error()
        if await Supplier.filter(name=values["name"]).exclude(id=supplier_id).using_db(conn).exists():
            raise ShopError.SUPPLIER_NAME_TAKEN.error(name=values["name"])
        before = supplier_view(supplier, cipher)
        for name, value in {**values, "is_active": is_active}.items():
            setattr(supplier, name, value)
        await supplier.save(using_db=conn, update_fields=[*values, "is_active"])
        after = supplier_view(supplier, cipher)
        await record(conn, actor, "shop.update_supplier", "supplier", supplier_id, before, after)
    return after


async def list_suppliers(cipher: FieldCipher, *, active_only: bool = False) -> list[dict]:
    """Suppliers, active ones first, then by name."""
    query = Supplier.filter(is_active=True) if active_only else Supplier.all()
    return [supplier_view(s, cipher) for s in await query.order_by("-is_active", "name")]


async def get_supplier(cipher: FieldCipher, supplier_id: int) -> dict:
    supplier = await Supplier.get_or_none(id=supplier_id)
    if supplier is None:
        raise ShopError.SUPPLIER_NOT_FOUND.error()
    return supplier_view(supplier, cipher)


# ---- products ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductDetails:
    name: str
    supplier_id: int
    category: Category
    origin: str
    origin_kind: OriginKind
    description: str = ""


def product_view(product: Product, supplier_name: str = "") -> dict:
    return {
        "id": product.id,
        "name": product.name,
        "supplier_id": product.supplier_id,
        "supplier_name": supplier_name,
        "category": product.category.value,
        "category_label": product.category.label,
        "origin": product.origin,
        "origin_kind": product.origin_kind.value,
        "origin_kind_label": product.origin_kind.label,
        "description": product.description,
        "has_photo": product.photo_key is not None,
        "is_active": product.is_active,
    }


async def _product_values(conn: Any, details: ProductDetails, keep_supplier: int | None = None) -> dict[str, Any]:
    """The product as stored; its supplier must exist and be active, unless it is the one the
    product already has (a stopped supplier's products can still be corrected)."""
    supplier = await Supplier.get_or_none(id=details.supplier_id).using_db(conn)
    if supplier is None:
        raise ShopError.SUPPLIER_NOT_FOUND.error()
    if not supplier.is_active and supplier.id != keep_supplier:
        raise ShopError.SUPPLIER_INACTIVE.error(name=supplier.name)
    return {
        "name": details.name.strip(),
        "supplier_id": supplier.id,
        "category": Category(details.category),
        "origin": details.origin.strip(),
        "origin_kind": OriginKind(details.origin_kind),
        "description": details.description.strip(),
    }


async def _supplier_name(conn: Any, supplier_id: int) -> str:
    return (await Supplier.get(id=supplier_id).using_db(conn)).name


async def create_product(actor: Actor, details: ProductDetails) -> dict:
    """Register a product of an active supplier; it is sold by the SKUs added to it."""
    async with in_transaction() as conn:
        values = await _product_values(conn, details)
        product = await Product.create(**values, using_db=conn)
        after = product_view(product, await _supplier_name(conn, product.supplier_id))
        await record(conn, actor, "shop.create_product", "product", product.id, after=after)
    return after


async def update_product(actor: Actor, product_id: int, details: ProductDetails, is_active: bool = True) -> dict:
    """Change a product, or take it off sale (下架) as a whole and back."""
    async with in_transaction() as conn:
        product = await Product.filter(id=product_id).using_db(conn).select_for_update().first()
        if product is None:
            raise ShopError.PRODUCT_NOT_FOUND.error()
        values = await _product_values(conn, details, keep_supplier=product.supplier_id)
        before = product_view(product, await _supplier_name(conn, product.supplier_id))
        for name, value in {**values, "is_active": is_active}.items():
            setattr(product, name, value)
        await product.save(using_db=conn, update_fields=[*values, "is_active"])
        after = product_view(product, await _supplier_name(conn, product.supplier_id))
        await record(conn, actor, "shop.update_product", "product", product_id, before, after)
    return after


def thumbnail_key(photo_key: str) -> str:
    """The thumbnail stored beside a photo (backend.core.images.store names it so)."""
    return photo_key.removesuffix(".jpg") + "-thumb.jpg"


async def set_product_photo(actor: Actor, storage: Storage, product_id: int, data: bytes) -> dict:
    """A product's photo, made safe like every uploaded photo (checked by content, upright,
    without its metadata); replaces the old one."""
    product = await Product.get_or_none(id=product_id)
    if product is None:
        raise ShopError.PRODUCT_NOT_FOUND.error()
    processed = await images.process_photo(data)
    photo_key, _ = await images.store(storage, "shop/products", processed, now())
    async with in_transaction() as conn:
        await Product.filter(id=product_id).using_db(conn).update(photo_key=photo_key)
        await record(
            conn,
            actor,
            "shop.set_product_photo",
            "product",
            product_id,
            {"photo_key": product.photo_key},
            {"photo_key": photo_key},
        )
    if product.photo_key:
        await delete_photo(storage, product.photo_key)
    product.photo_key = photo_key
    return product_view(product, (await Supplier.get(id=product.supplier_id)).name)


async def delete_photo(storage: Storage, photo_key: str) -> None:
    for key in (photo_key, thumbnail_key(photo_key)):
        await storage.delete(key)


async def read_photo(storage: Storage, photo_key: str | None, thumbnail: bool) -> bytes:
    """A stored photo (or its thumbnail); NO_PHOTO when there is none."""
    if not photo_key:
        raise ShopError.NO_PHOTO.error()
    try:
        return await storage.get(thumbnail_key(photo_key) if thumbnail else photo_key)
    except ObjectNotFound:
        raise ShopError.NO_PHOTO.error() from None


async def product_photo(storage: Storage, product_id: int, thumbnail: bool) -> bytes:
    product = await Product.get_or_none(id=product_id)
    if product is None:
        raise ShopError.PRODUCT_NOT_FOUND.error()
    return await read_photo(storage, product.photo_key, thumbnail)


def products_query(filters: dict[str, str]) -> QuerySet[Product]:
    """Products by a word of the name or origin (`q`), category, supplier (its id), origin kind
    and whether on sale ("1" / "0"); blank filters select everything, and so do values that
    name no category or origin kind (a stale link still opens)."""
    query = Product.all().select_related("supplier")
    if words := (filters.get("q") or "").strip():
        query = query.filter(Q(name__icontains=words) | Q(origin__icontains=words))
    if (category := filters.get("category")) in Category.labels():
        query = query.filter(category=category)
    if (supplier := filters.get("supplier") or "").isdigit():
        query = query.filter(supplier_id=int(supplier))
    if (origin_kind := filters.get("origin_kind")) in OriginKind.labels():
        query = query.filter(origin_kind=origin_kind)
    if (active := filters.get("active")) in ("1", "0"):
        query = query.filter(is_active=active == "1")
    return query


def product_row(product: Product) -> dict:
    """A product of `products_query` (its supplier fetched with it) as a list shows it."""
    return product_view(product, product.supplier.name)


async def add_sku_summaries(rows: list[dict]) -> list[dict]:
    """Each product row with its SKUs' count, stock and price range, read in one query."""
    skus: dict[int, list[Sku]] = {}
    for sku in await Sku.filter(product_id__in=[r["id"] for r in rows]):
        skus.setdefault(sku.product_id, []).append(sku)
    for row in rows:
        own = skus.get(row["id"], [])
        prices = [s.price_fen for s in own]
        row.update(
            sku_count=len(own),
            stock=sum(s.stock for s in own),
            min_price_fen=min(prices) if prices else None,
            max_price_fen=max(prices) if prices else None,
        )
    return rows


async def get_product(product_id: int) -> dict:
    """A product with its SKUs (by spec)."""
    product = await Product.get_or_none(id=product_id).select_related("supplier")
    if product is None:
        raise ShopError.PRODUCT_NOT_FOUND.error()
    skus = await Sku.filter(product_id=product_id).order_by("price_fen", "id")
    return {**product_row(product), "skus": [sku_view(s, product) for s in skus]}


# ---- SKUs and stock ----------------------------------------------------------------------------


def sku_view(sku: Sku, product: Product) -> dict:
    return {
        "id": sku.id,
        "product_id": sku.product_id,
        "product_name": product.name,
        "spec": sku.spec,
        "price_fen": sku.price_fen,
        "stock": sku.stock,
        "per_person_limit": sku.per_person_limit,
        "on_shelf": sku.on_shelf,
    }


def _check_sku(price_fen: int, per_person_limit: int) -> None:
    if not 0 < price_fen <= MOST_PRICE_FEN:
        raise ShopError.PRICE_INVALID.error()
    if not 0 <= per_person_limit <= MOST_LIMIT:
        raise ShopError.LIMIT_INVALID.error()


async def create_sku(
    actor: Actor, product_id: int, spec: str, price_fen: int, per_person_limit: int = 0, on_shelf: bool = True
) -> dict:
    """Add a way to sell a product (its spec unique on the product), with no stock yet: stock
    comes by stock-in."""
    _check_sku(price_fen, per_person_limit)
    spec = spec.strip()
    async with in_transaction() as conn:
        product = await Product.get_or_none(id=product_id).using_db(conn)
        if product is None:
            raise ShopError.PRODUCT_NOT_FOUND.error()
        if await Sku.filter(product_id=product_id, spec=spec).using_db(conn).exists():
            raise ShopError.SKU_SPEC_TAKEN.error(spec=spec)
        try:
            sku = await Sku.create(
                product_id=product_id,
                spec=spec,
                price_fen=price_fen,
                per_person_limit=per_person_limit,
                on_shelf=on_shelf,
                using_db=conn,
            )
        except IntegrityError:  # the same spec added at the same moment
            raise ShopError.SKU_SPEC_TAKEN.error(spec=spec) from None
        after = sku_view(sku, product)
        await record(conn, actor, "shop.create_sku", "sku", sku.id, after=after)
    return after


async def _locked_sku(conn: Any, sku_id: int) -> tuple[Sku, Product]:
    sku = await Sku.filter(id=sku_id).using_db(conn).select_for_update().first()
    if sku is None:
        raise ShopError.SKU_NOT_FOUND.error()
    return sku, await Product.get(id=sku.product_id).using_db(conn)


async def update_sku(
    actor: Actor, sku_id: int, spec: str, price_fen: int, per_person_limit: int, on_shelf: bool
) -> dict:
    """Change a SKU's spec, price or limit, or put it on or off the shelf (上架/下架). Orders
    already placed keep the price they were placed at; the stock is not changed here."""
    _check_sku(price_fen, per_person_limit)
    spec = spec.strip()
    async with in_transaction() as conn:
        sku, product = await _locked_sku(conn, sku_id)
        if await Sku.filter(product_id=sku.product_id, spec=spec).exclude(id=sku_id).using_db(conn).exists():
            raise ShopError.SKU_SPEC_TAKEN.error(spec=spec)
        before = sku_view(sku, product)
        values = {"spec": spec, "price_fen": price_fen, "per_person_limit": per_person_limit, "on_shelf": on_shelf}
        # Not the whole row: the stock may have moved since it was read, and must not be put back.
        await Sku.filter(id=sku_id).using_db(conn).update(**values)
        after = {**before, **values}
        await record(conn, actor, "shop.update_sku", "sku", sku_id, before, after)
    return after


async def stock_in(actor: Actor, sku_id: int, quantity: int, note: str, at: datetime, key: str | None = None) -> dict:
    """Goods received (入库): the SKU's stock rises by `quantity`, with its ledger row; once per
    `key` (the form's or the request's)."""
    if not 0 < quantity <= MOST_QUANTITY:
        raise ShopError.STOCK_INVALID.error()
    return await _move_once(actor, sku_id, quantity, StockReason.STOCK_IN, note, at, key)


async def adjust_stock(actor: Actor, sku_id: int, delta: int, note: str, at: datetime, key: str | None = None) -> dict:
    """A correction after a count (盘点调整): up or down, never below zero, once per `key`. The
    check is the update's own condition, so an order taking stock at the same moment cannot slip
    under it."""
    if delta == 0 or abs(delta) > MOST_QUANTITY:
        raise ShopError.ADJUST_INVALID.error(most=MOST_QUANTITY)
    return await _move_once(actor, sku_id, delta, StockReason.ADJUST, note, at, key)


async def _move_once(
    actor: Actor, sku_id: int, delta: int, reason: StockReason, note: str, at: datetime, key: str | None
) -> dict:
    """`_move`, unless the move of `key` was made already (a form sent twice, a retried request,
    or the same one at once): then the SKU as it stands, and nothing moves again."""
    try:
        if key is None or (done := await StockMove.get_or_none(idempotency_key=key)) is None:
            return await _move(actor, sku_id, delta, reason, note, at, key)
    except IntegrityError:
        done = await StockMove.get(idempotency_key=key)
    if (done.sku_id, done.delta, done.reason) != (sku_id, delta, reason):
        raise ShopError.STOCK_KEY_USED.error()
    sku = await Sku.get(id=sku_id)
    return sku_view(sku, await Product.get(id=sku.product_id))


async def _move(
    actor: Actor, sku_id: int, delta: int, reason: StockReason, note: str, at: datetime, key: str | None
) -> dict:
    async with in_transaction() as conn:
        sku = await Sku.get_or_none(id=sku_id).using_db(conn)
        if sku is None:
            raise ShopError.SKU_NOT_FOUND.error()
        product = await Product.get(id=sku.product_id).using_db(conn)
        moved = await Sku.filter(id=sku_id, stock__gte=-delta).using_db(conn).update(stock=F("stock") + delta)
        if not moved:
            current = await Sku.get(id=sku_id).using_db(conn)
            raise ShopError.STOCK_BELOW_ZERO.error(name=f"{product.name} {sku.spec}", stock=current.stock)
        move = await StockMove.create(
            sku_id=sku_id,
            delta=delta,
            reason=reason,
            actor=actor.name,
            note=note.strip(),
            idempotency_key=key,
            at=at,
            using_db=conn,
        )
        stock = (await Sku.get(id=sku_id).using_db(conn)).stock
        after = {"delta": delta, "stock": stock, "note": move.note, "move_id": move.id}
        await record(
            conn,
            actor,
            "shop.stock_in" if reason == StockReason.STOCK_IN else "shop.adjust_stock",
            "sku",
            sku_id,
            {"stock": stock - delta},
            after,
        )
    return {**sku_view(sku, product), "stock": stock}


def move_view(move: StockMove) -> dict:
    return {
        "id": move.id,
        "at": move.at,
        "delta": move.delta,
        "reason": move.reason.value,
        "reason_label": move.reason.label,
        "order_id": move.order_id,
        "actor": move.actor,
        "note": move.note,
    }


def moves_query(sku_id: int, filters: dict[str, str] | None = None) -> QuerySet[StockMove]:
    """The stock ledger of a SKU, optionally of one reason (an unknown one is ignored)."""
    query = StockMove.filter(sku_id=sku_id)
    if (reason := (filters or {}).get("reason")) in StockReason.labels():
        query = query.filter(reason=reason)
    return query


async def get_sku(sku_id: int) -> dict:
    sku = await Sku.get_or_none(id=sku_id)
    if sku is None:
        raise ShopError.SKU_NOT_FOUND.error()
    product = await Product.get(id=sku.product_id).select_related("supplier")
    return {**sku_view(sku, product), "product": product_row(product)}
