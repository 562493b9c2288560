"""Cadre login through the WeChat stand-in: code → openid → bind by phone → our own session."""

import asyncio

from backend.accounts.models import Person
from backend.repairs.models import RepairTeam, TeamMember
from tests.helpers import bearer, seed_units_and_roster
from tests.helpers.cadres import bind, bound_token, login
from tests.helpers.errors import assert_error


async def test_unbound_cadre_binds_by_phone_then_sees_masked_profile(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    first = (await login(client, wechat, "o-zhangwei")).json()
    assert first["bound"] is False and first["bind_ticket"]
    bound = await bind(client, wechat, first["bind_ticket"], "13800000001")
    assert bound.status_code == 200, bound.text
    body = bound.json()
    assert body["profile"]["employee_no"] == "D0001" and body["profile"]["phone"] == "138****0001"
    me = await client.get("/mp/v1/me", headers=bearer(body["token"]))
    assert me.json()["name"] == "张伟" and me.json()["wechat_bound"] is True


async def test_bound_cadre_logs_in_directly(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    await bound_token(client, wechat)
    again = (await login(client, wechat, "o-zhangwei")).json()
    assert again["bound"] is True and again["profile"]["name"] == "张伟"


async def test_session_key_never_reaches_the_client(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    first = await login(client, wechat, "o-zhangwei")
    second = await bind(client, wechat, first.json()["bind_ticket"], "13800000001")
    third = await login(client, wechat, "o-zhangwei")
    for response in (first, second, third):
        assert "session_key" not in response.text and "openid" not in response.text


async def test_invalid_or_reused_code_is_refused(client, runtime, wechat):
    assert_error(await client.post("/mp/v1/auth/login", json={"code": "made-up"}), 400, "accounts.wechat_code_invalid")
    code = wechat.state.login_code_for("o-x")
    await client.post("/mp/v1/auth/login", json={"code": code})
    assert_error(await client.post("/mp/v1/auth/login", json={"code": code}), 400, "accounts.wechat_code_invalid")


async def test_wechat_outage_is_a_503_not_a_crash(client, wechat):
    wechat.state.busy = True
    assert_error(await client.post("/mp/v1/auth/login", json={"code": "abc"}), 503, "accounts.wechat_unavailable")


async def test_phone_not_on_roster_is_refused_with_a_clear_message(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    ticket = (await login(client, wechat, "o-stranger")).json()["bind_ticket"]
    error = assert_error(await bind(client, wechat, ticket, "13999999999"), 403, "accounts.phone_not_in_roster")
    assert "人员名册" in error["message"]
    assert not await Person.filter(wechat_openid="o-stranger").exists()


async def test_bind_ticket_cannot_be_made_up_or_reused(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    assert_error(await bind(client, wechat, "forged", "13800000001"), 401, "accounts.bind_ticket_invalid")
    ticket = (await login(client, wechat, "o-zhangwei")).json()["bind_ticket"]
    assert (await bind(client, wechat, ticket, "13800000001")).status_code == 200
    assert_error(await bind(client, wechat, ticket, "13800000002"), 401, "accounts.bind_ticket_invalid")


async def test_person_bound_to_another_wechat_is_refused(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    await bound_token(client, wechat, "o-first")
    ticket = (await login(client, wechat, "o-second")).json()["bind_ticket"]
    assert_error(await bind(client, wechat, ticket, "13800000001"), 409, "accounts.person_already_bound")
    assert (await Person.get(employee_no="D0001")).wechat_openid == "o-first"


async def test_two_wechats_racing_to_bind_one_person_one_wins(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    tickets = [(await login(client, wechat, f"o-racer-{i}")).json()["bind_ticket"] for i in range(5)]
    results = await asyncio.gather(*(bind(client, wechat, t, "13800000001") for t in tickets))
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409, 409]
    winner = (await Person.get(employee_no="D0001")).wechat_openid
    assert winner.startswith("o-racer-")


async def test_inactive_person_cannot_log_in(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    await bound_token(client, wechat)
    await Person.filter(employee_no="D0001").update(is_active=False)
    assert_error(await login(client, wechat, "o-zhangwei"), 403, "accounts.person_inactive")


async def test_logout_ends_the_session(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    assert (await client.post("/mp/v1/auth/logout", headers=bearer(token))).status_code == 200
    assert_error(await client.get("/mp/v1/me", headers=bearer(token)), 401, "auth.session_expired")


async def test_profile_needs_a_session_and_ignores_client_claims(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    assert_error(await client.get("/mp/v1/me"), 401, "auth.not_authenticated")
    token = await bound_token(client, wechat)
    me = await client.get("/mp/v1/me", params={"person_id": 2, "openid": "o-other"}, headers=bearer(token))
    assert me.json()["employee_no"] == "D0001"


async def test_admin_token_is_not_a_cadre_session(client, runtime, wechat):
    from tests.helpers import superadmin_token

    token = await superadmin_token(client)
    assert_error(await client.get("/mp/v1/me", headers=bearer(token)), 401, "auth.session_expired")


async def test_session_ends_when_the_person_is_deactivated(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    await Person.filter(employee_no="D0001").update(is_active=False)
    assert_error(await client.get("/mp/v1/me", headers=bearer(token)), 401, "auth.session_expired")


async def test_wrong_app_secret_is_reported_as_unavailable_not_as_a_bad_code(client, runtime, wechat):
    wechat_client = runtime.cadre_auth.wechat._client
    good_secret = wechat_client.secret
    wechat_client.secret = "wrong-secret"
    try:
        response = await client.post("/mp/v1/auth/login", json={"code": wechat.state.login_code_for("o-x")})
    finally:
        wechat_client.secret = good_secret
    assert_error(response, 503, "accounts.wechat_unavailable")


async def test_the_profile_names_the_parts_a_cadre_plays_in_the_modules(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    assert (await client.get("/mp/v1/me", headers=bearer(token))).json()["roles"] == []
    person = await Person.get(employee_no="D0001")
    await TeamMember.create(team=await RepairTeam.create(code="ZH", name="综合维修班"), person=person)
    assert (await client.get("/mp/v1/me", headers=bearer(token))).json()["roles"] == ["repairs.technician"]
