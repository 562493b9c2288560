"""Console admins: password login (every attempt audited), sessions, the password an admin must
choose before anything else, roles with namespaced permissions, grants over every unit, one
unit's subtree or one object of a module (a canteen)."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from backend.accounts.errors import AccountsError
from backend.accounts.models import AdminUser, Role, RoleGrant, Unit
from backend.core.audit import Actor, record, update_audited
from backend.core.errors import AppError, AuthError
from backend.core.labels import LabelledEnum
from backend.core.modules import ScopedObject, resolve
from backend.core.passwords import hash_password, password_problem, verify_password
from backend.core.permissions import ALL, AdminPrincipal, Grant, Permission
from backend.core.ratelimit import RateLimiter
from backend.core.sessions import TokenStore
from backend.core.timeutil import now
from backend.modules import registry, scoped_object_modules


def admin_view(admin: AdminUser) -> dict:
    return {
        "id": admin.id,
        "username": admin.username,
        "display_name": admin.display_name,
        "is_active": admin.is_active,
        "must_change_password": admin.must_change_password,
        "last_login_at": admin.last_login_at.isoformat() if admin.last_login_at else None,
    }


def role_view(role: Role) -> dict:
    return {"id": role.id, "code": role.code, "name": role.name, "permissions": list(role.permissions)}


def _grant_of(grant: RoleGrant) -> Grant:
    """What a stored grant (its role and unit fetched) lets its admin do."""
    return Grant(
        frozenset(grant.role.permissions), grant.unit.path if grant.unit else None, grant.object_module, grant.object_id
    )


def ineffective_permissions(grant: Grant) -> list[Permission]:
    """The declared permissions of the granted role that its scope cannot carry: a platform-wide
    one granted over a unit, anything but the module's object permissions over one object.
    `Grant.allows` already keeps them from the admin; this says so to whoever grants."""
    return [p for p in registry() if (ALL in grant.permissions or p.value in grant.permissions) and not grant.allows(p)]


def _ineffective_warning(grant: Grant, ineffective: list[Permission]) -> str | None:
    if not ineffective:
        return None
    names = "".join(f"“{p.label}”" for p in ineffective)
    if grant.unit_path is not None:
        rule = "限定到单位时只有单位与人员类权限生效"
    else:
        scoped = scoped_object_modules().get(grant.object_module or "")
        label = scoped.scoped_object.label if scoped and scoped.scoped_object else "对象"
        rule = f"限定到某{label}时只有该{label}的{label}类权限生效"
    return f"该角色的以下权限在此管理范围内不生效：{names}（{rule}）"


async def _principal_of(admin: AdminUser) -> AdminPrincipal:
    grants = await RoleGrant.filter(admin_id=admin.id).select_related("role", "unit")
    return AdminPrincipal(
        admin_id=admin.id,
        username=admin.username,
        display_name=admin.display_name,
        grants=tuple(_grant_of(g) for g in grants),
        must_change_password=admin.must_change_password,
    )


async def load_principal(admin_id: int) -> AdminPrincipal | None:
    admin = await AdminUser.get_or_none(id=admin_id)
    return None if admin is None else await _principal_of(admin)


class LoginDoor(LabelledEnum):
    """Where an admin signed in or out, as the audit log names it."""

    CONSOLE = "console", "管理控制台"
    API = "api", "管理接口"


async def login_throttled(
    limiter: RateLimiter,
    rule: str,
    sessions: TokenStore,
    username: str,
    password: str,
    *,
    via: LoginDoor,
    ip: str,
    request_id: str,
) -> tuple[str, AdminPrincipal]:
    """A session token for the admin. Failed attempts are counted per username and client IP:
    guessing one account's password is throttled without anyone being able to lock that account
    out for everyone. Every attempt is in the audit log (等保): who logged in, or which login
    name was tried and why it was refused, from where and through which door (`via`: console or
    api); never the password."""
    failures = ("admin_login_failures", username.lower(), ip)
    attempt = {"username": username, "via": via.value}
    admin = await AdminUser.get_or_none(username=username)
    try:
        await limiter.check(rule, *failures)
        if not await verify_password(admin.password_hash if admin else None, password) or admin is None:
            raise AuthError.BAD_CREDENTIALS.error()
        if not admin.is_active:
            raise AuthError.ACCOUNT_DISABLED.error()
    except AppError as refusal:
        if refusal.code == AuthError.BAD_CREDENTIALS.code:
            await limiter.count(rule, *failures)
        # No admin acted: the entry names the login name tried (and the account, if it exists).
        # Its own transaction, as the refusal raised here undoes nothing else.
        tried = Actor(None, username, request_id, ip)
        async with in_transaction() as conn:
            after = {**attempt, "reason": refusal.message}
            await record(conn, tried, "accounts.login_failed", "admin", admin.id if admin else "", after=after)
        raise
    async with in_transaction() as conn:
        await AdminUser.filter(id=admin.id).using_db(conn).update(last_login_at=now())
        actor = Actor(admin.id, admin.username, request_id, ip)
        await record(conn, actor, "accounts.login", "admin", admin.id, after=attempt)
    token = await sessions.issue({"admin_id": admin.id, "epoch": admin.session_epoch})
    return token, await _principal_of(admin)


async def logout(sessions: TokenStore, actor: Actor, token: str, *, via: LoginDoor) -> None:
    await sessions.revoke(token)
    async with in_transaction() as conn:
        await record(conn, actor, "accounts.logout", "admin", actor.admin_id, after={"via": via.value})


async def authenticate(sessions: TokenStore, token: str, *, while_password_change_due: bool = False) -> AdminPrincipal:
    """The admin behind a session token. A password reset or a disabled account ends every
    session at once, whatever its expiry. An admin who must choose their own password is
    refused (accounts.password_change_required) except where `while_password_change_due` says
    the caller is how they do it (the password form, logout)."""
    data = await sessions.read(token)
    if data is None:
        raise AuthError.SESSION_EXPIRED.error() if token else AuthError.NOT_AUTHENTICATED.error()
    admin = await AdminUser.get_or_none(id=data["admin_id"])
    if admin is None or data.get("epoch") != admin.session_epoch:
        await sessions.revoke(token)
        raise AuthError.SESSION_EXPIRED.error()
    if not admin.is_active:
        await sessions.revoke(token)
        raise AuthError.ACCOUNT_DISABLED.error()
    if admin.must_change_password and not while_password_change_due:
        raise AccountsError.PASSWORD_CHANGE_REQUIRED.error()
    return await _principal_of(admin)


async def change_own_password(sessions: TokenStore, actor: Actor, current: str, new: str) -> str:
    """The admin `actor` replaces their password, knowing the current one. Every session of
    theirs ends (whoever else knew the old password is out) and the new session token is
    returned; the obligation to choose their own password is met."""
    if problem := password_problem(new):
        raise AccountsError.WEAK_PASSWORD.error(reason=problem)
    admin = await AdminUser.get_or_none(id=actor.admin_id)
    if admin is None:
        raise AccountsError.ADMIN_NOT_FOUND.error()
    if not await verify_password(admin.password_hash, current):
        raise AccountsError.WRONG_CURRENT_PASSWORD.error()
    if current == new:
        raise AccountsError.PASSWORD_UNCHANGED.error()
    password_hash = await hash_password(new)
    async with in_transaction() as conn:
        admin = await AdminUser.filter(id=actor.admin_id).using_db(conn).select_for_update().get()
        admin.password_hash = password_hash
        admin.must_change_password = False
        admin.session_epoch += 1
        await admin.save(using_db=conn, update_fields=["password_hash", "must_change_password", "session_epoch"])
        await record(conn, actor, "accounts.change_own_password", "admin", admin.id)
    return await sessions.issue({"admin_id": admin.id, "epoch": admin.session_epoch})


async def create_admin(
    actor: Actor, username: str, display_name: str, password: str, *, must_change_password: bool = True
) -> dict:
    """A new admin, who by default must choose their own password at first login: the one given
    here is known to whoever created the account."""
    if problem := password_problem(password):
        raise AccountsError.WEAK_PASSWORD.error(reason=problem)
    password_hash = await hash_password(password)
    async with in_transaction() as conn:
        if await AdminUser.filter(username=username).using_db(conn).exists():
            raise AccountsError.ADMIN_USERNAME_TAKEN.error()
        try:
            admin = await AdminUser.create(
                username=username,
                display_name=display_name,
                password_hash=password_hash,
                must_change_password=must_change_password,
                using_db=conn,
            )
        except IntegrityError:
            raise AccountsError.ADMIN_USERNAME_TAKEN.error() from None
        await record(conn, actor, "accounts.create_admin", "admin", admin.id, after=admin_view(admin))
    return admin_view(admin)


async def _require_delegable(grantor: AdminPrincipal | None, admin_id: int) -> None:
    """Acting on another admin's account needs every permission that admin holds."""
    target = await load_principal(admin_id)
    if target is None:
        raise AccountsError.ADMIN_NOT_FOUND.error()
    held = [p for g in target.grants for p in g.permissions]
    if grantor is not None and not grantor.can_delegate(held, registry()):
        raise AuthError.PERMISSION_DENIED.error()


async def reset_password(actor: Actor, grantor: AdminPrincipal | None, admin_id: int, password: str) -> None:
    """Set a new password; every session of that admin ends, and unless they reset their own,
    they must choose another at their next login (the one set here is known to `actor`)."""
    if problem := password_problem(password):
        raise AccountsError.WEAK_PASSWORD.error(reason=problem)
    await _require_delegable(grantor, admin_id)
    password_hash = await hash_password(password)
    async with in_transaction() as conn:
        if (
            not await AdminUser.filter(id=admin_id)
            .using_db(conn)
            .update(
                password_hash=password_hash,
                session_epoch=F("session_epoch") + 1,
                must_change_password=actor.admin_id != admin_id,
            )
        ):
            raise AccountsError.ADMIN_NOT_FOUND.error()
        await record(conn, actor, "accounts.reset_admin_password", "admin", admin_id)


async def set_admin_active(actor: Actor, grantor: AdminPrincipal | None, admin_id: int, active: bool) -> dict:
    await _require_delegable(grantor, admin_id)
    return await update_audited(
        actor,
        AdminUser,
        admin_id,
        {"is_active": active},
        view=admin_view,
        action="accounts.set_admin_active",
        object_type="admin",
        not_found=AccountsError.ADMIN_NOT_FOUND.error(),
    )


async def list_admins() -> list[dict]:
    return [admin_view(a) for a in await AdminUser.all().order_by("username")]


async def scoped_object_choices() -> list[dict]:
    """For the role editor: each module whose objects a role can be granted over, with the
    form field naming one (`<module>_code`) and its objects as (code, name)."""
    return [
        {
            "module": name,
            "label": m.scoped_object.label,
            "field": f"{name}_code",
            "choices": await resolve(m.scoped_object.choices)(),
        }
        for name, m in scoped_object_modules().items()
        if m.scoped_object
    ]


def _scoped_object(module_name: str) -> ScopedObject:
    module = scoped_object_modules().get(module_name)
    if module is None or module.scoped_object is None:
        raise AccountsError.GRANT_SCOPE_CONFLICT.error()
    return module.scoped_object


async def _object_names(grants: list[RoleGrant]) -> dict[tuple[str, int], tuple[str, str]]:
    """(module, id) -> (code, name) of every object the grants name, one query per module."""
    wanted: dict[str, set[int]] = {}
    for grant in grants:
        if grant.object_module and grant.object_id is not None:
            wanted.setdefault(grant.object_module, set()).add(grant.object_id)
    names = {}
    active = scoped_object_modules()
    for module_name, ids in wanted.items():
        scoped = active.get(module_name)
        # A grant over an object of a module no longer in the list is still shown, by its id.
        described = await resolve(scoped.scoped_object.describe)(sorted(ids)) if scoped and scoped.scoped_object else {}
        names.update({(module_name, i): described.get(i, ("", f"{module_name} #{i}")) for i in ids})
    return names


def _grant_view(grant: RoleGrant, objects: dict[tuple[str, int], tuple[str, str]]) -> dict:
    view = {
        "id": grant.id,
        "role": grant.role.code,
        "role_name": grant.role.name,
        "unit": grant.unit.code if grant.unit else None,
        "unit_name": grant.unit.name if grant.unit else "全部单位",
        "scope_name": grant.unit.name if grant.unit else "全部单位",
        "object_module": grant.object_module,
        "object": None,
        **{name: None for name in scoped_object_modules()},
        "ineffective": [p.label for p in ineffective_permissions(_grant_of(grant))],
    }
    if grant.object_module and grant.object_id is not None:
        code, name = objects[(grant.object_module, grant.object_id)]
        scoped = scoped_object_modules().get(grant.object_module)
        label = scoped.scoped_object.label if scoped and scoped.scoped_object else grant.object_module
        view.update(object=code, scope_name=f"{name}（仅该{label}）", **{grant.object_module: code})
    return view


async def admins_with_grants() -> list[dict]:
    """Every admin with their role grants (a few queries, whatever the number of admins)."""
    all_grants = await RoleGrant.all().select_related("role", "unit").order_by("id")
    objects = await _object_names(all_grants)
    grants: dict[int, list[dict]] = {}
    for grant in all_grants:
        grants.setdefault(grant.admin_id, []).append(_grant_view(grant, objects))
    return [{**admin_view(a), "grants": grants.get(a.id, [])} for a in await AdminUser.all().order_by("username")]


async def get_admin(admin_id: int) -> dict:
    admin = await AdminUser.get_or_none(id=admin_id)
    if admin is None:
        raise AccountsError.ADMIN_NOT_FOUND.error()
    grants = await RoleGrant.filter(admin_id=admin_id).select_related("role", "unit").order_by("id")
    objects = await _object_names(grants)
    return {**admin_view(admin), "grants": [_grant_view(g, objects) for g in grants]}


async def create_role(
    actor: Actor, grantor: AdminPrincipal | None, code: str, name: str, permissions: list[str]
) -> dict:
    """`grantor` (None: the CLI) may only put in a role what they hold over every unit."""
    if unknown := registry().unknown(permissions):
        raise AccountsError.UNKNOWN_PERMISSION.error(permission="、".join(unknown))
    if grantor is not None and not grantor.can_delegate(permissions, registry()):
        raise AuthError.PERMISSION_DENIED.error()
    async with in_transaction() as conn:
        if await Role.filter(code=code).using_db(conn).exists():
            raise AccountsError.ROLE_CODE_TAKEN.error()
        try:
            role = await Role.create(code=code, name=name, permissions=sorted(set(permissions)), using_db=conn)
        except IntegrityError:
            raise AccountsError.ROLE_CODE_TAKEN.error() from None
        await record(conn, actor, "accounts.create_role", "role", role.id, after=role_view(role))
    return role_view(role)


async def list_roles() -> list[dict]:
    return [role_view(r) for r in await Role.all().order_by("code")]


async def grant_role(
    actor: Actor,
    grantor: AdminPrincipal | None,
    admin_id: int,
    role_code: str,
    unit_code: str | None,
    scoped_object: tuple[str, str] | None = None,
) -> dict:
    """Give an admin a role platform-wide, over one unit's subtree, or over one object of a module
    (`scoped_object` = (module, object code), e.g. ("canteen", "C01"): then only that module's
    object permissions count, for that object alone). Granting twice is a no-op. The view names
    the role's permissions the scope cannot carry, with a warning to show whoever granted it.
    `grantor` (None: the CLI) may only grant roles whose permissions they hold themselves."""
    if unit_code and scoped_object:
        raise AccountsError.GRANT_SCOPE_CONFLICT.error()
    object_module, object_id, object_code = None, None, None
    if scoped_object:
        object_module, object_code = scoped_object
        object_id = await resolve(_scoped_object(object_module).find)(object_code)
    async with in_transaction() as conn:
        admin = await AdminUser.get_or_none(id=admin_id).using_db(conn)
        if admin is None:
            raise AccountsError.ADMIN_NOT_FOUND.error()
        role = await Role.get_or_none(code=role_code).using_db(conn)
        if role is None:
            raise AccountsError.ROLE_NOT_FOUND.error()
        if grantor is not None and not grantor.can_delegate(list(role.permissions), registry()):
            raise AuthError.PERMISSION_DENIED.error()
        unit = None
        if unit_code:
            unit = await Unit.get_or_none(code=unit_code).using_db(conn)
            if unit is None:
                raise AccountsError.UNIT_NOT_FOUND.error()
        grant, created = await RoleGrant.get_or_create(
            admin=admin, role=role, unit=unit, object_module=object_module, object_id=object_id, using_db=conn
        )
        given = Grant(frozenset(role.permissions), unit.path if unit else None, object_module, object_id)
        ineffective = ineffective_permissions(given)
        view = {
            "id": grant.id,
            "admin_id": admin.id,
            "role": role.code,
            "unit": unit.code if unit else None,
            **{name: None for name in scoped_object_modules()},
            **({object_module: object_code} if object_module else {}),
        }
        if created:
            await record(conn, actor, "accounts.grant_role", "admin", admin.id, after=view)
    # A warning, not a refusal: the grant still gives only what its scope carries.
    return {
        **view,
        "ineffective_permissions": [p.value for p in ineffective],
        "warning": _ineffective_warning(given, ineffective),
    }


async def grant_warning(role_code: str, unit_code: str | None, scoped_object: tuple[str, str] | None) -> str | None:
    """What granting `role_code` over that scope would warn of, said before granting (the admin
    page asks as the role and scope are chosen); None when nothing would be lost, or the choice
    names nothing that exists yet (granting then refuses it with its reason)."""
    role = await Role.get_or_none(code=role_code)
    unit = await Unit.get_or_none(code=unit_code) if unit_code else None
    if role is None or (unit_code and (unit is None or scoped_object)):
        return None
    object_module, object_id = None, None
    if scoped_object:
        object_module = scoped_object[0]
        try:
            object_id = await resolve(_scoped_object(object_module).find)(scoped_object[1])
        except AppError:
            return None
    given = Grant(frozenset(role.permissions), unit.path if unit else None, object_module, object_id)
    return _ineffective_warning(given, ineffective_permissions(given))
