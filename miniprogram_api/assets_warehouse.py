"""The 公物仓 in the mini-program, for units' asset officers: the units they act for, the
catalogue of items no unit has asked for yet (with photos), asking to keep or borrow one, their
requests with the approval's progress, and withdrawing one still in approval."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, runtime
from backend.assets.errors import AssetsError
from backend.assets.models import RequestKind
from backend.assets.schemas import OfficerUnitOut, WarehouseItemOut, WarehouseRequestIn, WarehouseRequestOut
from backend.assets.service import officers, warehouse
from backend.core.timeutil import now
from backend.core.web.apidocs import JPEG, PAGING, Listed, Paged, Query, api
from backend.core.web.responses import ok, private_image
from backend.core.web.validation import accepts, query_int

bp = Blueprint("mp_assets_warehouse", url_prefix="/assets/warehouse")
TITLE = "小程序·公物仓"


async def _officer(request: Request) -> int:
    """The caller's person id, if they are an asset officer of some unit."""
    person_id = request.ctx.principal.person_id
    if not await officers.units_of(person_id):
        raise AssetsError.NOT_ASSET_OFFICER.error()
    return person_id


@bp.get("/units")
@api("我作为资产管理员所代表的单位", Listed[OfficerUnitOut])
@cadre_required
async def units(request: Request):
    found = await officers.units_of(request.ctx.principal.person_id)
    return ok({"items": [{"id": u.id, "code": u.code, "name": u.name} for u in found]})


@bp.get("/items")
@api(
    "公物仓可申请物品（分页，可按分类、关键词筛选）",
    Paged[WarehouseItemOut],
    query=(*PAGING, Query("category_id", "资产分类（含下级）", int), Query("q", "关键词：名称或规格")),
)
@cadre_required
async def items(request: Request):
    await _officer(request)
    category = query_int(request, "category_id", 0, 0, 2**31 - 1)
    return ok(
        await warehouse.catalogue(
            query_int(request, "page", 1, 1, 10_000),
            query_int(request, "page_size", 20, 1, 50),
            category_id=category or None,
            q=request.args.get("q", "")[:50],
        )
    )


@bp.get("/items/<entry_id:int>")
@api("公物仓物品详情", WarehouseItemOut)
@cadre_required
async def item(request: Request, entry_id: int):
    await _officer(request)
    return ok(await warehouse.item(entry_id))


@bp.get("/items/<entry_id:int>/photos/<index:int>")
@api("公物仓物品照片（第几张，从 0 开始）", JPEG, query=(Query("size", "thumb：取缩略图"),))
@cadre_required
async def item_photo(request: Request, entry_id: int, index: int):
    await _officer(request)
    body = await warehouse.photo(runtime(request).storage, entry_id, index, request.args.get("size") == "thumb")
    return private_image(body, "image/jpeg", max_age=86400)


@bp.post("/requests")
@api("申请公物仓物品（调剂领用或临时借用）", WarehouseRequestOut, status=(201, 200))
@cadre_required
@accepts(WarehouseRequestIn)
async def submit(request: Request, body: WarehouseRequestIn):
    """201 with the new request holding the item; 200 with the request already filed under the
    same client_ref (409 assets.client_ref_reused when that request was for another item, unit
    or kind); 409 assets.item_taken when another request holds the item; 422
    assets.request_place_not_units / assets.request_custodian_not_units when the room or the
    custodian is not the requesting unit's (or a unit's below it; a vacant room is allowed)."""
    form = warehouse.RequestForm(
        entry_id=body.entry_id,
        unit_id=body.unit_id,
        kind=RequestKind(body.kind),
        purpose=body.purpose,
        place_id=body.place_id,
        custodian_id=body.custodian_id,
        return_due=body.return_due,
    )
    found, created = await warehouse.request_item(request.ctx.principal.person_id, body.client_ref, form, now())
    return ok(found, 201 if created else 200)


@bp.get("/requests")
@api("我的公物仓申请（分页）", Paged[WarehouseRequestOut], query=PAGING)
@cadre_required
async def mine(request: Request):
    return ok(
        await warehouse.mine(
            request.ctx.principal.person_id,
            query_int(request, "page", 1, 1, 10_000),
            query_int(request, "page_size", 20, 1, 50),
        )
    )


@bp.get("/requests/<request_id:int>")
@api("公物仓申请详情（审批进度）", WarehouseRequestOut)
@cadre_required
async def detail(request: Request, request_id: int):
    return ok(await warehouse.detail(request.ctx.principal.person_id, request_id))


@bp.post("/requests/<request_id:int>/cancel")
@api("撤回公物仓申请（审批中）", WarehouseRequestOut)
@cadre_required
async def cancel(request: Request, request_id: int):
    return ok(await warehouse.cancel(request.ctx.principal.person_id, request_id, now()))
