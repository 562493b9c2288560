"""Console page 故障与异常 of EV charging: the connectors' open faults, the piles offline, the
incidents (what piles reported that was recorded instead of billed) with the form that marks one
resolved, and the fault history; the fault history exports to Excel. Also the dashboard card
(piles online and offline, sessions charging now, open faults)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.charging.errors import ChargingError
from backend.charging.models import IncidentKind
from backend.charging.permissions import ChargingPermission as P
from backend.charging.service import health
from backend.console.forms import FormErrors
from backend.console.render import can, flash, page, when
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.core.permissions import AdminPrincipal
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import now
from backend.core.web.responses import xlsx_download
from backend.core.web.validation import query_int

bp = Blueprint("console_charging_health", url_prefix="/console/charging")

PAGE_SIZE = 20
# The incident list's state filter: (value, words, IncidentFilter.resolved).
STATES = (("open", "待处理", False), ("resolved", "已处理", True), ("all", "全部", None))
# Refusals of the resolve form shown on the page rather than as an error page.
_SHOWN = {
    e.code
    for e in (ChargingError.INCIDENT_NOT_FOUND, ChargingError.INCIDENT_RESOLVED, ChargingError.RESOLUTION_NOTE_INVALID)
}
FAULT_EXPORT_MAX = 5000


def _filter(request: Request) -> tuple[str, str, health.IncidentFilter]:
    """The incident filter the URL asks for; anything unknown falls back to the open ones of
    every kind."""
    state = request.args.get("state", "open")
    resolved = next((r for value, _, r in STATES if value == state), False)
    if state not in {value for value, _, _ in STATES}:
        state = "open"
    kind_text = request.args.get("kind", "")
    kind = next((k for k in IncidentKind if k.value == kind_text), None)
    return state, kind.value if kind else "", health.IncidentFilter(resolved=resolved, kind=kind)


async def _health_page(
    request: Request, status: int = 200, errors: FormErrors | None = None, typed: dict | None = None
):
    at = now()
    state, kind, which = _filter(request)
    return await page(
        request,
        "charging/health_page.html",
        status=status,
        summary=await health.summary(at),
        open_faults=await health.open_faults(at),
        offline=await health.offline_piles(at),
        incidents=(await health.incidents(which, query_int(request, "page", 1, 1, 10_000), PAGE_SIZE)).as_dict(),
        history=(await health.fault_history(at, query_int(request, "faults", 1, 1, 10_000), PAGE_SIZE)).as_dict(),
        state=state,
        kind=kind,
        states=[(value, words) for value, words, _ in STATES],
        kinds=[(k.value, k.label) for k in IncidentKind],
        can_resolve=can(request, P.MANAGE_PILES),
        errors=errors or FormErrors(),
        typed=typed or {},
        flash=flash(request, {"resolved": "已标记为已处理"}),
    )


@bp.get("/health")
@console_page(P.VIEW_CHARGING)
async def health_page(request: Request):
    return await _health_page(request)


@bp.post("/incidents/<incident_id:int>/resolve")
@console_page(P.MANAGE_PILES)
async def resolve(request: Request, incident_id: int):
    """Back to the list when done; the list again with the note typed and why it was refused."""
    note = (request.form.get("note") if request.form else "") or ""
    try:
        await health.resolve_incident(actor(request), incident_id, note, now())
    except AppError as refusal:
        if refusal.code not in _SHOWN:
            raise
        typed = {"incident_id": incident_id, "note": note[: health.NOTE_MAX]}
        return await _health_page(request, refusal.status, FormErrors({"note": refusal.message}), typed)
    return redirect(f"/console/charging/health?{urlencode({'done': 'resolved'})}#incidents")


FAULT_HEADER = ("站点", "充电桩", "桩编号", "枪", "故障", "故障代码", "说明", "厂商代码", "开始", "恢复", "持续")


@bp.get("/health/faults.xlsx")
@console_page(P.VIEW_CHARGING)
async def faults_export(request: Request):
    """The latest faults, open ones too, as an .xlsx file."""
    at = now()
    faults = (await health.fault_history(at, 1, FAULT_EXPORT_MAX)).items
    body = await table_workbook(
        "故障记录",
        FAULT_HEADER,
        [
            [
                f["site"],
                f["pile"],
                f["box_id"],
                f["connector"],
                f["error"],
                f["error_code"],
                f["info"],
                f["vendor_error_code"],
                when(f["started_at"]),
                when(f["cleared_at"]) or "未恢复",
                f["duration"],
            ]
            for f in faults
        ],
    )
    return xlsx_download(body, f"充电桩故障记录-{at.date().isoformat()}.xlsx")


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    """充电桩: piles online and offline now, sessions charging now, open faults and incidents."""
    figures = await health.summary(now())
    return {**figures, "alerting": bool(figures["offline"] or figures["open_faults"] or figures["open_incidents"])}
