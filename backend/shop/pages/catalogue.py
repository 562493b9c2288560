"""Console pages of the shop's catalogue: products (list with search and filters, Excel, a new
product, a product's page with its photo and SKUs), a SKU's page (price, limit, shelf, stock-in,
adjustment after a count and its stock ledger) and the suppliers. Whoever may see the shop sees
them; changing them needs shop.manage_catalogue."""

from __future__ import annotations

import secrets

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime
from backend.console.forms import FormErrors, form_data, posted, store_image, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.money import yuan_text
from backend.core.timeutil import now
from backend.core.web.responses import private_image
from backend.shop.models import Category, OriginKind, StockReason
from backend.shop.permissions import ShopPermission
from backend.shop.schemas import AdjustIn, ProductIn, SkuIn, StockInIn, SupplierIn
from backend.shop.service import catalogue
from backend.shop.service.catalogue import ProductDetails, SupplierDetails

bp = Blueprint("console_shop_catalogue", url_prefix="/console/shop")
VIEW, MANAGE = ShopPermission.VIEW_SHOP, ShopPermission.MANAGE_CATALOGUE

FLASH = {
    "product_created": "商品已登记，请上传照片并添加规格",
    "product_saved": "商品已保存",
    "photo": "照片已更新",
    "sku_created": "规格已添加，入库后即可在主题周中销售",
    "sku_saved": "规格已保存",
    "stocked_in": "已入库",
    "adjusted": "库存已调整",
    "supplier_saved": "供货方已保存",
}
PRODUCT_FIELDS = {
    "shop.supplier_not_found": "supplier_id",
    "shop.supplier_inactive": "supplier_id",
}
SKU_FIELDS = {
    "shop.price_invalid": "price_fen",
    "shop.limit_invalid": "per_person_limit",
    "shop.sku_spec_taken": "spec",
}
STOCK_FIELDS = {"shop.stock_invalid": "quantity", "shop.adjust_invalid": "delta", "shop.stock_below_zero": "delta"}
SUPPLIER_FIELDS = {"shop.supplier_name_taken": "name", "shop.phone_invalid": "phone"}

PRODUCTS = Table(
    title="商品",
    columns=(
        Column("name", "品名", sort="name", href="/console/shop/products/{id}"),
        Column("category_label", "分类", sort="category"),
        Column("origin", "产地", sort="origin"),
        Column("origin_kind_label", "产地类别"),
        Column("supplier_name", "供货方"),
        Column("sku_count", "规格数", kind="count"),
        Column("price_range", "价格（元）"),
        Column("stock", "库存", kind="count"),
        Column("is_active", "在售", kind="bool"),
    ),
    default_sort="name",
    filters=(
        Filter("q", "关键词", max_length=30, placeholder="品名或产地"),
        Filter("category", "分类", kind="select", options=tuple(Category.labels().items())),
        Filter("supplier", "供货方", kind="select"),
        Filter("origin_kind", "产地类别", kind="select", options=tuple(OriginKind.labels().items())),
        Filter("active", "状态", kind="select", options=(("1", "在售"), ("0", "已下架"))),
    ),
)
MOVES = Table(
    title="库存流水",
    columns=(
        Column("at", "时间", sort="at", kind="datetime"),
        Column("reason_label", "原因", sort="reason"),
        Column("delta", "变动", kind="count"),
        Column("order_ref", "订单"),
        Column("actor", "经办人"),
        Column("note", "备注"),
    ),
    default_sort="-at",
    filters=(Filter("reason", "原因", kind="select", options=tuple(StockReason.labels().items())),),
)


def _options(enum) -> list[tuple[str, str]]:
    return list(enum.labels().items())


def _price_range(row: dict) -> str:
    low, high = row["min_price_fen"], row["max_price_fen"]
    if low is None:
        return "尚无规格"
    return yuan_text(low) if low == high else f"{yuan_text(low)}–{yuan_text(high)}"


async def _supplier_options(request: Request, active_only: bool) -> list[tuple[str, str]]:
    suppliers = await catalogue.list_suppliers(runtime(request).cipher, active_only=active_only)
    return [(str(s["id"]), s["name"]) for s in suppliers]


# ---- products ----------------------------------------------------------------------------------


async def _products_state(request: Request):
    state = PRODUCTS.with_options("supplier", tuple(await _supplier_options(request, False))).state(request)
    return state, catalogue.products_query(state.filters)


async def _rows_with_prices(rows: list[dict]) -> list[dict]:
    for row in await catalogue.add_sku_summaries(rows):
        row["price_range"] = _price_range(row)
    return rows


@bp.get("/products")
@console_page(VIEW)
async def products(request: Request):
    state, query = await _products_state(request)
    await fetch(state, query, catalogue.product_row)
    await _rows_with_prices(state.result.items)
    return await page(
        request, "shop/products.html", state=state, flash=flash(request, FLASH), can_manage=can(request, MANAGE)
    )


@bp.get("/products/export.xlsx")
@console_page(VIEW)
async def products_export(request: Request):
    state, query = await _products_state(request)
    rows = await _rows_with_prices([catalogue.product_row(p) for p in await query])
    by_id = {r["id"]: r for r in rows}
    return await export(state, query, lambda p: by_id[p.id], "商品")


def _product_data(request: Request) -> dict:
    data = form_data(request)
    data["is_active"] = "is_active" in (request.form or {})  # an unticked box is not posted at all
    return data


def _product_details(body: ProductIn) -> ProductDetails:
    return ProductDetails(**body.model_dump(exclude={"is_active"}))


async def _product_choices(request: Request, active_only: bool = True) -> dict:
    return {
        "category_options": _options(Category),
        "origin_kind_options": _options(OriginKind),
        "supplier_options": await _supplier_options(request, active_only),
    }


async def _new_product_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    return await page(
        request,
        "shop/product_new.html",
        status=status,
        form=form or {"is_active": True},
        errors=errors or FormErrors(),
        **await _product_choices(request),
    )


@bp.get("/products/new")
@console_page(MANAGE)
async def new_product(request: Request):
    return await _new_product_page(request)


@bp.post("/products")
@console_page(MANAGE)
async def create_product(request: Request):
    data = _product_data(request)
    created, errors = await submit(
        ProductIn,
        dict(data),
        lambda body: catalogue.create_product(actor(request), _product_details(body)),
        PRODUCT_FIELDS,
    )
    if not errors:
        return redirect(f"/console/shop/products/{created['id']}?done=product_created")
    return await _new_product_page(request, 422, posted(request), errors)


async def _product_page(request: Request, product_id: int, status: int = 200, **forms):
    product = await catalogue.get_product(product_id)
    form = forms.get("form") or {**product, "supplier_id": str(product["supplier_id"])}
    return await page(
        request,
        "shop/product.html",
        status=status,
        product=product,
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
        form=form,
        errors=forms.get("errors", FormErrors()),
        photo_error=forms.get("photo_error", ""),
        sku_form=forms.get("sku_form") or {"per_person_limit": "0", "on_shelf": True},
        sku_errors=forms.get("sku_errors", FormErrors()),
        **await _product_choices(request, active_only=False),
    )


@bp.get("/products/<product_id:int>")
@console_page(VIEW)
async def product(request: Request, product_id: int):
    return await _product_page(request, product_id)


@bp.post("/products/<product_id:int>/edit")
@console_page(MANAGE)
async def edit_product(request: Request, product_id: int):
    data = _product_data(request)
    _, errors = await submit(
        ProductIn,
        dict(data),
        lambda body: catalogue.update_product(actor(request), product_id, _product_details(body), body.is_active),
        PRODUCT_FIELDS,
    )
    if not errors:
        return redirect(f"/console/shop/products/{product_id}?done=product_saved")
    return await _product_page(request, product_id, 422, form=data, errors=errors)


@bp.post("/products/<product_id:int>/photo")
@console_page(MANAGE)
async def set_photo(request: Request, product_id: int):
    """The photo is checked by its content (not its name) and stripped of its metadata."""
    await catalogue.get_product(product_id)
    refused = await store_image(
        request,
        lambda body: catalogue.set_product_photo(actor(request), runtime(request).storage, product_id, body),
        "请选择要上传的照片",
    )
    if refused:
        return await _product_page(request, product_id, 422, photo_error=refused)
    return redirect(f"/console/shop/products/{product_id}?done=photo")


@bp.get("/products/<product_id:int>/photo")
@console_page(VIEW)
async def photo(request: Request, product_id: int):
    """The product's photo (?size=thumb: its thumbnail)."""
    body = await catalogue.product_photo(runtime(request).storage, product_id, request.args.get("size") == "thumb")
    return private_image(body, "image/jpeg")


def _sku_data(request: Request) -> dict:
    data = form_data(request)
    data["on_shelf"] = "on_shelf" in (request.form or {})
    return data


@bp.post("/products/<product_id:int>/skus")
@console_page(MANAGE)
async def create_sku(request: Request, product_id: int):
    data = _sku_data(request)
    created, errors = await submit(
        SkuIn,
        dict(data),
        lambda body: catalogue.create_sku(
            actor(request), product_id, body.spec, body.price_fen, body.per_person_limit, body.on_shelf
        ),
        SKU_FIELDS,
        yuan=("price_fen",),
    )
    if not errors:
        return redirect(f"/console/shop/skus/{created['id']}?done=sku_created")
    return await _product_page(request, product_id, 422, sku_form=data, sku_errors=errors)


# ---- a SKU: price, shelf, stock and its ledger -------------------------------------------------


async def _sku_page(request: Request, sku_id: int, status: int = 200, **forms):
    sku = await catalogue.get_sku(sku_id)
    state = MOVES.state(request)
    await fetch(state, catalogue.moves_query(sku_id, state.filters), _move_row)
    form = forms.get("form") or {**sku, "price_fen": yuan_text(sku["price_fen"])}
    return await page(
        request,
        "shop/sku.html",
        status=status,
        sku=sku,
        state=state,
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
        form=form,
        errors=forms.get("errors", FormErrors()),
        stock_form=forms.get("stock_form", {}),
        stock_errors=forms.get("stock_errors", FormErrors()),
        adjust_form=forms.get("adjust_form", {}),
        adjust_errors=forms.get("adjust_errors", FormErrors()),
        form_keys={name: secrets.token_urlsafe(18) for name in ("stock", "adjust")},
    )


def _move_row(move) -> dict:
    return {**catalogue.move_view(move), "order_ref": f"#{move.order_id}" if move.order_id else ""}


@bp.get("/skus/<sku_id:int>")
@console_page(VIEW)
async def sku(request: Request, sku_id: int):
    return await _sku_page(request, sku_id)


@bp.get("/skus/<sku_id:int>/moves.xlsx")
@console_page(VIEW)
async def moves_export(request: Request, sku_id: int):
    found = await catalogue.get_sku(sku_id)
    state = MOVES.state(request)
    return await export(
        state, catalogue.moves_query(sku_id, state.filters), _move_row, f"库存流水-{found['product_name']}"
    )


@bp.post("/skus/<sku_id:int>/edit")
@console_page(MANAGE)
async def edit_sku(request: Request, sku_id: int):
    data = _sku_data(request)
    _, errors = await submit(
        SkuIn,
        dict(data),
        lambda body: catalogue.update_sku(
            actor(request), sku_id, body.spec, body.price_fen, body.per_person_limit, body.on_shelf
        ),
        SKU_FIELDS,
        yuan=("price_fen",),
    )
    if not errors:
        return redirect(f"/console/shop/skus/{sku_id}?done=sku_saved")
    return await _sku_page(request, sku_id, 422, form=posted(request) | {"on_shelf": data["on_shelf"]}, errors=errors)


async def _stock_form(request: Request, sku_id: int, model: type, move, done: str, failed: str):
    """The stock-in or adjustment form: its own key (a fresh one each time the page is drawn, so
    a double click or a resent page moves the stock once), the checks, then `move(body, key)`."""
    data = form_data(request)
    key = data.pop("key", "")
    if 8 <= len(key) <= 64:
        _, errors = await submit(model, dict(data), lambda body: move(body, key), STOCK_FIELDS)
    else:
        errors = FormErrors()
        errors[""] = "表单已失效，请刷新页面后重新提交"
    if not errors:
        return redirect(f"/console/shop/skus/{sku_id}?done={done}")
    return await _sku_page(request, sku_id, 422, **{f"{failed}_form": data, f"{failed}_errors": errors})


@bp.post("/skus/<sku_id:int>/stock-in")
@console_page(MANAGE)
async def stock_in(request: Request, sku_id: int):
    return await _stock_form(
        request,
        sku_id,
        StockInIn,
        lambda body, key: catalogue.stock_in(actor(request), sku_id, body.quantity, body.note, now(), key),
        "stocked_in",
        "stock",
    )


@bp.post("/skus/<sku_id:int>/adjust")
@console_page(MANAGE)
async def adjust(request: Request, sku_id: int):
    return await _stock_form(
        request,
        sku_id,
        AdjustIn,
        lambda body, key: catalogue.adjust_stock(actor(request), sku_id, body.delta, body.note, now(), key),
        "adjusted",
        "adjust",
    )


# ---- suppliers ---------------------------------------------------------------------------------


async def _suppliers_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    suppliers = await catalogue.list_suppliers(runtime(request).cipher)
    chosen = (form or {}).get("supplier_id") or request.args.get("supplier") or ""
    editing = next((s for s in suppliers if str(s["id"]) == chosen), None)
    shown = form or ({**editing, "phone": ""} if editing else {"is_active": True})
    return await page(
        request,
        "shop/suppliers.html",
        status=status,
        suppliers=suppliers,
        editing=editing,
        origin_kind_options=_options(OriginKind),
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
        form=shown,
        errors=errors or FormErrors(),
    )


@bp.get("/suppliers")
@console_page(VIEW)
async def suppliers(request: Request):
    return await _suppliers_page(request)


@bp.post("/suppliers")
@console_page(MANAGE)
async def save_supplier(request: Request):
    data = form_data(request)
    data["is_active"] = "is_active" in (request.form or {})
    supplier_id = data.pop("supplier_id", "")
    if not supplier_id.isdigit():
        supplier_id = ""
    # A blank phone on the edit form keeps the one on file (it is shown masked, never sent back).
    if supplier_id and not data.get("phone"):
        data.pop("phone", None)
    cipher = runtime(request).cipher

    def save(body: SupplierIn):
        details = SupplierDetails(**body.model_dump(exclude={"is_active"}))
        if supplier_id:
            return catalogue.update_supplier(actor(request), cipher, int(supplier_id), details, body.is_active)
        return catalogue.create_supplier(actor(request), cipher, details)

    _, errors = await submit(SupplierIn, dict(data), save, SUPPLIER_FIELDS)
    if not errors:
        return redirect("/console/shop/suppliers?done=supplier_saved")
    return await _suppliers_page(request, 422, {**posted(request), "phone": ""}, errors)
