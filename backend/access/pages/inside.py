"""Console pages of who is inside (在场人员): per building, the visitors (with those past their window
marked), staff and cars booked in and not out; an evacuation list of one building made for
printing, and the list of one or every building as one .xlsx file; all masked. Also the
dashboard card 访客在场 (visitors on site now per building, overstays)."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request

from backend.access.pages.common import VIEW
from backend.access.service import inside as presence_lists
from backend.console.render import page
from backend.console.session import console_page
from backend.core.permissions import AdminPrincipal
from backend.core.timeutil import BUSINESS_TZ, now
from backend.core.web.responses import xlsx_download
from backend.core.web.validation import query_int

bp = Blueprint("console_access_inside", url_prefix="/console/access")


@bp.get("/inside")
@console_page(VIEW)
async def inside(request: Request):
    at = now()
    rows = await presence_lists.everyone(at)
    chosen = query_int(request, "building", 0, 0, 2**31 - 1)
    return await page(
        request,
        "access/inside.html",
        summary=presence_lists.summary(rows),
        buildings=await presence_lists.building_options(),
        chosen=chosen,
        rows=[r for r in rows if not chosen or r["building_id"] == chosen],
    )


@bp.get("/inside/<building_id:int>/evacuation")
@console_page(VIEW)
async def evacuation(request: Request, building_id: int):
    """疏散名单: one building's list on one page, to print and take out."""
    at = now()
    rows = await presence_lists.evacuation(building_id, at)
    names = dict(await presence_lists.building_options())
    return await page(
        request,
        "access/inside_evacuation.html",
        building=names.get(building_id, ""),
        rows=rows,
        counts=(presence_lists.summary(rows) or [{"visitors": 0, "overstays": 0, "staff": 0, "cars": 0}])[0],
        printed_at=at.astimezone(BUSINESS_TZ),
    )


@bp.get("/inside/export.xlsx")
@console_page(VIEW)
async def export(request: Request):
    at = now()
    building_id = query_int(request, "building", 0, 0, 2**31 - 1) or None
    body = await presence_lists.export(building_id, at)
    return xlsx_download(body, f"在场人员-{at.astimezone(BUSINESS_TZ).strftime('%Y%m%d-%H%M')}.xlsx")


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    """访客在场: visitors on site now per building and how many stay past their window."""
    buildings = [b for b in presence_lists.summary(await presence_lists.everyone(now())) if b["visitors"]]
    overstays = sum(b["overstays"] for b in buildings)
    return {
        "visitors": sum(b["visitors"] for b in buildings),
        "overstays": overstays,
        "buildings": buildings,
        "alerting": bool(overstays),
    }
