"""Console pages of charging sessions (充电记录): the list with filters and its Excel export, and a
session's page with its meter samples, its bill (energy per price band, what was paid and what
is owed) and the incidents recorded instead of billed, and for a session its pile never stopped
the staff action 结束并结算."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime
from backend.charging.errors import ChargingError
from backend.charging.models import Band, PayerKind, SessionState
from backend.charging.pages.common import MANAGE, VIEW, pile_options
from backend.charging.service import closing, records
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ, now, parse_day

bp = Blueprint("console_charging_sessions", url_prefix="/console/charging")

SESSIONS = Table(
    title="充电记录",
    columns=(
        Column("id", "编号", sort="id", href="/console/charging/sessions/{id}"),
        Column("pile_name", "充电桩"),
        Column("connector_id", "枪号", kind="count"),
        Column("payer_kind_label", "付款方式"),
        Column("payer", "付款人"),
        Column("started_at", "开始", sort="started_at", kind="datetime"),
        Column("stopped_at", "结束", sort="stopped_at", kind="datetime"),
        Column("kwh", "电量（千瓦时）", numeric=True),
        Column("amount_fen", "金额", kind="money"),
        Column("state_label", "状态", sort="state"),
    ),
    default_sort="-started_at",
    filters=(
        Filter("q", "卡号", max_length=20),
        Filter("pile", "充电桩", kind="select"),
        Filter("state", "状态", kind="select", options=tuple(SessionState.labels().items())),
        Filter("payer", "付款方式", kind="select", options=tuple(PayerKind.labels().items())),
        Filter("from", "开始日期起", kind="date"),
        Filter("to", "开始日期止", kind="date"),
    ),
)


async def _sessions_state(request: Request):
    state = SESSIONS.with_options("pile", tuple(await pile_options())).state(request)
    filters = state.filters
    which = records.SessionFilter(
        id_tag=filters["q"],
        pile_id=int(filters["pile"]) if filters["pile"] else None,
        state=SessionState(filters["state"]) if filters["state"] else None,
        payer=PayerKind(filters["payer"]) if filters["payer"] else None,
        since=parse_day(filters["from"]),
        until=parse_day(filters["to"]),
    )
    return state, records.sessions_query(which)


@bp.get("/sessions")
@console_page(VIEW)
async def sessions(request: Request):
    state, query = await _sessions_state(request)
    await fetch(state, query, records.session_row)
    await records.with_bills(state.result.items)
    return await page(request, "charging/sessions.html", state=state)


@bp.get("/sessions/export.xlsx")
@console_page(VIEW)
async def sessions_export(request: Request):
    state, query = await _sessions_state(request)
    rows = await records.with_bills([records.session_row(s) for s in await query.order_by(*state.ordering())])
    by_id = {r["id"]: r for r in rows}
    return await export(state, query, lambda s: by_id[s.id], "充电记录")


@bp.get("/sessions/<session_id:int>")
@console_page(VIEW)
async def session(request: Request, session_id: int):
    return await _session_page(request, session_id)


async def _session_page(request: Request, session_id: int, status: int = 200, error: str = "", reason: str = ""):
    detail = await records.session_detail(session_id)
    found, bill = detail["session"], detail["bill"]
    bands = []
    if bill is not None:
        bands = [{"label": Band(b).label, "kwh": f"{wh / 1000:.2f}"} for b, wh in bill.bands.items() if wh]
    return await page(
        request,
        "charging/session.html",
        status=status,
        can_close=can(request, MANAGE),
        close_error=error,
        close_reason=reason,
        flash=flash(request, {"closed": "已结束并结算"}),
        session=found,
        row=detail["row"],
        bill=bill,
        bands=bands,
        samples=[
            {
                "at": s["at"].astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                "kwh": f"{s['charged_wh'] / 1000:.3f}",
                "register": s["energy_wh"],
                "power_kw": f"{s['power_w'] / 1000:.1f}" if s["power_w"] is not None else "",
                "soc": s["soc"],
            }
            for s in detail["samples"]
        ],
        incidents=detail["incidents"],
        commands=detail["commands"],
    )


# Refusals of the close form shown on the session's page rather than as an error page.
_CLOSE_SHOWN = {ChargingError.CLOSE_REASON_INVALID.code, ChargingError.SESSION_NOT_ACTIVE.code}


@bp.post("/sessions/<session_id:int>/close")
@console_page(MANAGE)
async def close(request: Request, session_id: int):
    """结束并结算: a session its pile never stopped, ended at its last good reading and billed."""
    reason = (request.form.get("reason") if request.form else "") or ""
    try:
        await closing.close_session(actor(request), runtime(request).redis, session_id, reason, now())
    except AppError as refusal:
        if refusal.code not in _CLOSE_SHOWN:
            raise
        return await _session_page(request, session_id, refusal.status, refusal.message, reason[: closing.REASON_MAX])
    return redirect(f"/console/charging/sessions/{session_id}?done=closed")
