"""Console API of the official-cars module: vehicles (paged, filtered), one vehicle with its
upkeep and what falls due, the drivers, and dispatching a request (for a dispatch client or
another system; the console's own pages post forms)."""

from __future__ import annotations

from dataclasses import asdict

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import actor, admin_required, runtime
from backend.core.pagination import paginate
from backend.core.timeutil import now, today
from backend.core.web.apidocs import PAGING, Listed, Paged, Query, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, idempotency_key, query_int
from backend.fleet.models import VehicleStatus, VehicleType
from backend.fleet.permissions import FleetPermission
from backend.fleet.schemas import DispatchedTripOut, DispatchTargetIn, DriverOut, VehicleDetailOut, VehicleOut
from backend.fleet.service import dispatch, records, upkeep
from backend.modules import settings_of

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


@bp.post("/requests/<request_id:int>/dispatch")
@api("派车（车辆与驾驶员，或社会租赁）", DispatchedTripOut, status=(201, 200))
@admin_required(FleetPermission.DISPATCH_TRIP)
@accepts(DispatchTargetIn)
async def dispatch_request(request: Request, request_id: int, body: DispatchTargetIn):
    """Needs an `Idempotency-Key` header (8–64 characters): a retry with it answers the trip
    already made (200) and makes no second one. An overlap with another trip of the car or the
    driver answers 409 naming that trip (`error.details.trip_id`)."""
    key = idempotency_key(request)
    rental = body.mode == "rental"
    trip = await dispatch.dispatch(
        actor(request),
        request_id,
        vehicle_id=None if rental else body.vehicle_id,
        driver_id=None if rental else body.driver_id,
        rental_company_id=body.rental_company_id if rental else None,
        rental_vehicle_type=body.rental_vehicle_type if rental else None,
        rental_plate=body.rental_plate if rental else "",
        key=key,
        at=now(),
        buffer_minutes=settings_of(runtime(request).settings, "fleet").buffer_minutes,
    )
    view = {k: v for k, v in asdict(trip).items() if k not in ("replayed", "driver_person_id")}
    return ok(view, 200 if trip.replayed else 201)
