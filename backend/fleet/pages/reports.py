"""The official-cars report page (用车报表) for a range of days (this month so far unless
chosen): usage and cost per unit against its quota, the new-energy share of trips and km, how
fast each unit's requests were approved, and,
for whoever sees the fleet, utilisation per vehicle; each table exports to Excel. Also the
dashboard card of today's trips.

Units reach as the quota does (a unit's office sees its own units); the vehicles are the fleet
centre's, shown with the fleet permission."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import scope
from backend.console.charts import money_bars
from backend.console.render import can, page
from backend.console.session import console_page
from backend.core.money import yuan
from backend.core.permissions import AdminPrincipal
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import DaySpan, now, requested_span
from backend.core.web.responses import xlsx_download
from backend.fleet.permissions import FleetPermission
from backend.fleet.service import reports
from backend.fleet.service.reports import MAX_DAYS

bp = Blueprint("console_fleet_reports", url_prefix="/console/fleet/reports")

# (key, heading, kind): money columns are fen, shown and exported in yuan.
UNIT_COLUMNS = (
    ("trips", "行程数", "count"),
    ("km", "里程（公里）", "count"),
    ("cost_fen", "费用", "money"),
    ("quota_fen", "年度额度", "money"),
    ("used_fen", "年度已用", "money"),
    ("remaining_fen", "年度剩余", "money"),
    ("used_share", "额度使用率（%）", "share"),
)
VEHICLE_COLUMNS = (
    ("plate", "车牌号", "text"),
    ("vehicle_type", "车型", "text"),
    ("new_energy", "新能源", "bool"),
    ("trips", "行程数", "count"),
    ("km", "里程（公里）", "count"),
    ("hours", "出车小时", "count"),
    ("utilisation", "利用率（%）", "share"),
)
ENERGY_ROWS = (("新能源", "new_energy_trips", "new_energy_km"), ("燃油", "other_trips", "other_km"))
APPROVAL_COLUMNS = (
    ("count", "审批通过（份）", "count"),
    ("average_minutes", "平均用时（分钟）", "count"),
    ("p90_minutes", "90% 在（分钟）以内", "count"),
)


def _span(request: Request) -> tuple[DaySpan, bool]:
    return requested_span(request.args.get("since"), request.args.get("until"), MAX_DAYS)


def cell(kind: str, value) -> object:
    """A value as the page shows it."""
    if kind == "money":
        return f"¥{yuan(value):,.2f}"
    if kind == "share":
        return "—" if value is None else f"{value:.1f}"
    if kind == "bool":
        return "是" if value else "否"
    return value


def export_cell(kind: str, value) -> object:
    if kind == "money":
        return yuan(value)
    if kind == "bool":
        return "是" if value else "否"
    return value


def _query(span: DaySpan) -> str:
    return f"since={span.first.isoformat()}&until={span.last.isoformat()}"


@bp.get("")
@console_page(FleetPermission.VIEW_QUOTA)
async def report(request: Request):
    span, cut = _span(request)
    viewable = scope(request, FleetPermission.VIEW_QUOTA)
    units = await reports.usage_by_unit(viewable, span)
    sees_fleet = can(request, FleetPermission.VIEW_FLEET)
    vehicles = await reports.vehicle_utilisation(span) if sees_fleet else []
    return await page(
        request,
        "fleet/reports.html",
        span=span,
        query=_query(span),
        units=units,
        unit_total=reports.totals(units, ("trips", "km", "cost_fen")),
        unit_columns=UNIT_COLUMNS,
        unit_chart=money_bars(
            [{"label": u["unit"], "bar_fen": u["cost_fen"], "line_fen": u["remaining_fen"]} for u in units]
        ),
        sees_fleet=sees_fleet,
        vehicles=vehicles,
        vehicle_columns=VEHICLE_COLUMNS,
        energy=await reports.energy_share(viewable, span),
        energy_rows=ENERGY_ROWS,
        approvals=await reports.approval_speed(viewable, span),
        approval_columns=APPROVAL_COLUMNS,
        show=cell,
        flash=f"统计区间最长一年，已按截止日期取 {span.first.isoformat()} 起" if cut else "",
        flash_kind="warn",
    )


@bp.get("/units.xlsx")
@console_page(FleetPermission.VIEW_QUOTA)
async def units_export(request: Request):
    span, _ = _span(request)
    units = await reports.usage_by_unit(scope(request, FleetPermission.VIEW_QUOTA), span)
    body = await table_workbook(
        "各单位用车与额度",
        ["单位", *(label + ("（元）" if kind == "money" else "") for _, label, kind in UNIT_COLUMNS)],
        [[u["unit"], *(export_cell(kind, u[key]) for key, _, kind in UNIT_COLUMNS)] for u in units],
    )
    return xlsx_download(body, f"各单位用车与额度-{span.first.isoformat()}至{span.last.isoformat()}.xlsx")


@bp.get("/vehicles.xlsx")
@console_page(FleetPermission.VIEW_FLEET)
async def vehicles_export(request: Request):
    span, _ = _span(request)
    vehicles = await reports.vehicle_utilisation(span)
    body = await table_workbook(
        "车辆利用率",
        [label for _, label, _ in VEHICLE_COLUMNS],
        [[export_cell(kind, v[key]) for key, _, kind in VEHICLE_COLUMNS] for v in vehicles],
    )
    return xlsx_download(body, f"车辆利用率-{span.first.isoformat()}至{span.last.isoformat()}.xlsx")


@bp.get("/approvals.xlsx")
@console_page(FleetPermission.VIEW_QUOTA)
async def approvals_export(request: Request):
    span, _ = _span(request)
    rows = await reports.approval_speed(scope(request, FleetPermission.VIEW_QUOTA), span)
    body = await table_workbook(
        "审批时效",
        ["单位", *(label for _, label, _ in APPROVAL_COLUMNS)],
        [[r["unit"], *(r[key] for key, _, _ in APPROVAL_COLUMNS)] for r in rows],
    )
    return xlsx_download(body, f"用车审批时效-{span.first.isoformat()}至{span.last.isoformat()}.xlsx")


@bp.get("/energy.xlsx")
@console_page(FleetPermission.VIEW_QUOTA)
async def energy_export(request: Request):
    span, _ = _span(request)
    energy = await reports.energy_share(scope(request, FleetPermission.VIEW_QUOTA), span)
    body = await table_workbook(
        "新能源占比",
        ["车辆", "行程数", "里程（公里）"],
        [
            *([name, energy[trips], energy[km]] for name, trips, km in ENERGY_ROWS),
            ["合计", energy["trips"], energy["km"]],
            ["新能源占比（%）", energy["trip_share"], energy["km_share"]],
        ],
    )
    return xlsx_download(body, f"新能源占比-{span.first.isoformat()}至{span.last.isoformat()}.xlsx")


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    """The official-cars card on the console dashboard: today's trips planned, on the road and
    finished; it alerts while cars are out past their planned end."""
    counts = await reports.today_counts(day, now())
    return {**counts, "alerting": bool(counts["overdue"])}
