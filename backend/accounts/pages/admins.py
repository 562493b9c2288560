"""Console pages for admins and roles: the role editor lists permissions by module and offers the
preset posts (从预设新建), and a grant whose scope cannot carry some of the role's permissions
says so. Every write goes through the same services (and audit) as the admin API."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect
from sanic_ext import render

from backend.accounts.guards import actor, scope
from backend.accounts.permissions import AccountsPermission
from backend.accounts.schemas import (
    AdminCreateIn,
    GrantIn,
    PasswordIn,
    RoleCreateIn,
)
from backend.accounts.service import admins
from backend.accounts.service import people as service
from backend.console.forms import FormErrors, form_data, submit, validate
from backend.console.render import flash, page, secure_headers
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.core.permissions import Reach
from backend.modules import registry, scoped_object_modules

bp = Blueprint("console_admins", url_prefix="/console")

FLASH = {
    "admin_created": "管理员已创建，请为其授予角色；其首次登录时须先修改密码",
    "role_created": "角色已创建",
    "granted": "角色已授予",
    "granted_partly": "角色已授予，但其中部分权限在该管理范围内不生效，见下方角色列表中的提示",
    "password_reset": "密码已重置，该管理员的所有登录已失效，下次登录时须先修改密码",
    "enabled": "已启用",
    "disabled": "已停用",
}


# ---- admins and roles --------------------------------------------------------------------------


def _reach_notes() -> dict[str, str]:
    """Which permissions a grant narrower than the whole platform can carry, for the editor."""
    notes = {}
    for permission in registry():
        if permission.reach == Reach.UNIT:
            notes[permission.value] = "可限定到单位"
        elif permission.reach == Reach.OBJECT:
            scoped = scoped_object_modules().get(permission.module)
            notes[permission.value] = f"可限定到{scoped.scoped_object.label}" if scoped and scoped.scoped_object else ""
    return notes


async def _admins_page(request: Request, status: int = 200, **forms):
    platform = request.app.ctx.platform
    role_form = forms.get("role_form")
    post = request.args.get("preset", "")
    preset = platform.presets.get(post)
    if role_form is None:
        # 从预设新建: the form filled with the post's name and permissions, to adjust and name.
        role_form = {"name": post, "permissions": [p.value for p in preset]} if preset else {}
    return await page(
        request,
        "accounts/admins.html",
        status=status,
        admins=await admins.admins_with_grants(),
        roles=await admins.list_roles(),
        permission_names={p.value: p.label for p in registry()},
        permission_groups=platform.permission_groups,
        reach_notes=_reach_notes(),
        presets=platform.presets,
        preset=post if preset else "",
        flash=flash(request, FLASH),
        admin_form=forms.get("admin_form", {}),
        admin_errors=forms.get("admin_errors", FormErrors()),
        role_form=role_form,
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
        flash=flash(request, FLASH),
        flash_kind="warn" if request.args.get("done") == "granted_partly" else None,
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
    granted, errors = await submit(
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
    if granted is not None:
        return redirect(f"/console/admins/{admin_id}?done={'granted_partly' if granted['warning'] else 'granted'}")
    return await _admin_page(request, admin_id, 422, grant_form=data, grant_errors=errors)


@bp.get("/admins/<admin_id:int>/grant-warning")
@console_page(AccountsPermission.MANAGE_ADMIN)
async def grant_warning(request: Request, admin_id: int):
    """The grant form asks as its role and scope change: what the scope would not carry."""
    body, _ = validate(GrantIn, {name: request.args.get(name) for name in request.args if request.args.get(name)})
    warning = None
    if body is not None:
        try:
            warning = await admins.grant_warning(body.role_code, body.unit_code, body.scoped_object())
        except AppError:
            pass  # two scopes named: the grant itself refuses that, at its field
    return secure_headers(await render("accounts/grant_warning.html", context={"warning": warning}))


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
