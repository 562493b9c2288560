"""An admin can hand on only what they hold over every unit; unit-scoped grants reach only
unit and roster permissions; a password reset or a disabled account ends sessions at once."""

from backend.accounts.service import admins
from backend.core.audit import CLI_ACTOR
from tests.helpers import PASSWORD, admin_token, bearer, login, seed_units_and_roster, superadmin_token
from tests.helpers.errors import assert_error


async def test_unit_scoped_grant_does_not_give_platform_permissions(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await admin_token(client, "fgw_admin", ["accounts.manage_admin", "accounts.view_person"], unit_code="FGW")
    response = await client.post(
        "/admin/v1/roles", headers=bearer(token), json={"code": "all", "name": "x", "permissions": ["*"]}
    )
    assert_error(response, 403, "auth.permission_denied")
    assert_error(await client.get("/admin/v1/audit", headers=bearer(token)), 403, "auth.permission_denied")
    me = (await client.get("/admin/v1/auth/me", headers=bearer(token))).json()
    assert me["permissions"] == ["accounts.view_person"]


async def test_admin_manager_cannot_create_or_grant_more_than_they_hold(client):
    await superadmin_token(client)
    token = await admin_token(client, "hr", ["accounts.manage_admin", "accounts.view_person"])
    wildcard = await client.post(
        "/admin/v1/roles", headers=bearer(token), json={"code": "all", "name": "x", "permissions": ["*"]}
    )
    assert_error(wildcard, 403, "auth.permission_denied")
    beyond = await client.post(
        "/admin/v1/roles",
        headers=bearer(token),
        json={"code": "dev", "name": "x", "permissions": ["accounts.manage_device"]},
    )
    assert_error(beyond, 403, "auth.permission_denied")
    me = (await client.get("/admin/v1/auth/me", headers=bearer(token))).json()
    hr_id = (await client.get("/admin/v1/admins", headers=bearer(token))).json()["items"]
    hr_id = next(a["id"] for a in hr_id if a["username"] == "hr")
    grant = await client.post(
        f"/admin/v1/admins/{hr_id}/grants", headers=bearer(token), json={"role_code": "superadmin"}
    )
    assert_error(grant, 403, "auth.permission_denied")
    assert "accounts.manage_device" not in me["permissions"]
    within = await client.post(
        "/admin/v1/roles",
        headers=bearer(token),
        json={"code": "viewer", "name": "查看", "permissions": ["accounts.view_person"]},
    )
    assert within.status_code == 201


async def test_admin_manager_cannot_take_over_a_more_powerful_account(client):
    await superadmin_token(client)
    token = await admin_token(client, "hr", ["accounts.manage_admin"])
    root_id = next(
        a["id"]
        for a in (await client.get("/admin/v1/admins", headers=bearer(token))).json()["items"]
        if a["username"] == "root"
    )
    reset = await client.post(
        f"/admin/v1/admins/{root_id}/password", headers=bearer(token), json={"password": "Take-0ver-Root!"}
    )
    assert_error(reset, 403, "auth.permission_denied")
    disable = await client.post(f"/admin/v1/admins/{root_id}/active", headers=bearer(token), json={"is_active": False})
    assert_error(disable, 403, "auth.permission_denied")


async def test_password_reset_ends_every_session_of_that_admin(client):
    root = await superadmin_token(client)
    admin = await admins.create_admin(CLI_ACTOR, "clerk", "clerk", PASSWORD)
    clerk = await login(client, "clerk")
    assert (await client.get("/admin/v1/auth/me", headers=bearer(clerk))).status_code == 200
    reset = await client.post(
        f"/admin/v1/admins/{admin['id']}/password", headers=bearer(root), json={"password": "New-Passw0rd-99"}
    )
    assert reset.status_code == 200
    assert_error(await client.get("/admin/v1/auth/me", headers=bearer(clerk)), 401, "auth.session_expired")
    assert await login(client, "clerk", "New-Passw0rd-99")


async def test_failed_logins_throttle_that_username_from_that_address(client, runtime):
    await superadmin_token(client)
    await runtime.limiter.reset()
    limit = int(runtime.settings.login_rate_limit.split("/")[0])
    for _ in range(limit):
        await client.post("/admin/v1/auth/login", json={"username": "root", "password": "wrong-Passw0rd"})
    await runtime.limiter.clear(runtime.settings.login_rate_limit, "admin_login", "127.0.0.1")
    right = await client.post("/admin/v1/auth/login", json={"username": "root", "password": PASSWORD})
    assert_error(right, 429, "common.rate_limited")


async def test_successful_logins_do_not_count_as_failures(client, runtime):
    await superadmin_token(client)
    limit = int(runtime.settings.login_rate_limit.split("/")[0])
    for _ in range(limit - 2):
        await login(client, "root")
    assert (
        await client.post("/admin/v1/auth/login", json={"username": "root", "password": PASSWORD})
    ).status_code == 200
