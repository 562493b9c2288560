"""Console API of the accounts module: admin login, units, people and roster import, admins and
roles, devices, and the audit log."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import actor, admin_required, bearer_token, client_ip, rate_limited, runtime, scope
from backend.accounts.permissions import AccountsPermission
from backend.accounts.schemas import (
    ActiveIn,
    AdminCreateIn,
    AdminLoginIn,
    DeviceCreateIn,
    DeviceEnabledIn,
    GrantIn,
    OwnPasswordIn,
    PasswordIn,
    RoleCreateIn,
    UnitCreateIn,
)
from backend.accounts.service import admins, devices
from backend.accounts.service import people as service
from backend.core import audit
from backend.core.errors import CommonError
from backend.core.permissions import CorePermission
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int
from backend.modules import registry

bp = Blueprint("accounts_admin", url_prefix="/admin/v1")


@bp.post("/auth/login")
@rate_limited("login_rate_limit", "admin_login")
@accepts(AdminLoginIn)
async def login(request: Request, body: AdminLoginIn):
    rt = runtime(request)
    token, principal = await admins.login_throttled(
        rt.limiter,
        rt.settings.login_rate_limit,
        rt.admin_sessions,
        body.username,
        body.password,
        via="api",
        ip=client_ip(request),
        request_id=request.ctx.request_id,
    )
    return ok({"token": token, "admin": _principal_view(principal)})


@bp.post("/auth/logout")
@admin_required(None, while_password_change_due=True)
async def logout(request: Request):
    await admins.logout(runtime(request).admin_sessions, actor(request), bearer_token(request), via="api")
    return ok({"ok": True})


@bp.post("/auth/password")
@admin_required(None, while_password_change_due=True)
@accepts(OwnPasswordIn)
async def change_own_password(request: Request, body: OwnPasswordIn):
    """The admin's own new password, replacing the current one; every session of theirs ends and
    the new session's token is returned. Until an admin whose password someone else chose (new,
    or reset by another admin) does this, every other route refuses them with
    accounts.password_change_required."""
    token = await admins.change_own_password(
        runtime(request).admin_sessions, actor(request), body.current_password, body.new_password
    )
    return ok({"token": token})


def _principal_view(principal) -> dict:
    return {
        "id": principal.admin_id,
        "username": principal.username,
        "display_name": principal.display_name,
        "permissions": principal.permissions(registry()),
        "must_change_password": principal.must_change_password,
    }


@bp.get("/auth/me")
@admin_required(None, while_password_change_due=True)
async def me(request: Request):
    return ok(_principal_view(request.ctx.principal))


@bp.get("/units")
@admin_required(AccountsPermission.VIEW_UNIT)
async def list_units(request: Request):
    return ok({"items": await service.list_units(scope(request, AccountsPermission.VIEW_UNIT))})


@bp.post("/units")
@admin_required(AccountsPermission.MANAGE_UNIT)
@accepts(UnitCreateIn)
async def create_unit(request: Request, body: UnitCreateIn):
    unit = await service.create_unit(
        actor(request), scope(request, AccountsPermission.MANAGE_UNIT), body.code, body.name, body.parent_code
    )
    return ok(unit, 201)


@bp.get("/people")
@admin_required(AccountsPermission.VIEW_PERSON)
async def list_people(request: Request):
    page = await service.list_people(
        runtime(request).cipher,
        scope(request, AccountsPermission.VIEW_PERSON),
        query=request.args.get("q", "")[:50],
        unit_code=request.args.get("unit") or None,
        page=query_int(request, "page", 1, 1, 100_000),
        page_size=query_int(request, "page_size", 20, 1, 200),
    )
    return ok(page.as_dict())


@bp.get("/people/<person_id:int>")
@admin_required(AccountsPermission.VIEW_PERSON)
async def get_person(request: Request, person_id: int):
    return ok(
        await service.get_person(runtime(request).cipher, scope(request, AccountsPermission.VIEW_PERSON), person_id)
    )


@bp.post("/people/import")
@admin_required(AccountsPermission.IMPORT_PERSON)
async def import_roster(request: Request):
    """Upload a roster (.xlsx or .csv, form field `file`); `?dry_run=1` only checks it."""
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise CommonError.INVALID_INPUT.error(details={"fields": [{"field": "file", "message": "请选择名册文件"}]})
    report = await service.import_roster(
        actor(request),
        runtime(request).cipher,
        scope(request, AccountsPermission.IMPORT_PERSON),
        upload.name or "",
        upload.body,
        dry_run=request.args.get("dry_run") in ("1", "true"),
    )
    return ok(report)


@bp.get("/admins")
@admin_required(AccountsPermission.MANAGE_ADMIN)
async def list_admins(request: Request):
    return ok({"items": await admins.list_admins()})


@bp.post("/admins")
@admin_required(AccountsPermission.MANAGE_ADMIN)
@accepts(AdminCreateIn)
async def create_admin(request: Request, body: AdminCreateIn):
    return ok(await admins.create_admin(actor(request), body.username, body.display_name, body.password), 201)


@bp.post("/admins/<admin_id:int>/password")
@admin_required(AccountsPermission.MANAGE_ADMIN)
@accepts(PasswordIn)
async def reset_password(request: Request, admin_id: int, body: PasswordIn):
    await admins.reset_password(actor(request), request.ctx.principal, admin_id, body.password)
    return ok({"ok": True})


@bp.post("/admins/<admin_id:int>/active")
@admin_required(AccountsPermission.MANAGE_ADMIN)
@accepts(ActiveIn)
async def set_admin_active(request: Request, admin_id: int, body: ActiveIn):
    return ok(await admins.set_admin_active(actor(request), request.ctx.principal, admin_id, body.is_active))


@bp.post("/admins/<admin_id:int>/grants")
@admin_required(AccountsPermission.MANAGE_ADMIN)
@accepts(GrantIn)
async def grant_role(request: Request, admin_id: int, body: GrantIn):
    return ok(
        await admins.grant_role(
            actor(request), request.ctx.principal, admin_id, body.role_code, body.unit_code, body.scoped_object()
        ),
        201,
    )


@bp.get("/roles")
@admin_required(AccountsPermission.MANAGE_ADMIN)
async def list_roles(request: Request):
    return ok({"items": await admins.list_roles()})


@bp.post("/roles")
@admin_required(AccountsPermission.MANAGE_ADMIN)
@accepts(RoleCreateIn)
async def create_role(request: Request, body: RoleCreateIn):
    return ok(
        await admins.create_role(actor(request), request.ctx.principal, body.code, body.name, body.permissions), 201
    )


@bp.get("/permissions")
@admin_required(AccountsPermission.MANAGE_ADMIN)
async def list_permissions(request: Request):
    return ok({"items": [{"code": p.value, "name": p.label} for p in registry()]})


@bp.get("/devices")
@admin_required(AccountsPermission.VIEW_DEVICE)
async def list_devices(request: Request):
    return ok({"items": await devices.list_devices()})


@bp.post("/devices")
@admin_required(AccountsPermission.MANAGE_DEVICE)
@accepts(DeviceCreateIn)
async def register_device(request: Request, body: DeviceCreateIn):
    view, secret = await devices.register_device(
        actor(request), runtime(request).cipher, body.code, body.name, body.kind, body.location
    )
    return ok({**view, "secret": secret}, 201)


@bp.post("/devices/<device_id:int>/enabled")
@admin_required(AccountsPermission.MANAGE_DEVICE)
@accepts(DeviceEnabledIn)
async def set_device_enabled(request: Request, device_id: int, body: DeviceEnabledIn):
    return ok(await devices.set_enabled(actor(request), device_id, body.is_enabled))


@bp.post("/devices/<device_id:int>/secret")
@admin_required(AccountsPermission.MANAGE_DEVICE)
async def rotate_device_secret(request: Request, device_id: int):
    return ok({"secret": await devices.rotate_secret(actor(request), runtime(request).cipher, device_id)})


@bp.get("/audit")
@admin_required(CorePermission.VIEW_AUDIT)
async def list_audit(request: Request):
    page = await audit.list_entries(
        {name: request.args.get(name, "") for name in audit.AUDIT_FILTERS},
        page=query_int(request, "page", 1, 1, 100_000),
        page_size=query_int(request, "page_size", 50, 1, 200),
    )
    return ok(page.as_dict())
