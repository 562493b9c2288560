"""Console admins: password login, sessions, permissions, unit scope, audit."""

from backend.accounts.models import AdminUser
from backend.core.models import AuditEntry
from tests.helpers import PASSWORD, admin_token, bearer, seed_units_and_roster, superadmin_token
from tests.helpers.errors import assert_error


async def test_admin_logs_in_and_sees_own_permissions(client):
    token = await superadmin_token(client)
    me = (await client.get("/admin/v1/auth/me", headers=bearer(token))).json()
    assert me["username"] == "root"
    assert "accounts.manage_device" in me["permissions"]


async def test_wrong_password_and_unknown_user_get_the_same_refusal(client):
    await superadmin_token(client)
    wrong = await client.post("/admin/v1/auth/login", json={"username": "root", "password": "nope-nope-1A"})
    unknown = await client.post("/admin/v1/auth/login", json={"username": "ghost", "password": PASSWORD})
    assert assert_error(wrong, 401, "auth.bad_credentials") == assert_error(unknown, 401, "auth.bad_credentials")


async def test_missing_token_is_refused(client):
    assert_error(await client.get("/admin/v1/auth/me"), 401, "auth.not_authenticated")


async def test_unknown_or_expired_token_is_refused(client):
    assert_error(await client.get("/admin/v1/auth/me", headers=bearer("expired-token")), 401, "auth.session_expired")


async def test_logged_out_token_no_longer_works(client):
    token = await superadmin_token(client)
    assert (await client.post("/admin/v1/auth/logout", headers=bearer(token))).status_code == 200
    assert_error(await client.get("/admin/v1/auth/me", headers=bearer(token)), 401, "auth.session_expired")


async def test_session_expires_after_its_ttl(client, runtime):
    token = await superadmin_token(client)
    keys = [k async for k in runtime.redis.scan_iter("session:admin:*")]
    assert len(keys) == 1 and 0 < await runtime.redis.ttl(keys[0]) <= runtime.settings.admin_session_ttl
    await runtime.redis.delete(keys[0])  # what expiry does
    assert_error(await client.get("/admin/v1/auth/me", headers=bearer(token)), 401, "auth.session_expired")


async def test_disabled_admin_is_cut_off_at_once(client):
    token = await admin_token(client, "clerk", ["accounts.view_unit"])
    await AdminUser.filter(username="clerk").update(is_active=False)
    assert_error(await client.get("/admin/v1/units", headers=bearer(token)), 403, "auth.account_disabled")
    refused = await client.post("/admin/v1/auth/login", json={"username": "clerk", "password": PASSWORD})
    assert_error(refused, 403, "auth.account_disabled")


async def test_admin_without_the_permission_is_refused(client):
    token = await admin_token(client, "viewer", ["accounts.view_unit"])
    response = await client.post(
        "/admin/v1/devices", headers=bearer(token), json={"code": "T-9", "name": "x", "kind": "kiosk"}
    )
    assert_error(response, 403, "auth.permission_denied")


async def test_unit_scoped_admin_sees_only_their_subtree(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await admin_token(client, "fgw_admin", ["accounts.view_person", "accounts.view_unit"], unit_code="FGW")
    people = (await client.get("/admin/v1/people", headers=bearer(token))).json()
    assert {p["employee_no"] for p in people["items"]} == {"D0001", "D0002"}
    units = (await client.get("/admin/v1/units", headers=bearer(token))).json()["items"]
    assert [u["code"] for u in units] == ["FGW", "FGW-BGS", "FGW-GHC"]


async def test_unit_scoped_admin_is_refused_another_units_person(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await admin_token(client, "fgw_admin", ["accounts.view_person"], unit_code="FGW")
    su = await superadmin_token(client)
    czj_person = (await client.get("/admin/v1/people", params={"q": "D0003"}, headers=bearer(su))).json()["items"][0]
    response = await client.get(f"/admin/v1/people/{czj_person['id']}", headers=bearer(token))
    assert_error(response, 403, "auth.out_of_scope")


async def test_unit_scoped_admin_cannot_create_units_outside_scope(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await admin_token(client, "fgw_admin", ["accounts.manage_unit"], unit_code="FGW")
    inside = await client.post(
        "/admin/v1/units", headers=bearer(token), json={"code": "FGW-NYC", "name": "能源处", "parent_code": "FGW"}
    )
    assert inside.status_code == 201 and inside.json()["path"] == "/SJGSW/FGW/FGW-NYC/"
    outside = await client.post(
        "/admin/v1/units", headers=bearer(token), json={"code": "CZJ-X", "name": "x", "parent_code": "CZJ"}
    )
    assert_error(outside, 403, "auth.out_of_scope")
    root = await client.post("/admin/v1/units", headers=bearer(token), json={"code": "NEW", "name": "新单位"})
    assert_error(root, 403, "auth.out_of_scope")


async def test_admin_writes_are_audited_with_before_and_after(client):
    token = await superadmin_token(client)
    created = (
        await client.post(
            "/admin/v1/admins",
            headers=bearer(token),
            json={"username": "dispatcher", "display_name": "调度员", "password": "An0ther-Passw0rd"},
        )
    ).json()
    await client.post(f"/admin/v1/admins/{created['id']}/active", headers=bearer(token), json={"is_active": False})
    entry = await AuditEntry.get(action="accounts.set_admin_active")
    assert entry.actor_name == "root" and entry.object_id == str(created["id"])
    assert entry.before["is_active"] is True and entry.after["is_active"] is False
    assert len(entry.request_id) == 32 and entry.ip == "127.0.0.1"
    listed = (await client.get("/admin/v1/audit", params={"object_type": "admin"}, headers=bearer(token))).json()
    assert [e["action"] for e in listed["items"]][:2] == ["accounts.set_admin_active", "accounts.create_admin"]


async def test_weak_password_is_refused_and_nothing_created(client):
    token = await superadmin_token(client)
    response = await client.post(
        "/admin/v1/admins",
        headers=bearer(token),
        json={"username": "weak", "display_name": "x", "password": "12345678"},
    )
    assert_error(response, 422, "accounts.weak_password")
    assert not await AdminUser.filter(username="weak").exists()


async def test_role_with_unknown_permission_is_refused(client):
    token = await superadmin_token(client)
    response = await client.post(
        "/admin/v1/roles", headers=bearer(token), json={"code": "odd", "name": "x", "permissions": ["canteen.fly"]}
    )
    assert_error(response, 422, "accounts.unknown_permission")


async def test_login_is_throttled_with_429(client, runtime):
    limit = int(runtime.settings.login_rate_limit.split("/")[0])
    for _ in range(limit):
        await client.post("/admin/v1/auth/login", json={"username": "root", "password": "wrong-Passw0rd"})
    response = await client.post("/admin/v1/auth/login", json={"username": "root", "password": "wrong-Passw0rd"})
    assert_error(response, 429, "common.rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
