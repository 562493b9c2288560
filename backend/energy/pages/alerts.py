"""Console pages of alerts (告警) and of the cut-off and restore commands (断供与恢复): the
alerts of the units an admin reaches, the ones not yet acknowledged first, with the button that
acknowledges one (an operator for meter alerts, the energy office for budget ones), and every cut
and restore with whether the relay or meter confirmed it."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.errors import AuthError
from backend.energy.pages.common import units_seen
from backend.energy.permissions import EnergyPermission as P
from backend.energy.service import alerts, switching

bp = Blueprint("console_energy_alerts", url_prefix="/console/energy")


def _may_acknowledge(request: Request) -> bool:
    return can(request, P.MANAGE_METERS) or can(request, P.MANAGE_BUDGETS)


@bp.get("/alerts")
@console_page(P.VIEW_ENERGY)
async def alert_list(request: Request):
    """The unacknowledged alerts; `?all=1` shows the acknowledged ones too."""
    everything = request.args.get("all") == "1"
    return await page(
        request,
        "energy/alerts.html",
        alerts=await alerts.alerts(await units_seen(request), not everything),
        everything=everything,
        can_acknowledge=_may_acknowledge(request),
        flash=flash(request, {"acknowledged": "告警已确认"}),
    )


@bp.post("/alerts/<alert_id:int>/acknowledge")
@console_page(P.VIEW_ENERGY)
async def acknowledge(request: Request, alert_id: int):
    if not _may_acknowledge(request):
        raise AuthError.PERMISSION_DENIED.error()
    seen = await units_seen(request)
    if seen is not None and not any(a["id"] == alert_id for a in await alerts.alerts(seen, False, 10_000)):
        raise AuthError.OUT_OF_SCOPE.error()
    await alerts.acknowledge(actor(request), alert_id)
    return redirect("/console/energy/alerts?done=acknowledged")


@bp.get("/switching")
@console_page(P.VIEW_ENERGY)
async def commands(request: Request):
    return await page(request, "energy/switching.html", commands=await switching.commands(await units_seen(request)))
