"""Console pages of stock-taking (资产盘点): the tasks with the form that opens one, a task's
progress room by room and its findings with the forms that resolve them, closing a task, and
its Excel report. What an admin sees and does reaches their units only."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, scope
from backend.accounts.service import people
from backend.assets.permissions import AssetsPermission as P
from backend.assets.schemas import StocktakeIn, StocktakeResolveIn
from backend.assets.service import stocktakes
from backend.console.forms import FormErrors, form_data, posted, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.core.web.responses import xlsx_download
from backend.core.web.validation import query_int
from backend.places import service as places

bp = Blueprint("assets_stocktake_pages", url_prefix="/console/assets/stocktakes")

PAGE_SIZE = 30
FLASH = {
    "opened": "盘点任务已创建，盘点人可在小程序“资产盘点”中逐个房间扫码",
    "closed": "盘点任务已结束，差异已生成，请逐条处理",
    "resolved": "差异已处理",
}
# Where a refusal of the service belongs on the form that opens a task.
OPEN_FIELDS = {
    "assets.stocktake_title_invalid": "title",
    "assets.stocktake_unit_not_found": "unit_id",
    "assets.stocktake_not_building": "building_id",
    "places.place_not_found": "building_id",
    "assets.stocktake_checkers_invalid": "checkers",
    "assets.stocktake_checker_outside": "checkers",
}


async def _unit_options(request: Request) -> list[tuple[str, str]]:
    units = await people.list_units(scope(request, P.RUN_STOCKTAKE), enabled_only=True)
    names = {u["id"]: u["name"] for u in units}
    return [(str(u["id"]), people.unit_label(u["name"], names.get(u["parent_id"]), u["depth"])) for u in units]


async def _list_page(request: Request, status: int = 200, form: dict | None = None, errors: FormErrors | None = None):
    number = query_int(request, "page", 1, 1, 10_000)
    listed = await stocktakes.list_tasks(scope(request, P.VIEW_ASSETS), number, PAGE_SIZE)
    can_run = can(request, P.RUN_STOCKTAKE)
    return await page(
        request,
        "assets/stocktakes.html",
        status=status,
        listed=listed,
        flash=flash(request, FLASH),
        can_run=can_run,
        form=form or {},
        errors=errors or FormErrors(),
        unit_options=await _unit_options(request) if can_run else [],
        building_options=[(str(b["id"]), b["name"]) for b in await places.buildings()] if can_run else [],
    )


@bp.get("")
@console_page(P.VIEW_ASSETS)
async def tasks(request: Request):
    return await _list_page(request)


@bp.post("")
@console_page(P.RUN_STOCKTAKE)
async def open_task(request: Request):
    opened, errors = await submit(
        StocktakeIn,
        form_data(request),
        lambda body: stocktakes.open_task(
            actor(request),
            scope(request, P.RUN_STOCKTAKE),
            body.title,
            body.unit_id,
            body.building_id,
            body.checkers,
            now(),
        ),
        OPEN_FIELDS,
    )
    if not errors:
        return redirect(f"/console/assets/stocktakes/{opened['id']}?done=opened")
    # The roster names the number it does not know under its own field name.
    if "employee_no" in errors:
        errors["checkers"] = errors.pop("employee_no")
    return await _list_page(request, 422, posted(request), errors)


async def _task_page(request: Request, stocktake_id: int, status: int = 200, errors: dict | None = None):
    task = await stocktakes.detail(scope(request, P.VIEW_ASSETS), stocktake_id)
    counts = {kind: sum(f["kind"] == kind for f in task["findings"]) for kind in ("missing", "moved", "unknown")}
    return await page(
        request,
        "assets/stocktake.html",
        status=status,
        task=task,
        counts=counts,
        unresolved=sum(f["id"] is not None and not f["resolution"] for f in task["findings"]),
        flash=flash(request, FLASH),
        can_run=can(request, P.RUN_STOCKTAKE),
        # finding id (0: the task's own close form) -> the refusal shown next to it
        errors=errors or {},
    )


@bp.get("/<stocktake_id:int>")
@console_page(P.VIEW_ASSETS)
async def task(request: Request, stocktake_id: int):
    return await _task_page(request, stocktake_id)


@bp.get("/<stocktake_id:int>/report.xlsx")
@console_page(P.VIEW_ASSETS)
async def report(request: Request, stocktake_id: int):
    name, body = await stocktakes.report_workbook(scope(request, P.VIEW_ASSETS), stocktake_id)
    return xlsx_download(body, name)


@bp.post("/<stocktake_id:int>/close")
@console_page(P.RUN_STOCKTAKE)
async def close(request: Request, stocktake_id: int):
    try:
        await stocktakes.close(actor(request), scope(request, P.RUN_STOCKTAKE), stocktake_id, now())
    except AppError as refusal:
        if refusal.status == 404 or refusal.code.startswith("auth."):
            raise
        return await _task_page(request, stocktake_id, 409, {0: refusal.message})
    return redirect(f"/console/assets/stocktakes/{stocktake_id}?done=closed#findings")


@bp.post("/<stocktake_id:int>/findings/<finding_id:int>/resolve")
@console_page(P.RUN_STOCKTAKE)
async def resolve(request: Request, stocktake_id: int, finding_id: int):
    _, errors = await submit(
        StocktakeResolveIn,
        form_data(request),
        lambda body: stocktakes.resolve(
            actor(request),
            scope(request, P.RUN_STOCKTAKE),
            stocktake_id,
            finding_id,
            body.resolution,
            body.note,
            now(),
        ),
    )
    if not errors:
        return redirect(f"/console/assets/stocktakes/{stocktake_id}?done=resolved#finding-{finding_id}")
    return await _task_page(request, stocktake_id, 422, {finding_id: "；".join(errors.values())})
