"""Console pages of approvals: the record of approvals (filter, Excel export, the steps of one
with who decided when and why), each kind's flows (default and unit overrides, steps added,
removed and reordered) and the approvers. Nothing here decides an approval: approver people
do, in the mini-program."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend.accounts.guards import actor, scope
from backend.accounts.service import people as accounts
from backend.approvals import service
from backend.approvals.models import ApprovalState, ApproverRole
from backend.approvals.permissions import ApprovalsPermission as P
from backend.approvals.schemas import ApproverIn, FlowIn, FlowStepIn
from backend.approvals.service import setup
from backend.console.forms import FormErrors, form_data, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, TableState, export, fetch
from backend.core.errors import AppError

bp = Blueprint("console_approvals", url_prefix="/console/approvals")

FLASH = {
    "flow_created": "流程已新建",
    "flow_changed": "流程已修改，对此后提交的申请生效",
    "flow_deleted": "流程已删除",
    "approver_assigned": "审批人已设置",
    "approver_withdrawn": "审批人已撤销",
}

APPROVALS = Table(
    title="审批记录",
    columns=(
        Column("id", "编号", sort="id", href="/console/approvals/{id}"),
        Column("kind_title", "类型"),
        Column("title", "申请内容"),
        Column("unit_name", "单位"),
        Column("requester_name", "申请人"),
        Column("state_label", "状态", sort="state"),
        Column("step_text", "当前步骤"),
        Column("created_at", "提交时间", sort="created_at", kind="datetime"),
        Column("decided_at", "办结时间", sort="decided_at", kind="datetime"),
    ),
    default_sort="-id",
    filters=(
        Filter("kind", "类型", kind="select"),
        Filter("state", "状态", kind="select", options=tuple((s.value, s.label) for s in ApprovalState)),
        Filter("unit", "单位", kind="select"),
    ),
)


def _approval_row(approval) -> dict:
    kind = service.kinds().get(approval.kind)
    return {
        "id": approval.id,
        "kind_title": kind.title if kind else approval.kind,
        "title": approval.title,
        "unit_name": approval.unit.name,
        "requester_name": approval.requester.name,
        "state_label": approval.state.label,
        "step_text": f"第 {approval.current_position} 步" if approval.current_position else "",
        "created_at": approval.created_at,
        "decided_at": approval.decided_at,
    }


async def _approvals_state(request: Request) -> tuple[TableState, object]:
    reach = scope(request, P.VIEW_APPROVAL)
    units = await accounts.list_units(reach)
    table = APPROVALS.with_options(
        "kind", tuple((name, kind.title) for name, kind in service.kinds().items())
    ).with_options("unit", tuple((str(u["id"]), "　" * (u["depth"]) + u["name"]) for u in units))
    state = table.state(request)
    f = state.filters
    query = await service.approvals_query(reach, f["kind"], f["state"], int(f["unit"]) if f["unit"] else None)
    return state, query.select_related("unit", "requester")


@bp.get("/")
@console_page(P.VIEW_APPROVAL)
async def approval_list(request: Request):
    state, query = await _approvals_state(request)
    await fetch(state, query, _approval_row)
    return await page(request, "approvals/approvals.html", state=state)


@bp.get("/export.xlsx")
@console_page(P.VIEW_APPROVAL)
async def approval_export(request: Request):
    state, query = await _approvals_state(request)
    return await export(state, query, _approval_row, "审批记录")


@bp.get("/<approval_id:int>")
@console_page(P.VIEW_APPROVAL)
async def approval_detail(request: Request, approval_id: int):
    view = await service.get_in_scope(scope(request, P.VIEW_APPROVAL), approval_id)
    return await page(request, "approvals/approval.html", approval=view)


async def _unit_options(request: Request) -> list[tuple[str, str]]:
    """The enabled units, indented as a tree, by code."""
    units = await accounts.list_units(scope(request, P.MANAGE_FLOW), enabled_only=True)
    return [(u["code"], "　" * u["depth"] + u["name"]) for u in units]


# ---- flows -------------------------------------------------------------------------------------


async def _flows_page(
    request: Request, status: int = 200, form: dict | None = None, errors: FormErrors | None = None
) -> HTTPResponse:
    declared = service.kinds()
    chosen = request.args.get("kind") or (form or {}).get("kind") or next(iter(declared), "")
    flows = await setup.flows_of(chosen) if chosen in declared else None
    return await page(
        request,
        "approvals/flows.html",
        status=status,
        kinds=[(name, kind.title) for name, kind in declared.items()],
        chosen=chosen,
        flows=flows,
        roles=[(r.value, r.label) for r in ApproverRole],
        units=[
            (u["code"], "　" * u["depth"] + u["name"]) for u in await accounts.list_units(scope(request, P.MANAGE_FLOW))
        ],
        flash=flash(request, FLASH),
        form=form or {},
        errors=errors or FormErrors(),
    )


@bp.get("/flows")
@console_page(P.MANAGE_FLOW)
async def flows(request: Request):
    return await _flows_page(request)


def _back(kind: str, done: str) -> HTTPResponse:
    return redirect(f"/console/approvals/flows?kind={kind}&done={done}")


@bp.post("/flows/<kind:str>")
@console_page(P.MANAGE_FLOW)
async def create_flow(request: Request, kind: str):
    """The kind's default flow (no unit chosen), or a unit's own."""
    data = form_data(request)
    _, errors = await submit(
        FlowIn, dict(data), lambda body: setup.create_flow(actor(request), kind, body.unit_code), {}
    )
    if not errors:
        return _back(kind, "flow_created")
    return await _flows_page(request, 422, {**data, "kind": kind}, errors)


@bp.post("/flows/<kind:str>/<flow_id:int>/steps")
@console_page(P.MANAGE_FLOW)
async def add_step(request: Request, kind: str, flow_id: int):
    data = form_data(request)
    _, errors = await submit(
        FlowStepIn,
        dict(data),
        lambda body: setup.add_step(actor(request), flow_id, body.role, body.condition, body.title),
        {"approvals.condition_unknown": "condition"},
    )
    if not errors:
        return _back(kind, "flow_changed")
    return await _flows_page(request, 422, {**data, "kind": kind, "flow_id": flow_id}, errors)


async def _flow_action(request: Request, kind: str, act, done: str) -> HTTPResponse:
    try:
        await act
    except AppError as refused:
        return await _flows_page(request, refused.status, {"kind": kind}, FormErrors.of(refused))
    return _back(kind, done)


@bp.post("/flows/<kind:str>/<flow_id:int>/steps/<step_id:int>/remove")
@console_page(P.MANAGE_FLOW)
async def remove_step(request: Request, kind: str, flow_id: int, step_id: int):
    return await _flow_action(request, kind, setup.remove_step(actor(request), flow_id, step_id), "flow_changed")


@bp.post("/flows/<kind:str>/<flow_id:int>/steps/<step_id:int>/move")
@console_page(P.MANAGE_FLOW)
async def move_step(request: Request, kind: str, flow_id: int, step_id: int):
    up = (request.form or {}).get("direction") == "up"
    return await _flow_action(request, kind, setup.move_step(actor(request), flow_id, step_id, up), "flow_changed")


@bp.post("/flows/<kind:str>/<flow_id:int>/delete")
@console_page(P.MANAGE_FLOW)
async def delete_flow(request: Request, kind: str, flow_id: int):
    return await _flow_action(request, kind, setup.delete_flow(actor(request), flow_id), "flow_deleted")


# ---- approvers ---------------------------------------------------------------------------------


async def _approvers_page(
    request: Request, status: int = 200, form: dict | None = None, errors: FormErrors | None = None
) -> HTTPResponse:
    role = request.args.get("role", "")
    return await page(
        request,
        "approvals/approvers.html",
        status=status,
        approvers=await setup.list_approvers(role if role in ApproverRole.labels() else ""),
        role=role,
        roles=[(r.value, r.label) for r in ApproverRole],
        units=[
            (u["code"], "　" * u["depth"] + u["name"])
            for u in await accounts.list_units(scope(request, P.MANAGE_FLOW), enabled_only=True)
        ],
        can_manage=can(request, P.MANAGE_FLOW),
        flash=flash(request, FLASH),
        form=form or {},
        errors=errors or FormErrors(),
    )


@bp.get("/approvers")
@console_page(P.MANAGE_FLOW)
async def approvers(request: Request):
    return await _approvers_page(request)


@bp.post("/approvers")
@console_page(P.MANAGE_FLOW)
async def assign_approver(request: Request):
    data = form_data(request)
    _, errors = await submit(
        ApproverIn,
        dict(data),
        lambda body: setup.assign_approver(actor(request), body.employee_no, body.role, body.unit_code),
        {"approvals.person_not_found": "employee_no", "approvals.unit_not_found": "unit_code"},
    )
    if not errors:
        return redirect("/console/approvals/approvers?done=approver_assigned")
    return await _approvers_page(request, 422, data, errors)


@bp.post("/approvers/<approver_id:int>/active")
@console_page(P.MANAGE_FLOW)
async def set_approver_active(request: Request, approver_id: int):
    active = (request.form or {}).get("is_active") == "1"
    try:
        await setup.set_approver_active(actor(request), approver_id, active)
    except AppError as refused:
        return await _approvers_page(request, refused.status, None, FormErrors.of(refused))
    return redirect(f"/console/approvals/approvers?done={'approver_assigned' if active else 'approver_withdrawn'}")
