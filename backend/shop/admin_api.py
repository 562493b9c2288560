"""Console API of the produce shop (the console's own pages post forms; this serves another
client or system): reports and supplier settlement."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import actor, admin_required
from backend.core.timeutil import now, today
from backend.core.web.apidocs import PAGING, XLSX, Paged, Query, api
from backend.core.web.responses import ok, xlsx_download
from backend.core.web.validation import accepts, idempotency_key, query_date, query_int
from backend.shop.permissions import ShopPermission
from backend.shop.schemas import (
    PurchaseListOut,
    SalesReportOut,
    SettledOut,
    SettlementIn,
    SettlementOut,
    SettlementReportOut,
)
from backend.shop.service import reports, settlements

bp = Blueprint("shop_admin", url_prefix="/admin/v1/shop")


# ---- reports and settlement (H5) ----------------------------------------------------------------

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
