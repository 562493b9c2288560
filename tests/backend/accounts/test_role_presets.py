"""Preset roles of the usual posts: each module contributes its own permissions to a post, the
build refuses a preset naming anything undeclared, the role editor offers the posts and lists
permissions under their module's title."""

from __future__ import annotations

import re

import pytest

from backend.accounts.demo import seed
from backend.accounts.permissions import AccountsPermission
from backend.accounts.service import admins
from backend.canteen.permissions import CanteenPermission
from backend.core.demo import DemoContext
from backend.core.modules import Module, Platform
from backend.core.permissions import CorePermission, Permission, Reach, UndeclaredPermission
from backend.demo import create_superadmin
from backend.modules import modules, presets, registry
from backend.wallet.permissions import WalletPermission
from tests.helpers import PASSWORD, console_login


class StrayPermission(Permission):
    """Declared by no module in the list."""

    VIEW_OTHER = "stray.view_other", "无人声明"


def test_the_usual_posts_are_preset_with_declared_permissions():
    posts = presets()
    assert {"食堂管理员", "卡务员", "报修调度", "财务", "单位管理员"} <= set(posts)
    assert {
        AccountsPermission.VIEW_PERSON,
        WalletPermission.VIEW_WALLET,
        WalletPermission.MANAGE_CARD,
        WalletPermission.REFUND_CASH,
    } <= set(posts["卡务员"])
    assert {CorePermission.VIEW_AUDIT, WalletPermission.MANAGE_SUBSIDY, CanteenPermission.REFUND_PAYMENT} <= set(
        posts["财务"]
    )
    for post, permissions in posts.items():
        assert permissions and len(set(permissions)) == len(permissions), post
        assert all(registry().require(p) is p for p in permissions), post


def test_the_unit_administrator_post_holds_only_what_a_grant_over_a_unit_carries():
    assert all(p.reach == Reach.UNIT for p in presets()["单位管理员"])


def test_a_preset_naming_an_undeclared_permission_stops_the_build():
    stray = Module(name="accounts_extra", title="多余", presets={"卡务员": (StrayPermission.VIEW_OTHER,)})
    with pytest.raises(UndeclaredPermission, match="stray.view_other"):
        Platform.of((*modules(), stray), registry())


def test_a_module_cannot_put_another_modules_permission_in_a_preset():
    borrowing = Module(name="repairs", title="报修", presets={"卡务员": (WalletPermission.MANAGE_CARD,)})
    others = tuple(m for m in modules() if m.name != "repairs")
    with pytest.raises(ValueError, match="wallet.manage_card"):
        Platform.of((*others, borrowing), registry())


async def test_the_demo_unit_administrator_role_is_the_preset(runtime):
    await seed(DemoContext(runtime.cipher, runtime.storage, runtime.redis, runtime.settings))
    role = next(r for r in await admins.list_roles() if r["code"] == "unit_admin")
    assert sorted(role["permissions"]) == sorted(p.value for p in presets()["单位管理员"])


async def _editor(client) -> str:
    await create_superadmin("root", "超级管理员", PASSWORD)
    return await console_login(client, "root")


def _checked(html: str) -> set[str]:
    return set(re.findall(r'name="permissions" value="([^"]+)" checked', html))


async def test_the_role_editor_offers_each_preset_and_fills_the_form_from_it(client):
    csrf = await _editor(client)
    editor = await client.get("/console/admins")
    for post in presets():
        assert f">{post}</a>" in editor.text
    assert _checked(editor.text) == set()
    filled = await client.get("/console/admins", params={"preset": "卡务员"})
    assert _checked(filled.text) == {p.value for p in presets()["卡务员"]}
    assert re.search(r'name="name" value="卡务员"', filled.text)
    created = await client.post(
        "/console/roles",
        data={"csrf_token": csrf, "code": "card_clerk", "name": "卡务员", "permissions": sorted(_checked(filled.text))},
    )
    assert created.status_code == 302
    unknown = await client.get("/console/admins", params={"preset": "不存在的岗位"})
    assert unknown.status_code == 200 and _checked(unknown.text) == set()


async def test_the_role_editor_lists_permissions_under_their_modules_title(client):
    await _editor(client)
    editor = (await client.get("/console/admins")).text
    groups = dict(re.findall(r"<legend>([^<]+)</legend>(.*?)</fieldset>", editor, re.S))
    assert list(groups)[0] == "单位与人员" and list(groups)[-1] == "系统管理"
    assert 'value="wallet.manage_card"' in groups["一卡通"] and "发卡、补卡、挂失与解挂、注销卡" in groups["一卡通"]
    assert 'value="canteen.view_payment"' in groups["智慧食堂"] and "可限定到食堂" in groups["智慧食堂"]
    assert 'value="core.view_audit"' in groups["系统管理"]
    assert 'value="wallet.manage_card"' not in groups["单位与人员"]
