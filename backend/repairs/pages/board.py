"""Console pages of the repairs module for dispatchers (派工台): the board of reports with its
filters, overdue badges, .xlsx export and bulk assignment; a report's page with its photos,
timeline, parts and the steps a dispatcher may take now; and the photos, served to the console
session. Every change goes through repairs.service, as from the admin API."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime
from backend.console.forms import FormErrors, form_data, submit, validate
from backend.console.render import can, flash, page, when
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.permissions import AdminPrincipal
from backend.core.timeutil import day_start, now
from backend.places import service as places
from backend.repairs.admin_api import photo_response
from backend.repairs.models import RepairReport, ReportState
from backend.repairs.permissions import RepairsPermission
from backend.repairs.schemas import AssignIn, BulkAssignIn, CloseIn, NoteIn
from backend.repairs.service import catalog, parts
from backend.repairs.service import reports as service
from backend.repairs.service.reports import RELATED, Who
from backend.repairs.service.workflow import STEPS, Role, allowed_actions

bp = Blueprint("console_repairs", url_prefix="/console/repairs")

PHOTOS = "/console/repairs/photos"
BULK_TTL = 600
CLOSING = ("reject", "mark_duplicate", "cancel")
FLASH = {
    "assigned": "已派工，维修人员会在小程序中看到任务",
    "reject": "已不予受理，已通知报修人",
    "mark_duplicate": "已标记为重复报修，已通知报修人",
    "cancel": "报修单已撤销",
    "reopen": "已重新打开，退回维修人员",
}
# Where a refusal of the service is shown, by its code (otherwise above the form).
FIELD_OF_CODE = {
    "repairs.not_a_technician": "technician_id",
    "repairs.duplicate_target_invalid": "duplicate_of",
    "repairs.note_required": "note",
}

BOARD = Table(
    title="报修单",
    columns=(
        Column("id", "编号", sort="id"),
        Column("submitted_at", "提交时间", sort="submitted_at", kind="datetime"),
        Column("category", "类别"),
        Column("place", "地点"),
        Column("description", "描述"),
        Column("reporter", "报修人"),
        Column("assignee", "维修人员"),
        Column("state_label", "状态"),
        Column("due", "时限", sort="due_at"),
    ),
    default_sort="-id",
    filters=(
        Filter(
            "state",
            "状态",
            kind="select",
            options=(("open", "未完结"),) + tuple((s.value, s.label) for s in ReportState),
        ),
        Filter("category", "类别", kind="select"),
        Filter("team", "班组", kind="select"),
        Filter("building", "楼宇", kind="select"),
        Filter("overdue", "超时", kind="select", options=(("1", "仅看已超时"),)),
        Filter("since", "提交日期自", kind="date"),
        Filter("until", "至", kind="date"),
    ),
)


def _start_of(day: str, days_after: int = 0) -> datetime | None:
    return day_start(date.fromisoformat(day) + timedelta(days=days_after)) if day else None


def board_row(report: RepairReport, at: datetime, place_names: Mapping[int, str]) -> dict:
    """A report as the board and its export show it; `due` says 已超时 in the export, where the
    page shows a badge instead."""
    due, late = service.due_at(report), service.overdue(report, at)
    due_time = when(due)
    return {
        "id": report.id,
        "submitted_at": report.submitted_at,
        "category": report.category.name,
        "place": " ".join(filter(None, (place_names.get(report.location_id or 0, ""), report.spot))),
        "description": report.description,
        "reporter": report.reporter.name,
        "assignee": report.assignee.name if report.assignee else "",
        "state": report.state.value,
        "state_label": report.state.label,
        "due_time": due_time,
        "overdue": late,
        "due": f"{due_time}（已超时）" if late else due_time,
        "assignable": bool({"accept", "reassign"} & set(allowed_actions(report.state, {Role.DISPATCHER}))),
    }


async def _board_state(request: Request, at: datetime):
    teams, categories = await catalog.list_teams(), await catalog.list_categories(active_only=False)
    buildings = await catalog.buildings()
    state = (
        BOARD.with_options("category", tuple((c["code"], c["name"]) for c in categories))
        .with_options("team", tuple((str(t["id"]), t["name"]) for t in teams))
        .with_options("building", tuple((str(b["id"]), b["name"]) for b in buildings))
        .state(request)
    )
    f = state.filters
    query = (
        service.reports_query(
            {
                "state": f["state"],
                "category": f["category"],
                "team_id": f["team"] and int(f["team"]),
                "location_ids": await places.ids_within(int(f["building"])) if f["building"] else None,
                "since": _start_of(f["since"]),
                "until": _start_of(f["until"], 1),
                "overdue_at": at if f["overdue"] == "1" else None,
            }
        )
        .annotate(due_at=service.stage_due())
        .select_related(*RELATED)
    )
    return state, query, teams


async def _tabs(state, teams: list[dict], at: datetime) -> list[dict]:
    """Quick links: new, late and open reports, and each team's open ones, with their counts."""
    counts, by_team = await service.open_counts(at), await service.open_by_team()
    tabs = [
        ("全部", None, {}),
        ("未完结", counts["open"], {"state": "open"}),
        ("新报修", counts["unassigned"], {"state": "submitted"}),
        ("已超时", counts["overdue"], {"overdue": "1"}),
    ]
    tabs += [(t["name"], by_team.get(t["id"], 0), {"state": "open", "team": str(t["id"])}) for t in teams]
    chosen = {k: v for k, v in state.filters.items() if v}
    return [
        {
            "label": label,
            "count": count,
            "query": "&".join(f"{k}={v}" for k, v in params.items()),
            "active": chosen == params,
            "late": "overdue" in params and bool(count),
        }
        for label, count, params in tabs
    ]


def _technicians(teams: list[dict]) -> list[tuple[str, str]]:
    """Every team's technicians once each, as select options naming their teams."""
    found: dict[int, list] = {}
    for team in teams:
        for member in team["members"]:
            found.setdefault(member["id"], [f"{member['name']}（{member['employee_no']}）", []])[1].append(team["name"])
    return [(str(person_id), f"{label} · {'、'.join(team_names)}") for person_id, (label, team_names) in found.items()]


def _stash_key(token: str) -> str:
    return f"console:repairs-bulk:{token}"


async def _bulk_result(request: Request) -> dict | None:
    """The outcome of this admin's last bulk assignment, kept briefly so the board can say it."""
    token = (request.args.get("bulk") or "")[:64]
    stashed = await runtime(request).redis.get(_stash_key(token)) if token else None
    result = json.loads(stashed) if stashed else None
    return result if result and result["admin_id"] == request.ctx.principal.admin_id else None


@bp.get("/")
@console_page(RepairsPermission.VIEW_REPORT)
async def board(request: Request):
    at = now()
    state, query, teams = await _board_state(request, at)
    await fetch(state, query, lambda r: r)
    assert state.result is not None
    reports = state.result.items
    names = await service.place_names_of(reports)
    state.result = replace(state.result, items=[board_row(r, at, names) for r in reports])
    return await page(
        request,
        "repairs/board.html",
        state=state,
        tabs=await _tabs(state, teams, at),
        technicians=_technicians(teams),
        can_dispatch=can(request, RepairsPermission.DISPATCH_REPORT),
        bulk=await _bulk_result(request),
    )


@bp.get("/export.xlsx")
@console_page(RepairsPermission.VIEW_REPORT)
async def board_export(request: Request):
    at = now()
    state, query, _ = await _board_state(request, at)
    names = await places.full_names()  # of every place: the export may list thousands of reports
    return await export(state, query, lambda r: board_row(r, at, names), "报修单")


@bp.post("/bulk-assign")
@console_page(RepairsPermission.DISPATCH_REPORT)
async def bulk_assign(request: Request):
    """Each checked report is assigned on its own; back on the board, the result says which were
    refused and why (kept server-side, so a link cannot put words on the page)."""
    data = form_data(request, lists=("report_ids",))
    back = data.pop("back", "")
    body, _ = validate(BulkAssignIn, data)
    if body is None:
        result = {"error": "请先勾选报修单，并选择维修人员"}
    else:
        result = await service.bulk_assign(Who.admin(actor(request)), body.report_ids, body.technician_id, now())
    token = secrets.token_urlsafe(18)
    await runtime(request).redis.set(
        _stash_key(token),
        json.dumps({"admin_id": request.ctx.principal.admin_id, **result}, ensure_ascii=False),
        ex=BULK_TTL,
    )
    return redirect(f"/console/repairs/{back if back.startswith('?') else '?'}&bulk={token}")


# ---- one report --------------------------------------------------------------------------------


async def _report_page(
    request: Request,
    report_id: int,
    status: int = 200,
    posted: str = "",
    form: dict | None = None,
    errors: FormErrors | None = None,
):
    """`posted` names the form whose refusal is shown (assign, close or reopen)."""
    report = await service.report_detail(report_id, now(), Who.admin(actor(request)), PHOTOS)
    teams = await catalog.list_teams()
    actions = report["actions"] if can(request, RepairsPermission.DISPATCH_REPORT) else []
    forms = {
        name
        for name, shown in (
            ("assign", {"accept", "reassign"} & set(actions)),
            ("close", set(CLOSING) & set(actions)),
            ("reopen", "reopen" in actions),
        )
        if shown
    }
    return await page(
        request,
        "repairs/report.html",
        status=status,
        report=report,
        actions=actions,
        forms=forms,
        team_names={t["id"]: t["name"] for t in teams},
        technicians=_technicians(teams),
        closing=[(a, STEPS[a].label) for a in CLOSING if a in actions],
        state_labels=ReportState.labels(),
        flash=flash(request, FLASH),
        posted=posted,
        form=form or {},
        errors=errors or FormErrors(),
    )


@bp.get("/<report_id:int>")
@console_page(RepairsPermission.VIEW_REPORT)
async def report_detail(request: Request, report_id: int):
    return await _report_page(request, report_id)


async def _step(request: Request, report_id: int, posted: str, schema, act, done):
    """Run one dispatcher step from its form: back to the report saying so, or the form again
    with the refusal next to the field it concerns."""
    data = form_data(request)
    _, errors = await submit(schema, data, act, FIELD_OF_CODE)
    if not errors:
        return redirect(f"/console/repairs/{report_id}?done={done(data)}")
    return await _report_page(request, report_id, 422, posted, data, errors)


@bp.post("/<report_id:int>/assign")
@console_page(RepairsPermission.DISPATCH_REPORT)
async def assign(request: Request, report_id: int):
    return await _step(
        request,
        report_id,
        "assign",
        AssignIn,
        lambda body: service.assign(Who.admin(actor(request)), report_id, body.technician_id, now(), body.note),
        lambda _: "assigned",
    )


@bp.post("/<report_id:int>/close")
@console_page(RepairsPermission.DISPATCH_REPORT)
async def close(request: Request, report_id: int):
    """Reject, mark as a duplicate of another report, or cancel, with a reason."""
    return await _step(
        request,
        report_id,
        "close",
        CloseIn,
        lambda body: service.close_without_repair(
            Who.admin(actor(request)), report_id, body.action, body.note, now(), body.duplicate_of
        ),
        lambda data: data["action"],
    )


@bp.post("/<report_id:int>/reopen")
@console_page(RepairsPermission.DISPATCH_REPORT)
async def reopen(request: Request, report_id: int):
    return await _step(
        request,
        report_id,
        "reopen",
        NoteIn,
        lambda body: service.reopen(Who.admin(actor(request)), report_id, body.note, now()),
        lambda _: "reopen",
    )


@bp.get("/photos/<photo_id:int>")
@console_page(RepairsPermission.VIEW_REPORT)
async def photo(request: Request, photo_id: int):
    """A report's photo (?size=thumb: its thumbnail) for the console's cookie session."""
    return await photo_response(request, photo_id)


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    """The repairs card on the console dashboard: open, late and unassigned reports, low stock."""
    counts = {**await service.open_counts(now()), "low_stock": len(await parts.low_stock())}
    return {**counts, "alerting": bool(counts["overdue"] or counts["low_stock"])}
