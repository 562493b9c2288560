"""Admin logins (successful and failed), logouts, through the console and the admin API, are in
the audit log (等保): the login name tried and the client IP, never the password."""

from __future__ import annotations

from backend.accounts.models import AdminUser
from backend.core.errors import AuthError
from backend.core.models import AuditEntry
from backend.demo import create_superadmin
from backend.modules import modules
from tests.helpers import CSRF_FIELD, PASSWORD, bearer, console_login, login


def _never_the_password(entry: AuditEntry, *passwords: str) -> None:
    text = str([entry.actor_name, entry.object_id, entry.before, entry.after])
    assert not any(p in text for p in passwords)


async def test_console_login_failure_and_logout_are_recorded(client):
    root = await create_superadmin("root", "超级管理员", PASSWORD)
    form = await client.get("/console/login")
    wrong = "Wr0ng-Passw0rd!"
    await client.post(
        "/console/login",
        data={"csrf_token": CSRF_FIELD.search(form.text).group(1), "username": "root", "password": wrong},
    )
    csrf = await console_login(client, "root")
    await client.post("/console/logout", data={"csrf_token": csrf})
    entries = await AuditEntry.filter(action__startswith="accounts.log").order_by("id")
    assert [e.action for e in entries] == [
        "accounts.login_failed",
        "accounts.login",
        "accounts.logout",
    ]
    failed, logged_in, logged_out = entries
    assert failed.actor_id is None and failed.actor_name == "root" and failed.object_id == str(root["id"])
    assert failed.after == {"username": "root", "via": "console", "reason": AuthError.BAD_CREDENTIALS.message}
    assert logged_in.actor_id == root["id"] and logged_in.after["via"] == "console"
    assert logged_out.actor_id == root["id"] and logged_out.after == {"via": "console"}
    for entry in entries:
        assert entry.ip == "127.0.0.1"
        _never_the_password(entry, PASSWORD, wrong)


async def test_an_unknown_login_name_is_recorded_with_no_admin_behind_it(client):
    await client.post("/admin/v1/auth/login", json={"username": "ghost", "password": PASSWORD})
    entry = await AuditEntry.get(action="accounts.login_failed")
    assert entry.actor_id is None and entry.actor_name == "ghost" and entry.object_id == ""
    assert entry.after == {"username": "ghost", "via": "api", "reason": AuthError.BAD_CREDENTIALS.message}
    _never_the_password(entry, PASSWORD)


async def test_api_login_and_logout_are_recorded(client):
    root = await create_superadmin("root", "超级管理员", PASSWORD)
    token = await login(client, "root")
    await client.post("/admin/v1/auth/logout", headers=bearer(token))
    actions = await AuditEntry.filter(actor_id=root["id"]).order_by("id").values_list("action", flat=True)
    assert actions[-2:] == ["accounts.login", "accounts.logout"]
    assert (await AuditEntry.get(action="accounts.login")).after == {"username": "root", "via": "api"}


async def test_a_disabled_accounts_login_is_recorded_as_a_failure_with_its_reason(client):
    await create_superadmin("root", "超级管理员", PASSWORD)
    await create_superadmin("gone", "停用", PASSWORD)
    await AdminUser.filter(username="gone").update(is_active=False)
    await client.post("/admin/v1/auth/login", json={"username": "gone", "password": PASSWORD})
    reasons = await AuditEntry.filter(action="accounts.login_failed").values_list("after", flat=True)
    assert [r["reason"] for r in reasons] == [AuthError.ACCOUNT_DISABLED.message]


async def test_the_audit_page_shows_a_failed_login_readably(client):
    await client.post("/admin/v1/auth/login", json={"username": "ghost", "password": PASSWORD})
    await create_superadmin("root", "超级管理员", PASSWORD)
    await console_login(client, "root")
    page = await client.get("/console/audit", params={"action": "accounts.login_failed"})
    assert page.status_code == 200 and "登录失败" in page.text and "ghost" in page.text


def test_login_actions_have_chinese_labels():
    labels = next(m for m in modules() if m.name == "accounts").audit_labels
    assert labels["accounts.login"] == "登录" and labels["accounts.login_failed"] == "登录失败"
    assert labels["accounts.logout"] == "退出登录" and labels["accounts.change_own_password"] == "修改本人密码"
