"""Console pages of the fleet's records: vehicles (list with filters and Excel, add, a vehicle's
page with its details, status and upkeep), drivers with their leaves, rental companies with
their rates and the platform's cost rates, upkeep records with the designated providers and
what falls due, and the dashboard card of those reminders. Whoever may see the fleet sees them;
changing vehicles, drivers and rates needs fleet.manage_fleet, upkeep fleet.manage_upkeep."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.console.forms import FormErrors, form_data, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.money import yuan_text
from backend.core.permissions import AdminPrincipal
from backend.core.timeutil import business_time, today
from backend.fleet.models import LicenceClass, ProviderKind, UpkeepKind, VehicleStatus, VehicleType
from backend.fleet.permissions import FleetPermission
from backend.fleet.schemas import (
    CompanyIn,
    CostRateIn,
    DriverEditIn,
    DriverIn,
    LeaveIn,
    ProviderIn,
    RentalRateIn,
    StatusIn,
    UpkeepIn,
    VehicleIn,
)
from backend.fleet.service import records, upkeep
from backend.fleet.service.records import CompanyDetails, VehicleDetails
from backend.fleet.service.upkeep import UpkeepDetails

bp = Blueprint("console_fleet_records", url_prefix="/console/fleet")
VIEW, MANAGE, UPKEEP = FleetPermission.VIEW_FLEET, FleetPermission.MANAGE_FLEET, FleetPermission.MANAGE_UPKEEP

FLASH = {
    "vehicle_created": "车辆已登记",
    "vehicle_saved": "车辆信息已保存",
    "status_changed": "车辆状态已变更",
    "driver_created": "驾驶员已登记",
    "driver_saved": "驾驶员信息已保存",
    "leave_added": "请假已登记，该时段不再给此驾驶员派车",
    "leave_removed": "请假已撤销",
    "company_saved": "租赁公司已保存",
    "rate_saved": "合同价格已保存",
    "cost_rate_saved": "平台费率已保存，对此后收车的行程生效",
    "upkeep_recorded": "维修保养记录已登记",
    "provider_saved": "定点单位已保存",
}
VEHICLE_BOXES = ("new_energy", "on_duty")

VEHICLES = Table(
    title="公务车辆",
    columns=(
        Column("plate", "车牌号", sort="plate", href="/console/fleet/vehicles/{id}"),
        Column("vehicle_type_label", "车型", sort="vehicle_type"),
        Column("seats", "座位数", sort="seats", kind="count"),
        Column("new_energy", "新能源", kind="bool"),
        Column("home_name", "归属"),
        Column("base_name", "停放地点"),
        Column("status_label", "状态", sort="status"),
        Column("on_duty", "值班车", kind="bool"),
        Column("odometer_km", "里程（公里）", sort="odometer_km", kind="count"),
        Column("inspection_due", "年检到期", sort="inspection_due"),
        Column("insurance_due", "保险到期", sort="insurance_due"),
    ),
    default_sort="plate",
    filters=(
        Filter("vehicle_type", "车型", kind="select", options=tuple(VehicleType.labels().items())),
        Filter("status", "状态", kind="select", options=tuple(VehicleStatus.labels().items())),
        Filter("home", "归属", kind="select"),
        Filter("plate", "车牌号", max_length=10, placeholder="如 A12345"),
    ),
)

UPKEEP_RECORDS = Table(
    title="维修保养记录",
    columns=(
        Column("day", "日期", sort="day"),
        Column("plate", "车牌号", href="/console/fleet/vehicles/{vehicle_id}"),
        Column("kind_label", "类别", sort="kind"),
        Column("provider_name", "定点单位"),
        Column("odometer_km", "里程表（公里）", kind="count"),
        Column("cost_fen", "费用", sort="cost_fen", kind="money"),
        Column("note", "说明"),
    ),
    default_sort="-day",
    filters=(
        Filter("plate", "车牌号", max_length=10, placeholder="如 A12345"),
        Filter("kind", "类别", kind="select", options=tuple(UpkeepKind.labels().items())),
        Filter("provider", "定点单位", kind="select"),
        Filter("since", "起始日期", kind="date"),
        Filter("until", "截止日期", kind="date"),
    ),
)


def _options(enum) -> list[tuple[str, str]]:
    return list(enum.labels().items())


def _yuan(fen: int | None) -> str:
    return "" if fen is None else yuan_text(fen)


# ---- vehicles ----------------------------------------------------------------------------------


async def _vehicles_state(request: Request):
    names = await records.vehicle_home_names()
    homes = (("pool", records.POOL), *((str(i), n) for i, n in names.items() if i is not None))
    state = VEHICLES.with_options("home", homes).state(request)
    return (
        state,
        records.vehicles_query(state.filters),
        lambda v: records.vehicle_view(v, names.get(v.home_unit_id, "")),
    )


@bp.get("/vehicles")
@console_page(VIEW)
async def vehicles(request: Request):
    state, query, row = await _vehicles_state(request)
    await fetch(state, query, row)
    return await page(
        request, "fleet/vehicles.html", state=state, flash=flash(request, FLASH), can_manage=can(request, MANAGE)
    )


@bp.get("/vehicles/export.xlsx")
@console_page(VIEW)
async def vehicles_export(request: Request):
    state, query, row = await _vehicles_state(request)
    return await export(state, query, row, "公务车辆")


def _vehicle_data(request: Request) -> dict:
    data = form_data(request)
    for box in VEHICLE_BOXES:  # an unticked box is not posted at all
        data[box] = box in request.form
    return data


def _details(body: VehicleIn) -> VehicleDetails:
    return VehicleDetails(**body.model_dump())


VEHICLE_FIELDS = {
    "fleet.plate_invalid": "plate",
    "fleet.plate_taken": "plate",
    "fleet.seats_for_type": "seats",
    "fleet.unit_not_found": "home_unit_id",
    "fleet.odometer_backwards": "odometer_km",
}


async def _vehicle_form_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    return await page(
        request,
        "fleet/vehicle_new.html",
        status=status,
        form=form or {"service_interval_km": "10000"},
        errors=errors or FormErrors(),
        **await _vehicle_choices(),
    )


async def _vehicle_choices() -> dict:
    return {
        "type_options": _options(VehicleType),
        "unit_options": [(str(i), n) for i, n in await records.station_units()],
        "seat_ranges": {k.label: v for k, v in records.SEAT_RANGE.items()},
    }


@bp.get("/vehicles/new")
@console_page(MANAGE)
async def new_vehicle(request: Request):
    return await _vehicle_form_page(request)


@bp.post("/vehicles")
@console_page(MANAGE)
async def create_vehicle(request: Request):
    data = _vehicle_data(request)
    created, errors = await submit(
        VehicleIn, dict(data), lambda body: records.create_vehicle(actor(request), _details(body)), VEHICLE_FIELDS
    )
    if not errors:
        return redirect(f"/console/fleet/vehicles/{created['id']}?done=vehicle_created")
    return await _vehicle_form_page(request, 422, data, errors)


async def _vehicle_page(request: Request, vehicle_id: int, status: int = 200, **forms):
    vehicle = await records.get_vehicle(vehicle_id)
    reminders = await upkeep.due_reminders(today(), vehicle_id=vehicle_id)
    form = forms.get("form") or {
        **{k: v for k, v in vehicle.items() if v is not None},
        "home_unit_id": str(vehicle["home_unit_id"] or ""),
    }
    return await page(
        request,
        "fleet/vehicle.html",
        status=status,
        vehicle=vehicle,
        reminders=reminders[0].reasons if reminders else (),
        records=await upkeep.upkeep_of(vehicle_id),
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
        can_upkeep=can(request, UPKEEP),
        status_options=_options(VehicleStatus),
        form=form,
        errors=forms.get("errors", FormErrors()),
        status_form=forms.get("status_form", {}),
        status_errors=forms.get("status_errors", FormErrors()),
        yuan_of=_yuan,
        **await _vehicle_choices(),
    )


@bp.get("/vehicles/<vehicle_id:int>")
@console_page(VIEW)
async def vehicle(request: Request, vehicle_id: int):
    return await _vehicle_page(request, vehicle_id)


@bp.post("/vehicles/<vehicle_id:int>/edit")
@console_page(MANAGE)
async def edit_vehicle(request: Request, vehicle_id: int):
    data = _vehicle_data(request)
    _, errors = await submit(
        VehicleIn,
        dict(data),
        lambda body: records.update_vehicle(actor(request), vehicle_id, _details(body)),
        VEHICLE_FIELDS,
    )
    if not errors:
        return redirect(f"/console/fleet/vehicles/{vehicle_id}?done=vehicle_saved")
    return await _vehicle_page(request, vehicle_id, 422, form=data, errors=errors)


@bp.post("/vehicles/<vehicle_id:int>/status")
@console_page(MANAGE)
async def change_status(request: Request, vehicle_id: int):
    data = form_data(request)
    _, errors = await submit(
        StatusIn, dict(data), lambda body: records.change_status(actor(request), vehicle_id, body.status, body.reason)
    )
    if not errors:
        return redirect(f"/console/fleet/vehicles/{vehicle_id}?done=status_changed")
    return await _vehicle_page(request, vehicle_id, 422, status_form=data, status_errors=errors)


# ---- drivers -----------------------------------------------------------------------------------


async def _drivers_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    return await page(
        request,
        "fleet/drivers.html",
        status=status,
        drivers=await records.list_drivers(),
        today=today().isoformat(),
        licence_options=_options(LicenceClass),
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
        form=form or {},
        errors=errors or FormErrors(),
    )


@bp.get("/drivers")
@console_page(VIEW)
async def drivers(request: Request):
    return await _drivers_page(request)


@bp.post("/drivers")
@console_page(MANAGE)
async def create_driver(request: Request):
    data = form_data(request)
    created, errors = await submit(
        DriverIn,
        dict(data),
        lambda body: records.create_driver(actor(request), body.employee_no, body.licence_class, body.licence_expires),
        {"accounts.person_not_found": "employee_no", "fleet.driver_exists": "employee_no"},
    )
    if not errors:
        return redirect(f"/console/fleet/drivers/{created['id']}?done=driver_created")
    return await _drivers_page(request, 422, data, errors)


async def _driver_page(request: Request, driver_id: int, status: int = 200, **forms):
    driver = await records.get_driver(driver_id)
    return await page(
        request,
        "fleet/driver.html",
        status=status,
        driver=driver,
        leaves=await records.leaves_of(driver_id),
        licence_options=_options(LicenceClass),
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
        form=forms.get("form") or driver,
        errors=forms.get("errors", FormErrors()),
        leave_form=forms.get("leave_form", {}),
        leave_errors=forms.get("leave_errors", FormErrors()),
    )


@bp.get("/drivers/<driver_id:int>")
@console_page(VIEW)
async def driver(request: Request, driver_id: int):
    return await _driver_page(request, driver_id)


@bp.post("/drivers/<driver_id:int>/edit")
@console_page(MANAGE)
async def edit_driver(request: Request, driver_id: int):
    data = form_data(request)
    data["is_active"] = "is_active" in request.form
    _, errors = await submit(
        DriverEditIn,
        dict(data),
        lambda body: records.update_driver(
            actor(request), driver_id, body.licence_class, body.licence_expires, body.is_active
        ),
    )
    if not errors:
        return redirect(f"/console/fleet/drivers/{driver_id}?done=driver_saved")
    return await _driver_page(request, driver_id, 422, form=data, errors=errors)


@bp.post("/drivers/<driver_id:int>/leaves")
@console_page(MANAGE)
async def add_leave(request: Request, driver_id: int):
    data = form_data(request)
    _, errors = await submit(
        LeaveIn,
        dict(data),
        lambda body: records.add_leave(
            actor(request), driver_id, business_time(body.starts_at), business_time(body.ends_at), body.reason
        ),
        {"fleet.leave_window_invalid": "ends_at"},
    )
    if not errors:
        return redirect(f"/console/fleet/drivers/{driver_id}?done=leave_added")
    return await _driver_page(request, driver_id, 422, leave_form=data, leave_errors=errors)


@bp.post("/drivers/<driver_id:int>/leaves/<leave_id:int>/delete")
@console_page(MANAGE)
async def remove_leave(request: Request, driver_id: int, leave_id: int):
    await records.remove_leave(actor(request), driver_id, leave_id)
    return redirect(f"/console/fleet/drivers/{driver_id}?done=leave_removed")


# ---- rental companies, their rates and the platform's cost rates -------------------------------


async def _rentals_page(request: Request, status: int = 200, **forms):
    companies = await records.list_companies()
    chosen = request.args.get("company") or ""
    editing = next((c for c in companies if str(c["id"]) == chosen), None)
    return await page(
        request,
        "fleet/rentals.html",
        status=status,
        companies=companies,
        cost_rates=await records.cost_rates(),
        type_options=_options(VehicleType),
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
        yuan_of=_yuan,
        company_form=forms.get("company_form") or editing or {"is_active": True},
        company_errors=forms.get("company_errors", FormErrors()),
        rate_company=forms.get("rate_company"),
        rate_form=forms.get("rate_form", {}),
        rate_errors=forms.get("rate_errors", FormErrors()),
        cost_form=forms.get("cost_form", {}),
        cost_errors=forms.get("cost_errors", FormErrors()),
    )


@bp.get("/rentals")
@console_page(VIEW)
async def rentals(request: Request):
    return await _rentals_page(request)


@bp.post("/rentals")
@console_page(MANAGE)
async def save_company(request: Request):
    data = form_data(request)
    data["is_active"] = "is_active" in request.form
    _, errors = await submit(
        CompanyIn,
        dict(data),
        lambda body: records.save_company(
            actor(request), body.company_id, CompanyDetails(**body.model_dump(exclude={"company_id"}))
        ),
        {"fleet.company_name_taken": "name"},
    )
    if not errors:
        return redirect("/console/fleet/rentals?done=company_saved")
    return await _rentals_page(request, 422, company_form=data, company_errors=errors)


@bp.post("/rentals/<company_id:int>/rates")
@console_page(MANAGE)
async def save_rental_rate(request: Request, company_id: int):
    data = form_data(request)
    _, errors = await submit(
        RentalRateIn,
        dict(data),
        lambda body: records.save_rental_rate(
            actor(request), company_id, body.vehicle_type, body.per_day_fen, body.per_km_fen
        ),
        yuan=("per_day_fen", "per_km_fen"),
    )
    if not errors:
        return redirect(f"/console/fleet/rentals?done=rate_saved#company-{company_id}")
    return await _rentals_page(request, 422, rate_company=company_id, rate_form=data, rate_errors=errors)


@bp.post("/cost-rates")
@console_page(MANAGE)
async def save_cost_rate(request: Request):
    data = form_data(request)
    _, errors = await submit(
        CostRateIn,
        dict(data),
        lambda body: records.save_cost_rate(
            actor(request), body.vehicle_type, body.per_km_fen, body.overtime_per_hour_fen
        ),
        yuan=("per_km_fen", "overtime_per_hour_fen"),
    )
    if not errors:
        return redirect("/console/fleet/rentals?done=cost_rate_saved#cost-rates")
    return await _rentals_page(request, 422, cost_form=data, cost_errors=errors)


# ---- upkeep and providers ----------------------------------------------------------------------


async def _upkeep_state(request: Request):
    providers = await records.list_providers()
    names = {p["id"]: p["name"] for p in providers}
    state = UPKEEP_RECORDS.with_options("provider", tuple((str(p["id"]), p["name"]) for p in providers)).state(request)
    query = upkeep.upkeep_query(state.filters).select_related("vehicle")

    def row(entry) -> dict:
        return {
            **upkeep.upkeep_view(entry),
            "plate": entry.vehicle.plate,
            "provider_name": names.get(entry.provider_id, ""),
            "day": entry.day,
        }

    return state, query, row, providers


@bp.get("/upkeep")
@console_page(VIEW)
async def upkeep_list(request: Request):
    return await _upkeep_page(request)


async def _upkeep_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    state, query, row, providers = await _upkeep_state(request)
    await fetch(state, query, row)
    chosen = request.args.get("vehicle") or ""
    return await page(
        request,
        "fleet/upkeep.html",
        status=status,
        state=state,
        reminders=await upkeep.due_reminders(today()),
        vehicle_options=[(str(v.id), v.plate) for v in await records.vehicles_query({}).order_by("plate")],
        kind_options=_options(UpkeepKind),
        provider_options=[(str(p["id"]), f"{p['kind_label']} · {p['name']}") for p in providers if p["is_active"]],
        flash=flash(request, FLASH),
        can_upkeep=can(request, UPKEEP),
        form=form or {"vehicle_id": chosen, "day": today().isoformat()},
        errors=errors or FormErrors(),
    )


@bp.get("/upkeep/export.xlsx")
@console_page(VIEW)
async def upkeep_export(request: Request):
    state, query, row, _ = await _upkeep_state(request)
    return await export(state, query, row, "维修保养记录")


@bp.post("/upkeep")
@console_page(UPKEEP)
async def record_upkeep(request: Request):
    data = form_data(request)
    _, errors = await submit(
        UpkeepIn,
        dict(data),
        lambda body: upkeep.record_upkeep(actor(request), UpkeepDetails(**body.model_dump())),
        {
            "fleet.vehicle_not_found": "vehicle_id",
            "fleet.provider_not_found": "provider_id",
            "fleet.odometer_backwards": "odometer_km",
        },
        yuan=("cost_fen",),
    )
    if not errors:
        return redirect("/console/fleet/upkeep?done=upkeep_recorded")
    return await _upkeep_page(request, 422, data, errors)


async def _providers_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    providers = await records.list_providers()
    chosen = request.args.get("provider") or ""
    editing = next((p for p in providers if str(p["id"]) == chosen), None)
    return await page(
        request,
        "fleet/providers.html",
        status=status,
        providers=providers,
        kind_options=_options(ProviderKind),
        flash=flash(request, FLASH),
        can_upkeep=can(request, UPKEEP),
        form=form or editing or {"is_active": True},
        errors=errors or FormErrors(),
    )


@bp.get("/providers")
@console_page(VIEW)
async def providers(request: Request):
    return await _providers_page(request)


@bp.post("/providers")
@console_page(UPKEEP)
async def save_provider(request: Request):
    data = form_data(request)
    data["is_active"] = "is_active" in request.form
    _, errors = await submit(
        ProviderIn,
        dict(data),
        lambda body: records.save_provider(
            actor(request),
            body.provider_id,
            body.kind,
            body.name,
            body.address,
            body.contract_ends,
            body.is_active,
        ),
        {"fleet.provider_name_taken": "name", "fleet.provider_not_found": ""},
    )
    if not errors:
        return redirect("/console/fleet/providers?done=provider_saved")
    return await _providers_page(request, 422, data, errors)


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    """The fleet's due reminders on the console dashboard: how many are overdue and due soon,
    and the first few."""
    reminders = await upkeep.due_reminders(day)
    overdue = sum(1 for r in reminders if r.overdue)
    return {
        "overdue": overdue,
        "due_soon": len(reminders) - overdue,
        "first": reminders[:5],
        "alerting": bool(reminders),
    }
