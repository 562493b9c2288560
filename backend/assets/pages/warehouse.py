"""Console page of the 公物仓: moving an asset in (by its number, with photos and condition), the
stock with what each item is held by and 出仓 (an item no request holds back to the unit that
gave it), the requests and their approval state, loans out with the overdue ones marked and
their return, and the value reused this year (savings). Requests are decided by approvers in
the mini-program, never here."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime
from backend.approvals.service import ApproverRole
from backend.approvals.service import setup as approval_setup
from backend.assets.models import ItemCondition, RequestState
from backend.assets.permissions import AssetsPermission as P
from backend.assets.schemas import LoanReturnIn
from backend.assets.service import lookup, warehouse
from backend.console.forms import FormErrors, form_data, posted, submit
from backend.console.render import flash, page
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.core.timeutil import now, today
from backend.core.web.validation import query_int
from backend.places import service as places

bp = Blueprint("assets_warehouse_pages", url_prefix="/console/assets/warehouse")

FLASH = {
    "moved_in": "已入仓：资产已转到公物仓所在房间，状态为“在仓”，可在小程序公物仓中申请",
    "returned": "已登记归还：物品回到公物仓，重新可供申请",
    "created": "已新建公物仓，可以办理入仓",
    "taken_out": "已出仓：资产退回原单位，状态为“闲置”，可由原单位继续使用或申请处置",
}
CREATE_FIELDS = {
    "assets.warehouse_name_invalid": "name",
    "assets.warehouse_name_taken": "name",
    "assets.warehouse_place_invalid": "place_id",
    "places.place_not_found": "place_id",
}
MOVE_IN_FIELDS = {
    "assets.asset_not_found": "asset_no",
    "assets.not_movable_in": "asset_no",
    "assets.warehouse_not_found": "warehouse_id",
    "assets.warehouse_photos_too_many": "photos",
}
STATES = [*((s.value, s.label) for s in RequestState), ("all", "全部")]
CONDITIONS = [(c.value, c.label) for c in ItemCondition]
PAGE_SIZE = 30


def _state(request: Request) -> RequestState | None:
    value = request.args.get("state", RequestState.PENDING.value)
    return RequestState(value) if value in RequestState._value2member_map_ else None


async def _warehouse_page(request: Request, status: int = 200, **forms):
    state = _state(request)
    on = today()
    return await page(
        request,
        "assets/warehouse.html",
        status=status,
        flash=flash(request, FLASH),
        warehouses=[(str(w["id"]), f"{w['name']}（{w['place']}）") for w in await warehouse.warehouses()],
        conditions=CONDITIONS,
        move_form=forms.get("move_form", {}),
        move_errors=forms.get("move_errors", FormErrors()),
        return_errors=forms.get("return_errors", FormErrors()),
        out_errors=forms.get("out_errors", FormErrors()),
        create_form=forms.get("create_form", {}),
        create_errors=forms.get("create_errors", FormErrors()),
        places=[(str(p["id"]), p["full_name"]) for p in await places.tree() if p["kind"] != "floor"],
        stock=await warehouse.stock(query_int(request, "stock_page", 1, 1, 10_000), PAGE_SIZE),
        requests=await warehouse.requests(query_int(request, "page", 1, 1, 10_000), PAGE_SIZE, state=state),
        state=state.value if state else "all",
        states=STATES,
        loans=await warehouse.loans_out(on, overdue_only=request.args.get("overdue") == "1"),
        overdue_only=request.args.get("overdue") == "1",
        savings=await warehouse.savings(date(on.year, 1, 1), on),
        pending=await warehouse.pending_count(),
        no_authority=not await approval_setup.list_approvers(ApproverRole.AUTHORITY.value, active_only=True),
    )


@bp.get("")
@console_page(P.RUN_WAREHOUSE)
async def warehouse_page(request: Request):
    return await _warehouse_page(request)


@bp.post("/move-in")
@console_page(P.RUN_WAREHOUSE)
async def move_in(request: Request):
    """An asset moved in, with up to six photos from the form's `photos` field."""
    data = form_data(request)
    errors = FormErrors()
    uploads = [f.body for f in (request.files.getlist("photos") or [])] if request.files else []
    uploads = [body for body in uploads if body]
    if not data.get("asset_no"):
        errors["asset_no"] = "请填写资产编号"
    if data.get("condition") not in ItemCondition._value2member_map_:
        errors["condition"] = "请选择成色"
    if not data.get("warehouse_id", "").isdigit():
        errors["warehouse_id"] = "请选择公物仓"
    if not errors:
        try:
            await warehouse.move_in(
                actor(request),
                runtime(request).storage,
                await lookup.asset_id(data["asset_no"]),
                int(data["warehouse_id"]),
                ItemCondition(data["condition"]),
                data.get("description", "")[:500],
                uploads,
                now(),
            )
            return redirect("/console/assets/warehouse?done=moved_in")
        except AppError as refusal:
            # A refused photo (not an image, too large) is shown at the photos field.
            photo = refusal.code.startswith("image.")
            errors = FormErrors({"photos": refusal.message}) if photo else FormErrors.of(refusal, MOVE_IN_FIELDS)
    return await _warehouse_page(request, 422, move_form=posted(request), move_errors=errors)


@bp.post("/warehouses")
@console_page(P.RUN_WAREHOUSE)
async def create_warehouse(request: Request):
    """A new 公物仓 at a building or a room."""
    data = form_data(request)
    errors = FormErrors()
    if not data.get("place_id", "").isdigit():
        errors["place_id"] = "请选择所在地点"
    if not errors:
        try:
            await warehouse.create_warehouse(actor(request), data.get("name", ""), int(data["place_id"]))
            return redirect("/console/assets/warehouse?done=created")
        except AppError as refusal:
            errors = FormErrors.of(refusal, CREATE_FIELDS)
    return await _warehouse_page(request, 422, create_form=posted(request), create_errors=errors)


@bp.post("/requests/<request_id:int>/return")
@console_page(P.RUN_WAREHOUSE)
async def return_loan(request: Request, request_id: int):
    _, errors = await submit(
        LoanReturnIn,
        form_data(request),
        lambda body: warehouse.return_loan(actor(request), request_id, ItemCondition(body.condition), now()),
    )
    if not errors:
        return redirect("/console/assets/warehouse?done=returned#loans")
    return await _warehouse_page(request, 409, return_errors=FormErrors({"": "；".join(errors.values())}))


@bp.post("/items/<entry_id:int>/out")
@console_page(P.RUN_WAREHOUSE)
async def take_out(request: Request, entry_id: int):
    """出仓: the item back to the unit that gave it, 闲置."""
    try:
        await warehouse.take_out(actor(request), entry_id, form_data(request).get("note", ""), now())
    except AppError as refusal:
        return await _warehouse_page(request, refusal.status, out_errors=FormErrors({"": refusal.message}))
    return redirect("/console/assets/warehouse?done=taken_out")
