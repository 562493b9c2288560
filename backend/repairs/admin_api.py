"""Console API of the repairs module: reports and dispatching, categories and SLA, teams,
locations and the spare-parts stock."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from backend.accounts.guards import actor, admin_required, runtime
from backend.core.pagination import paginate
from backend.core.timeutil import now
from backend.core.web.apidocs import JPEG, PAGING, Listed, Paged, Query, api
from backend.core.web.responses import ok, private_image
from backend.core.web.validation import accepts, query_int
from backend.repairs.models import ReportState
from backend.repairs.permissions import RepairsPermission
from backend.repairs.schemas import (
    AssignIn,
    BulkAssignIn,
    BulkAssignOut,
    CategoryIn,
    CategoryOut,
    CloseIn,
    LocationIn,
    NoteIn,
    PartIn,
    PartOut,
    PlaceInTreeOut,
    PlaceOut,
    ReportDetailOut,
    ReportOut,
    StockInIn,
    TeamIn,
    TeamOut,
)
from backend.repairs.service import catalog, parts, uploads
from backend.repairs.service import reports as service
from backend.repairs.service.reports import RELATED, Who

bp = Blueprint("repairs_admin", url_prefix="/admin/v1/repairs")
PHOTOS = "/admin/v1/repairs/photos"


def _who(request: Request) -> Who:
    return Who.admin(actor(request))


@bp.get("/reports")
@api(
    "报修单列表（分页，可筛选）",
    Paged[ReportOut],
    query=(
        *PAGING,
        Query("category", "报修类别编码"),
        Query("overdue", "仅看超时（1）"),
        Query("state", "报修单状态（open：所有未办结的）", choices=ReportState),
    ),
)
@admin_required(RepairsPermission.VIEW_REPORT)
async def list_reports(request: Request):
    """Filters: state (or "open"), category (code), overdue=1."""
    at = now()
    filters = {
        "state": request.args.get("state", "")[:16],
        "category": request.args.get("category", "")[:32],
        "overdue_at": at if request.args.get("overdue") == "1" else None,
    }
    found = await paginate(
        service.reports_query(filters).select_related(*RELATED),
        query_int(request, "page", 1, 1, 100_000),
        query_int(request, "page_size", 20, 1, 100),
        order_by=("-id",),
    )
    return ok({**found.as_dict(), "items": await service.report_views(found.items, at)})


@bp.get("/reports/<report_id:int>")
@api("报修单详情", ReportDetailOut)
@admin_required(RepairsPermission.VIEW_REPORT)
async def report(request: Request, report_id: int):
    return ok(await service.report_detail(report_id, now(), _who(request), PHOTOS))


@bp.post("/reports/<report_id:int>/assign")
@api("派工", ReportDetailOut)
@admin_required(RepairsPermission.DISPATCH_REPORT)
@accepts(AssignIn)
async def assign(request: Request, report_id: int, body: AssignIn):
    await service.assign(_who(request), report_id, body.technician_id, now(), body.note)
    return ok(await service.report_detail(report_id, now(), _who(request), PHOTOS))


@bp.post("/reports/bulk-assign")
@api("批量派工", BulkAssignOut)
@admin_required(RepairsPermission.DISPATCH_REPORT)
@accepts(BulkAssignIn)
async def bulk_assign(request: Request, body: BulkAssignIn):
    """Each report is assigned on its own; the answer says which were and why the others were not."""
    return ok(await service.bulk_assign(_who(request), body.report_ids, body.technician_id, now()))


@bp.post("/reports/<report_id:int>/close")
@api("关闭报修单", ReportDetailOut)
@admin_required(RepairsPermission.DISPATCH_REPORT)
@accepts(CloseIn)
async def close(request: Request, report_id: int, body: CloseIn):
    await service.close_without_repair(_who(request), report_id, body.action, body.note, now(), body.duplicate_of)
    return ok(await service.report_detail(report_id, now(), _who(request), PHOTOS))


@bp.post("/reports/<report_id:int>/reopen")
@api("重新打开报修单", ReportDetailOut)
@admin_required(RepairsPermission.DISPATCH_REPORT)
@accepts(NoteIn)
async def reopen(request: Request, report_id: int, body: NoteIn):
    await service.reopen(_who(request), report_id, body.note, now())
    return ok(await service.report_detail(report_id, now(), _who(request), PHOTOS))


async def photo_response(request: Request, photo_id: int) -> HTTPResponse:
    """A report's photo, or its thumbnail with ?size=thumb: what a dispatcher may see, here and
    in the console (each route authenticates its own way)."""
    found = await uploads.attached_photo(photo_id)
    body, content_type = await uploads.content(runtime(request).storage, found, request.args.get("size") == "thumb")
    return private_image(body, content_type)


@bp.get("/photos/<photo_id:int>")
@api("报修照片", JPEG, query=(Query("size", "thumb：取缩略图"),))
@admin_required(RepairsPermission.VIEW_REPORT)
async def photo(request: Request, photo_id: int):
    return await photo_response(request, photo_id)


@bp.get("/categories")
@api("报修类别列表", Listed[CategoryOut])
@admin_required(RepairsPermission.VIEW_REPORT)
async def categories(request: Request):
    return ok({"items": await catalog.list_categories(active_only=False)})


@bp.post("/categories")
@api("保存报修类别", CategoryOut)
@admin_required(RepairsPermission.MANAGE_SETTINGS)
@accepts(CategoryIn)
async def save_category(request: Request, body: CategoryIn):
    return ok(
        await catalog.save_category(
            actor(request),
            body.code,
            body.name,
            body.team_code,
            body.accept_hours,
            body.resolve_hours,
            body.auto_assign,
            body.is_active,
        )
    )


@bp.get("/teams")
@api("维修班组列表", Listed[TeamOut])
@admin_required(RepairsPermission.VIEW_REPORT)
async def teams(request: Request):
    return ok({"items": await catalog.list_teams()})


@bp.post("/teams")
@api("保存维修班组", TeamOut)
@admin_required(RepairsPermission.MANAGE_SETTINGS)
@accepts(TeamIn)
async def save_team(request: Request, body: TeamIn):
    return ok(
        await catalog.save_team(
            actor(request), body.code, body.name, body.dispatcher_employee_no, body.member_employee_nos
        )
    )


@bp.get("/locations")
@api("报修地点树", Listed[PlaceInTreeOut])
@admin_required(RepairsPermission.VIEW_REPORT)
async def locations(request: Request):
    return ok({"items": await catalog.location_tree()})


@bp.post("/locations")
@api("新增报修地点", PlaceOut, status=201)
@admin_required(RepairsPermission.MANAGE_SETTINGS)
@accepts(LocationIn)
async def create_location(request: Request, body: LocationIn):
    return ok(await catalog.create_location(actor(request), body.name, body.parent_id), 201)


@bp.get("/parts")
@api("备件库存", Listed[PartOut])
@admin_required(RepairsPermission.VIEW_REPORT)
async def list_parts(request: Request):
    return ok({"items": await parts.list_parts()})


@bp.post("/parts")
@api("新增维修备件", PartOut, status=201)
@admin_required(RepairsPermission.MANAGE_PARTS)
@accepts(PartIn)
async def create_part(request: Request, body: PartIn):
    return ok(await parts.create_part(actor(request), body.code, body.name, body.unit, body.low_stock), 201)


@bp.post("/parts/<part_id:int>/stock-in")
@api("备件入库", PartOut)
@admin_required(RepairsPermission.MANAGE_PARTS)
@accepts(StockInIn)
async def stock_in(request: Request, part_id: int, body: StockInIn):
    return ok(await parts.stock_in(actor(request), part_id, body.quantity, body.note, now()))
