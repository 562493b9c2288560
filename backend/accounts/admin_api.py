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
    AdminLoginOut,
    AdminOut,
    AuditEntryOut,
    DeviceCreateIn,
    DeviceEnabledIn,
    DeviceOut,
    GrantIn,
    GrantOut,
    OwnPasswordIn,
    PasswordIn,
    PermissionOut,
    PersonOut,
    PrincipalOut,
    RegisteredDeviceOut,
    RoleCreateIn,
    RoleOut,
    RosterReportOut,
    SecretOut,
    TokenOut,
    UnitCreateIn,
    UnitOut,
)
from backend.accounts.service import admins, devices
from backend.accounts.service import people as service
from backend.core import audit
from backend.core.errors import CommonError
from backend.core.permissions import CorePermission
from backend.core.web.apidocs import PAGING, Done, Listed, Paged, Query, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int
from backend.modules import registry

bp = Blueprint("accounts_admin", url_prefix="/admin/v1")


@bp.post("/auth/login")
@api("管理员登录", AdminLoginOut)
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
        via=admins.LoginDoor.API,
        ip=client_ip(request),
        request_id=request.ctx.request_id,
    )
    return ok({"token": token, "admin": _principal_view(principal)})


@bp.post("/auth/logout")
@api("管理员退出登录", Done)
@admin_required(None, while_password_change_due=True)
async def logout(request: Request):
    await admins.logout(
        runtime(request).admin_sessions, actor(request), bearer_token(request), via=admins.LoginDoor.API
    )
    return ok({"ok": True})


@bp.post("/auth/password")
@api("修改本人密码", TokenOut)
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
@api("当前管理员信息与权限", PrincipalOut)
@admin_required(None, while_password_change_due=True)
async def me(request: Request):
    return ok(_principal_view(request.ctx.principal))


@bp.get("/units")
@api("单位列表", Listed[UnitOut])
@admin_required(AccountsPermission.VIEW_UNIT)
async def list_units(request: Request):
    return ok({"items": await service.list_units(scope(request, AccountsPermission.VIEW_UNIT))})


@bp.post("/units")
@api("新建单位", UnitOut, status=201)
@admin_required(AccountsPermission.MANAGE_UNIT)
@accepts(UnitCreateIn)
async def create_unit(request: Request, body: UnitCreateIn):
    unit = await service.create_unit(
        actor(request), scope(request, AccountsPermission.MANAGE_UNIT), body.code, body.name, body.parent_code
    )
    return ok(unit, 201)


@bp.get("/people")
@api(
    "人员名册（分页）",
    Paged[PersonOut],
    query=(*PAGING, Query("q", "按工号或姓名查找"), Query("unit", "单位编码（含下级单位）")),
)
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
@api("人员详情", PersonOut)
@admin_required(AccountsPermission.VIEW_PERSON)
async def get_person(request: Request, person_id: int):
    return ok(
        await service.get_person(runtime(request).cipher, scope(request, AccountsPermission.VIEW_PERSON), person_id)
    )


@bp.post("/people/import")
@api("导入人员名册（可先预览）", RosterReportOut, query=(Query("dry_run", "1：只预览不导入"),))
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
@api("管理员列表", Listed[AdminOut])
@admin_required(AccountsPermission.MANAGE_ADMIN)
async def list_admins(request: Request):
    return ok({"items": await admins.list_admins()})


@bp.post("/admins")
@api("创建管理员", AdminOut, status=201)
@admin_required(AccountsPermission.MANAGE_ADMIN)
@accepts(AdminCreateIn)
async def create_admin(request: Request, body: AdminCreateIn):
    return ok(await admins.create_admin(actor(request), body.username, body.display_name, body.password), 201)


@bp.post("/admins/<admin_id:int>/password")
@api("重置管理员密码", Done)
@admin_required(AccountsPermission.MANAGE_ADMIN)
@accepts(PasswordIn)
async def reset_password(request: Request, admin_id: int, body: PasswordIn):
    await admins.reset_password(actor(request), request.ctx.principal, admin_id, body.password)
    return ok({"ok": True})


@bp.post("/admins/<admin_id:int>/active")
@api("启用或停用管理员", AdminOut)
@admin_required(AccountsPermission.MANAGE_ADMIN)
@accepts(ActiveIn)
async def set_admin_active(request: Request, admin_id: int, body: ActiveIn):
    return ok(await admins.set_admin_active(actor(request), request.ctx.principal, admin_id, body.is_active))


@bp.post("/admins/<admin_id:int>/grants")
@api("为管理员授予角色", GrantOut, status=201)
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
@api("角色列表", Listed[RoleOut])
@admin_required(AccountsPermission.MANAGE_ADMIN)
async def list_roles(request: Request):
    return ok({"items": await admins.list_roles()})


@bp.post("/roles")
@api("创建角色", RoleOut, status=201)
@admin_required(AccountsPermission.MANAGE_ADMIN)
@accepts(RoleCreateIn)
async def create_role(request: Request, body: RoleCreateIn):
    return ok(
        await admins.create_role(actor(request), request.ctx.principal, body.code, body.name, body.permissions), 201
    )


@bp.get("/permissions")
@api("全部权限及其名称", Listed[PermissionOut])
@admin_required(AccountsPermission.MANAGE_ADMIN)
async def list_permissions(request: Request):
    return ok({"items": [{"code": p.value, "name": p.label} for p in registry()]})


@bp.get("/devices")
@api("设备列表及在线状态", Listed[DeviceOut])
@admin_required(AccountsPermission.VIEW_DEVICE)
async def list_devices(request: Request):
    return ok({"items": await devices.list_devices()})


@bp.post("/devices")
@api("注册设备（返回一次性密钥）", RegisteredDeviceOut, status=201)
@admin_required(AccountsPermission.MANAGE_DEVICE)
@accepts(DeviceCreateIn)
async def register_device(request: Request, body: DeviceCreateIn):
    view, secret = await devices.register_device(
        actor(request), runtime(request).cipher, body.code, body.name, body.kind, body.location
    )
    return ok({**view, "secret": secret}, 201)


@bp.post("/devices/<device_id:int>/enabled")
@api("启用或停用设备", DeviceOut)
@admin_required(AccountsPermission.MANAGE_DEVICE)
@accepts(DeviceEnabledIn)
async def set_device_enabled(request: Request, device_id: int, body: DeviceEnabledIn):
    return ok(await devices.set_enabled(actor(request), device_id, body.is_enabled))


@bp.post("/devices/<device_id:int>/secret")
@api("重置设备密钥", SecretOut)
@admin_required(AccountsPermission.MANAGE_DEVICE)
async def rotate_device_secret(request: Request, device_id: int):
    return ok({"secret": await devices.rotate_secret(actor(request), runtime(request).cipher, device_id)})


@bp.get("/audit")
@api(
    "审计日志（分页，可筛选）",
    Paged[AuditEntryOut],
    query=(
        *PAGING,
        Query("action", "操作（如 wallet.adjust）"),
        Query("actor_name", "操作人用户名"),
        Query("object_id", "对象编号"),
        Query("object_type", "对象类型"),
    ),
)
@admin_required(CorePermission.VIEW_AUDIT)
async def list_audit(request: Request):
    page = await audit.list_entries(
        {
            "action": request.args.get("action", ""),
            "object_type": request.args.get("object_type", ""),
            "object_id": request.args.get("object_id", ""),
            "actor_name": request.args.get("actor_name", ""),
        },
        page=query_int(request, "page", 1, 1, 100_000),
        page_size=query_int(request, "page_size", 50, 1, 200),
    )
    return ok(page.as_dict())
