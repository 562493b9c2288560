"""Console API of the produce shop (`/admin/v1/shop`), for a client of the shop's staff or
another system; the console's own pages post forms to the same services: the catalogue, theme
weeks, reports and supplier settlement."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import actor, admin_required, runtime
from backend.core.pagination import paginate
from backend.core.timeutil import business_time, now, today
from backend.core.web.apidocs import JPEG, PAGING, XLSX, Done, Listed, Paged, Query, api
from backend.core.web.responses import ok, private_image, xlsx_download
from backend.core.web.validation import accepts, idempotency_key, query_date, query_int, uploaded_file
from backend.shop.models import Category, OriginKind, StockReason
from backend.shop.permissions import ShopPermission
from backend.shop.schemas import (
    AdjustIn,
    CycleDetailOut,
    CycleIn,
    CycleItemIn,
    CycleItemOut,
    CycleItemUpdateIn,
    CycleOut,
    CycleRowOut,
    ProductDetailOut,
    ProductIn,
    ProductOut,
    ProductRowOut,
    PurchaseListOut,
    SalesReportOut,
    SettledOut,
    SettlementIn,
    SettlementOut,
    SettlementReportOut,
    SkuIn,
    SkuOut,
    StockInIn,
    StockMoveOut,
    SupplierIn,
    SupplierOut,
)
from backend.shop.service import catalogue, cycles, reports, settlements
from backend.shop.service.catalogue import ProductDetails, SupplierDetails
from backend.shop.service.cycles import CycleDetails, ItemDetails

bp = Blueprint("shop_admin", url_prefix="/admin/v1/shop")


# ---- catalogue: suppliers, products, SKUs, stock, theme weeks -------------------------------

VIEW = ShopPermission.VIEW_SHOP
CATALOGUE = ShopPermission.MANAGE_CATALOGUE
CYCLE = ShopPermission.MANAGE_CYCLE


def _page(request: Request) -> tuple[int, int]:
    return query_int(request, "page", 1, 1, 100_000), query_int(request, "page_size", 20, 1, 100)


def supplier_details(body: SupplierIn) -> SupplierDetails:
    return SupplierDetails(**body.model_dump(exclude={"is_active"}))


def product_details(body: ProductIn) -> ProductDetails:
    return ProductDetails(**body.model_dump(exclude={"is_active"}))


def cycle_details(body: CycleIn) -> CycleDetails:
    return CycleDetails(
        **{
            **body.model_dump(),
            "opens_at": business_time(body.opens_at),
            "closes_at": business_time(body.closes_at),
        }
    )


def item_details(body: CycleItemIn | CycleItemUpdateIn) -> ItemDetails:
    cutoff = business_time(body.presale_cutoff) if body.presale_cutoff else None
    return ItemDetails(body.featured, body.position, cutoff, body.pickup_day)


@bp.get("/suppliers")
@api("供货方列表", Listed[SupplierOut], query=(Query("active", "仅看在合作的供货方（1）"),))
@admin_required(VIEW)
async def suppliers(request: Request):
    found = await catalogue.list_suppliers(runtime(request).cipher, active_only=request.args.get("active") == "1")
    return ok({"items": found})


@bp.post("/suppliers")
@api("登记供货方", SupplierOut, status=201)
@admin_required(CATALOGUE)
@accepts(SupplierIn)
async def create_supplier(request: Request, body: SupplierIn):
    return ok(await catalogue.create_supplier(actor(request), runtime(request).cipher, supplier_details(body)), 201)


@bp.put("/suppliers/<supplier_id:int>")
@api("修改、停用或恢复供货方", SupplierOut)
@admin_required(CATALOGUE)
@accepts(SupplierIn)
async def update_supplier(request: Request, supplier_id: int, body: SupplierIn):
    cipher = runtime(request).cipher
    return ok(
        await catalogue.update_supplier(actor(request), cipher, supplier_id, supplier_details(body), body.is_active)
    )


@bp.get("/products")
@api(
    "商品列表（分页，可筛选、搜索）",
    Paged[ProductRowOut],
    query=(
        *PAGING,
        Query("q", "关键词：品名或产地"),
        Query("category", "分类", choices=Category),
        Query("supplier", "供货方编号", int),
        Query("origin_kind", "产地类别", choices=OriginKind),
        Query("active", "1 在售、0 已下架"),
    ),
)
@admin_required(VIEW)
async def products(request: Request):
    filters = {
        "q": request.args.get("q", "")[:50],
        "category": request.args.get("category", "")[:20],
        "supplier": request.args.get("supplier", "")[:12],
        "origin_kind": request.args.get("origin_kind", "")[:20],
        "active": request.args.get("active", "")[:1],
    }
    page, page_size = _page(request)
    found = await paginate(
        catalogue.products_query(filters), page, page_size, order_by=("name", "id"), view=catalogue.product_row
    )
    return ok({**found.as_dict(), "items": await catalogue.add_sku_summaries(found.items)})


@bp.post("/products")
@api("登记商品", ProductOut, status=201)
@admin_required(CATALOGUE)
@accepts(ProductIn)
async def create_product(request: Request, body: ProductIn):
    return ok(await catalogue.create_product(actor(request), product_details(body)), 201)


@bp.get("/products/<product_id:int>")
@api("商品详情（含各规格）", ProductDetailOut)
@admin_required(VIEW)
async def product(request: Request, product_id: int):
    return ok(await catalogue.get_product(product_id))


@bp.put("/products/<product_id:int>")
@api("修改商品，或整体下架与恢复", ProductOut)
@admin_required(CATALOGUE)
@accepts(ProductIn)
async def update_product(request: Request, product_id: int, body: ProductIn):
    return ok(await catalogue.update_product(actor(request), product_id, product_details(body), body.is_active))


@bp.post("/products/<product_id:int>/photo")
@api("上传商品照片", ProductOut)
@admin_required(CATALOGUE)
async def set_product_photo(request: Request, product_id: int):
    """multipart/form-data with one `file`: checked by content and stripped like every photo."""
    storage = runtime(request).storage
    return ok(await catalogue.set_product_photo(actor(request), storage, product_id, uploaded_file(request)))


@bp.get("/products/<product_id:int>/photo")
@api("商品照片", JPEG, query=(Query("size", "thumb：取缩略图"),))
@admin_required(VIEW)
async def product_photo(request: Request, product_id: int):
    body = await catalogue.product_photo(runtime(request).storage, product_id, request.args.get("size") == "thumb")
    return private_image(body, "image/jpeg")


@bp.post("/products/<product_id:int>/skus")
@api("新增规格", SkuOut, status=201)
@admin_required(CATALOGUE)
@accepts(SkuIn)
async def create_sku(request: Request, product_id: int, body: SkuIn):
    sku = await catalogue.create_sku(
        actor(request), product_id, body.spec, body.price_fen, body.per_person_limit, body.on_shelf
    )
    return ok(sku, 201)


@bp.put("/skus/<sku_id:int>")
@api("修改规格的价格、限购，或上架与下架", SkuOut)
@admin_required(CATALOGUE)
@accepts(SkuIn)
async def update_sku(request: Request, sku_id: int, body: SkuIn):
    return ok(
        await catalogue.update_sku(
            actor(request), sku_id, body.spec, body.price_fen, body.per_person_limit, body.on_shelf
        )
    )


@bp.post("/skus/<sku_id:int>/stock-in")
@api("入库", SkuOut)
@admin_required(CATALOGUE)
@accepts(StockInIn)
async def stock_in(request: Request, sku_id: int, body: StockInIn):
    """Needs an `Idempotency-Key` header: a retry with it moves the stock once."""
    key = idempotency_key(request)
    return ok(await catalogue.stock_in(actor(request), sku_id, body.quantity, body.note, now(), key))


@bp.post("/skus/<sku_id:int>/adjustments")
@api("盘点调整库存（不能调到 0 以下）", SkuOut)
@admin_required(CATALOGUE)
@accepts(AdjustIn)
async def adjust_stock(request: Request, sku_id: int, body: AdjustIn):
    """Needs an `Idempotency-Key` header: a retry with it moves the stock once."""
    key = idempotency_key(request)
    return ok(await catalogue.adjust_stock(actor(request), sku_id, body.delta, body.note, now(), key))


@bp.get("/skus/<sku_id:int>/moves")
@api(
    "规格的库存流水（分页，新的在前）",
    Paged[StockMoveOut],
    query=(*PAGING, Query("reason", "变动原因", choices=StockReason)),
)
@admin_required(VIEW)
async def stock_moves(request: Request, sku_id: int):
    await catalogue.get_sku(sku_id)
    page, page_size = _page(request)
    query = catalogue.moves_query(sku_id, {"reason": request.args.get("reason", "")[:20]})
    found = await paginate(query, page, page_size, order_by=("-at", "-id"), view=catalogue.move_view)
    return ok(found.as_dict())


@bp.get("/cycles")
@api("主题周列表（分页，新的在前）", Paged[CycleRowOut], query=(*PAGING, Query("q", "关键词：标题或地区")))
@admin_required(VIEW)
async def list_cycles(request: Request):
    page, page_size = _page(request)
    at = now()
    found = await paginate(
        cycles.cycles_query({"q": request.args.get("q", "")[:50]}),
        page,
        page_size,
        order_by=("-opens_at", "-id"),
        view=lambda c: {**cycles.cycle_view(c), "status_label": cycles.status_label(c, at)},
    )
    return ok(found.as_dict())


@bp.post("/cycles")
@api("新建主题周", CycleOut, status=201)
@admin_required(CYCLE)
@accepts(CycleIn)
async def create_cycle(request: Request, body: CycleIn):
    return ok(await cycles.create_cycle(actor(request), cycle_details(body)), 201)


@bp.get("/cycles/<cycle_id:int>")
@api("主题周详情（含本期商品）", CycleDetailOut)
@admin_required(VIEW)
async def cycle(request: Request, cycle_id: int):
    found = await cycles.get_cycle(cycle_id)
    view = {**cycles.cycle_view(found), "status_label": cycles.status_label(found, now())}
    return ok({**view, "items": await cycles.items_of(cycle_id)})


@bp.put("/cycles/<cycle_id:int>")
@api("修改主题周", CycleOut)
@admin_required(CYCLE)
@accepts(CycleIn)
async def update_cycle(request: Request, cycle_id: int, body: CycleIn):
    return ok(await cycles.update_cycle(actor(request), cycle_id, cycle_details(body)))


@bp.post("/cycles/<cycle_id:int>/banner")
@api("上传主题周横幅图片", CycleOut)
@admin_required(CYCLE)
async def set_cycle_banner(request: Request, cycle_id: int):
    """multipart/form-data with one `file`: checked by content and stripped like every photo."""
    return ok(await cycles.set_banner(actor(request), runtime(request).storage, cycle_id, uploaded_file(request)))


@bp.get("/cycles/<cycle_id:int>/banner")
@api("主题周横幅图片", JPEG, query=(Query("size", "thumb：取缩略图"),))
@admin_required(VIEW)
async def cycle_banner(request: Request, cycle_id: int):
    body = await cycles.banner(runtime(request).storage, cycle_id, request.args.get("size") == "thumb")
    return private_image(body, "image/jpeg")


@bp.post("/cycles/<cycle_id:int>/items")
@api("本期加入商品规格", CycleItemOut, status=201)
@admin_required(CYCLE)
@accepts(CycleItemIn)
async def add_cycle_item(request: Request, cycle_id: int, body: CycleItemIn):
    await cycles.add_item(actor(request), cycle_id, body.sku_id, item_details(body))
    return ok(next(i for i in await cycles.items_of(cycle_id) if i["sku_id"] == body.sku_id), 201)


@bp.put("/cycles/<cycle_id:int>/items/<item_id:int>")
@api("修改本期商品（主推、排序、预售）", CycleItemOut)
@admin_required(CYCLE)
@accepts(CycleItemUpdateIn)
async def update_cycle_item(request: Request, cycle_id: int, item_id: int, body: CycleItemUpdateIn):
    await cycles.update_item(actor(request), cycle_id, item_id, item_details(body))
    return ok(next(i for i in await cycles.items_of(cycle_id) if i["id"] == item_id))


@bp.delete("/cycles/<cycle_id:int>/items/<item_id:int>")
@api("本期移除商品规格", Done)
@admin_required(CYCLE)
async def remove_cycle_item(request: Request, cycle_id: int, item_id: int):
    await cycles.remove_item(actor(request), cycle_id, item_id)
    return ok({"ok": True})


@bp.post("/cycles/<cycle_id:int>/clone")
@api("复制为下一周（时间顺延 7 天，商品一并复制）", CycleOut, status=201)
@admin_required(CYCLE)
async def clone_cycle(request: Request, cycle_id: int):
    return ok(await cycles.clone_next(actor(request), cycle_id), 201)


# ---- reports and settlement ----------------------------------------------------------------

PURCHASE_QUERY = (
    Query("day", "取货日（YYYY-MM-DD），默认今天", date),
    Query("supplier_id", "只看这个供货方", int),
)
RANGE_QUERY = (
    Query("since", "起始日期（YYYY-MM-DD），默认本月 1 日", date),
    Query("until", "截止日期（YYYY-MM-DD），默认今天", date),
)


def _purchase_args(request: Request) -> tuple[date, int | None]:
    day = query_date(request, "day") or today()
    supplier = query_int(request, "supplier_id", 0, 0, 2**31 - 1)
    return day, supplier or None


def _range(request: Request) -> tuple[date, date]:
    """The range asked for (this month so far by default); the report refuses a reversed or too
    long one."""
    until = query_date(request, "until") or today()
    return query_date(request, "since") or until.replace(day=1), until


@bp.get("/reports/purchase-list")
@api("备货单（按供货方，某取货日）", PurchaseListOut, query=PURCHASE_QUERY)
@admin_required(ShopPermission.VIEW_REPORT)
async def purchase_list(request: Request):
    day, supplier_id = _purchase_args(request)
    return ok({"day": day.isoformat(), "suppliers": await reports.purchase_list(day, supplier_id)})


@bp.get("/reports/purchase-list.xlsx")
@api("导出备货单（Excel，每个供货方一页）", XLSX, query=PURCHASE_QUERY)
@admin_required(ShopPermission.VIEW_REPORT)
async def purchase_list_xlsx(request: Request):
    day, supplier_id = _purchase_args(request)
    return xlsx_download(await reports.purchase_workbook(day, supplier_id), f"shop-purchase-{day.isoformat()}.xlsx")


@bp.get("/reports/settlement")
@api("供货方结算报表（销售、退款、已结算、应付未结）", SettlementReportOut, query=RANGE_QUERY)
@admin_required(ShopPermission.VIEW_REPORT)
async def settlement_report(request: Request):
    since, until = _range(request)
    rows = await reports.settlement_report(since, until)
    return ok({"since": since.isoformat(), "until": until.isoformat(), "suppliers": rows})


@bp.get("/reports/settlement.xlsx")
@api("导出供货方结算报表（Excel）", XLSX, query=RANGE_QUERY)
@admin_required(ShopPermission.VIEW_REPORT)
async def settlement_report_xlsx(request: Request):
    since, until = _range(request)
    body = await reports.settlement_workbook(since, until)
    return xlsx_download(body, f"shop-settlement-{since.isoformat()}-{until.isoformat()}.xlsx")


@bp.get("/reports/sales")
@api("销售报表（按产地、按主题周）", SalesReportOut, query=RANGE_QUERY)
@admin_required(ShopPermission.VIEW_REPORT)
async def sales_report(request: Request):
    since, until = _range(request)
    return ok({"since": since.isoformat(), "until": until.isoformat(), **await reports.sales(since, until)})


@bp.get("/reports/sales.xlsx")
@api("导出销售报表（Excel）", XLSX, query=RANGE_QUERY)
@admin_required(ShopPermission.VIEW_REPORT)
async def sales_report_xlsx(request: Request):
    since, until = _range(request)
    body = await reports.sales_workbook(since, until)
    return xlsx_download(body, f"shop-sales-{since.isoformat()}-{until.isoformat()}.xlsx")


@bp.get("/settlements")
@api("供货方结算记录（分页，新的在前）", Paged[SettlementOut], query=(*PAGING, Query("supplier_id", "供货方", int)))
@admin_required(ShopPermission.VIEW_REPORT)
async def list_settlements(request: Request):
    supplier = query_int(request, "supplier_id", 0, 0, 2**31 - 1)
    found = await settlements.list_settlements(
        query_int(request, "page", 1, 1, 100_000), query_int(request, "page_size", 20, 1, 100), supplier or None
    )
    return ok(found.as_dict())


@bp.post("/settlements")
@api("登记供货方结算（从食味坊收入付给供货方）", SettledOut, status=(201, 200))
@admin_required(ShopPermission.SETTLE_SUPPLIER)
@accepts(SettlementIn)
async def settle(request: Request, body: SettlementIn):
    """Needs an `Idempotency-Key` header (8–64 characters): a retry with it answers the
    settlement already recorded (200) and pays nothing twice; the key sent again for another
    supplier, period or amount is refused (409). Refused (409) above what is owed."""
    key = idempotency_key(request)
    done = await settlements.settle(
        actor(request),
        body.supplier_id,
        body.period_start,
        body.period_end,
        body.amount_fen,
        body.reference,
        key,
        now(),
    )
    return ok(done, 200 if done["replayed"] else 201)
