"""Console pages for devices (canteen terminals and other hardware) and the devices' card
on the dashboard."""

from __future__ import annotations

import base64
import io
import json
from datetime import date

import qrcode
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend.accounts.guards import actor, runtime
from backend.accounts.models import DeviceKind
from backend.accounts.permissions import AccountsPermission
from backend.accounts.schemas import (
    DeviceCreateIn,
)
from backend.accounts.service import devices
from backend.console.forms import FormErrors, form_data, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.permissions import AdminPrincipal

bp = Blueprint("console_devices", url_prefix="/console")

FLASH = {
    "enabled": "已启用",
    "disabled": "已停用",
}


# ---- devices -----------------------------------------------------------------------------------

DEVICES = Table(
    title="设备",
    columns=(
        Column("code", "设备编码", sort="code"),
        Column("name", "名称", sort="name"),
        Column("kind_label", "类型", sort="kind"),
        Column("location", "位置"),
        Column("state_label", "状态"),
        Column("health_text", "外设与脱机"),
        Column("last_seen_at", "最近心跳", sort="last_seen_at"),
    ),
    default_sort="code",
    filters=(
        Filter("q", "编码、名称或位置"),
        Filter("status", "状态", kind="select", options=tuple(devices.DEVICE_STATES.items())),
        Filter("kind", "类型", kind="select", options=tuple((k.value, k.label) for k in DeviceKind)),
    ),
)


def _device_row(device) -> dict:
    row = devices.device_view(device)
    row["last_seen_at"] = (row["last_seen_at"] or "")[:19].replace("T", " ")
    row["health_text"] = "，".join(part["text"] for part in row["health"])
    return row


def _devices_query(state):
    f = state.filters
    return devices.devices_query(f["status"], f["kind"], f["q"])


async def _devices_page(
    request: Request,
    status: int = 200,
    form: dict | None = None,
    errors: FormErrors | None = None,
    issued: dict | None = None,
) -> HTTPResponse:
    state = DEVICES.state(request)
    await fetch(state, _devices_query(state), _device_row)
    return await page(
        request,
        "accounts/devices.html",
        status=status,
        state=state,
        form=form or {},
        errors=errors or FormErrors(),
        issued=issued,
        kinds=[(k.value, k.label) for k in DeviceKind],
        flash=flash(request, FLASH),
        can_manage=can(request, AccountsPermission.MANAGE_DEVICE),
    )


@bp.get("/devices")
@console_page(AccountsPermission.VIEW_DEVICE)
async def device_list(request: Request):
    return await _devices_page(request)


@bp.get("/devices/export.xlsx")
@console_page(AccountsPermission.VIEW_DEVICE)
async def device_export(request: Request):
    state = DEVICES.state(request)
    return await export(state, _devices_query(state), _device_row, "设备")


def _provisioning(request: Request, device: dict, secret: str) -> dict:
    """The secret, shown once, and a QR code a kiosk scans to configure itself."""
    payload = json.dumps(
        {"backend_url": f"{request.scheme}://{request.host}", "device_code": device["code"], "secret": secret},
        separators=(",", ":"),
    )
    image = qrcode.make(payload, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {**device, "secret": secret, "qr": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}


@bp.post("/devices")
@console_page(AccountsPermission.MANAGE_DEVICE)
async def register_device(request: Request):
    data = form_data(request)
    registered, errors = await submit(
        DeviceCreateIn,
        data,
        lambda body: devices.register_device(
            actor(request),
            runtime(request).cipher,
            body.code,
            body.name,
            body.kind,
            body.location,
        ),
        {"accounts.device_code_taken": "code"},
    )
    if not errors:
        view, secret = registered
        return await _devices_page(request, 201, issued=_provisioning(request, view, secret))
    return await _devices_page(request, 422, form=data, errors=errors)


@bp.post("/devices/<device_id:int>/secret")
@console_page(AccountsPermission.MANAGE_DEVICE)
async def rotate_device_secret(request: Request, device_id: int):
    secret = await devices.rotate_secret(actor(request), runtime(request).cipher, device_id)
    device = await devices.get_device(device_id)
    return await _devices_page(request, issued=_provisioning(request, device, secret))


@bp.post("/devices/<device_id:int>/enabled")
@console_page(AccountsPermission.MANAGE_DEVICE)
async def set_device_enabled(request: Request, device_id: int):
    enabled = request.form.get("is_enabled") == "1"
    await devices.set_enabled(actor(request), device_id, enabled)
    return redirect(f"/console/devices?done={'enabled' if enabled else 'disabled'}")


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    """The devices' card on the console dashboard: how many are online, and the latest gone offline."""
    offline = await devices.offline_devices(5)
    return {"counts": await devices.status_counts(), "offline": offline, "alerting": bool(offline)}
