"""Console pages of the fleet centre's dispatchers: the car requests (用车申请) with filters and
.xlsx export; a request's page with its trips, the dispatch form pre-filled with suggested cars
and drivers (or a rental), and cancel and reassign of a trip not yet started; and the dispatch
board (调度看板), a day or a week of trips per vehicle as a timeline. Every change goes through
fleet.service.dispatch."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime
from backend.accounts.service import people
from backend.console.forms import FormErrors, form_data, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.permissions import Scope
from backend.core.timeutil import business_time, now, parse_day, today
from backend.fleet.errors import FleetError
from backend.fleet.models import RequestState, TripState, VehicleType
from backend.fleet.permissions import FleetPermission
from backend.fleet.schemas import CancelDispatchIn, DispatchIn, ReassignIn, RentalFinishIn
from backend.fleet.service import board as boards
from backend.fleet.service import desk, dispatch, trips
from backend.fleet.service.suggest import suggest
from backend.modules import settings_of

bp = Blueprint("console_fleet_dispatch", url_prefix="/console/fleet")

SUGGESTED = 10
FLASH = {
    "dispatched": "已派车",
    "dispatched_replayed": "该派车表单已提交过，显示的是第一次派车的结果",
    "cancelled": "已取消派车，申请回到“待派车”",
    "reassigned": "已改派",
    "reassigned_replayed": "该改派表单已提交过，显示的是第一次改派的结果",
    "rental_finished": "已按租赁合同价格结算，费用已计入单位用车额度",
}
# Where a refusal of the service is shown on the dispatch and reassign forms, by its code.
FIELD_OF_CODE = {
    **{
        f"fleet.{reason}": "vehicle_id"
        for reason in (
            "vehicle_not_found",
            "vehicle_unavailable",
            "inspection_overdue",
            "passengers_over_seats",
            "vehicle_busy",
            "sealed_period",
        )
    },
    **{
        f"fleet.{reason}": "driver_id"
        for reason in (
            "driver_not_found",
            "driver_inactive",
            "licence_expired",
            "licence_unfit",
            "driver_on_leave",
            "driver_busy",
        )
    },
    "fleet.company_not_found": "rental_company_id",
    "fleet.no_rental_rate": "rental_vehicle_type",
    "fleet.rental_plate_invalid": "rental_plate",
}

REQUESTS = Table(
    title="用车申请",
    columns=(
        Column("id", "编号", sort="id", href="/console/fleet/requests/{id}"),
        Column("starts_at", "用车开始", sort="starts_at", kind="datetime"),
        Column("ends_at", "用车结束", kind="datetime"),
        Column("unit", "单位"),
        Column("requester", "申请人"),
        Column("purpose", "用车类别"),
        Column("passengers", "人数", kind="count"),
        Column("route", "起止地点"),
        Column("state_label", "状态"),
        Column("created_at", "申请时间", sort="created_at", kind="datetime"),
    ),
    default_sort="starts_at",
    filters=(
        Filter("state", "状态", kind="select", options=tuple((s.value, s.label) for s in RequestState)),
        Filter("unit", "单位", kind="select"),
        Filter("day", "用车日期", kind="date"),
    ),
)


def _buffer_minutes(request: Request) -> int:
    return settings_of(runtime(request).settings, "fleet").buffer_minutes


async def _requests_state(request: Request):
    units = await people.list_units(Scope.EVERYTHING)
    state = REQUESTS.with_options("unit", tuple((str(u["id"]), "　" * u["depth"] + u["name"]) for u in units)).state(
        request
    )
    f = state.filters
    query = desk.requests_query(f["state"], int(f["unit"]) if f["unit"] else None, parse_day(f["day"]))
    return state, query


@bp.get("/requests")
@console_page(FleetPermission.VIEW_FLEET)
async def requests(request: Request):
    state, query = await _requests_state(request)
    await fetch(state, query, desk.request_row)
    waiting = await desk.requests_query(RequestState.APPROVED.value).count()
    return await page(request, "fleet/requests.html", state=state, waiting=waiting)


@bp.get("/requests/export.xlsx")
@console_page(FleetPermission.VIEW_FLEET)
async def requests_export(request: Request):
    state, query = await _requests_state(request)
    return await export(state, query, desk.request_row, "用车申请")


# ---- one request ---------------------------------------------------------------------------------


async def _request_page(
    request: Request,
    request_id: int,
    status: int = 200,
    posted: str = "",
    form: dict | None = None,
    errors: FormErrors | None = None,
):
    """`posted` names the form whose refusal is shown: dispatch, rental, cancel, reassign or
    finish_rental."""
    detail = await desk.request_detail(request_id)
    acting = can(request, FleetPermission.DISPATCH_TRIP)
    open_trip = next((t for t in detail["trips"] if t["state"] == TripState.ASSIGNED.value), None)
    running = (TripState.ASSIGNED.value, TripState.STARTED.value)
    rental_trip = next((t for t in detail["trips"] if t["rental_company"] and t["state"] in running), None)
    dispatchable = acting and detail["state"] == RequestState.APPROVED.value
    suggestions = (
        await suggest(request_id, buffer_minutes=_buffer_minutes(request), limit=SUGGESTED)
        if dispatchable or (acting and open_trip)
        else []
    )
    drivers: dict[int, str] = {}
    for s in suggestions:
        drivers.update(dict(s.drivers))
    vehicle_options = [
        (
            str(s.vehicle_id),
            f"{s.plate} {s.vehicle_type_label} {s.seats}座"
            + ("（新能源）" if s.new_energy else "")
            + (f" 距上车点 {s.distance_km} 公里" if s.distance_km is not None else ""),
        )
        for s in suggestions
    ]
    first = suggestions[0] if suggestions else None
    rentals = await desk.rental_offers() if dispatchable else []
    return await page(
        request,
        "fleet/request.html",
        status=status,
        req=detail,
        suggestions=suggestions,
        vehicle_options=vehicle_options,
        driver_options=[(str(i), name) for i, name in drivers.items()],
        preselected={
            "vehicle_id": str(first.vehicle_id) if first else "",
            "driver_id": str(first.drivers[0][0]) if first and first.drivers else "",
        },
        rentals=rentals,
        rental_companies=[(str(c["id"]), c["name"]) for c in rentals if c["rates"]],
        rental_types=[(t.value, t.label) for t in VehicleType],
        dispatchable=dispatchable,
        open_trip=open_trip if acting else None,
        rental_trip=rental_trip if acting else None,
        form_key=secrets.token_urlsafe(18),
        buffer_minutes=_buffer_minutes(request),
        flash=flash(request, FLASH),
        posted=posted,
        form=form or {},
        errors=errors or FormErrors(),
    )


@bp.get("/requests/<request_id:int>")
@console_page(FleetPermission.VIEW_FLEET)
async def request_page(request: Request, request_id: int):
    return await _request_page(request, request_id)


def _done(view: dispatch.TripView | None, done: str) -> str:
    return f"{done}_replayed" if view is not None and view.replayed else done


@bp.post("/requests/<request_id:int>/dispatch")
@console_page(FleetPermission.DISPATCH_TRIP)
async def dispatch_request(request: Request, request_id: int):
    data = form_data(request)
    posted = "rental" if data.get("mode") == "rental" else "dispatch"

    async def act(body: DispatchIn) -> dispatch.TripView:
        rental = body.mode == "rental"
        return await dispatch.dispatch(
            actor(request),
            request_id,
            vehicle_id=None if rental else body.vehicle_id,
            driver_id=None if rental else body.driver_id,
            rental_company_id=body.rental_company_id if rental else None,
            rental_vehicle_type=body.rental_vehicle_type if rental else None,
            rental_plate=body.rental_plate if rental else "",
            key=body.idempotency_key,
            at=now(),
            buffer_minutes=_buffer_minutes(request),
        )

    view, errors = await submit(DispatchIn, data, act, FIELD_OF_CODE)
    if not errors:
        return redirect(f"/console/fleet/requests/{request_id}?done={_done(view, 'dispatched')}")
    return await _request_page(request, request_id, 422, posted, data, errors)


@bp.post("/trips/<trip_id:int>/cancel")
@console_page(FleetPermission.DISPATCH_TRIP)
async def cancel_trip(request: Request, trip_id: int):
    request_id = await dispatch.request_of_trip(trip_id)
    data = form_data(request)
    _, errors = await submit(
        CancelDispatchIn, data, lambda body: dispatch.cancel_dispatch(actor(request), trip_id, body.reason, now())
    )
    if not errors:
        return redirect(f"/console/fleet/requests/{request_id}?done=cancelled")
    return await _request_page(request, request_id, 422, "cancel", data, errors)


@bp.post("/trips/<trip_id:int>/reassign")
@console_page(FleetPermission.DISPATCH_TRIP)
async def reassign_trip(request: Request, trip_id: int):
    request_id = await dispatch.request_of_trip(trip_id)
    data = form_data(request)
    view, errors = await submit(
        ReassignIn,
        data,
        lambda body: dispatch.reassign(
            actor(request),
            trip_id,
            body.vehicle_id,
            body.driver_id,
            body.idempotency_key,
            now(),
            buffer_minutes=_buffer_minutes(request),
        ),
        FIELD_OF_CODE,
    )
    if not errors:
        return redirect(f"/console/fleet/requests/{request_id}?done={_done(view, 'reassigned')}")
    return await _request_page(request, request_id, 422, "reassign", data, errors)


@bp.post("/trips/<trip_id:int>/finish-rental")
@console_page(FleetPermission.DISPATCH_TRIP)
async def finish_rental(request: Request, trip_id: int):
    """Close a rental trip from the company's bill; the time typed is Beijing time."""
    request_id = await dispatch.request_of_trip(trip_id)
    data = form_data(request)

    async def act(body: RentalFinishIn) -> dict:
        returned = business_time(body.returned_at)
        if returned > now():
            raise FleetError.RETURN_IN_FUTURE.error()
        return await trips.finish_rental(actor(request), trip_id, body.km, body.toll_fen, body.parking_fen, returned)

    _, errors = await submit(
        RentalFinishIn,
        data,
        act,
        {
            "fleet.return_in_future": "returned_at",
            "fleet.trip_time_invalid": "returned_at",
            "fleet.speed_implausible": "km",
        },
        yuan=("toll_fen", "parking_fen"),
    )
    if not errors:
        return redirect(f"/console/fleet/requests/{request_id}?done=rental_finished")
    return await _request_page(request, request_id, 422, "finish_rental", data, errors)


# ---- the dispatch board --------------------------------------------------------------------------


@bp.get("/board")
@console_page(FleetPermission.VIEW_FLEET)
async def board(request: Request):
    """?day=YYYY-MM-DD&view=day|week, and a page of vehicles filtered by type and home."""
    day = parse_day(request.args.get("day")) or today()
    week = request.args.get("view") == "week"
    kind = request.args.get("type", "")
    vehicle_type = VehicleType(kind) if kind in VehicleType.labels() else None
    home = (request.args.get("home") or "")[:12]
    try:
        page_no = max(1, min(int(request.args.get("page") or 1), 10_000))
    except ValueError:
        page_no = 1
    shown = await boards.board(day, week=week, vehicle_type=vehicle_type, home=home, page=page_no)
    units = await people.list_units(Scope.EVERYTHING)
    step = timedelta(days=7 if week else 1)
    query = {"view": "week" if week else "day", "type": kind if vehicle_type else "", "home": home}
    return await page(
        request,
        "fleet/board.html",
        board=shown,
        day=day,
        week=week,
        previous=day - step,
        following=day + step,
        query={k: v for k, v in query.items() if v},
        vehicle_types=[(t.value, t.label) for t in VehicleType],
        homes=[(boards.POOL, "集中管理（车管中心）")] + [(str(u["id"]), "　" * u["depth"] + u["name"]) for u in units],
        chosen={"type": kind if vehicle_type else "", "home": home},
        overrunning=await dispatch.overrunning(now()),
        today=today(),
        trip_states=[(s.value, s.label) for s in TripState if s != TripState.CANCELLED],
    )
