"""Console pages of the compliance checks (督查): the flags raised, with filters, Excel export
and closing with an explanation; sealing periods (封存) with the report of sealed cars that
moved; the approved area (电子围栏)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.console.forms import FormErrors, posted
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.errors import AppError
from backend.core.permissions import AdminPrincipal
from backend.core.timeutil import business_time, day_start, now, today
from backend.fleet.errors import FleetError
from backend.fleet.models import FlagKind, FlagState
from backend.fleet.permissions import FleetPermission as P
from backend.fleet.service import compliance, sealing

bp = Blueprint("console_fleet_compliance", url_prefix="/console/fleet")

FLAGS = Table(
    title="督查问题",
    columns=(
        Column("id", "编号", sort="id"),
        Column("observed_at", "发现时间", sort="observed_at", kind="datetime"),
        Column("kind_label", "问题类型"),
        Column("plate", "车辆"),
        Column("trip", "行程"),
        Column("detail", "情况"),
        Column("state_label", "状态"),
        Column("explanation", "情况说明"),
    ),
    default_sort="-observed_at",
    filters=(
        Filter("kind", "问题类型", kind="select", options=tuple((k.value, k.label) for k in FlagKind)),
        Filter("state", "状态", kind="select", options=tuple((s.value, s.label) for s in FlagState)),
        Filter("since", "发现日期自", kind="date"),
        Filter("until", "至", kind="date"),
    ),
)


def _flag_row(flag) -> dict:
    view = compliance.flag_view(flag)
    return {**view, "trip": f"#{view['trip_id']}" if view["trip_id"] else ""}


def _flags_query(request: Request):
    state = FLAGS.state(request)
    f = state.filters
    since = day_start(date.fromisoformat(f["since"])) if f["since"] else None
    until = day_start(date.fromisoformat(f["until"]) + timedelta(days=1)) if f["until"] else None
    return state, compliance.flags_query(f["kind"], f["state"], since, until)


async def _flags_page(request: Request, status: int = 200, errors: FormErrors | None = None, closing: int = 0):
    state, query = _flags_query(request)
    await fetch(state, query, _flag_row)
    return await page(
        request,
        "fleet/flags.html",
        status=status,
        state=state,
        open_by_kind=await _open_by_kind(),
        can_review=can(request, P.REVIEW_FLAG),
        flash=flash(request, {"closed": "督查问题已说明并关闭"}),
        errors=errors or FormErrors(),
        closing=closing,
    )


async def _open_by_kind() -> list[tuple[str, str, int]]:
    counts = await compliance.open_flags_by_kind()
    return [(k.value, k.label, counts[k.value]) for k in FlagKind if counts.get(k.value)]


@bp.get("/flags")
@console_page(P.VIEW_FLEET)
async def flags(request: Request):
    return await _flags_page(request)


@bp.get("/flags/export.xlsx")
@console_page(P.VIEW_FLEET)
async def flags_export(request: Request):
    state, query = _flags_query(request)
    return await export(state, query, _flag_row, "督查问题")


@bp.post("/flags/<flag_id:int>/close")
@console_page(P.REVIEW_FLAG)
async def close_flag(request: Request, flag_id: int):
    explanation = (request.form.get("explanation") if request.form else "") or ""
    try:
        await compliance.close_flag(actor(request), flag_id, explanation, now())
    except AppError as refusal:
        if refusal.code not in (FleetError.EXPLANATION_REQUIRED.code, FleetError.FLAG_CLOSED.code):
            raise
        return await _flags_page(request, 422, FormErrors({"": refusal.message}), flag_id)
    return redirect("/console/fleet/flags?done=closed")


# ---- sealing -----------------------------------------------------------------------------------


def _moment(text: str) -> datetime | None:
    """A datetime-local field's value, in business time."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    value = business_time(value)
    return value if 2000 <= value.year <= 2100 else None


async def _sealing_page(
    request: Request, status: int = 200, errors: FormErrors | None = None, form: dict | None = None
):
    return await page(
        request,
        "fleet/sealing.html",
        status=status,
        periods=await sealing.list_periods(),
        can_manage=can(request, P.MANAGE_SEALING),
        flash=flash(request, {"generated": "已按法定节假日生成封存期", "added": "封存期已添加"}),
        created=request.args.get("created", ""),
        year=today().year,
        errors=errors or FormErrors(),
        form=form or {},
    )


@bp.get("/sealing")
@console_page(P.VIEW_FLEET)
async def sealing_periods(request: Request):
    return await _sealing_page(request)


@bp.post("/sealing/calendar")
@console_page(P.MANAGE_SEALING)
async def seal_from_calendar(request: Request):
    raw = (request.form.get("year") if request.form else "") or ""
    if not raw.isdigit() or not 2004 <= int(raw) <= 2100:
        return await _sealing_page(request, 422, FormErrors({"year": "请输入年份，如 2026"}), posted(request))
    try:
        result = await sealing.from_calendar(actor(request), int(raw))
    except AppError as refusal:
        if refusal.code != FleetError.SEAL_CALENDAR_UNKNOWN.code:
            raise
        return await _sealing_page(request, 422, FormErrors({"year": refusal.message}), posted(request))
    return redirect(f"/console/fleet/sealing?done=generated&created={len(result['created'])}")


SEAL_FIELDS = {
    FleetError.SEAL_NAME_INVALID.code: "name",
    FleetError.SEAL_WINDOW_INVALID.code: "ends_at",
    FleetError.SEAL_TOO_LONG.code: "ends_at",
}


@bp.post("/sealing")
@console_page(P.MANAGE_SEALING)
async def add_seal_period(request: Request):
    form = posted(request)
    starts_at, ends_at = _moment(form.get("starts_at", "")), _moment(form.get("ends_at", ""))
    errors = FormErrors()
    if starts_at is None:
        errors["starts_at"] = "请选择开始时间"
    if ends_at is None:
        errors["ends_at"] = "请选择结束时间"
    if errors:
        return await _sealing_page(request, 422, errors, form)
    assert starts_at is not None and ends_at is not None
    try:
        await sealing.add_manual(actor(request), form.get("name", ""), starts_at, ends_at)
    except AppError as refusal:
        if not refusal.code.startswith("fleet.seal_"):
            raise
        return await _sealing_page(request, 422, FormErrors({SEAL_FIELDS.get(refusal.code, ""): refusal.message}), form)
    return redirect("/console/fleet/sealing?done=added")


@bp.get("/sealing/<period_id:int>")
@console_page(P.VIEW_FLEET)
async def sealed_moved(request: Request, period_id: int):
    """The report of the period's sealed cars that moved (each also raised as a flag, once)."""
    period = await sealing.get_period(period_id)
    return await page(
        request, "fleet/sealed_moved.html", period=sealing.period_view(period), moved=await sealing.sealed_moved(period)
    )


# ---- geofence ----------------------------------------------------------------------------------


def _polygon_text(polygon: list) -> str:
    return "\n".join(f"{lng},{lat}" for lng, lat in polygon)


@bp.get("/geofence")
@console_page(P.VIEW_FLEET)
async def geofence(request: Request):
    fence = await compliance.active_geofence()
    form = (
        {"name": fence.name, "polygon": _polygon_text(fence.polygon), "dwell_minutes": fence.dwell_minutes}
        if fence
        else {"name": "市域范围", "polygon": "", "dwell_minutes": 10}
    )
    return await _geofence_page(request, form=form, vertices=len(fence.polygon) if fence else 0)


async def _geofence_page(request: Request, status: int = 200, errors=None, form=None, vertices: int = 0):
    return await page(
        request,
        "fleet/geofence.html",
        status=status,
        form=form or {},
        vertices=vertices,
        errors=errors or FormErrors(),
        can_manage=can(request, P.MANAGE_SEALING),
        flash=flash(request, {"saved": "电子围栏已保存"}),
    )


@bp.post("/geofence")
@console_page(P.MANAGE_SEALING)
async def save_geofence(request: Request):
    form = posted(request)
    dwell = form.get("dwell_minutes", "").strip()
    try:
        if not dwell.isdigit():
            raise FleetError.GEOFENCE_INVALID.error(problem="停留时间应为整数分钟")
        polygon = compliance.parse_polygon(form.get("polygon", ""))
        await compliance.save_geofence(actor(request), form.get("name", ""), polygon, int(dwell))
    except AppError as refusal:
        if refusal.code != FleetError.GEOFENCE_INVALID.code:
            raise
        return await _geofence_page(request, 422, FormErrors({"": refusal.message}), form)
    return redirect("/console/fleet/geofence?done=saved")


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    """The dashboard card 督查待处理: open flags, by kind."""
    by_kind = await _open_by_kind()
    total = sum(n for _, _, n in by_kind)
    return {"total": total, "by_kind": by_kind, "alerting": bool(total)}
