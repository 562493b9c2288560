"""Console pages where repairs are set up: categories with their team and time limits (SLA, in
working hours), teams with their technicians and dispatcher, the location tree (the places
module's, managed here under the repairs permissions that roles hold), and the spare
parts stock with its stock-in and movements. Anyone who may see reports sees these; changing
them needs repairs.manage_settings (or repairs.manage_parts for the stock)."""

from __future__ import annotations

import re

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.console.forms import FormErrors, form_data, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.permissions import AdminPrincipal
from backend.core.timeutil import now
from backend.places.service import PlaceKind
from backend.repairs.permissions import RepairsPermission
from backend.repairs.schemas import CategoryIn, LocationIn, PartIn, StockInIn, TeamIn
from backend.repairs.service import catalog, parts

bp = Blueprint("console_repairs_setup", url_prefix="/console/repairs")

FLASH = {
    "category_saved": "类别已保存，新的时限对此后提交的报修单生效",
    "team_saved": "班组已保存",
    "location_created": "地点已添加",
    "part_created": "备件已添加",
    "stocked_in": "已入库",
}
MEMBER_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _hours(value: float) -> str:
    return f"{value:g}"


# ---- categories and teams ----------------------------------------------------------------------


async def _settings_page(request: Request, status: int = 200, **forms):
    categories, teams = await catalog.list_categories(active_only=False), await catalog.list_teams()
    editing_category = next((c for c in categories if c["code"] == request.args.get("category")), None)
    editing_team = next((t for t in teams if t["code"] == request.args.get("team")), None)
    team_codes = {t["id"]: t["code"] for t in teams}
    return await page(
        request,
        "repairs/settings.html",
        status=status,
        categories=categories,
        teams=teams,
        team_names={t["id"]: t["name"] for t in teams},
        team_options=[(t["code"], t["name"]) for t in teams],
        hours=_hours,
        can_manage=can(request, RepairsPermission.MANAGE_SETTINGS),
        flash=flash(request, FLASH),
        category_form=forms.get("category_form")
        or (
            editing_category
            and {
                **editing_category,
                "team_code": team_codes.get(editing_category["team_id"], ""),
                "accept_hours": _hours(editing_category["accept_hours"]),
                "resolve_hours": _hours(editing_category["resolve_hours"]),
            }
        )
        or {"is_active": True},
        category_errors=forms.get("category_errors", FormErrors()),
        team_form=forms.get("team_form")
        or (
            editing_team
            and {
                "code": editing_team["code"],
                "name": editing_team["name"],
                "dispatcher_employee_no": (editing_team["dispatcher"] or {}).get("employee_no", ""),
                "member_employee_nos": "\n".join(m["employee_no"] for m in editing_team["members"]),
            }
        )
        or {},
        team_errors=forms.get("team_errors", FormErrors()),
    )


@bp.get("/settings")
@console_page(RepairsPermission.VIEW_REPORT)
async def settings(request: Request):
    return await _settings_page(request)


@bp.post("/settings/categories")
@console_page(RepairsPermission.MANAGE_SETTINGS)
async def save_category(request: Request):
    data = form_data(request)
    for flag in ("auto_assign", "is_active"):  # an unticked box is not posted at all
        data[flag] = flag in request.form
    _, errors = await submit(
        CategoryIn,
        dict(data),
        lambda body: catalog.save_category(
            actor(request),
            body.code,
            body.name,
            body.team_code,
            body.accept_hours,
            body.resolve_hours,
            body.auto_assign,
            body.is_active,
        ),
        {"repairs.team_not_found": "team_code"},
    )
    if not errors:
        return redirect("/console/repairs/settings?done=category_saved")
    return await _settings_page(request, 422, category_form=data, category_errors=errors)


@bp.post("/settings/teams")
@console_page(RepairsPermission.MANAGE_SETTINGS)
async def save_team(request: Request):
    """Members are employee numbers, one a line or separated by commas."""
    data = form_data(request)
    typed = data.get("member_employee_nos", "")
    members = list(dict.fromkeys(no for no in MEMBER_SEPARATORS.split(typed) if no))
    _, errors = await submit(
        TeamIn,
        {**data, "member_employee_nos": members},
        lambda body: catalog.save_team(
            actor(request), body.code, body.name, body.dispatcher_employee_no, body.member_employee_nos
        ),
    )
    if not errors:
        return redirect("/console/repairs/settings?done=team_saved")
    if unknown := errors.pop("employee_no", None):  # the roster names the number it does not know
        dispatcher = data.get("dispatcher_employee_no")
        errors["dispatcher_employee_no" if dispatcher and dispatcher in unknown else "member_employee_nos"] = unknown
    return await _settings_page(request, 422, team_form=data, team_errors=errors)


# ---- locations ---------------------------------------------------------------------------------


async def _locations_page(
    request: Request, status: int = 200, form: dict | None = None, errors: FormErrors | None = None
):
    tree = await catalog.location_tree()
    return await page(
        request,
        "repairs/locations.html",
        status=status,
        tree=tree,
        kind_labels=PlaceKind.labels(),
        parents=[(str(loc["id"]), "　" * loc["depth"] + loc["name"]) for loc in tree if loc["kind"] != "room"],
        can_manage=can(request, RepairsPermission.MANAGE_SETTINGS),
        flash=flash(request, FLASH),
        form=form or {"parent_id": request.args.get("parent", "")},
        errors=errors or FormErrors(),
    )


@bp.get("/locations")
@console_page(RepairsPermission.VIEW_REPORT)
async def locations(request: Request):
    return await _locations_page(request)


@bp.post("/locations")
@console_page(RepairsPermission.MANAGE_SETTINGS)
async def create_location(request: Request):
    """A building (no parent), a floor of a building or a room on a floor."""
    data = form_data(request)
    _, errors = await submit(
        LocationIn,
        dict(data),
        lambda body: catalog.create_location(actor(request), body.name, body.parent_id),
        {"repairs.location_not_found": "parent_id", "repairs.location_invalid": "parent_id"},
    )
    if not errors:
        return redirect(f"/console/repairs/locations?done=location_created&parent={data.get('parent_id', '')}")
    return await _locations_page(request, 422, data, errors)


# ---- spare parts -------------------------------------------------------------------------------


async def _parts_page(request: Request, status: int = 200, selected: int | None = None, **forms):
    items = await parts.list_parts()
    chosen = request.args.get("part") or ""
    if selected is None and chosen.isdigit():
        selected = int(chosen)
    part = next((p for p in items if p["id"] == selected), None)
    return await page(
        request,
        "repairs/parts.html",
        status=status,
        parts=items,
        part=part,
        movements=await parts.movements(part["id"], 20) if part else [],
        can_manage=can(request, RepairsPermission.MANAGE_PARTS),
        flash=flash(request, FLASH),
        part_form=forms.get("part_form", {}),
        part_errors=forms.get("part_errors", FormErrors()),
        stock_form=forms.get("stock_form", {}),
        stock_errors=forms.get("stock_errors", FormErrors()),
    )


@bp.get("/parts")
@console_page(RepairsPermission.VIEW_REPORT)
async def parts_list(request: Request):
    return await _parts_page(request)


@bp.post("/parts")
@console_page(RepairsPermission.MANAGE_PARTS)
async def create_part(request: Request):
    data = form_data(request)
    created, errors = await submit(
        PartIn,
        dict(data),
        lambda body: parts.create_part(actor(request), body.code, body.name, body.unit, body.low_stock),
        {"repairs.part_code_taken": "code"},
    )
    if not errors:
        return redirect(f"/console/repairs/parts?part={created['id']}&done=part_created")
    return await _parts_page(request, 422, part_form=data, part_errors=errors)


@bp.post("/parts/<part_id:int>/stock-in")
@console_page(RepairsPermission.MANAGE_PARTS)
async def stock_in(request: Request, part_id: int):
    data = form_data(request)
    _, errors = await submit(
        StockInIn, dict(data), lambda body: parts.stock_in(actor(request), part_id, body.quantity, body.note, now())
    )
    if not errors:
        return redirect(f"/console/repairs/parts?part={part_id}&done=stocked_in")
    return await _parts_page(request, 422, part_id, stock_form=data, stock_errors=errors)


async def person_section(principal: AdminPrincipal, person: dict) -> dict | None:
    """The maintenance teams a person works in, on their page; nothing for anyone else."""
    teams = await catalog.team_names_of(person["id"])
    return {"teams": teams} if teams else None
