"""Granting a role over a unit or one object warns about the role's permissions the scope cannot
carry, and the grant still gives no more than the scope allows."""

from __future__ import annotations

from backend.accounts.permissions import AccountsPermission
from backend.accounts.service import admins
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.modules import presets
from backend.wallet.permissions import WalletPermission
from tests.helpers import PASSWORD, bearer, console_login, login, seed_units_and_roster, superadmin_token


async def _card_clerk_role() -> None:
    await admins.create_role(CLI_ACTOR, None, "card_clerk", "卡务员", [p.value for p in presets()["卡务员"]])


async def _new_admin(username: str) -> dict:
    return await admins.create_admin(CLI_ACTOR, username, username, PASSWORD, must_change_password=False)


async def test_granting_a_role_over_a_unit_warns_of_its_platform_wide_permissions(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    await _card_clerk_role()
    root = bearer(await superadmin_token(client))
    clerk = await _new_admin("clerk")
    granted = await client.post(
        f"/admin/v1/admins/{clerk['id']}/grants", headers=root, json={"role_code": "card_clerk", "unit_code": "FGW"}
    )
    assert granted.status_code == 201
    body = granted.json()
    assert set(body["ineffective_permissions"]) == {
        WalletPermission.VIEW_WALLET.value,
        WalletPermission.MANAGE_CARD.value,
        WalletPermission.REFUND_CASH.value,
    }
    assert "“发卡、补卡、挂失与解挂、注销卡”" in body["warning"] and "查看人员" not in body["warning"]


async def test_a_grant_over_a_unit_gives_only_what_the_unit_scope_carries(client, runtime):
    # given a card clerk granted over one unit, despite the warning
    await seed_units_and_roster(runtime.cipher)
    await _card_clerk_role()
    clerk = await _new_admin("clerk")
    view = await admins.grant_role(CLI_ACTOR, None, clerk["id"], "card_clerk", "FGW")
    assert view["warning"]
    # then the clerk sees the unit's people, and can do nothing platform-wide
    principal = await admins.load_principal(clerk["id"])
    assert principal.can(AccountsPermission.VIEW_PERSON)
    assert principal.scope(AccountsPermission.VIEW_PERSON) == Scope.units(["/SJGSW/FGW/"])
    for permission in (WalletPermission.VIEW_WALLET, WalletPermission.MANAGE_CARD, WalletPermission.REFUND_CASH):
        assert not principal.can(permission) and principal.scope(permission) == Scope.NOTHING
    token = bearer(await login(client, "clerk"))
    assert (await client.get("/admin/v1/people", headers=token)).json()["total"] == 2


async def test_a_platform_wide_grant_or_a_unit_only_role_has_no_warning(runtime):
    await seed_units_and_roster(runtime.cipher)
    await _card_clerk_role()
    await admins.create_role(CLI_ACTOR, None, "unit_admin", "单位管理员", [p.value for p in presets()["单位管理员"]])
    clerk = await _new_admin("clerk")
    platform_wide = await admins.grant_role(CLI_ACTOR, None, clerk["id"], "card_clerk", None)
    over_unit = await admins.grant_role(CLI_ACTOR, None, clerk["id"], "unit_admin", "CZJ")
    assert platform_wide["warning"] is None and platform_wide["ineffective_permissions"] == []
    assert over_unit["warning"] is None


async def test_a_grant_over_one_canteen_warns_of_everything_but_that_canteens_permissions(client, canteen):
    await admins.create_role(CLI_ACTOR, None, "manager", "食堂管理员", ["canteen.view_payment", "wallet.view_wallet"])
    manager = await _new_admin("manager")
    view = await admins.grant_role(CLI_ACTOR, None, manager["id"], "manager", None, ("canteen", canteen))
    assert view["ineffective_permissions"] == ["wallet.view_wallet"]
    assert "查看一卡通账户" in view["warning"] and "食堂" in view["warning"]


async def test_the_admin_page_warns_as_the_scope_is_chosen_before_granting(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    await _card_clerk_role()
    await superadmin_token(client)
    await console_login(client, "root")
    clerk = await _new_admin("clerk")
    url = f"/console/admins/{clerk['id']}/grant-warning"
    over_unit = await client.get(url, params={"role_code": "card_clerk", "unit_code": "FGW"})
    assert over_unit.status_code == 200 and "“发卡、补卡、挂失与解挂、注销卡”" in over_unit.text
    for harmless in (
        {"role_code": "card_clerk"},
        {"role_code": "card_clerk", "unit_code": "NOPE"},
        {"unit_code": "FGW"},
    ):
        assert "grant-warning" not in (await client.get(url, params=harmless)).text
    assert not await AuditEntry.filter(action="accounts.grant_role", object_id=str(clerk["id"])).exists()


async def test_the_admin_page_shows_the_warning_after_granting_and_beside_the_grant(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    await _card_clerk_role()
    await superadmin_token(client)
    csrf = await console_login(client, "root")
    clerk = await _new_admin("clerk")
    granted = await client.post(
        f"/console/admins/{clerk['id']}/grants",
        data={"csrf_token": csrf, "role_code": "card_clerk", "unit_code": "FGW"},
    )
    assert granted.status_code == 302 and granted.headers["location"].endswith("done=granted_partly")
    detail = await client.get(granted.headers["location"])
    assert 'class="alert alert-warn"' in detail.text and "部分权限在该管理范围内不生效" in detail.text
    assert "在此范围内不生效：“查看一卡通账户”“发卡、补卡、挂失与解挂、注销卡”“现金退款与销户”" in detail.text
