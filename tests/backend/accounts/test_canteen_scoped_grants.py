"""A role granted over one canteen: it gives only canteen permissions, for that canteen; it is
granted through the API and the admins console page, audited, and delegates nothing."""

from backend.accounts.models import RoleGrant
from backend.accounts.permissions import AccountsPermission
from backend.accounts.service import admins
from backend.canteen.models import Canteen
from backend.canteen.permissions import CanteenPermission
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.permissions import AdminPrincipal, Grant, Scope
from backend.modules import registry
from tests.helpers import PASSWORD, admin_token, bearer, console_login, login, superadmin_token
from tests.helpers.errors import assert_error

MANAGER = ["canteen.view_payment", "canteen.refund_payment", "canteen.manage_canteen"]


async def admin_without_grants(username: str) -> dict:
    """An admin, and a role r_<username> holding canteen.view_payment that nobody holds yet."""
    await admins.create_role(CLI_ACTOR, None, f"r_{username}", "食堂查看", ["canteen.view_payment"])
    return await admins.create_admin(CLI_ACTOR, username, username, PASSWORD)


def test_a_grant_over_one_canteen_gives_only_canteen_permissions_for_that_canteen():
    over_canteen_7 = Grant(frozenset(["*"]), object_module="canteen", object_id=7)
    principal = AdminPrincipal(1, "m", "m", (over_canteen_7,))
    assert principal.can(CanteenPermission.REFUND_PAYMENT) and not principal.can(AccountsPermission.MANAGE_ADMIN)
    assert principal.scope(CanteenPermission.REFUND_PAYMENT) == Scope.objects([7])
    assert principal.scope(AccountsPermission.VIEW_PERSON) == Scope.units([])
    assert not principal.can_delegate(["canteen.view_payment"], registry())
    both = AdminPrincipal(
        1,
        "m",
        "m",
        (
            Grant(frozenset(MANAGER), object_module="canteen", object_id=7),
            Grant(frozenset(["canteen.view_payment"])),
        ),
    )
    assert both.scope(CanteenPermission.VIEW_PAYMENT) is Scope.EVERYTHING
    assert both.scope(CanteenPermission.REFUND_PAYMENT) == Scope.objects([7])
    assert both.can_delegate(["canteen.view_payment"], registry())
    assert not both.can_delegate(["canteen.refund_payment"], registry())


async def test_a_superadmin_grants_a_role_over_one_canteen_through_the_api(client, canteen):
    root = bearer(await superadmin_token(client))
    manager = await admin_without_grants("st1_manager")
    granted = await client.post(
        f"/admin/v1/admins/{manager['id']}/grants",
        headers=root,
        json={"role_code": "r_st1_manager", "canteen_code": canteen},
    )
    assert granted.status_code == 201 and granted.json()["canteen"] == canteen
    entry = await AuditEntry.filter(action="accounts.grant_role").order_by("-id").first()
    assert entry.after == {
        "id": granted.json()["id"],
        "admin_id": manager["id"],
        "role": "r_st1_manager",
        "unit": None,
        "canteen": canteen,
    }
    scoped = bearer(await login(client, "st1_manager"))
    me = (await client.get("/admin/v1/auth/me", headers=scoped)).json()
    assert me["permissions"] == ["canteen.view_payment"]


async def test_a_grant_naming_both_a_unit_and_a_canteen_or_an_unknown_canteen_is_refused(client, canteen):
    root = bearer(await superadmin_token(client))
    manager = await admin_without_grants("st1_manager")
    both = await client.post(
        f"/admin/v1/admins/{manager['id']}/grants",
        headers=root,
        json={"role_code": "r_st1_manager", "unit_code": "FGW", "canteen_code": canteen},
    )
    assert_error(both, 422, "accounts.grant_scope_conflict")
    unknown = await client.post(
        f"/admin/v1/admins/{manager['id']}/grants",
        headers=root,
        json={"role_code": "r_st1_manager", "canteen_code": "NOPE"},
    )
    assert_error(unknown, 404, "canteen.canteen_not_found")
    assert await RoleGrant.filter(admin_id=manager["id"]).count() == 0


async def test_a_canteen_scoped_admin_manager_cannot_hand_on_canteen_permissions(client, canteen):
    token = await admin_token(
        client, "st1_boss", ["accounts.manage_admin", "canteen.view_payment"], canteen_code=canteen
    )
    me = (await client.get("/admin/v1/auth/me", headers=bearer(token))).json()
    assert me["permissions"] == ["canteen.view_payment"]  # managing admins is not a canteen permission
    role = await client.post(
        "/admin/v1/roles",
        headers=bearer(token),
        json={"code": "viewer", "name": "查看", "permissions": ["canteen.view_payment"]},
    )
    assert_error(role, 403, "auth.permission_denied")


async def test_the_admin_page_grants_a_role_over_one_canteen_and_shows_it(client, canteen):
    from backend.demo import create_superadmin

    await create_superadmin("root", "超级管理员", PASSWORD)
    csrf = await console_login(client, "root")
    manager = await admin_without_grants("st1_manager")
    page = await client.get(f"/console/admins/{manager['id']}")
    assert "管理范围（食堂）" in page.text and '<option value="ST1">第一食堂</option>' in page.text
    both = await client.post(
        f"/console/admins/{manager['id']}/grants",
        data={"csrf_token": csrf, "role_code": "r_st1_manager", "unit_code": "FGW", "canteen_code": canteen},
    )
    assert both.status_code == 422 and "不能同时限定" in both.text
    done = await client.post(
        f"/console/admins/{manager['id']}/grants",
        data={"csrf_token": csrf, "role_code": "r_st1_manager", "canteen_code": canteen},
    )
    assert done.status_code == 302
    shown = await client.get(done.headers["location"])
    assert "第一食堂（仅该食堂）" in shown.text
    grant = await RoleGrant.get(admin_id=manager["id"])
    st1 = await Canteen.get(code=canteen)
    assert (grant.object_module, grant.object_id, grant.unit_id) == ("canteen", st1.id, None)
