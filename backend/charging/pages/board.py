"""The charging board (充电桩看板): every active pile, online or not (its last message within two
heartbeat intervals), when it was last heard from, and each connector's state with the session
charging on it; the offline piles and faulted connectors listed apart at the top, so a problem
is seen without reading the table. The page refreshes itself."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.charging.models import ConnectorStatus
from backend.charging.pages.common import VIEW, site_options
from backend.charging.service import piles
from backend.console.render import page
from backend.console.session import console_page
from backend.core.timeutil import now

bp = Blueprint("console_charging_board", url_prefix="/console/charging")


@bp.get("/board")
@console_page(VIEW)
async def board(request: Request):
    """`?site=<id>` shows one site's piles."""
    options = await site_options()
    chosen = request.args.get("site", "")
    site_id = int(chosen) if chosen in {v for v, _ in options} else None
    rows = await piles.board(now(), site_id)
    faulted = [
        {"pile": r, "connector": f"{c['connector_id']} 号枪", "error": c["error_label"]}
        for r in rows
        for c in r["connector_states"]
        if c["status"] == ConnectorStatus.FAULTED.value
    ]
    # A fault of the whole pile (connector 0) stops every connector: listed first.
    faulted[:0] = [
        {"pile": r, "connector": "整桩", "error": r["pile_error_label"]}
        for r in rows
        if r["pile_status"] == ConnectorStatus.FAULTED.value
    ]
    counts = {
        "online": sum(1 for r in rows if r["online"]),
        "offline": sum(1 for r in rows if not r["online"]),
        "charging": sum(1 for r in rows for c in r["connector_states"] if c["session"]),
        "faulted": sum(1 for r in rows for c in r["connector_states"] if c["status"] == ConnectorStatus.FAULTED.value),
    }
    return await page(
        request,
        "charging/board.html",
        piles=rows,
        counts=counts,
        offline=[r for r in rows if not r["online"]],
        faulted=faulted,
        site_options=options,
        site=str(site_id or ""),
    )
