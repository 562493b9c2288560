"""Console pages of gates (门禁点): the list with each gate's terminal online or not and its relay's
last reading, a new gate, a gate's page to change it, bind its gate terminal, enable or disable it,
test its barrier relay and rotate its camera secret (shown once, like the one a new vehicle gate
gets). Whoever may see access sees them; changing them needs access.manage_gates."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.access.models import Direction, GateKind
from backend.access.pages.admin_common import attempt, building_options, whole_number
from backend.access.permissions import AccessPermission as P
from backend.access.service import barrier, gates
from backend.accounts.guards import actor, runtime
from backend.console.forms import FormErrors, posted
from backend.console.render import can, flash, page
from backend.console.session import console_page

bp = Blueprint("console_access_gates", url_prefix="/console/access")

FLASH = {
    "saved": "门禁点已保存",
    "enabled": "门禁点已启用",
    "disabled": "门禁点已停用，此处通行一律拒绝",
}
FIELDS = {
    "access.gate_code_invalid": "code",
    "access.gate_code_taken": "code",
    "access.gate_device_invalid": "device_code",
    "access.gate_device_bound": "device_code",
    "access.gate_relay_invalid": "relay_uri",
    "access.gate_printer_invalid": "printer_uri",
    "access.camera_address_invalid": "camera_addresses",
}
KINDS = tuple((k.value, k.label) for k in GateKind)
DIRECTIONS = tuple((d.value, d.label) for d in Direction)
RELAY_STATES = {"ok": ("正常", "badge-ok"), "": ("未检测", "badge-muted")}


def _settings(request: Request) -> dict:
    """The posted gate fields as the service takes them."""
    form = request.form or {}
    return {
        "name": form.get("name", ""),
        "direction": form.get("direction", ""),
        "building_id": whole_number(form.get("building_id")),
        "device_code": form.get("device_code", "") or None,
        "relay_uri": form.get("relay_uri", ""),
        "camera_addresses": form.get("camera_addresses", "").replace(",", "\n").replace("，", "\n").splitlines(),
        "printer_uri": form.get("printer_uri", ""),
        "anti_passback": "anti_passback" in form,
    }


def relay_badge(gate: dict) -> tuple[str, str]:
    return RELAY_STATES.get(gate["relay_state"], ("异常", "badge-bad"))


async def _form_context(request: Request, form: dict, errors: FormErrors | None) -> dict:
    return {
        "form": form,
        "errors": errors or FormErrors(),
        "kinds": KINDS,
        "directions": DIRECTIONS,
        "buildings": await building_options(),
        "terminals": await gates.gate_terminals(),
    }


@bp.get("/gates")
@console_page(P.VIEW_ACCESS)
async def gate_list(request: Request):
    return await page(
        request,
        "access/gates.html",
        gates=await gates.list_gates(),
        relay_badge=relay_badge,
        flash=flash(request, FLASH),
        can_manage=can(request, P.MANAGE_GATES),
    )


async def _new_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    form = form or {"kind": GateKind.PEDESTRIAN.value, "direction": Direction.IN.value}
    return await page(request, "access/gate_new.html", status=status, **await _form_context(request, form, errors))


@bp.get("/gates/new")
@console_page(P.MANAGE_GATES)
async def new_gate(request: Request):
    return await _new_page(request)


async def _gate_page(
    request: Request, gate_id: int, status: int = 200, *, secret: str = "", notice: str = "", form=None, errors=None
):
    gate = await gates.get_gate(gate_id)
    editing = form or {**gate, "camera_addresses": "\n".join(gate["camera_addresses"])}
    return await page(
        request,
        "access/gate.html",
        status=status,
        gate=gate,
        secret=secret,
        relay_badge=relay_badge,
        flash=notice or flash(request, FLASH),
        can_manage=can(request, P.MANAGE_GATES),
        **await _form_context(request, editing, errors),
    )


@bp.post("/gates")
@console_page(P.MANAGE_GATES)
async def create_gate(request: Request):
    """The new gate's page, with a vehicle gate's camera secret shown this once (not redirected:
    a secret never travels in an address)."""
    form = request.form or {}
    created, errors = await attempt(
        gates.create_gate(
            actor(request),
            runtime(request).cipher,
            code=form.get("code", ""),
            kind=form.get("kind", ""),
            **_settings(request),
        ),
        FIELDS,
    )
    if created is None:
        return await _new_page(request, 422, posted(request), errors)
    view, secret = created
    return await _gate_page(request, view["id"], 201, secret=secret or "")


@bp.get("/gates/<gate_id:int>")
@console_page(P.VIEW_ACCESS)
async def gate(request: Request, gate_id: int):
    return await _gate_page(request, gate_id)


@bp.post("/gates/<gate_id:int>")
@console_page(P.MANAGE_GATES)
async def update_gate(request: Request, gate_id: int):
    _, errors = await attempt(gates.update_gate(actor(request), gate_id, **_settings(request)), FIELDS)
    if not errors:
        return redirect(f"/console/access/gates/{gate_id}?done=saved")
    return await _gate_page(request, gate_id, 422, form=posted(request), errors=errors)


@bp.post("/gates/<gate_id:int>/active")
@console_page(P.MANAGE_GATES)
async def set_active(request: Request, gate_id: int):
    """Enable (active=1) or disable (active=0) the gate."""
    active = (request.form or {}).get("active") == "1"
    await gates.set_active(actor(request), gate_id, active)
    return redirect(f"/console/access/gates/{gate_id}?done={'enabled' if active else 'disabled'}")


@bp.post("/gates/<gate_id:int>/camera-secret")
@console_page(P.MANAGE_GATES)
async def rotate_camera_secret(request: Request, gate_id: int):
    secret = await gates.rotate_camera_secret(actor(request), runtime(request).cipher, gate_id)
    return await _gate_page(request, gate_id, secret=secret)


@bp.post("/gates/<gate_id:int>/check")
@console_page(P.MANAGE_GATES)
async def check_relay(request: Request, gate_id: int):
    """测试道闸: read the barrier relay now (the gate keeps the reading)."""
    await gates.get_gate(gate_id)
    status = await barrier.check(gate_id)
    notice = "道闸继电器正常" if status.usable else f"道闸继电器异常：{status.message or status.state.value}"
    return await _gate_page(request, gate_id, notice=notice)
