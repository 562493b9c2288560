"""An admin whose password someone else chose (a new admin, or one reset by another admin) must
choose their own before the admin API does anything else for them."""

from __future__ import annotations

from backend.accounts.models import AdminUser
from backend.accounts.service import admins
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from tests.helpers import PASSWORD, bearer, login, superadmin_token
from tests.helpers.errors import assert_error

OWN = "My-0wn-Passw0rd"


async def _created_by_root(client) -> tuple[dict, dict]:
    root = bearer(await superadmin_token(client))
    made = await client.post(
        "/admin/v1/admins", headers=root, json={"username": "clerk", "display_name": "办事员", "password": PASSWORD}
    )
    assert made.status_code == 201 and made.json()["must_change_password"] is True
    return root, made.json()


async def test_a_new_admin_is_refused_everything_but_changing_the_password(client):
    root, clerk = await _created_by_root(client)
    await admins.create_role(CLI_ACTOR, None, "viewer", "查看", ["accounts.view_unit"])
    await client.post(f"/admin/v1/admins/{clerk['id']}/grants", headers=root, json={"role_code": "viewer"})
    logged_in = await client.post("/admin/v1/auth/login", json={"username": "clerk", "password": PASSWORD})
    assert logged_in.status_code == 200 and logged_in.json()["admin"]["must_change_password"] is True
    token = bearer(logged_in.json()["token"])
    error = assert_error(await client.get("/admin/v1/units", headers=token), 403, "accounts.password_change_required")
    assert "修改密码" in error["message"]
    me = await client.get("/admin/v1/auth/me", headers=token)
    assert me.status_code == 200 and me.json()["must_change_password"] is True


async def test_after_the_change_everything_works_and_the_old_password_and_session_do_not(client):
    _, clerk = await _created_by_root(client)
    old = bearer(await login(client, "clerk"))
    changed = await client.post(
        "/admin/v1/auth/password", headers=old, json={"current_password": PASSWORD, "new_password": OWN}
    )
    assert changed.status_code == 200
    new = bearer(changed.json()["token"])
    assert (await client.get("/admin/v1/auth/me", headers=new)).json()["must_change_password"] is False
    assert_error(await client.get("/admin/v1/auth/me", headers=old), 401, "auth.session_expired")
    refused = await client.post("/admin/v1/auth/login", json={"username": "clerk", "password": PASSWORD})
    assert_error(refused, 401, "auth.bad_credentials")
    assert await login(client, "clerk", OWN)
    entry = await AuditEntry.get(action="accounts.change_own_password")
    assert entry.actor_id == clerk["id"] and entry.object_id == str(clerk["id"])
    assert PASSWORD not in str(entry.after) and OWN not in str(entry.after)


async def test_the_change_needs_the_current_password_a_strong_new_one_and_a_different_one(client):
    await _created_by_root(client)
    token = bearer(await login(client, "clerk"))

    async def change(current: str, new: str):
        return await client.post(
            "/admin/v1/auth/password", headers=token, json={"current_password": current, "new_password": new}
        )

    assert_error(await change("Wr0ng-Passw0rd", OWN), 422, "accounts.wrong_current_password")
    assert_error(await change(PASSWORD, "short"), 422, "accounts.weak_password")
    assert_error(await change(PASSWORD, PASSWORD), 422, "accounts.password_unchanged")
    assert (await AdminUser.get(username="clerk")).must_change_password is True


async def test_a_reset_by_another_admin_forces_a_change_but_resetting_ones_own_does_not(client):
    root, clerk = await _created_by_root(client)
    await AdminUser.filter(id=clerk["id"]).update(must_change_password=False)
    reset = await client.post(
        f"/admin/v1/admins/{clerk['id']}/password", headers=root, json={"password": "Res3t-Passw0rd"}
    )
    assert reset.status_code == 200
    assert (await AdminUser.get(id=clerk["id"])).must_change_password is True
    root_id = (await AdminUser.get(username="root")).id
    await client.post(f"/admin/v1/admins/{root_id}/password", headers=root, json={"password": "R00t-Own-Passw0rd"})
    assert (await AdminUser.get(id=root_id)).must_change_password is False


async def test_a_superadmin_from_a_typed_password_is_not_forced_but_a_generated_one_is(app):
    from backend.demo import create_superadmin

    typed = await create_superadmin("typed", "超级管理员", PASSWORD)
    generated = await create_superadmin("generated", "超级管理员", PASSWORD, must_change_password=True)
    assert typed["must_change_password"] is False and generated["must_change_password"] is True
