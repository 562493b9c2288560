"""Console API of the assets module (`/admin/v1/assets`), for a client of the asset offices or
another system; the console's own pages post forms to the same services: asset cards and
imports, labels, the 公物仓, disposals, stock-takes and the office-space register."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import actor, admin_required, scope
from backend.assets.models import AssetStatus
from backend.assets.permissions import AssetsPermission as P
from backend.assets.schemas import (
    AssetCardIn,
    AssetCardOut,
    AssetCardRowOut,
    AssetCardSavedOut,
    AssetCategoryIn,
    AssetCategoryOut,
    AssetCategoryUpdateIn,
    AssetImportOut,
    AssetOfficerIn,
    AssetOfficerOut,
)
from backend.assets.service import cards, categories, imports, officers
from backend.core.timeutil import today
from backend.core.web.apidocs import PAGING, XLSX, Listed, Paged, Query, api
from backend.core.web.responses import ok, xlsx_download
from backend.core.web.validation import accepts, query_date, query_int, uploaded_file

bp = Blueprint("assets_admin", url_prefix="/admin/v1/assets")


# ---- H1 cards ----
CARD_FILTERS = (
    Query("q", "关键词：资产编号（完整）、名称或规格型号"),
    Query("unit", "使用单位编号（含下级单位）", int),
    Query("category", "资产分类编号（含下级分类）", int),
    Query("status", "状态", choices=AssetStatus),
    Query("place", "地点编号（楼宇、楼层或房间，含其下）", int),
    Query("custodian", "使用人编号", int),
    Query("bought_from", "购置日期起（YYYY-MM-DD）", date),
    Query("bought_until", "购置日期止（YYYY-MM-DD）", date),
)
_MAX_ID = 2**31 - 1


def _card_filters(request: Request) -> cards.CardFilters:
    status = request.args.get("status") or None
    return cards.CardFilters(
        unit_id=query_int(request, "unit", 0, 0, _MAX_ID) or None,
        category_id=query_int(request, "category", 0, 0, _MAX_ID) or None,
        status=AssetStatus(status) if status in AssetStatus.labels() else None,
        place_id=query_int(request, "place", 0, 0, _MAX_ID) or None,
        custodian_id=query_int(request, "custodian", 0, 0, _MAX_ID) or None,
        bought_from=query_date(request, "bought_from"),
        bought_until=query_date(request, "bought_until"),
        query=(request.args.get("q") or "")[:100],
    )


@bp.get("/cards")
@api("资产卡片（分页，可筛选、搜索）", Paged[AssetCardRowOut], query=(*PAGING, *CARD_FILTERS))
@admin_required(P.VIEW_ASSETS)
async def card_list(request: Request):
    page = query_int(request, "page", 1, 1, 100_000)
    page_size = query_int(request, "page_size", 20, 1, 100)
    found = await cards.list_cards(scope(request, P.VIEW_ASSETS), _card_filters(request), page, page_size)
    return ok(found.as_dict())


@bp.get("/cards/export.xlsx")
@api("导出资产卡片（Excel）", XLSX, query=CARD_FILTERS)
@admin_required(P.VIEW_ASSETS)
async def card_export(request: Request):
    body = await cards.export(scope(request, P.VIEW_ASSETS), _card_filters(request))
    return xlsx_download(body, f"资产卡片-{today().isoformat()}.xlsx")


@bp.post("/cards")
@api("登记资产卡片（保存时自动编号）", AssetCardSavedOut, status=201)
@admin_required(P.MANAGE_ASSETS)
@accepts(AssetCardIn)
async def card_create(request: Request, body: AssetCardIn):
    details = cards.CardDetails(**body.model_dump())
    return ok(await cards.register(actor(request), scope(request, P.MANAGE_ASSETS), details), 201)


@bp.get("/cards/<asset_id:int>")
@api("资产卡片详情（折旧、变动记录、维修记录）", AssetCardOut)
@admin_required(P.VIEW_ASSETS)
async def card_detail(request: Request, asset_id: int):
    return ok(await cards.card(scope(request, P.VIEW_ASSETS), asset_id))


@bp.put("/cards/<asset_id:int>")
@api("修改资产卡片", AssetCardSavedOut)
@admin_required(P.MANAGE_ASSETS)
@accepts(AssetCardIn)
async def card_update(request: Request, asset_id: int, body: AssetCardIn):
    details = cards.CardDetails(**body.model_dump())
    return ok(await cards.update(actor(request), scope(request, P.MANAGE_ASSETS), asset_id, details))


@bp.get("/imports/template.xlsx")
@api("资产导入模板（Excel）", XLSX)
@admin_required(P.MANAGE_ASSETS)
async def import_template(request: Request):
    return xlsx_download(await imports.template_workbook(), "资产导入模板.xlsx")


@bp.post("/imports")
@api("从 Excel 导入资产（全部无误才导入）", AssetImportOut, query=(Query("dry_run", "1：只检查不导入"),))
@admin_required(P.MANAGE_ASSETS)
async def import_file(request: Request):
    """multipart/form-data with one `file` (.xlsx); every bad cell comes back in
    error.details.problems as {line, column, message}."""
    report = await imports.import_assets(
        actor(request),
        scope(request, P.MANAGE_ASSETS),
        "import.xlsx",
        uploaded_file(request),
        dry_run=request.args.get("dry_run") == "1",
    )
    return ok(report)


@bp.get("/categories")
@api("资产分类（按编码排列的树）", Listed[AssetCategoryOut], query=(Query("active", "仅看启用的分类（1）"),))
@admin_required(P.VIEW_ASSETS)
async def category_list(request: Request):
    return ok({"items": await categories.tree(active_only=request.args.get("active") == "1")})


@bp.post("/categories")
@api("新增资产分类", AssetCategoryOut, status=201)
@admin_required(P.MANAGE_SETUP)
@accepts(AssetCategoryIn)
async def category_create(request: Request, body: AssetCategoryIn):
    made = await categories.create_category(
        actor(request), body.code, body.name, body.parent_id, body.useful_life_months
    )
    return ok(made, 201)


@bp.put("/categories/<category_id:int>")
@api("修改、停用或恢复资产分类", AssetCategoryOut)
@admin_required(P.MANAGE_SETUP)
@accepts(AssetCategoryUpdateIn)
async def category_update(request: Request, category_id: int, body: AssetCategoryUpdateIn):
    saved = await categories.update_category(
        actor(request), category_id, body.name, body.useful_life_months, body.is_active
    )
    return ok(saved)


@bp.get("/officers")
@api("资产管理员", Listed[AssetOfficerOut])
@admin_required(P.MANAGE_SETUP)
async def officer_list(request: Request):
    return ok({"items": await officers.list_officers()})


@bp.post("/officers")
@api("指定资产管理员", AssetOfficerOut, status=201)
@admin_required(P.MANAGE_SETUP)
@accepts(AssetOfficerIn)
async def officer_assign(request: Request, body: AssetOfficerIn):
    return ok(await officers.assign(actor(request), body.employee_no, body.unit_code), 201)


@bp.post("/officers/<officer_id:int>/stop")
@api("停用资产管理员", AssetOfficerOut)
@admin_required(P.MANAGE_SETUP)
async def officer_stop(request: Request, officer_id: int):
    return ok(await officers.deactivate(actor(request), officer_id))
