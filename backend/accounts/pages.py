"""Console pages of the accounts module: units, the roster and its import, admins and roles,
and devices. Every write goes through the same services (and audit) as the admin API."""

from __future__ import annotations

import base64
import io
import json
import secrets
from datetime import date

import qrcode
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend.accounts.guards import actor, runtime, scope
from backend.accounts.models import DeviceKind
from backend.accounts.permissions import AccountsPermission
from backend.accounts.schemas import (
    AdminCreateIn,
    DeviceCreateIn,
    GrantIn,
    PasswordIn,
    RoleCreateIn,
    UnitCreateIn,
)
from backend.accounts.service import admins, devices, roster
from backend.accounts.service import people as service
from backend.console.errors import ConsoleError
from backend.console.forms import FormErrors, form_data, submit
from backend.console.render import can, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.errors import AppError
from backend.core.permissions import AdminPrincipal
from backend.core.web.responses import xlsx_download
from backend.modules import registry, scoped_object_modules

bp = Blueprint("console_accounts", url_prefix="/console")

FLASH = {
    "unit_created": "单位已创建",
    "admin_created": "管理员已创建，请为其授予角色",
    "role_created": "角色已创建",
    "granted": "角色已授予",
    "password_reset": "密码已重置，该管理员的所有登录已失效",
    "enabled": "已启用",
    "disabled": "已停用",
}
IMPORT_TTL = 900


def _flash(request: Request) -> str:
    return FLASH.get(request.args.get("done", ""), "")


# ---- units -------------------------------------------------------------------------------------


async def _units_page(request: Request, errors: FormErrors | None = None, form: dict | None = None, status=200):
    units = await service.list_units(scope(request, AccountsPermission.VIEW_UNIT))
    return await page(
        request,
        "accounts/units.html",
        status=status,
        units=units,
        errors=errors or FormErrors(),
        form=form or {},
        flash=_flash(request),
        can_manage=can(request, AccountsPermission.MANAGE_UNIT),
    )


@bp.get("/units")
@console_page(AccountsPermission.VIEW_UNIT)
async def units(request: Request):
    return await _units_page(request)


@bp.post("/units")
@console_page(AccountsPermission.MANAGE_UNIT)
async def create_unit(request: Request):
    data = form_data(request)
    _, errors = await submit(
        UnitCreateIn,
        data,
        lambda body: service.create_unit(
            actor(request),
            scope(request, AccountsPermission.MANAGE_UNIT),
            body.code,
            body.name,
            body.parent_code,
        ),
        {"accounts.unit_code_taken": "code", "accounts.unit_not_found": "parent_code"},
    )
    if not errors:
        return redirect("/console/units?done=unit_created")
    return await _units_page(request, errors, data, 422)


# ---- people ------------------------------------------------------------------------------------

PEOPLE = Table(
    title="人员名册",
    columns=(
        Column("employee_no", "工号", sort="employee_no", href="/console/people/{id}"),
        Column("name", "姓名", sort="name"),
        Column("unit_name", "单位", sort="unit__path"),
        Column("staff_category_label", "人员类别", sort="staff_category"),
        Column("phone", "手机号"),
        Column("wechat_bound", "已绑定微信", kind="bool"),
        Column("is_active", "在职", kind="bool"),
    ),
    default_sort="employee_no",
    filters=(Filter("q", "姓名或工号", placeholder="输入姓名或工号"), Filter("unit", "单位（含下级）", kind="select")),
)


async def _people_state(request: Request):
    rt = runtime(request)
    units = await service.list_units(scope(request, AccountsPermission.VIEW_PERSON))
    state = PEOPLE.with_options("unit", tuple((u["code"], "　" * u["depth"] + u["name"]) for u in units)).state(request)
    query = await service.people_query(
        scope(request, AccountsPermission.VIEW_PERSON),
        query=state.filters["q"],
        unit_code=state.filters["unit"] or None,
    )

    def view(person) -> dict:
        row = service.person_view(person, rt.cipher)
        return {**row, "unit_name": row["unit"]["name"]}

    return state, query, view


@bp.get("/people")
@console_page(AccountsPermission.VIEW_PERSON)
async def people(request: Request):
    state, query, view = await _people_state(request)
    await fetch(state, query, view)
    return await page(
        request, "accounts/people.html", state=state, can_import=can(request, AccountsPermission.IMPORT_PERSON)
    )


@bp.get("/people/export.xlsx")
@console_page(AccountsPermission.VIEW_PERSON)
async def people_export(request: Request):
    state, query, view = await _people_state(request)
    return await export(state, query, view, "人员名册")


# ---- roster import -----------------------------------------------------------------------------


def _stash_key(token: str) -> str:
    return f"console:roster-import:{token}"


async def _import_refused(request: Request, filename: str, refusal: AppError):
    """Nothing was imported: say why, with every bad row by line when the file had some."""
    problems = refusal.details.get("problems", []) if isinstance(refusal.details, dict) else []
    return await page(
        request,
        "accounts/import.html",
        status=422,
        stage="problems",
        filename=filename,
        message=refusal.message,
        problems=problems,
        errors=FormErrors(),
    )


@bp.get("/people/import/template.xlsx")
@console_page(AccountsPermission.IMPORT_PERSON)
async def import_template(request: Request):
    return xlsx_download(await roster.template_workbook(), "人员名册模板.xlsx")


@bp.get("/people/import")
@console_page(AccountsPermission.IMPORT_PERSON)
async def import_form(request: Request):
    return await page(request, "accounts/import.html", stage="upload", errors=FormErrors())


@bp.post("/people/import")
@console_page(AccountsPermission.IMPORT_PERSON)
async def import_check(request: Request):
    """Check the uploaded roster without applying it; a clean one is kept for 15 minutes for
    the admin to confirm, so what is applied is exactly what was checked."""
    upload = request.files.get("file") if request.files else None
    if upload is None or not upload.body:
        return await page(
            request,
            "accounts/import.html",
            status=422,
            stage="upload",
            errors=FormErrors({"file": "请选择名册文件（.xlsx 或 .csv）"}),
        )
    rt = runtime(request)
    try:
        report = await service.import_roster(
            actor(request),
            rt.cipher,
            scope(request, AccountsPermission.IMPORT_PERSON),
            upload.name or "",
            upload.body,
            dry_run=True,
        )
    except AppError as refusal:
        return await _import_refused(request, upload.name, refusal)
    token = secrets.token_urlsafe(24)
    await rt.redis.set(
        _stash_key(token),
        json.dumps(
            {
                "admin_id": request.ctx.principal.admin_id,
                "filename": upload.name or "",
                "content": base64.b64encode(upload.body).decode(),
            }
        ),
        ex=IMPORT_TTL,
    )
    return await page(
        request,
        "accounts/import.html",
        stage="preview",
        filename=upload.name,
        report=report,
        token=token,
        errors=FormErrors(),
    )


@bp.post("/people/import/confirm")
@console_page(AccountsPermission.IMPORT_PERSON)
async def import_confirm(request: Request):
    rt = runtime(request)
    token = (request.form.get("token") or "")[:64]
    stashed = await rt.redis.getdel(_stash_key(token)) if token else None
    data = json.loads(stashed) if stashed else None
    if data is None or data["admin_id"] != request.ctx.principal.admin_id:
        raise ConsoleError.IMPORT_EXPIRED.error()
    try:
        report = await service.import_roster(
            actor(request),
            rt.cipher,
            scope(request, AccountsPermission.IMPORT_PERSON),
            data["filename"],
            base64.b64decode(data["content"]),
            dry_run=False,
        )
    except AppError as refusal:
        return await _import_refused(request, data["filename"], refusal)
    return await page(
        request, "accounts/import.html", stage="done", filename=data["filename"], report=report, errors=FormErrors()
    )


# ---- admins and roles --------------------------------------------------------------------------


async def _admins_page(request: Request, status: int = 200, **forms):
    return await page(
        request,
        "accounts/admins.html",
        status=status,
        admins=await admins.admins_with_grants(),
        roles=await admins.list_roles(),
        permission_names={p.value: p.label for p in registry()},
        flash=_flash(request),
        admin_form=forms.get("admin_form", {}),
        admin_errors=forms.get("admin_errors", FormErrors()),
        role_form=forms.get("role_form", {}),
        role_errors=forms.get("role_errors", FormErrors()),
    )


@bp.get("/admins")
@console_page(AccountsPermission.MANAGE_ADMIN)
async def admin_list(request: Request):
    return await _admins_page(request)


@bp.post("/admins")
@console_page(AccountsPermission.MANAGE_ADMIN)
async def create_admin(request: Request):
    data = form_data(request)
    created, errors = await submit(
        AdminCreateIn,
        data,
        lambda body: admins.create_admin(
            actor(request),
            body.username,
            body.display_name,
            body.password,
        ),
        {"accounts.admin_username_taken": "username", "accounts.weak_password": "password"},
    )
    if not errors:
        return redirect(f"/console/admins/{created['id']}?done=admin_created")
    data.pop("password", None)
    return await _admins_page(request, 422, admin_form=data, admin_errors=errors)


@bp.post("/roles")
@console_page(AccountsPermission.MANAGE_ADMIN)
async def create_role(request: Request):
    data = form_data(request, lists=("permissions",))
    _, errors = await submit(
        RoleCreateIn,
        data,
        lambda body: admins.create_role(
            actor(request),
            request.ctx.principal,
            body.code,
            body.name,
            body.permissions,
        ),
        {
            "accounts.role_code_taken": "code",
            "accounts.unknown_permission": "permissions",
            "auth.permission_denied": "permissions",
        },
    )
    if not errors:
        return redirect("/console/admins?done=role_created")
    return await _admins_page(request, 422, role_form=data, role_errors=errors)


async def _admin_page(request: Request, admin_id: int, status: int = 200, **forms):
    return await page(
        request,
        "accounts/admin_detail.html",
        status=status,
        target=await admins.get_admin(admin_id),
        roles=await admins.list_roles(),
        units=await service.list_units(scope(request, AccountsPermission.MANAGE_ADMIN)),
        scoped_objects=await admins.scoped_object_choices(),
        flash=_flash(request),
        grant_form=forms.get("grant_form", {}),
        grant_errors=forms.get("grant_errors", FormErrors()),
        password_errors=forms.get("password_errors", FormErrors()),
    )


@bp.get("/admins/<admin_id:int>")
@console_page(AccountsPermission.MANAGE_ADMIN)
async def admin_detail(request: Request, admin_id: int):
    return await _admin_page(request, admin_id)


@bp.post("/admins/<admin_id:int>/grants")
@console_page(AccountsPermission.MANAGE_ADMIN)
async def grant_role(request: Request, admin_id: int):
    data = form_data(request)
    scoped = scoped_object_modules()
    _, errors = await submit(
        GrantIn,
        data,
        lambda body: admins.grant_role(
            actor(request),
            request.ctx.principal,
            admin_id,
            body.role_code,
            body.unit_code,
            body.scoped_object(),
        ),
        {
            "accounts.role_not_found": "role_code",
            "accounts.unit_not_found": "unit_code",
            **{m.scoped_object.not_found_code: f"{name}_code" for name, m in scoped.items() if m.scoped_object},
            "accounts.grant_scope_conflict": next((f"{name}_code" for name in scoped), "unit_code"),
            "auth.permission_denied": "role_code",
        },
    )
    if not errors:
        return redirect(f"/console/admins/{admin_id}?done=granted")
    return await _admin_page(request, admin_id, 422, grant_form=data, grant_errors=errors)


@bp.post("/admins/<admin_id:int>/password")
@console_page(AccountsPermission.MANAGE_ADMIN)
async def reset_password(request: Request, admin_id: int):
    _, errors = await submit(
        PasswordIn,
        form_data(request),
        lambda body: admins.reset_password(
            actor(request),
            request.ctx.principal,
            admin_id,
            body.password,
        ),
        {"accounts.weak_password": "password", "auth.permission_denied": "password"},
    )
    if not errors:
        return redirect(f"/console/admins/{admin_id}?done=password_reset")
    return await _admin_page(request, admin_id, 422, password_errors=errors)


@bp.post("/admins/<admin_id:int>/active")
@console_page(AccountsPermission.MANAGE_ADMIN)
async def set_admin_active(request: Request, admin_id: int):
    active = request.form.get("is_active") == "1"
    await admins.set_admin_active(actor(request), request.ctx.principal, admin_id, active)
    return redirect(f"/console/admins/{admin_id}?done={'enabled' if active else 'disabled'}")


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
        flash=_flash(request),
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


async def person_section(principal: AdminPrincipal, person: dict) -> dict:
    """The roster details on a person's page come from the page's own `person`."""
    return {}
