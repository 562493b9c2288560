"""Console API of the official-cars module's records: vehicles (paged, filtered), one vehicle
with its upkeep and what falls due, and the drivers."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import admin_required
from backend.core.pagination import paginate
from backend.core.timeutil import today
from backend.core.web.apidocs import PAGING, Listed, Paged, Query, api
from backend.core.web.responses import ok
from backend.core.web.validation import query_int
from backend.fleet.models import VehicleStatus, VehicleType
from backend.fleet.permissions import FleetPermission
from backend.fleet.schemas import DriverOut, VehicleDetailOut, VehicleOut
from backend.fleet.service import records, upkeep

bp = Blueprint("fleet_admin", url_prefix="/admin/v1/fleet")


@bp.get("/vehicles")
@api(
    "公务车辆列表（分页，可筛选）",
    Paged[VehicleOut],
    query=(
        *PAGING,
        Query("vehicle_type", "车型", choices=VehicleType),
        Query("status", "车辆状态", choices=VehicleStatus),
        Query("home", "归属：pool 为集中管理，或派驻单位编号"),
        Query("plate", "车牌号（部分即可）"),
    ),
)
@admin_required(FleetPermission.VIEW_FLEET)
async def list_vehicles(request: Request):
    filters = {
        "vehicle_type": request.args.get("vehicle_type", "")[:20],
        "status": request.args.get("status", "")[:20],
        "home": request.args.get("home", "")[:20],
        "plate": request.args.get("plate", "")[:20],
    }
    found = await paginate(
        records.vehicles_query(filters),
        query_int(request, "page", 1, 1, 100_000),
        query_int(request, "page_size", 20, 1, 100),
        order_by=("plate",),
    )
    names = await records.home_names({v.home_unit_id for v in found.items})
    items = [records.vehicle_view(v, names.get(v.home_unit_id, records.POOL)) for v in found.items]
    return ok({**found.as_dict(), "items": items})


@bp.get("/vehicles/<vehicle_id:int>")
@api("公务车辆详情（含维修保养记录与到期提醒）", VehicleDetailOut)
@admin_required(FleetPermission.VIEW_FLEET)
async def vehicle(request: Request, vehicle_id: int):
    found = await records.get_vehicle(vehicle_id)
    due = await upkeep.due_reminders(today(), vehicle_id=vehicle_id)
    reminders = list(due[0].reasons) if due else []
    return ok({**found, "upkeep": await upkeep.upkeep_of(vehicle_id), "reminders": reminders})


@bp.get("/drivers")
@api("驾驶员列表", Listed[DriverOut], query=(Query("active", "仅看在岗驾驶员（1）"),))
@admin_required(FleetPermission.VIEW_FLEET)
async def drivers(request: Request):
    return ok({"items": await records.list_drivers(active_only=request.args.get("active") == "1")})
