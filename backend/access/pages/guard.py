"""The guard post's page 门岗登记: the walk-in form (with the entry screening's questions, measurement
and registrations when the bureau switched it on), walk-ins waiting for their host with the
电话确认 the guard records after calling the host, the pass slips to print (on the guard post's
receipt printer, or the printable page when there is none), plates no rule let in waiting for
开闸 or 不放行, and today's visitors signed out by the day's end without leaving."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.access.errors import AccessError
from backend.access.models import Gate, Visit, VisitSource, VisitState
from backend.access.pages.common import (
    REGISTER,
    VIEW,
    building_options,
    host_choices,
    qr_svg,
    settings,
    visit_row,
    with_names,
)
from backend.access.service import plate_alerts, screening, slips, visits
from backend.accounts.guards import actor, runtime
from backend.console.forms import FormErrors
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ, now
from hardware.status import DeviceState

bp = Blueprint("console_access_guard", url_prefix="/console/access")

FLASH = {
    "registered": "已登记，请电话联系被访人确认后打印通行条",
    "confirmed": "已记录被访人电话确认，可以打印通行条",
    "printed": "通行条已打印，单次有效",
    "opened": "已开闸放行，操作已留痕",
    "opened_unanswered": "已记录开闸放行，但道闸没有响应，请人工抬杆并检查道闸",
    "dismissed": "已标记为不放行",
}
# Messages after a redirect that tell of something to be seen to.
WARNINGS = {"opened_unanswered"}
# Where a refusal of the walk-in form is shown: next to the field it concerns.
FIELD_OF_CODE = {
    AccessError.NAME_INVALID.code: "visitor_name",
    AccessError.ID_NUMBER_INVALID.code: "id_number",
    AccessError.PHONE_INVALID.code: "phone",
    AccessError.PLATE_INVALID.code: "plate",
    AccessError.WINDOW_INVALID.code: "window_end",
    AccessError.BUILDING_INVALID.code: "building_ids",
    AccessError.COMPANIONS_INVALID.code: "companions",
    AccessError.HOST_NOT_FOUND.code: "host_id",
    AccessError.SCREENING_FAILED.code: "screening",
    AccessError.ANSWERS_INVALID.code: "screening",
}
# Refusals of the page's buttons shown as a message on the page rather than as an error page.
SHOWN = {
    AccessError.VISIT_STATE.code,
    AccessError.ALERT_NOT_FOUND.code,
    AccessError.GATE_NOT_FOUND.code,
}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
LATE_WINDOW = timedelta(hours=1)
NOT_OUT_SHOWN = timedelta(hours=24)


def _moment(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), DATETIME_FORMAT).replace(tzinfo=BUSINESS_TZ)
    except ValueError:
        return None


def _default_window(request: Request) -> tuple[str, str]:
    """Now until the day's end (ACCESS_DAY_END), as the form's datetime-local values; after the
    day's end, a short window (LATE_WINDOW) the guard can change."""
    start = now().astimezone(BUSINESS_TZ)
    minute = settings(request).day_end_minute
    end = datetime.combine(start.date(), time(minute // 60, minute % 60), BUSINESS_TZ)
    return start.strftime(DATETIME_FORMAT), max(end, start + LATE_WINDOW).strftime(DATETIME_FORMAT)


async def _guard_page(
    request: Request, status: int = 200, form: dict | None = None, errors: FormErrors | None = None, notice: str = ""
):
    cipher = runtime(request).cipher
    start, end = _default_window(request)
    form = form or {"window_start": start, "window_end": end}
    awaiting = await Visit.filter(source=VisitSource.WALK_IN, state=VisitState.AWAITING_HOST).order_by("created_at")
    ready = await Visit.filter(source=VisitSource.WALK_IN, state=VisitState.READY, window_end__gte=now()).order_by(
        "-host_confirmed_at"
    )
    # Signed out by the day-end job (left_at is when): last night's list is still there next morning.
    not_out = await Visit.filter(state=VisitState.NOT_SIGNED_OUT, left_at__gte=now() - NOT_OUT_SHOWN).order_by(
        "-left_at"
    )
    printers = await Gate.filter(is_active=True).exclude(printer_uri="").order_by("code")
    return await page(
        request,
        "access/guard.html",
        status=status,
        flash=notice or flash(request, FLASH),
        flash_kind="error" if notice or request.args.get("done") in WARNINGS else "ok",
        can_register=can(request, REGISTER),
        form=form,
        buildings_chosen=set(form.get("building_ids") or []),
        errors=errors or FormErrors(),
        buildings=await building_options(),
        hosts=await host_choices(request.args.get("host_q", "") or form.get("host_q", "")),
        host_q=request.args.get("host_q", "") or form.get("host_q", ""),
        screening=await screening.current(),
        awaiting=await with_names([visit_row(v, cipher) for v in awaiting]),
        ready=await with_names([visit_row(v, cipher) for v in ready]),
        not_out=await with_names([visit_row(v, cipher) for v in not_out]),
        alerts=await plate_alerts.waiting(),
        printers=[(g.id, g.name) for g in printers],
    )


@bp.get("/guard")
@console_page(VIEW)
async def guard(request: Request):
    return await _guard_page(request)


def _answers(request: Request, config: dict) -> dict:
    form = request.form or {}
    return {
        "questions": [form.get(f"q{i}", "") for i in range(len(config["questions"]))],
        "measurement": form.get("measurement", "").strip(),
        "registrations": {name: form.get(f"r{i}", "").strip() for i, name in enumerate(config["registrations"])},
    }


def _typed(request: Request) -> dict:
    form = request.form or {}
    typed = {name: form.get(name, "") for name in form if name not in ("csrf_token", "id_number")}
    typed["building_ids"] = form.getlist("building_ids") or []
    return typed


@bp.post("/guard/walk-ins")
@console_page(REGISTER)
async def register(request: Request):
    """登记: the form again with what was typed (never the ID number) and each refusal at its field."""
    form = request.form or {}
    start, end = _moment(form.get("window_start", "")), _moment(form.get("window_end", ""))
    if start is None or end is None:
        errors = FormErrors({"window_end": AccessError.WINDOW_INVALID.error(problem="请填写开始和结束时间").message})
        return await _guard_page(request, 422, _typed(request), errors)
    try:
        host_id = int(form.get("host_id", ""))
        building_ids = [int(b) for b in form.getlist("building_ids") or []]
    except ValueError:
        errors = FormErrors({"host_id": AccessError.HOST_NOT_FOUND.error().message})
        return await _guard_page(request, 422, _typed(request), errors)
    draft = visits.VisitDraft(
        visitor_name=form.get("visitor_name", ""),
        phone=form.get("phone", ""),
        company=form.get("company", "").strip(),
        purpose=form.get("purpose", "").strip(),
        window_start=start,
        window_end=end,
        building_ids=building_ids,
        companions=[line.strip() for line in form.get("companions", "").splitlines() if line.strip()],
        plate=form.get("plate", "").strip() or None,
    )
    config = await screening.current()
    try:
        await visits.register_walk_in(
            actor(request),
            runtime(request).cipher,
            settings(request),
            draft,
            form.get("id_number", ""),
            host_id,
            _answers(request, config),
            now(),
        )
    except AppError as refusal:
        if refusal.status >= 500:
            raise
        errors = FormErrors({FIELD_OF_CODE.get(refusal.code, ""): refusal.message})
        return await _guard_page(request, refusal.status, _typed(request), errors)
    return redirect("/console/access/guard?done=registered#awaiting")


async def _act(request: Request, work, done: str, anchor: str):
    try:
        await work
    except AppError as refusal:
        if refusal.code not in SHOWN:
            raise
        return await _guard_page(request, refusal.status, notice=refusal.message)
    return redirect(f"/console/access/guard?done={done}#{anchor}")


@bp.post("/guard/visits/<visit_id:int>/confirm")
@console_page(REGISTER)
async def confirm(request: Request, visit_id: int):
    """电话确认: the guard called the host, who agreed; the slip pass is issued."""
    return await _act(
        request, visits.confirm_by_phone(actor(request), settings(request), visit_id, now()), "confirmed", "ready"
    )


@bp.post("/guard/visits/<visit_id:int>/print")
@console_page(REGISTER)
async def print_slip(request: Request, visit_id: int):
    """打印通行条 on the chosen guard post's receipt printer; a printer that fails says so."""
    try:
        gate_id = int((request.form or {}).get("gate_id", ""))
    except ValueError:
        return await _guard_page(request, 422, notice=AccessError.GATE_NOT_FOUND.error().message)
    try:
        status = await slips.print_slip(runtime(request).settings.data_key, visit_id, gate_id, actor=actor(request))
    except AppError as refusal:
        if refusal.code not in SHOWN:
            raise
        return await _guard_page(request, refusal.status, notice=refusal.message)
    if status.state in (DeviceState.OK, DeviceState.PAPER_LOW):
        return redirect("/console/access/guard?done=printed#ready")
    return await _guard_page(
        request, 503, notice=f"通行条未打印（{status.message or status.state.value}），请打印网页版通行条"
    )


@bp.get("/guard/visits/<visit_id:int>/slip")
@console_page(REGISTER)
async def slip_page(request: Request, visit_id: int):
    """The printable slip: the same QR code and details as the printed one."""
    content = await slips.slip(runtime(request).settings.data_key, visit_id)
    return await page(request, "access/guard_slip.html", slip=content, qr=qr_svg(content["token"]))


@bp.post("/guard/plate-alerts/<alert_id:int>/open")
@console_page(REGISTER)
async def open_barrier(request: Request, alert_id: int):
    """开闸: the guard lets the car in by hand (audited, booked as the guard's decision); when the
    barrier's relay did not answer, the guard is told to lift it by hand."""
    try:
        opened = await plate_alerts.open_manually(actor(request), alert_id, now())
    except AppError as refusal:
        if refusal.code not in SHOWN:
            raise
        return await _guard_page(request, refusal.status, notice=refusal.message)
    done = "opened" if opened["relay_ok"] else "opened_unanswered"
    return redirect(f"/console/access/guard?done={done}#alerts")


@bp.post("/guard/plate-alerts/<alert_id:int>/dismiss")
@console_page(REGISTER)
async def dismiss(request: Request, alert_id: int):
    """不放行: the alert leaves the list, the barrier stays shut."""
    return await _act(request, plate_alerts.dismiss(actor(request), alert_id, now()), "dismissed", "alerts")
