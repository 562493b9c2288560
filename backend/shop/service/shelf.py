"""What cadres see of the shop in the mini-program: the theme week taking orders now (or the
next one), its featured products, and its products with the SKUs sold in it, with their price,
what is left and the per-person limit. Only products on sale and SKUs on the shelf are shown;
prices here are for showing, an order takes the server's prices again when it is placed."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from backend.core.timeutil import BUSINESS_TZ
from backend.shop.errors import ShopError
from backend.shop.models import Category, Cycle, CycleItem, Product, Supplier
from backend.shop.service import cycles

PHOTO_URL = "/mp/v1/shop/products/{id}/photo"
BANNER_URL = "/mp/v1/shop/cycles/{id}/banner"
MAX_QUERY = 50


def cycle_card(cycle: Cycle) -> dict:
    return {
        "id": cycle.id,
        "title": cycle.title,
        "region": cycle.region,
        "story": cycle.story,
        "banner_url": BANNER_URL.format(id=cycle.id) if cycle.banner_key else None,
        "opens_at": cycle.opens_at.astimezone(BUSINESS_TZ).isoformat(),
        "closes_at": cycle.closes_at.astimezone(BUSINESS_TZ).isoformat(),
        "pickup_days": list(cycle.pickup_days),
        "pickup_place": cycle.pickup_place,
    }


def _sku_card(item: CycleItem) -> dict:
    sku = item.sku
    return {
        "sku_id": sku.id,
        "spec": sku.spec,
        "price_fen": sku.price_fen,
        "stock": sku.stock,
        "sold_out": sku.stock <= 0,
        "per_person_limit": sku.per_person_limit,
        "featured": item.featured,
        "presale_cutoff": item.presale_cutoff.astimezone(BUSINESS_TZ).isoformat() if item.presale_cutoff else None,
        "pickup_day": item.pickup_day.isoformat() if item.pickup_day else None,
    }


def _product_card(product: Product, supplier: Supplier, items: list[CycleItem]) -> dict:
    photo = PHOTO_URL.format(id=product.id) if product.photo_key else None
    return {
        "product_id": product.id,
        "name": product.name,
        "category": product.category.value,
        "category_label": product.category.label,
        "origin": product.origin,
        "origin_kind": product.origin_kind.value,
        "origin_kind_label": product.origin_kind.label,
        "supplier_name": supplier.name,
        "photo_url": photo,
        "thumbnail_url": f"{photo}?size=thumb" if photo else None,
        "from_price_fen": min((i.sku.price_fen for i in items), default=0),
        "featured": any(i.featured for i in items),
        "skus": [_sku_card(i) for i in items],
    }


async def _shown_items(cycle_id: int, *, category: str = "", words: str = "", product_id: int | None = None):
    """The cycle's items on sale, grouped by product in the week's order (featured first)."""
    query = CycleItem.filter(cycle_id=cycle_id, sku__on_shelf=True, sku__product__is_active=True)
    if category:
        query = query.filter(sku__product__category=category)
    if words:
        query = query.filter(
            Q(sku__product__name__icontains=words)
            | Q(sku__product__origin__icontains=words)
            | Q(sku__product__description__icontains=words)
        )
    if product_id is not None:
        query = query.filter(sku__product_id=product_id)
    items = await query.select_related("sku", "sku__product", "sku__product__supplier").order_by(
        "-featured", "position", "id"
    )
    grouped: dict[int, list[CycleItem]] = {}
    for item in items:
        grouped.setdefault(item.sku.product_id, []).append(item)
    return grouped


async def shelf(at: datetime, *, category: str = "", words: str = "") -> dict:
    """This week's products (by category, or matching a word of their name, origin or
    description); none when no week is taking orders."""
    cycle = await cycles.current(at)
    if cycle is None:
        return {"cycle_id": None, "items": []}
    if category and category not in Category.labels():
        return {"cycle_id": cycle.id, "items": []}  # an unknown category matches nothing
    grouped = await _shown_items(cycle.id, category=category, words=words.strip()[:MAX_QUERY])
    cards = [_product_card(items[0].sku.product, items[0].sku.product.supplier, items) for items in grouped.values()]
    return {"cycle_id": cycle.id, "items": cards}


async def home(at: datetime) -> dict:
    """The mini-program's shop home: the current theme week with its featured products, and the
    next week to come (the only thing to show between two weeks)."""
    cycle = await cycles.current(at)
    coming = await cycles.upcoming(at, limit=1)
    featured: list[dict] = []
    if cycle is not None:
        grouped = await _shown_items(cycle.id)
        featured = [
            _product_card(items[0].sku.product, items[0].sku.product.supplier, items)
            for items in grouped.values()
            if any(i.featured for i in items)
        ]
    return {
        "current": cycle_card(cycle) if cycle else None,
        "featured": featured,
        "next": cycle_card(coming[0]) if coming else None,
    }


async def product(at: datetime, product_id: int) -> dict:
    """A product on sale with the SKUs it is sold by in this week (none when it is not in it)."""
    found = await Product.get_or_none(id=product_id, is_active=True).select_related("supplier")
    if found is None:
        raise ShopError.PRODUCT_NOT_FOUND.error()
    cycle = await cycles.current(at)
    items = (await _shown_items(cycle.id, product_id=product_id)).get(product_id, []) if cycle else []
    card = _product_card(found, found.supplier, items)
    return {**card, "description": found.description, "supplier_region": found.supplier.region}
